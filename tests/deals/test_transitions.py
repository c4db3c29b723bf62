"""The deal state machine: every allowed and refused transition, by role, through the pages and the service."""
import pytest
from sqlalchemy import func, select

from app.deals import services
from app.deals.models import DEAL_STAGES, Deal, DealEvent
from app.errors import InvalidTransition, PermissionDenied, ValidationError
from app.extensions import db
from tests.conftest import csrf_token, login, make_org, make_user
from tests.transaction_factories import make_broker, make_deal

STAGES = [s for s, _ in DEAL_STAGES]
# what an authorized person may do by hand; 登记 (registered) only comes from the contract registration
ALLOWED = {
    ("intent", "negotiating"), ("intent", "terminated"),
    ("negotiating", "signed"), ("negotiating", "terminated"),
    ("signed", "terminated"),
    ("registered", "completed"), ("registered", "terminated"),
}


def _events(deal) -> int:
    return db.session.scalar(select(func.count()).select_from(DealEvent).where(DealEvent.deal_id == deal.id))


@pytest.mark.parametrize("from_stage", STAGES)
@pytest.mark.parametrize("to_stage", STAGES)
def test_every_transition_by_the_bureau(from_stage, to_stage):
    bureau = make_user("bureau")
    deal = make_deal(from_stage)
    before = _events(deal)
    if (from_stage, to_stage) in ALLOWED:
        services.advance(bureau, deal, to_stage, note="推进", reason="对方放弃" if to_stage == "terminated" else None)
        db.session.flush()
        assert deal.stage == to_stage
        ev = db.session.scalars(select(DealEvent).where(DealEvent.deal_id == deal.id).order_by(DealEvent.id.desc())).first()
        assert (ev.kind, ev.from_stage, ev.to_stage, ev.actor_id) == ("stage", from_stage, to_stage, bureau.id)
        if to_stage in ("completed", "terminated"):
            assert deal.closed_at is not None
    else:
        with pytest.raises(InvalidTransition) as exc:
            services.advance(bureau, deal, to_stage, reason="原因")
        assert any("\u4e00" <= ch <= "\u9fff" for ch in exc.value.message)  # a Chinese message
        assert deal.stage == from_stage
        assert _events(deal) == before


ROLES = ["anonymous", "bureau", "admin", "assigned_broker", "other_broker", "uncertified_broker", "buyer", "seller",
         "unrelated_enterprise"]
# expected response status of POST /deals/<id>/advance for an allowed move, per role
EXPECTED = {"anonymous": 302, "bureau": 302, "admin": 302, "assigned_broker": 302, "other_broker": 404,
            "uncertified_broker": 404, "buyer": 403, "seller": 403, "unrelated_enterprise": 404}
MAY_ADVANCE = {"bureau", "admin", "assigned_broker"}


@pytest.fixture
def cast():
    broker = make_broker()
    deal = make_deal("intent", broker=broker)
    people = {
        "bureau": make_user("bureau"), "admin": make_user("admin"), "assigned_broker": broker,
        "other_broker": make_broker(), "uncertified_broker": make_broker(certified=False),
        "buyer": make_user("enterprise", org=deal.buyer_org), "seller": make_user("university", org=deal.seller_org),
        "unrelated_enterprise": make_user("enterprise"),
    }
    return deal, people


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("from_stage,to_stage", sorted(ALLOWED))
def test_allowed_transitions_by_role_through_the_page(client, cast, role, from_stage, to_stage):
    deal, people = cast
    deal.stage = from_stage
    db.session.flush()
    if role != "anonymous":
        login(client, people[role])
    before = _events(deal)
    resp = client.post(f"/deals/{deal.id}/advance", data={
        "csrf_token": csrf_token(client, "/login"), "to_stage": to_stage, "note": "页面推进",
        "reason": "买方预算取消" if to_stage == "terminated" else ""})
    assert resp.status_code == EXPECTED[role], role
    if role == "anonymous":
        assert "/login" in resp.headers["Location"]
    db.session.expire_all()
    deal = db.session.get(Deal, deal.id)
    if role in MAY_ADVANCE:
        assert deal.stage == to_stage
        assert _events(deal) == before + 1
        if to_stage == "terminated":
            assert deal.terminate_reason == "买方预算取消"
    else:
        assert deal.stage == from_stage
        assert _events(deal) == before


@pytest.mark.parametrize("role", ["bureau", "assigned_broker"])
@pytest.mark.parametrize("from_stage,to_stage", sorted((a, b) for a in STAGES for b in STAGES if (a, b) not in ALLOWED))
def test_refused_transitions_through_the_page(client, cast, role, from_stage, to_stage):
    deal, people = cast
    deal.stage = from_stage
    if from_stage == "terminated":
        deal.terminate_reason = "已终止"
    db.session.flush()
    login(client, people[role])
    resp = client.post(f"/deals/{deal.id}/advance", data={
        "csrf_token": csrf_token(client, "/login"), "to_stage": to_stage, "reason": "原因"}, follow_redirects=True)
    assert resp.status_code == 200
    page = resp.get_data(as_text=True)
    assert "alert-warning" in page or "alert-danger" in page
    db.session.expire_all()
    assert db.session.get(Deal, deal.id).stage == from_stage


