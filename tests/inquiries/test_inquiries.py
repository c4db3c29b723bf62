"""Inquiries: who may ask, the thread, accepting/declining, asking for a broker, becoming a deal, bad input."""
import pytest
from sqlalchemy import func, select

from app.deals.models import Deal
from app.errors import InvalidTransition, PermissionDenied, ValidationError
from app.extensions import db
from app.inquiries import services
from app.inquiries.models import Inquiry, InquiryMessage
from app.notifications.models import Notification
from tests.conftest import csrf_token, login, make_listing, make_user
from tests.transaction_factories import make_broker, make_inquiry


def _count(model, *where) -> int:
    return db.session.scalar(select(func.count()).select_from(model).where(*where))


def _logout(client):
    client.post("/logout", data={"csrf_token": csrf_token(client, "/login")})


@pytest.fixture
def market():
    owner = make_user("university")
    ach = make_listing("achievement", owner)
    colleague = make_user("university", org=owner.organization)
    return {"owner": owner, "colleague": colleague, "ach": ach, "ent": make_user("enterprise")}


def test_verified_enterprise_asks_and_the_owner_is_notified(client, market):
    ent, ach = market["ent"], market["ach"]
    login(client, ent)
    page = client.get(f"/achievements/{ach.id}").get_data(as_text=True)
    assert "我要询价" in page
    resp = client.post(f"/achievements/{ach.id}/inquire", data={
        "csrf_token": csrf_token(client, "/login"), "message": "我司想在DN100球阀上试用，请问授权费用？",
        "offered_price_yuan": "35.5"})
    assert resp.status_code == 302
    inq = db.session.scalars(select(Inquiry)).one()
    assert (inq.offered_price_yuan, inq.status, inq.enterprise_org_id) == (355_000, "open", ent.organization_id)
    for u in (market["owner"], market["colleague"]):
        assert _count(Notification, Notification.user_id == u.id, Notification.kind == "inquiry_new") == 1
    thread = client.get(resp.headers["Location"]).get_data(as_text=True)
    assert "DN100球阀" in thread and "35.5万元" in thread
    # asking again leads to the same inquiry
    again = client.get(f"/achievements/{ach.id}/inquire")
    assert again.status_code == 302 and again.headers["Location"].endswith(f"/inquiries/{inq.id}")


@pytest.mark.parametrize("who,status", [
    ("unverified_enterprise", 403), ("university", 403), ("broker", 403), ("bureau", 403), ("anonymous", 302)])
def test_only_verified_enterprises_may_ask(client, market, who, status):
    users = {"unverified_enterprise": make_user("enterprise", verified=False), "university": make_user("university"),
             "broker": make_broker(), "bureau": make_user("bureau")}
    if who != "anonymous":
        login(client, users[who])
    ach = market["ach"]
    resp = client.post(f"/achievements/{ach.id}/inquire", data={"csrf_token": csrf_token(client, "/login"),
                                                                "message": "请问价格"})
    assert resp.status_code == status
    assert _count(Inquiry) == 0


def test_no_inquiry_about_unpublished_achievements(client, market):
    pending = make_listing("achievement", market["owner"], status="pending", title="待审核的成果")
    login(client, market["ent"])
    resp = client.post(f"/achievements/{pending.id}/inquire", data={"csrf_token": csrf_token(client, "/login"),
                                                                    "message": "请问价格"})
    assert resp.status_code == 404
    with pytest.raises(PermissionDenied, match="已发布"):
        services.create(market["ent"], pending, "请问价格")
    assert _count(Inquiry) == 0


