"""Broker application, certification/decline by the bureau, training records, the trained-broker count."""
from datetime import date, timedelta

import pytest
from sqlalchemy import func, select

from app.brokers import services
from app.brokers.models import BrokerProfile, BrokerTraining
from app.errors import InvalidTransition, PermissionDenied, ValidationError
from app.extensions import db
from app.notifications.models import Notification
from tests.conftest import csrf_token, login, make_org, make_user
from tests.transaction_factories import make_broker

GOOD = {"industry_codes": ["pump_valve", "materials"], "years_experience": "8",
        "introduction": "从事泵阀行业技术转移八年，促成技术合同二十余项。"}


def _count(model, *where) -> int:
    return db.session.scalar(select(func.count()).select_from(model).where(*where))


def _logout(client):
    client.post("/logout", data={"csrf_token": csrf_token(client, "/login")})


def _apply(client, data):
    return client.post("/broker/apply", data={"csrf_token": csrf_token(client, "/login"), **data})


def test_service_agency_user_applies_and_the_bureau_certifies(client):
    applicant = make_user("service_agency")
    bureau = make_user("bureau")
    login(client, applicant)
    assert client.get("/broker/apply").status_code == 200
    assert _apply(client, GOOD).status_code == 302
    p = db.session.scalars(select(BrokerProfile)).one()
    assert (p.status, p.years_experience, p.organization_id) == ("pending", 8, applicant.organization_id)
    assert sorted(p.industry_codes) == ["materials", "pump_valve"]
    assert _count(Notification, Notification.user_id == bureau.id, Notification.kind == "broker_applied") == 1
    assert "等待科技局认证" in client.get("/broker/profile").get_data(as_text=True)
    _logout(client)

    login(client, bureau)
    assert applicant.name in client.get("/bureau/brokers").get_data(as_text=True)
    resp = client.post(f"/bureau/brokers/{p.id}/certify", data={
        "csrf_token": csrf_token(client, "/login"), "certificate_no": "zj-2025-0001", "level": "intermediate"})
    assert resp.status_code == 302
    db.session.expire_all()
    p = db.session.get(BrokerProfile, p.id)
    assert (p.status, p.certificate_no, p.level, p.reviewed_by_id) == ("certified", "ZJ-2025-0001", "intermediate",
                                                                       bureau.id)
    assert p.user.role == "broker"
    assert _count(Notification, Notification.user_id == applicant.id, Notification.kind == "broker_certified") == 1


def test_certificate_number_is_unique_and_level_required(client):
    make_broker()  # holds ZJJJR... numbers
    taken = db.session.scalars(select(BrokerProfile.certificate_no)).first()
    pending = make_broker(certified=False)
    profile = services.profile_of(pending)
    bureau = make_user("bureau")
    with pytest.raises(ValidationError, match="已被使用"):
        services.certify(bureau, profile, taken, "junior")
    with pytest.raises(ValidationError, match="等级"):
        services.certify(bureau, profile, "NEW-1", "master")
    with pytest.raises(ValidationError, match="证书编号"):
        services.certify(bureau, profile, "  ", "junior")
    login(client, bureau)
    resp = client.post(f"/bureau/brokers/{profile.id}/certify", data={
        "csrf_token": csrf_token(client, "/login"), "certificate_no": taken, "level": "junior"})
    assert resp.status_code == 400 and "该证书编号已被使用" in resp.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(BrokerProfile, profile.id).status == "pending"


def test_decline_needs_a_reason_and_the_applicant_may_reapply(client):
    applicant = make_user("service_agency")
    profile = services.apply(applicant, {**GOOD, "years_experience": 3})
    bureau = make_user("bureau")
    login(client, bureau)
    resp = client.post(f"/bureau/brokers/{profile.id}/decline", data={"csrf_token": csrf_token(client, "/login"),
                                                                      "reason": ""})
    assert resp.status_code == 400 and "请填写原因" in resp.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(BrokerProfile, profile.id).status == "pending"
    client.post(f"/bureau/brokers/{profile.id}/decline", data={"csrf_token": csrf_token(client, "/login"),
                                                               "reason": "缺少从业证明材料"})
    db.session.expire_all()
    profile = db.session.get(BrokerProfile, profile.id)
    assert (profile.status, profile.decline_reason) == ("declined", "缺少从业证明材料")
    assert profile.user.role == "service_agency"
    with pytest.raises(InvalidTransition):
        services.certify(bureau, profile, "X-1", "junior")
    _logout(client)
    login(client, applicant)
    assert "缺少从业证明材料" in client.get("/broker/profile").get_data(as_text=True)
    assert _apply(client, GOOD).status_code == 302
    db.session.expire_all()
    assert db.session.get(BrokerProfile, profile.id).status == "pending"


@pytest.mark.parametrize("data,message", [
    ({**GOOD, "industry_codes": []}, "请至少选择一个擅长的产业领域"),
    ({**GOOD, "industry_codes": ["rockets"]}, "请选择有效的产业领域"),
    ({**GOOD, "years_experience": "-1"}, "从业年限应在0到60年之间"),
    ({**GOOD, "years_experience": "多年"}, "不是有效的整数"),
    ({**GOOD, "introduction": "短"}, "10到2000个字"),
])
def test_bad_application_refused_in_chinese_nothing_saved(client, data, message):
    login(client, make_user("service_agency"))
    resp = _apply(client, data)
    assert resp.status_code == 200
    html = resp.get_data(as_text=True)
    assert message in html
    assert "is not a valid" not in html
    assert _count(BrokerProfile) == 0