def test_registered_only_through_contract_registration():
    bureau = make_user("bureau")
    deal = make_deal("signed")
    with pytest.raises(InvalidTransition, match="登记"):
        services.advance(bureau, deal, "registered")
    services.mark_registered(deal, bureau)
    assert deal.stage == "registered"
    n = _events(deal)
    services.mark_registered(deal, bureau)  # a corrected contract registered again: nothing changes
    assert deal.stage == "registered" and _events(deal) == n
    broker = make_broker()
    with pytest.raises(PermissionDenied):
        services.mark_registered(make_deal("signed", broker=broker), broker)


def test_mark_registered_from_negotiating_passes_through_signed_and_refuses_terminated():
    bureau = make_user("bureau")
    deal = make_deal("negotiating")
    services.mark_registered(deal, bureau)
    stages = [(e.from_stage, e.to_stage) for e in deal.events if e.kind == "stage"]
    assert stages == [("negotiating", "signed"), ("signed", "registered")]
    with pytest.raises(InvalidTransition):
        services.mark_registered(make_deal("terminated"), bureau)


def test_mark_signed_for_contract_recording():
    deal = make_deal("intent")
    services.mark_signed(deal, None)
    assert deal.stage == "signed"
    services.mark_signed(deal, None)
    assert deal.stage == "signed"
    with pytest.raises(InvalidTransition):
        services.mark_signed(make_deal("terminated"), None)


def test_terminate_without_reason_is_refused_and_nothing_saved(client):
    broker = make_broker()
    deal = make_deal("negotiating", broker=broker)
    before = _events(deal)
    with pytest.raises(ValidationError, match="终止项目必须填写原因"):
        services.advance(broker, deal, "terminated", reason="   ")
    login(client, broker)
    resp = client.post(f"/deals/{deal.id}/advance", data={"csrf_token": csrf_token(client, "/login"),
                                                         "to_stage": "terminated", "reason": ""},
                       follow_redirects=True)
    assert "终止项目必须填写原因" in resp.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(Deal, deal.id).stage == "negotiating"
    assert _events(deal) == before


def test_unknown_stage_refused():
    deal = make_deal("intent")
    with pytest.raises(InvalidTransition, match="未知"):
        services.advance(make_user("bureau"), deal, "won")


def test_parties_see_their_deal_but_cannot_touch_it(client):
    deal = make_deal("intent")
    buyer = make_user("enterprise", org=deal.buyer_org)
    login(client, buyer)
    page = client.get(f"/deals/{deal.id}").get_data(as_text=True)
    assert deal.achievement.title in page
    assert "推进项目" not in page and "跟进记录</h2>" not in page
    token = csrf_token(client, "/login")
    assert client.post(f"/deals/{deal.id}/note", data={"csrf_token": token, "note": "我来写"}).status_code == 403
    assert client.post(f"/deals/{deal.id}/follow-up", data={"csrf_token": token,
                                                            "next_follow_up": "2099-01-01"}).status_code == 403
    assert client.post(f"/deals/{deal.id}/assign", data={"csrf_token": token,
                                                         "broker_id": make_broker().id}).status_code == 403


def test_deal_page_buttons_follow_the_stage(client):
    broker = make_broker()
    deal = make_deal("negotiating", broker=broker)
    login(client, broker)
    page = client.get(f"/deals/{deal.id}").get_data(as_text=True)
    assert "进入“签约”" in page and "进入“意向”" not in page and "进入“登记”" not in page and "终止项目" in page


def test_open_deal_validation():
    bureau = make_user("bureau")
    org = make_org("enterprise")
    with pytest.raises(ValidationError, match="同一单位"):
        services.open_deal(bureau, buyer_org_id=org.id, seller_org_id=org.id, source="direct")
    with pytest.raises(ValidationError, match="未知的卖方单位"):
        services.open_deal(bureau, buyer_org_id=org.id, seller_org_id=999999, source="direct")
    with pytest.raises(ValidationError, match="来源"):
        services.open_deal(bureau, buyer_org_id=org.id, seller_org_id=make_org("university").id, source="lottery")
    with pytest.raises(ValidationError):
        services.open_deal(bureau, buyer_org_id=org.id, seller_org_id=make_org("university").id, source="direct",
                           stage="registered")
    with pytest.raises(PermissionDenied):
        services.open_deal(make_user("enterprise"), buyer_org_id=org.id, seller_org_id=make_org("university").id,
                           source="direct")
    assert db.session.scalar(select(func.count()).select_from(Deal)) == 0


def test_one_deal_per_source():
    seller = make_org("university")
    buyer = make_org("enterprise")
    first = services.open_deal(None, buyer_org_id=buyer.id, seller_org_id=seller.id, source="auction", source_id=7,
                               stage="signed")
    assert first.stage == "signed" and services.find_by_source("auction", 7) is first
    with pytest.raises(InvalidTransition, match="已建立对接项目"):
        services.open_deal(None, buyer_org_id=buyer.id, seller_org_id=seller.id, source="auction", source_id=7)


def test_broker_opening_a_deal_becomes_its_broker_and_it_is_logged():
    broker = make_broker()
    deal = services.open_deal(broker, buyer_org_id=make_org("enterprise").id, seller_org_id=make_org("university").id,
                              source="call", note="来电咨询")
    assert deal.broker_id == broker.id
    assert [e.kind for e in deal.events] == ["open", "assign"]
    assert deal.events[0].note == "来电咨询" and deal.events[0].to_stage == "intent"
