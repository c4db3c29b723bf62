"""揭榜挂帅: publishing (from an unsolved need or from scratch) and bad input; only eligible organizations apply, once,
before the deadline; only the need's owner or the bureau selects; selection opens exactly one deal; closing without a
selection needs a reason; the public rolling list and the kept history."""
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from app.calls import services
from app.calls.models import CallApplication, CallLog, ChallengeCall
from app.deals.models import Deal
from app.errors import InvalidTransition, NotFound, PermissionDenied, ValidationError
from app.extensions import db
from app.models_base import utcnow
from app.notifications.models import Notification
from app.timeutil import to_local
from tests.conftest import csrf_token, login, make_listing, make_org, make_user
from tests.transaction_factories import make_broker


def _count(model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


def _local(delta: timedelta) -> str:
    return to_local(utcnow() + delta).strftime("%Y-%m-%dT%H:%M")


def call_data(**kw) -> dict:
    data = {"title": "阀门内漏在线检测技术攻关", "industry_code": "pump_valve",
            "problem": "电站阀门关闭后微量内漏难以发现，现有离线检测需要停机拆检，成本高、周期长。",
            "indicators": "在线检测DN50–DN300阀门内漏，灵敏度≤0.1L/min，响应时间≤10秒，误报率≤2%。",
            "reward_yuan": 800_000, "deadline": utcnow() + timedelta(days=60),
            "eligible_kinds": ["enterprise", "university", "institute"]}
    data.update(kw)
    return data


@pytest.fixture
def world():
    owner = make_user("enterprise")
    need = make_listing("need", owner, title="阀门内漏在线检测", description="电站阀门关闭后微量内漏难以发现，需要在线检测手段。")
    bureau = make_user("bureau")
    call = services.publish(bureau, call_data(eligible_kinds=["university", "institute"]), need=need)
    db.session.flush()
    return {"owner": owner, "need": need, "bureau": bureau, "call": call,
            "uni": make_user("university"), "inst": make_user("institute"), "uni2": make_user("university")}


APPLICATION = {"plan": "采用声发射传感器阵列加机器学习识别内漏特征信号，已在实验台验证。", "team": "李教授（负责人）、博士生2名、工程师1名",
               "price_yuan": 750_000, "duration_months": 12}


# --- publishing ---

def test_publish_from_an_unsolved_need_makes_its_enterprise_the_owner(world):
    call = world["call"]
    assert call.owner_org_id == world["owner"].organization_id and call.need_id == world["need"].id
    assert call.status == "open" and call.eligible_kinds == ["university", "institute"]
    assert db.session.scalar(select(CallLog.action).where(CallLog.call_id == call.id)) == "publish"
    assert db.session.scalar(select(Notification.user_id).where(Notification.kind == "call_published")) == \
        world["owner"].id
    with pytest.raises(InvalidTransition, match="已有进行中的榜单"):
        services.publish(world["bureau"], call_data(), need=world["need"])


def test_publish_from_scratch_through_the_page(client):
    bureau, owner = make_user("bureau"), make_user("enterprise")
    login(client, bureau)
    resp = client.post("/calls/new", data={
        "title": "纽扣电镀废水零排放", "owner_org_id": str(owner.organization_id), "industry_code": "fashion",
        "problem": "纽扣电镀废水含镍铬，现有处理工艺成本高，需要零排放回用技术。", "indicators": "回用率≥95%，吨水成本≤30元",
        "reward_yuan": "120", "deadline": _local(timedelta(days=30)), "eligible_kinds": ["university", "enterprise"],
        "csrf_token": csrf_token(client, "/calls/new")})
    assert resp.status_code == 302, resp.get_data(as_text=True)[:3000]
    call = db.session.scalar(select(ChallengeCall))
    assert call.reward_yuan == 1_200_000 and call.need_id is None and call.owner_org_id == owner.organization_id
    assert call.eligible_kinds == ["enterprise", "university"]


@pytest.mark.parametrize(("field", "value", "message"), [
    ("reward_yuan", "-5", "金额不能为负数"),
    ("reward_yuan", "", "请填写榜额"),
    ("deadline", "PAST", "揭榜截止时间已过，请填写将来的时间"),
    ("eligible_kinds", [], "请至少选择一类可揭榜的单位"),
    ("problem", "太短", "请至少用10个字描述要攻克的问题"),
    ("owner_org_id", "0", "请选择已认证的发榜企业"),
    ("title", "", "请填写榜单名称"),
])
def test_bad_call_input_is_refused_with_a_chinese_message_and_nothing_saved(client, field, value, message):
    bureau, owner = make_user("bureau"), make_user("enterprise")
    login(client, bureau)
    data = {"title": "阀门内漏在线检测", "owner_org_id": str(owner.organization_id), "industry_code": "pump_valve",
            "problem": "电站阀门关闭后微量内漏难以发现，需要在线检测。", "indicators": "灵敏度≤0.1L/min",
            "reward_yuan": "80", "deadline": _local(timedelta(days=30)), "eligible_kinds": ["university"]}
    data[field] = _local(-timedelta(hours=1)) if value == "PAST" else value
    resp = client.post("/calls/new", data={**data, "csrf_token": csrf_token(client, "/calls/new")})
    assert resp.status_code == 200
    assert message in resp.get_data(as_text=True)
    assert (_count(ChallengeCall), _count(CallLog)) == (0, 0)


def test_service_refuses_negative_reward_and_past_deadline():
    bureau, owner = make_user("bureau"), make_user("enterprise")
    with pytest.raises(ValidationError) as exc:
        services.publish(bureau, call_data(reward_yuan=-1, deadline=utcnow() - timedelta(minutes=1),
                                           owner_org_id=owner.organization_id))
    assert exc.value.field_errors["reward_yuan"] == "榜额不能为负数"
    assert exc.value.field_errors["deadline"] == "揭榜截止时间已过，请填写将来的时间"
    assert _count(ChallengeCall) == 0


@pytest.mark.parametrize("role", ["enterprise", "university", "broker"])
def test_only_the_bureau_publishes(client, role):
    user = make_broker() if role == "broker" else make_user(role)
    with pytest.raises(PermissionDenied):
        services.publish(user, call_data(owner_org_id=make_org().id))
    login(client, user)
    assert client.get("/calls/new").status_code == 403


# --- applying: eligible organizations, once, before the deadline ---

@pytest.mark.parametrize(("who", "allowed"), [
    ("university", True), ("institute", True), ("enterprise", False), ("service_agency", False),
    ("unverified_university", False), ("owner", False), ("bureau", False), ("broker", False),
])
def test_only_eligible_organizations_apply(world, who, allowed):
    user = {"owner": lambda: world["owner"], "bureau": lambda: world["bureau"], "broker": make_broker,
            "unverified_university": lambda: make_user("university", verified=False)}.get(who, lambda: make_user(who))()
    if allowed:
        app_row = services.apply(user, world["call"].id, APPLICATION)
        assert app_row.status == "submitted" and app_row.organization_id == user.organization_id
    else:
        with pytest.raises(PermissionDenied):
            services.apply(user, world["call"].id, APPLICATION)
        assert _count(CallApplication) == 0


def test_an_organization_applies_once_and_before_the_deadline(world):
    services.apply(world["uni"], world["call"].id, APPLICATION)
    colleague = make_user("university", org=world["uni"].organization)
    with pytest.raises(InvalidTransition, match="只能提交一次"):
        services.apply(colleague, world["call"].id, APPLICATION)
    assert _count(CallApplication) == 1
    # the owner and the bureau were told
    told = set(db.session.scalars(select(Notification.user_id).where(Notification.kind == "call_applied")))
    assert {world["owner"].id, world["bureau"].id} <= told
    world["call"].deadline = utcnow() - timedelta(minutes=1)
    db.session.flush()
    with pytest.raises(InvalidTransition, match="截止"):
        services.apply(world["inst"], world["call"].id, APPLICATION)


@pytest.mark.parametrize(("field", "value", "message"), [
    ("price_yuan", -1, "报价不能为负数"), ("duration_months", 0, "完成周期应为1到120个月"), ("plan", "短", "技术方案"),
])
def test_bad_application_is_refused(world, field, value, message):
    with pytest.raises(ValidationError) as exc:
        services.apply(world["uni"], world["call"].id, {**APPLICATION, field: value})
    assert message in exc.value.field_errors[field]
    assert _count(CallApplication) == 0


def test_apply_through_the_page(client, world):
    login(client, world["uni"])
    url = f"/calls/{world['call'].id}"
    assert "我要揭榜" in client.get(url).get_data(as_text=True)
    resp = client.post(f"{url}/apply", data={"plan": APPLICATION["plan"], "team": APPLICATION["team"],
                                             "price_yuan": "-3", "duration_months": "12",
                                             "csrf_token": csrf_token(client, f"{url}/apply")})
    assert resp.status_code == 200 and "金额不能为负数" in resp.get_data(as_text=True)
    resp = client.post(f"{url}/apply", data={"plan": APPLICATION["plan"], "team": APPLICATION["team"],
                                             "price_yuan": "75", "duration_months": "12",
                                             "csrf_token": csrf_token(client, f"{url}/apply")})
    assert resp.status_code == 302
    assert "贵单位已" in client.get(url).get_data(as_text=True)
    # an ineligible enterprise sees why, and is refused if it posts anyway
    ent = make_user("enterprise")
    client.post("/logout", data={"csrf_token": csrf_token(client, url)})
    login(client, ent)
    assert "本榜单仅限高校、科研院所揭榜" in client.get(url).get_data(as_text=True)
    resp = client.post(f"{url}/apply", data={"plan": APPLICATION["plan"], "team": APPLICATION["team"],
                                             "price_yuan": "75", "duration_months": "12",
                                             "csrf_token": csrf_token(client, f"{url}/apply")})
    assert resp.status_code == 403
    assert _count(CallApplication) == 1


# --- deciding ---

@pytest.fixture
def applied(world):
    a1 = services.apply(world["uni"], world["call"].id, APPLICATION)
    a2 = services.apply(world["inst"], world["call"].id, {**APPLICATION, "price_yuan": 690_000})
    db.session.flush()
    return world, a1, a2


@pytest.mark.parametrize(("who", "allowed"), [
    ("owner", True), ("owner_colleague", True), ("bureau", True), ("admin", True),
    ("applicant", False), ("other_enterprise", False), ("broker", False),
])
def test_only_the_owner_or_the_bureau_selects(applied, who, allowed):
    world, a1, a2 = applied
    user = {"owner": lambda: world["owner"], "bureau": lambda: world["bureau"], "admin": lambda: make_user("admin"),
            "owner_colleague": lambda: make_user("enterprise", org=world["owner"].organization),
            "applicant": lambda: world["uni"], "other_enterprise": lambda: make_user("enterprise"),
            "broker": make_broker}[who]()
    if allowed:
        deal = services.select_application(user, world["call"].id, a2.id)
        assert deal.source == "call"
    else:
        with pytest.raises(PermissionDenied):
            services.select_application(user, world["call"].id, a2.id)
        with pytest.raises(PermissionDenied):
            services.close_without_award(user, world["call"].id, "没有合适方案")
        assert world["call"].status == "open" and _count(Deal) == 0


def test_selection_opens_exactly_one_deal(client, applied):
    world, a1, a2 = applied
    call = world["call"]
    login(client, world["owner"])
    url = f"/calls/{call.id}"
    html = client.get(url).get_data(as_text=True)
    assert APPLICATION["plan"] in html  # the owner reviews the applications
    resp = client.post(f"{url}/select", data={"application_id": str(a2.id), "note": "方案成熟、报价合理",
                                              "csrf_token": csrf_token(client, url)})
    assert resp.status_code == 302
    db.session.expire_all()
    deals = db.session.scalars(select(Deal).where(Deal.source == "call")).all()
    assert len(deals) == 1
    deal = deals[0]
    assert (deal.source_id, deal.need_id, deal.stage) == (call.id, world["need"].id, "intent")
    assert deal.buyer_org_id == world["owner"].organization_id and deal.seller_org_id == world["inst"].organization_id
    assert (call.status, call.deal_id) == ("awarded", deal.id)
    assert (a1.status, a2.status) == ("not_selected", "selected") and call.selected_application.id == a2.id
    # a second selection (double click, the bureau at the same time) opens nothing more
    with pytest.raises(InvalidTransition):
        services.select_application(world["bureau"], call.id, a1.id)
    resp = client.post(f"{url}/select", data={"application_id": str(a1.id), "csrf_token": csrf_token(client, url)})
    assert resp.status_code == 302
    db.session.expire_all()
    assert _count(Deal) == 1 and a1.status == "not_selected"
    assert not services.open_calls()  # it left the rolling list
    decided = db.session.scalars(select(Notification).where(Notification.kind == "call_decided")).all()
    assert {n.user_id for n in decided} == {world["uni"].id, world["inst"].id}


def test_select_none_needs_a_reason_and_is_kept_in_the_history(client, applied):
    world, a1, a2 = applied
    call = world["call"]
    with pytest.raises(ValidationError, match="必须说明原因"):
        services.close_without_award(world["owner"], call.id, "  ")
    services.close_without_award(world["owner"], call.id, "两份方案均无法满足10秒响应的指标，拟调整指标后重新发榜")
    db.session.flush()
    assert call.status == "closed" and call.deal_id is None and _count(Deal) == 0
    assert {a1.status, a2.status} == {"not_selected"}
    with pytest.raises(InvalidTransition):
        services.select_application(world["bureau"], call.id, a1.id)
    actions = db.session.scalars(select(CallLog.action).where(CallLog.call_id == call.id).order_by(CallLog.id)).all()
    assert actions == ["publish", "apply", "apply", "close"]
    html = client.get(f"/calls/{call.id}").get_data(as_text=True)
    assert "拟调整指标后重新发榜" in html and APPLICATION["plan"] not in html  # public: decision yes, plans no


def test_selecting_an_application_of_another_call_is_refused(applied):
    world, a1, _ = applied
    other = services.publish(world["bureau"], call_data(owner_org_id=make_org().id))
    db.session.flush()
    with pytest.raises(NotFound):
        services.select_application(world["bureau"], other.id, a1.id)


def test_the_public_rolling_list_shows_open_calls(client, world):
    bureau = world["bureau"]
    old = services.publish(bureau, call_data(title="已截止的旧榜单", owner_org_id=make_org().id))
    db.session.flush()
    old.deadline = utcnow() - timedelta(days=1)
    db.session.flush()
    html = client.get("/calls").get_data(as_text=True)
    assert world["call"].title in html and "已截止的旧榜单" not in html
    html = client.get("/calls?show=past").get_data(as_text=True)
    assert "已截止的旧榜单" in html
    assert world["call"].title in client.get(f"/calls/{world['call'].id}").get_data(as_text=True)


def test_unsolved_needs_page_offers_to_publish(client, app, tmp_path):
    from app.matches import services as matches
    old = app.config["MATCHING_INDEX_PATH"]
    app.config["MATCHING_INDEX_PATH"] = str(tmp_path / "m.idx")
    matches._process.update(matcher=None, key=None)
    try:
        need = make_listing("need", title="纽扣电镀废水零排放", description="纽扣电镀废水含镍铬，需要零排放回用技术。",
                            industry_code="fashion", keywords="电镀、废水")
        login(client, make_user("bureau"))
        html = client.get("/calls/unsolved").get_data(as_text=True)
        assert need.title in html and f"/calls/new?need_id={need.id}" in html
        html = client.get(f"/calls/new?need_id={need.id}").get_data(as_text=True)
        assert need.organization.name in html and "纽扣电镀废水零排放" in html
    finally:
        app.config["MATCHING_INDEX_PATH"] = old
        matches._process.update(matcher=None, key=None)