@pytest.mark.parametrize("role", ["enterprise", "university", "bureau"])
def test_only_service_agency_users_apply(client, role):
    user = make_user(role)
    with pytest.raises(PermissionDenied):
        services.apply(user, {**GOOD, "years_experience": 5})
    login(client, user)
    assert client.get("/broker/apply").status_code == 403
    assert _count(BrokerProfile) == 0


@pytest.mark.parametrize("role,status", [("anonymous", 302), ("enterprise", 403), ("broker", 403), ("bureau", 200)])
def test_review_pages_are_for_the_bureau(client, role, status):
    pending = make_broker(certified=False)
    profile = services.profile_of(pending)
    users = {"enterprise": make_user("enterprise"), "broker": make_broker(), "bureau": make_user("bureau")}
    if role != "anonymous":
        login(client, users[role])
    assert client.get("/bureau/brokers").status_code == status
    assert client.get(f"/bureau/brokers/{profile.id}").status_code == status
    resp = client.post(f"/bureau/brokers/{profile.id}/certify", data={
        "csrf_token": csrf_token(client, "/login"), "certificate_no": "ZJ-9", "level": "senior"})
    assert resp.status_code == (302 if role in ("anonymous", "bureau") else 403)
    db.session.expire_all()
    assert db.session.get(BrokerProfile, profile.id).status == ("certified" if role == "bureau" else "pending")


def test_training_records_and_the_trained_broker_count(client):
    bureau = make_user("bureau")
    a = make_broker()
    b = make_broker()
    pending = make_broker(certified=False)
    assert services.trained_broker_count() == 0
    services.add_training(bureau, services.profile_of(a), {"course": "技术经纪人初级培训", "hours": 48,
                                                          "training_date": date(2025, 5, 1), "passed": True})
    services.add_training(bureau, services.profile_of(a), {"course": "技术合同登记实务", "hours": 8,
                                                          "training_date": date(2025, 6, 1), "passed": True})
    services.add_training(bureau, services.profile_of(b), {"course": "技术经纪人初级培训", "hours": 48,
                                                          "training_date": date(2025, 5, 1), "passed": False})
    services.add_training(bureau, services.profile_of(pending), {"course": "技术经纪人初级培训", "hours": 48,
                                                                "training_date": date(2025, 5, 1), "passed": True})
    assert services.trained_broker_count() == 1  # a counts once; b failed; pending is not certified
    login(client, bureau)
    resp = client.post(f"/bureau/brokers/{services.profile_of(b).id}/trainings", data={
        "csrf_token": csrf_token(client, "/login"), "course": "补考", "hours": "4", "training_date": "2025-07-01",
        "passed": "y"})
    assert resp.status_code == 302
    assert services.trained_broker_count() == 2
    page = client.get("/bureau/brokers?status=certified").get_data(as_text=True)
    assert '<strong class="trained-count">2</strong>' in page


@pytest.mark.parametrize("data,message", [
    ({"course": "", "hours": "8", "training_date": "2025-01-01"}, "请填写课程名称"),
    ({"course": "培训", "hours": "0", "training_date": "2025-01-01"}, "学时应在1到1000之间"),
    ({"course": "培训", "hours": "-3", "training_date": "2025-01-01"}, "学时应在1到1000之间"),
    ({"course": "培训", "hours": "8", "training_date": ""}, "请填写培训日期"),
])
def test_bad_training_refused_nothing_saved(client, data, message):
    broker = make_broker()
    login(client, make_user("bureau"))
    resp = client.post(f"/bureau/brokers/{services.profile_of(broker).id}/trainings",
                       data={"csrf_token": csrf_token(client, "/login"), **data})
    assert resp.status_code == 400 and message in resp.get_data(as_text=True)
    assert _count(BrokerTraining) == 0


def test_training_date_in_the_future_refused():
    broker = make_broker()
    with pytest.raises(ValidationError, match="不能晚于今天"):
        services.add_training(make_user("bureau"), services.profile_of(broker), {
            "course": "培训", "hours": 8, "training_date": date.today() + timedelta(days=30), "passed": True})


def test_certified_broker_updates_expertise_without_losing_certification(client):
    broker = make_broker(industries=("pump_valve",))
    login(client, broker)
    assert _apply(client, {**GOOD, "industry_codes": ["digital"]}).status_code == 302
    db.session.expire_all()
    p = services.profile_of(broker)
    assert p.status == "certified" and p.industry_codes == ["digital"]


def test_demo_style_broker_role_user_without_profile_may_apply():
    user = make_user("broker", org=make_org("service_agency"))
    assert services.can_apply(user)
    p = services.apply(user, {**GOOD, "years_experience": 2})
    assert p.status == "pending"
    with pytest.raises(InvalidTransition, match="审核中"):
        services.apply(user, {**GOOD, "years_experience": 2})