@pytest.mark.parametrize("data,message", [
    ({"message": ""}, "请填写留言内容"),
    ({"message": "   "}, "请填写留言内容"),
    ({"message": "请问价格", "offered_price_yuan": "-5"}, "金额不能为负数"),
    ({"message": "请问价格", "offered_price_yuan": "十万"}, "请输入数字金额"),
    ({"message": "请问价格", "offered_price_yuan": "1000001"}, "不超过100亿元"),
    ({"message": "长" * 2001}, "不能超过2000个字"),
])
def test_bad_input_is_refused_in_chinese_and_nothing_saved(client, market, data, message):
    login(client, market["ent"])
    resp = client.post(f"/achievements/{market['ach'].id}/inquire",
                       data={"csrf_token": csrf_token(client, "/login"), **data})
    assert resp.status_code == 400
    assert message in resp.get_data(as_text=True)
    assert _count(Inquiry) == 0 and _count(Notification) == 0


def test_service_refuses_negative_price_and_empty_message(market):
    with pytest.raises(ValidationError, match="报价不能为负数"):
        services.create(market["ent"], market["ach"], "请问价格", -1)
    with pytest.raises(ValidationError, match="请填写留言内容"):
        services.create(market["ent"], market["ach"], "  ")
    assert _count(Inquiry) == 0


def test_thread_between_the_two_sides(client, market):
    inq = make_inquiry(market["ent"], market["ach"])
    login(client, market["owner"])
    client.post(f"/inquiries/{inq.id}/reply", data={"csrf_token": csrf_token(client, "/login"),
                                                    "body": "可以提供样品，请留下需求参数"})
    resp = client.post(f"/inquiries/{inq.id}/reply", data={"csrf_token": csrf_token(client, "/login"), "body": " "},
                       follow_redirects=True)
    assert "请填写留言内容" in resp.get_data(as_text=True)
    _logout(client)
    login(client, market["ent"])
    page = client.get(f"/inquiries/{inq.id}").get_data(as_text=True)
    assert "可以提供样品" in page
    client.post(f"/inquiries/{inq.id}/reply", data={"csrf_token": csrf_token(client, "/login"), "body": "DN100，PN16"})
    assert [m.body for m in db.session.scalars(select(InquiryMessage).order_by(InquiryMessage.id))] == [
        "可以提供样品，请留下需求参数", "DN100，PN16"]
    assert _count(Notification, Notification.kind == "inquiry_reply",
                  Notification.user_id == market["ent"].id) == 1
    assert _count(Notification, Notification.kind == "inquiry_reply",
                  Notification.user_id == market["owner"].id) == 1


@pytest.mark.parametrize("who", ["other_enterprise", "other_university", "broker", "anonymous"])
def test_others_cannot_see_or_write_in_a_thread(client, market, who):
    inq = make_inquiry(market["ent"], market["ach"])
    users = {"other_enterprise": make_user("enterprise"), "other_university": make_user("university"),
             "broker": make_broker()}
    if who != "anonymous":
        login(client, users[who])
    expected = 302 if who == "anonymous" else 404
    assert client.get(f"/inquiries/{inq.id}").status_code == expected
    token = csrf_token(client, "/login")
    assert client.post(f"/inquiries/{inq.id}/reply", data={"csrf_token": token, "body": "插话"}).status_code == expected
    for action in ("accept", "request-broker", "to-deal"):
        assert client.post(f"/inquiries/{inq.id}/{action}", data={"csrf_token": token}).status_code == expected
    db.session.expire_all()
    assert _count(InquiryMessage) == 0 and db.session.get(Inquiry, inq.id).status == "open"


def test_only_the_owner_accepts_or_declines(client, market):
    inq = make_inquiry(market["ent"], market["ach"])
    login(client, market["ent"])
    assert client.post(f"/inquiries/{inq.id}/accept", data={"csrf_token": csrf_token(client, "/login")}).status_code == 403
    _logout(client)
    login(client, market["colleague"])
    assert client.post(f"/inquiries/{inq.id}/accept", data={"csrf_token": csrf_token(client, "/login")}).status_code == 302
    db.session.expire_all()
    inq = db.session.get(Inquiry, inq.id)
    assert inq.status == "accepted" and inq.decided_by_id == market["colleague"].id
    assert _count(Notification, Notification.kind == "inquiry_accepted", Notification.user_id == market["ent"].id) == 1
    with pytest.raises(InvalidTransition):
        services.accept(market["owner"], inq)
    with pytest.raises(InvalidTransition):
        services.decline(market["owner"], inq)


