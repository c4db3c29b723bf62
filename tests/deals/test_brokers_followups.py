"""Brokers on deals (assign, claim, suggestions), notes, follow-up dates, overdue marking, lists, matches."""
from datetime import date, timedelta

import pytest
from sqlalchemy import func, select

from app.deals import services
from app.deals.models import Deal, DealEvent
from app.errors import InvalidTransition, PermissionDenied, ValidationError
from app.extensions import db
from app.matches.models import Match
from app.notifications.models import Notification
from tests.conftest import csrf_token, login, make_listing, make_user
from tests.transaction_factories import make_broker, make_deal


def _count(model, *where) -> int:
    return db.session.scalar(select(func.count()).select_from(model).where(*where))


# --- assign and claim ---

def test_bureau_assigns_certified_brokers_only(client):
    bureau = make_user("bureau")
    deal = make_deal("intent")
    broker = make_broker()
    with pytest.raises(ValidationError, match="已认证"):
        services.assign_broker(bureau, deal, make_broker(certified=False))
    with pytest.raises(PermissionDenied):
        services.assign_broker(broker, deal, broker)
    login(client, bureau)
    resp = client.post(f"/deals/{deal.id}/assign", data={"csrf_token": csrf_token(client, "/login"),
                                                         "broker_id": broker.id})
    assert resp.status_code == 302
    db.session.expire_all()
    deal = db.session.get(Deal, deal.id)
    assert deal.broker_id == broker.id
    assert deal.events[-1].kind == "assign" and deal.events[-1].actor_id == bureau.id
    assert _count(Notification, Notification.user_id == broker.id, Notification.kind == "deal_assigned") == 1


def test_reassign_logs_from_to_and_tells_the_previous_broker():
    bureau = make_user("bureau")
    first, second = make_broker(), make_broker()
    deal = make_deal("negotiating", broker=first)
    services.assign_broker(bureau, deal, second)
    assert deal.broker_id == second.id and "→" in deal.events[-1].note
    assert _count(Notification, Notification.user_id == first.id, Notification.kind == "deal_unassigned") == 1
    with pytest.raises(InvalidTransition):
        services.assign_broker(bureau, deal, second)
    with pytest.raises(InvalidTransition):
        services.assign_broker(bureau, make_deal("completed"), first)


def test_certified_broker_claims_an_unassigned_deal_once(client):
    deal = make_deal("intent")
    broker, other = make_broker(), make_broker()
    login(client, broker)
    assert "由我跟进" in client.get(f"/deals/{deal.id}").get_data(as_text=True)
    assert client.post(f"/deals/{deal.id}/claim", data={"csrf_token": csrf_token(client, "/login")}).status_code == 302
    db.session.expire_all()
    assert db.session.get(Deal, deal.id).broker_id == broker.id
    # the deal is no longer claimable: another broker cannot even see it
    client.post("/logout", data={"csrf_token": csrf_token(client, "/login")})
    login(client, other)
    assert client.post(f"/deals/{deal.id}/claim", data={"csrf_token": csrf_token(client, "/login")}).status_code == 404
    with pytest.raises(InvalidTransition, match="已有经纪人"):
        services.claim(other, db.session.get(Deal, deal.id))


def test_uncertified_broker_and_enterprise_cannot_claim(client):
    deal = make_deal("intent")
    pending = make_broker(certified=False)
    with pytest.raises(PermissionDenied):
        services.claim(pending, deal)
    with pytest.raises(PermissionDenied):
        services.claim(make_user("enterprise", org=deal.buyer_org), deal)
    login(client, pending)
    assert client.post(f"/deals/{deal.id}/claim", data={"csrf_token": csrf_token(client, "/login")}).status_code == 404
    assert deal.broker_id is None


def test_closed_deal_cannot_be_claimed():
    with pytest.raises(InvalidTransition):
        services.claim(make_broker(), make_deal("terminated"))


def test_suggestions_rank_expertise_then_load():
    deal = make_deal("intent")  # pump_valve achievement
    busy_expert = make_broker(industries=("pump_valve",), level="senior")
    idle_expert = make_broker(industries=("pump_valve", "materials"), level="junior")
    idle_other = make_broker(industries=("digital",), level="senior")
    busy_other = make_broker(industries=("health",))
    make_broker(certified=False, industries=("pump_valve",))  # not certified: never suggested
    for _ in range(2):
        make_deal("negotiating", broker=busy_expert)
    make_deal("intent", broker=busy_other)
    make_deal("completed", broker=idle_expert)  # closed deals are no load
    got = services.suggest_brokers(deal, limit=10)
    assert [s.user.id for s in got] == [idle_expert.id, busy_expert.id, idle_other.id, busy_other.id]
    assert [s.expert for s in got] == [True, True, False, False]
    assert [s.load for s in got] == [0, 2, 0, 1]
    # equal expertise and load: the higher level first
    senior = make_broker(industries=("pump_valve",), level="senior")
    got = services.suggest_brokers(deal, limit=2)
    assert [s.user.id for s in got] == [senior.id, idle_expert.id]