def test_decline_closes_the_thread(client, market):
    inq = make_inquiry(market["ent"], market["ach"])
    login(client, market["owner"])
    client.post(f"/inquiries/{inq.id}/decline", data={"csrf_token": csrf_token(client, "/login"), "reason": "已独家许可"})
    db.session.expire_all()
    inq = db.session.get(Inquiry, inq.id)
    assert inq.status == "declined" and inq.decline_reason == "已独家许可"
    with pytest.raises(InvalidTransition):
        services.reply(market["ent"], inq, "再考虑一下？")
    with pytest.raises(InvalidTransition):
        services.request_broker(market["ent"], inq)
    with pytest.raises(InvalidTransition):
        services.to_deal(make_user("bureau"), inq)
    # a new inquiry is possible after a decline
    assert services.create(market["ent"], market["ach"], "换个方式合作？").id != inq.id


@pytest.mark.parametrize("side", ["ent", "owner"])
def test_either_side_asks_for_a_broker_and_the_bureau_sees_the_flag(client, market, side):
    inq = make_inquiry(market["ent"], market["ach"])
    bureau = make_user("bureau")
    login(client, market[side])
    assert client.post(f"/inquiries/{inq.id}/request-broker",
                       data={"csrf_token": csrf_token(client, "/login")}).status_code == 302
    db.session.expire_all()
    inq = db.session.get(Inquiry, inq.id)
    assert inq.broker_requested_at is not None and inq.broker_requested_by_id == market[side].id
    assert _count(Notification, Notification.kind == "broker_requested", Notification.user_id == bureau.id) == 1
    with pytest.raises(InvalidTransition, match="已申请"):
        services.request_broker(market[side], inq)
    _logout(client)
    login(client, bureau)
    page = client.get("/bureau/inquiries?broker=1").get_data(as_text=True)
    assert f"/inquiries/{inq.id}" in page and "已申请" in page


def test_accepted_inquiry_becomes_a_deal_once(client, market):
    inq = make_inquiry(market["ent"], market["ach"])
    with pytest.raises(InvalidTransition, match="接受询价后"):
        services.to_deal(market["ent"], inq)
    services.accept(market["owner"], inq)
    db.session.flush()
    login(client, market["ent"])
    resp = client.post(f"/inquiries/{inq.id}/to-deal", data={"csrf_token": csrf_token(client, "/login")})
    assert resp.status_code == 302
    deal = db.session.scalars(select(Deal)).one()
    assert resp.headers["Location"].endswith(f"/deals/{deal.id}")
    assert (deal.source, deal.source_id, deal.buyer_org_id, deal.seller_org_id, deal.achievement_id, deal.broker_id) == (
        "inquiry", inq.id, market["ent"].organization_id, market["owner"].organization_id, market["ach"].id, None)
    with pytest.raises(InvalidTransition, match="已转为"):
        services.to_deal(market["owner"], inq)


def test_broker_converting_an_inquiry_follows_the_deal_and_can_read_the_thread(client, market):
    inq = make_inquiry(market["ent"], market["ach"], status="accepted")
    broker = make_broker()
    deal = services.to_deal(broker, inq)
    assert deal.broker_id == broker.id
    login(client, broker)
    assert client.get(f"/inquiries/{inq.id}").status_code == 200


def test_my_inquiries_lists_both_sides(client, market):
    inq = make_inquiry(market["ent"], market["ach"])
    login(client, market["ent"])
    assert f"/inquiries/{inq.id}" in client.get("/my/inquiries").get_data(as_text=True)
    _logout(client)
    login(client, market["colleague"])
    page = client.get("/my/inquiries").get_data(as_text=True)
    assert "收到的询价" in page and f"/inquiries/{inq.id}" in page
    _logout(client)
    login(client, make_user("enterprise"))
    assert f"/inquiries/{inq.id}" not in client.get("/my/inquiries").get_data(as_text=True)