def test_bureau_sees_suggestions_on_the_deal_page(client):
    deal = make_deal("intent")
    expert = make_broker(industries=("pump_valve",))
    login(client, make_user("bureau"))
    page = client.get(f"/deals/{deal.id}").get_data(as_text=True)
    assert expert.name in page and "擅长该领域" in page


# --- notes and follow-ups ---

def test_notes_are_logged_and_empty_notes_refused(client):
    broker = make_broker()
    deal = make_deal("intent", broker=broker)
    login(client, broker)
    token = csrf_token(client, "/login")
    before = _count(DealEvent, DealEvent.deal_id == deal.id)
    resp = client.post(f"/deals/{deal.id}/note", data={"csrf_token": token, "note": "  "}, follow_redirects=True)
    assert "请填写跟进记录" in resp.get_data(as_text=True)
    assert _count(DealEvent, DealEvent.deal_id == deal.id) == before
    client.post(f"/deals/{deal.id}/note", data={"csrf_token": token, "note": "已电话联系双方"})
    ev = db.session.scalars(select(DealEvent).where(DealEvent.deal_id == deal.id).order_by(DealEvent.id.desc())).first()
    assert (ev.kind, ev.note, ev.actor_id) == ("note", "已电话联系双方", broker.id)
    assert "已电话联系双方" in client.get(f"/deals/{deal.id}").get_data(as_text=True)


def test_follow_up_in_the_past_refused_nothing_saved(client):
    broker = make_broker()
    deal = make_deal("intent", broker=broker)
    today = services.local_today()
    with pytest.raises(ValidationError, match="不能早于今天"):
        services.set_follow_up(broker, deal, today - timedelta(days=1))
    login(client, broker)
    before = _count(DealEvent, DealEvent.deal_id == deal.id)
    resp = client.post(f"/deals/{deal.id}/follow-up", data={
        "csrf_token": csrf_token(client, "/login"), "next_follow_up": (today - timedelta(days=3)).isoformat()},
        follow_redirects=True)
    assert "下次跟进日期不能早于今天" in resp.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(Deal, deal.id).next_follow_up is None
    assert _count(DealEvent, DealEvent.deal_id == deal.id) == before
    resp = client.post(f"/deals/{deal.id}/follow-up", data={"csrf_token": csrf_token(client, "/login"),
                                                            "next_follow_up": "not-a-date"}, follow_redirects=True)
    assert "日期" in resp.get_data(as_text=True)
    client.post(f"/deals/{deal.id}/follow-up", data={"csrf_token": csrf_token(client, "/login"),
                                                     "next_follow_up": today.isoformat(), "note": "约见面"})
    db.session.expire_all()
    assert db.session.get(Deal, deal.id).next_follow_up == today


def test_follow_up_on_a_closed_deal_refused():
    with pytest.raises(InvalidTransition):
        services.set_follow_up(make_user("bureau"), make_deal("completed"), date.today() + timedelta(days=3))


# --- overdue ---

def test_overdue_marking_is_idempotent_per_spell():
    broker = make_broker()
    today = date(2026, 3, 10)
    deal = make_deal("negotiating", broker=broker, next_follow_up=date(2026, 3, 9))
    make_deal("completed", broker=broker, next_follow_up=date(2026, 3, 1))  # closed: never overdue
    due_today = make_deal("intent", broker=broker, next_follow_up=today)  # due today: not overdue yet
    unassigned = make_deal("intent", next_follow_up=date(2026, 3, 2))
    bureau = make_user("bureau")

    assert services.mark_overdue_deals(today) == 2
    assert services.mark_overdue_deals(today) == 0
    overdue = Notification.kind == "deal_overdue"
    assert _count(Notification, overdue, Notification.user_id == broker.id) == 1
    assert services.mark_overdue_deals(today + timedelta(days=5)) == 1  # only the one due today has lapsed since
    assert due_today.overdue_notified_for == today
    assert _count(Notification, overdue, Notification.user_id == bureau.id) == 1  # unassigned: the bureau hears
    assert deal.is_overdue(today) and not unassigned.is_overdue(date(2026, 3, 2))
    # a new follow-up date ends the spell; when that one passes too, one more notification
    deal.next_follow_up = date(2026, 3, 20)
    assert services.mark_overdue_deals(date(2026, 3, 15)) == 0
    assert services.mark_overdue_deals(date(2026, 3, 21)) == 1
    assert services.mark_overdue_deals(date(2026, 3, 22)) == 0
    assert _count(Notification, overdue, Notification.user_id == broker.id) == 3
    assert [e.kind for e in deal.events].count("overdue") == 2


# --- lists ---

def test_deal_lists_by_role(client):
    broker, other = make_broker(), make_broker()
    mine = make_deal("negotiating", broker=broker, next_follow_up=date(2020, 1, 1))
    claimable = make_deal("intent")
    others = make_deal("intent", broker=other)
    closed_unassigned = make_deal("terminated")

    def ids(url):
        html = client.get(url).get_data(as_text=True)
        return {d.id for d in (mine, claimable, others, closed_unassigned) if f'href="/deals/{d.id}"' in html}

    login(client, broker)
    assert ids("/deals") == {mine.id}
    assert ids("/deals?scope=claimable") == {claimable.id}
    client.post("/logout", data={"csrf_token": csrf_token(client, "/login")})
    login(client, make_user("bureau"))
    assert ids("/deals") == {mine.id, claimable.id, others.id, closed_unassigned.id}
    assert ids("/deals?stage=negotiating") == {mine.id}
    assert ids("/deals?stage=open") == {mine.id, claimable.id, others.id}
    assert ids(f"/deals?broker={other.id}") == {others.id}
    assert ids("/deals?broker=0") == {claimable.id, closed_unassigned.id}
    assert ids("/deals?overdue=1") == {mine.id}
    client.post("/logout", data={"csrf_token": csrf_token(client, "/login")})
    login(client, make_user("enterprise", org=mine.buyer_org))
    assert ids("/deals") == {mine.id}
    assert client.get(f"/deals/{others.id}").status_code == 404
    client.post("/logout", data={"csrf_token": csrf_token(client, "/login")})
    assert client.get("/deals").status_code == 302


def test_broker_profile_shows_open_deals_and_follow_ups(client):
    broker = make_broker()
    soon = make_deal("negotiating", broker=broker, next_follow_up=date(2099, 5, 1))
    done = make_deal("completed", broker=broker)
    login(client, broker)
    page = client.get("/broker/profile").get_data(as_text=True)
    assert f'/deals/{soon.id}"' in page and "2099-05-01" in page
    assert f'/deals/{done.id}"' not in page


# --- from a match ---

def test_open_deal_from_a_match_marks_it_pursued():
    need = make_listing("need")
    ach = make_listing("achievement")
    match = Match(need_id=need.id, achievement_id=ach.id, score=0.5, terms=[], expanded_terms=[], status="suggested")
    db.session.add(match)
    db.session.flush()
    broker = make_broker()
    deal = services.open_deal_from_match(broker, match)
    assert match.status == "pursued"
    assert (deal.source, deal.source_id, deal.need_id, deal.achievement_id) == ("match", match.id, need.id, ach.id)
    assert (deal.buyer_org_id, deal.seller_org_id, deal.broker_id) == (need.organization_id, ach.organization_id, broker.id)
    with pytest.raises(InvalidTransition):
        services.open_deal_from_match(broker, match)


def test_stage_change_notifies_parties_and_broker_but_not_the_actor():
    broker = make_broker()
    deal = make_deal("intent", broker=broker)
    buyer = make_user("enterprise", org=deal.buyer_org)
    seller = make_user("university", org=deal.seller_org)
    bureau = make_user("bureau")
    services.advance(bureau, deal, "negotiating")
    stage = Notification.kind == "deal_stage"
    for u in (buyer, seller, broker):
        assert _count(Notification, stage, Notification.user_id == u.id) == 1
    assert _count(Notification, stage, Notification.user_id == bureau.id) == 0
    services.advance(broker, deal, "signed")
    assert _count(Notification, stage, Notification.user_id == broker.id) == 1


# --- two people at once ---

def _behind_its_back(deal, **values):
    """Another request changed the row after this one loaded it."""
    from sqlalchemy import update
    db.session.execute(update(Deal).where(Deal.id == deal.id).values(**values).execution_options(
        synchronize_session=False))


def test_a_second_claim_on_a_stale_page_loses_cleanly():
    deal = make_deal("intent")
    first, second = make_broker(), make_broker()
    assert deal.broker_id is None
    _behind_its_back(deal, broker_id=first.id)
    with pytest.raises(InvalidTransition, match="刷新"):
        services.claim(second, deal)
    assert deal.broker_id == first.id
    assert [e.kind for e in deal.events].count("claim") == 0


def test_a_second_advance_from_the_same_stage_loses_cleanly():
    bureau = make_user("bureau")
    deal = make_deal("intent")
    _behind_its_back(deal, stage="negotiating")
    with pytest.raises(InvalidTransition):
        services.advance(bureau, deal, "negotiating")  # already there after the refresh
    assert deal.stage == "negotiating"
    _behind_its_back(deal, stage="signed")
    with pytest.raises(InvalidTransition, match="刷新"):
        services.advance(bureau, deal, "terminated", reason="重复点击")
    db.session.refresh(deal)
    assert deal.stage == "signed" and deal.terminate_reason == ""


def test_assign_and_claim_keep_the_relationship_current():
    bureau = make_user("bureau")
    deal = make_deal("intent")
    broker = make_broker()
    services.claim(broker, deal)
    assert deal.broker is broker or deal.broker.id == broker.id
    other = make_broker()
    services.assign_broker(bureau, deal, other)
    assert deal.broker.id == other.id
