"""Broker performance: every KPI on a hand-made fixture with known answers, the score, idempotency, the pages and
who may see them."""
import os
import threading
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest
import sqlalchemy as sa
from sqlalchemy import func, select

from app.brokers.models import BrokerProfile
from app.deals.models import Deal, DealEvent
from app.extensions import db
from app.stats import brokers as kpis
from app.stats.models import BrokerStat
from tests.conftest import csrf_token, login, make_org, make_user
from tests.stats.factories import make_contract
from tests.transaction_factories import make_broker

T0 = datetime(2026, 3, 2, 1, 0, tzinfo=UTC)  # 09:00 Beijing time
TODAY = date(2026, 3, 20)
NOW = datetime(2026, 3, 20, 4, 0, tzinfo=UTC)
H = timedelta(hours=1)
D = timedelta(days=1)


def _deal(broker, stage, created, events, follow_up=None):
    """A deal with its log written by hand: events are (kind, actor, from_stage, to_stage, at), in time order."""
    buyer, seller = make_org("enterprise"), make_org("university")
    deal = Deal(buyer_org_id=buyer.id, seller_org_id=seller.id, broker_id=broker.id if broker else None,
                source="direct", stage=stage, terminate_reason="双方未谈拢" if stage == "terminated" else "",
                next_follow_up=follow_up, created_at=created, updated_at=created)
    db.session.add(deal)
    db.session.flush()
    for kind, actor, from_stage, to_stage, at in events:
        db.session.add(DealEvent(deal_id=deal.id, actor_id=actor.id if actor else None, kind=kind,
                                 from_stage=from_stage, to_stage=to_stage, note="", created_at=at))
        db.session.flush()  # ids in time order: "the broker's first entry after the assignment" reads them
    return deal


def _contract(amount, broker=None, deal=None, status="registered"):
    c = make_contract(amount, deal=deal, status=status, counted_on=date(2026, 3, 10))
    c.broker_id = broker.id if broker else None
    db.session.flush()
    return c


@pytest.fixture
def market():
    """Three working brokers (A, B, C), one idle (D), one not certified (E); known answers in the comments."""
    bureau = make_user("bureau")
    a, b, c, d = make_broker(), make_broker(), make_broker(), make_broker()
    e = make_broker(certified=False)

    # A1: assigned by the bureau, A answers after 2 h; signed on day 4; registered (contract 300万, broker A)
    a1 = _deal(a, "registered", T0, [
        ("open", bureau, None, "intent", T0), ("assign", bureau, None, None, T0), ("note", a, None, None, T0 + 2 * H),
        ("stage", a, "intent", "negotiating", T0 + D), ("stage", a, "negotiating", "signed", T0 + 4 * D),
        ("stage", bureau, "signed", "registered", T0 + 6 * D)])
    _contract(3_000_000, broker=a, deal=a1)
    # A2: assigned, A answers after 10 h by moving it to 洽谈; terminated later (keeps "reached 洽谈")
    _deal(a, "terminated", T0, [
        ("open", bureau, None, "intent", T0), ("assign", bureau, None, None, T0),
        ("stage", a, "intent", "negotiating", T0 + 10 * H), ("stage", a, "negotiating", "terminated", T0 + 2 * D)])
    # A3: A opened it at 洽谈 (no assignment to answer); signed on day 2; follow-up date passed → overdue
    a3 = _deal(a, "signed", T0, [
        ("open", a, None, "negotiating", T0), ("assign", a, None, None, T0),
        ("stage", a, "negotiating", "signed", T0 + 2 * D)], follow_up=date(2026, 3, 10))
    # A4: the platform opened it at 签约 (an auction) and assigned A, who never answered: 435 h waited so far;
    # opened at 签约, so not in days-to-sign; follow-up today is not overdue
    _deal(a, "signed", T0, [("open", None, None, "signed", T0), ("assign", None, None, None, T0)], follow_up=TODAY)
    _contract(1_000_000, broker=a)  # recorded by A without a deal
    _contract(9_000_000, broker=a, status="superseded")  # an old version: never counted
    _contract(8_000_000, broker=a, status="submitted")  # not registered: never counted

    # B1: B claimed it (a claim is not an assignment); at 洽谈, follow-up passed → overdue
    _deal(b, "negotiating", T0, [
        ("open", bureau, None, "intent", T0), ("claim", b, None, None, T0 + 5 * H),
        ("stage", b, "intent", "negotiating", T0 + D)], follow_up=date(2026, 3, 1))
    # B2: assigned to C first (C wrote a note), then reassigned to B at T0+1d; B answers 30 h later; signed day 5;
    # its contract names no broker → credited to the deal's broker, B
    b2 = _deal(b, "registered", T0, [
        ("open", bureau, None, "intent", T0), ("assign", bureau, None, None, T0), ("note", c, None, None, T0 + 3 * H),
        ("assign", bureau, None, None, T0 + D), ("stage", b, "intent", "negotiating", T0 + D + 30 * H),
        ("stage", b, "negotiating", "signed", T0 + 5 * D), ("stage", bureau, "signed", "registered", T0 + 7 * D)])
    _contract(6_000_000, deal=b2)
    # a contract that names B on A's deal: the contract's own broker wins (credited to B, not A)
    _contract(500_000, broker=b, deal=a3)
    # B3: assigned 3 hours ago, not answered yet: too young to count
    _deal(b, "intent", NOW - 3 * H, [("open", bureau, None, "intent", NOW - 3 * H),
                                     ("assign", bureau, None, None, NOW - 3 * H)])

    # C1: assigned, C answers after 50 h, then terminates it
    _deal(c, "terminated", T0, [
        ("open", bureau, None, "intent", T0), ("assign", bureau, None, None, T0), ("note", c, None, None, T0 + 50 * H),
        ("stage", c, "intent", "terminated", T0 + 3 * D)])

    # E is not certified: no row, whatever E did
    _deal(e, "signed", T0, [("open", bureau, None, "intent", T0), ("assign", bureau, None, None, T0)])
    _contract(2_000_000, broker=e)
    _contract(4_000_000)  # no broker, no deal: credited to nobody
    return {"bureau": bureau, "a": a, "b": b, "c": c, "d": d, "e": e}


EXPECTED = {
    "a": dict(deals_opened=4, deals_negotiating=4, deals_signed=3, deals_terminated=1, contracts_registered=2,
              contract_amount_yuan=4_000_000, median_days_to_sign=Decimal("3.0"), median_response_hours=Decimal("10.0"),
              overdue_followups=1, score=Decimal("79.50")),  # 32 + 22.5 + 15 + 10
    "b": dict(deals_opened=3, deals_negotiating=2, deals_signed=1, deals_terminated=0, contracts_registered=2,
              contract_amount_yuan=6_500_000, median_days_to_sign=Decimal("5.0"), median_response_hours=Decimal("30.0"),
              overdue_followups=1, score=Decimal("74.38")),  # 40 + 10 + 15×138/144 (14.375) + 10
    "c": dict(deals_opened=1, deals_negotiating=0, deals_signed=0, deals_terminated=1, contracts_registered=0,
              contract_amount_yuan=0, median_days_to_sign=None, median_response_hours=Decimal("50.0"),
              overdue_followups=0, score=Decimal("27.29")),  # 0 + 0 + 15×118/144 (12.2917) + 15
    "d": dict(deals_opened=0, deals_negotiating=0, deals_signed=0, deals_terminated=0, contracts_registered=0,
              contract_amount_yuan=0, median_days_to_sign=None, median_response_hours=None, overdue_followups=0,
              score=Decimal("0.00")),
}
FIELDS = list(EXPECTED["a"])


def _rows() -> dict[int, dict]:
    db.session.expire_all()
    return {s.broker_id: {f: getattr(s, f) for f in FIELDS} for s in db.session.scalars(select(BrokerStat))}


def test_every_kpi_on_the_hand_made_fixture(market):
    assert kpis.recompute_broker_stats(today=TODAY, now=NOW) == 4
    rows = _rows()
    assert set(rows) == {market[k].id for k in "abcd"}  # certified brokers only, idle ones included
    for key, expected in EXPECTED.items():
        assert rows[market[key].id] == expected, key


def test_each_brokers_contract_list_is_what_the_figures_count(market):
    """The list on a broker's page (credited_contracts) holds exactly the contracts its figures sum."""
    kpis.recompute_broker_stats(today=TODAY, now=NOW)
    rows = _rows()
    for key in "abcde":
        listed = db.session.scalars(kpis.credited_contracts(market[key].id)).all()
        amounts = sorted(c.contract_amount_yuan for c in listed)
        expected = {"a": [1_000_000, 3_000_000], "b": [500_000, 6_000_000], "c": [], "d": [], "e": [2_000_000]}[key]
        assert amounts == expected, key
        if market[key].id in rows:
            assert sum(amounts) == rows[market[key].id]["contract_amount_yuan"], key


def test_the_answer_to_an_assignment_waits_before_it_counts(market):
    # the next day B3 has waited 27 h unanswered: it now counts, B's median becomes median(30, 27) = 28.5
    kpis.recompute_broker_stats(today=TODAY, now=NOW + D)
    assert _rows()[market["b"].id]["median_response_hours"] == Decimal("28.5")


def test_recompute_is_idempotent_and_replaces_rows(market):
    kpis.recompute_broker_stats(today=TODAY, now=NOW)
    first = _rows()
    kpis.recompute_broker_stats(today=TODAY, now=NOW)
    assert _rows() == first
    assert db.session.scalar(select(func.count()).select_from(BrokerStat)) == 4
    # a broker who loses the certificate leaves the table on the next run
    profile = db.session.scalar(select(BrokerProfile).where(BrokerProfile.user_id == market["d"].id))
    profile.status, profile.decline_reason = "declined", "证书过期"
    db.session.flush()
    kpis.recompute_broker_stats(today=TODAY, now=NOW)
    assert market["d"].id not in _rows() and len(_rows()) == 3


def test_score_formula_parts():
    row = kpis._Row(broker_id=1, deals_opened=4, deals_negotiating=4, deals_signed=3, deals_terminated=1,
                    contracts_registered=2, contract_amount_yuan=4_000_000, median_days_to_sign=None,
                    median_response_hours=Decimal("96"), overdue_followups=4)
    parts = kpis.score_parts(row)
    assert (parts.volume, parts.conversion, parts.response, parts.follow_up) == (
        Decimal("32.00"), Decimal("22.50"), Decimal("7.50"), Decimal("0.00"))  # (168-96)/144 = ½; −20 floors at 0
    assert parts.total == Decimal("62.00")
    row.median_response_hours, row.contract_amount_yuan = Decimal("500"), 50_000_000
    assert kpis.score_parts(row).response == 0 and kpis.score_parts(row).volume == 40


def test_task_recomputes_through_celery(app, market):
    from tasks import dispatch
    assert dispatch("stats.recompute_brokers")
    assert {market[k].id for k in "abcd"} <= set(_rows())


# --- pages and permissions ---

def test_leaderboard_sorts_by_score_or_volume_and_shows_the_formula(client, market):
    kpis.recompute_broker_stats(today=TODAY, now=NOW)
    login(client, market["bureau"])
    html = client.get("/bureau/brokers/performance").get_data(as_text=True)
    assert "得分公式" in html and "500万元" in html and "79.50" in html and "74.38" in html
    order = [market[k].id for k in "abcd"]
    assert [html.index(f'data-broker="{i}"') for i in order] == sorted(html.index(f'data-broker="{i}"') for i in order)
    assert f'/brokers/performance/{market["a"].id}' in html
    by_volume = client.get("/bureau/brokers/performance?sort=volume").get_data(as_text=True)
    assert by_volume.index(f'data-broker="{market["b"].id}"') < by_volume.index(f'data-broker="{market["a"].id}"')
    assert "650万元" in by_volume and "400万元" in by_volume


def test_bureau_recompute_button(client, market):
    login(client, market["bureau"])
    resp = client.post("/bureau/brokers/performance/recompute",
                       data={"csrf_token": csrf_token(client, "/bureau/brokers/performance")})
    assert resp.status_code == 302
    assert len(_rows()) == 4


def test_broker_sees_own_page_only(client, market):
    kpis.recompute_broker_stats(today=TODAY, now=NOW)
    a, b = market["a"], market["b"]
    login(client, a)
    html = client.get(f"/brokers/performance/{a.id}").get_data(as_text=True)
    assert 'id="score">79.50<' in html and 'id="days-to-sign">3.0<' in html and 'id="response-hours">10.0<' in html
    assert "得分公式" in html and "我的业绩" in html
    assert client.get(f"/brokers/performance/{b.id}").status_code == 403
    assert client.get("/bureau/brokers/performance").status_code == 403


@pytest.mark.parametrize("role", ["enterprise", "university", "service_agency"])
def test_others_are_refused(client, market, role):
    login(client, make_user(role))
    assert client.get(f"/brokers/performance/{market['a'].id}").status_code == 403
    assert client.get("/bureau/brokers/performance").status_code == 403


def test_bureau_sees_every_broker_and_anonymous_must_log_in(client, market):
    kpis.recompute_broker_stats(today=TODAY, now=NOW)
    assert client.get(f"/brokers/performance/{market['a'].id}").status_code == 302
    login(client, market["bureau"])
    html = client.get(f"/brokers/performance/{market['b'].id}").get_data(as_text=True)
    assert 'id="score">74.38<' in html and "650万元" in html
    # an idle broker has a row; a broker not certified has a page without figures; a non-broker is not found
    assert 'id="score">0.00<' in client.get(f"/brokers/performance/{market['d'].id}").get_data(as_text=True)
    assert "尚无业绩统计" in client.get(f"/brokers/performance/{market['e'].id}").get_data(as_text=True)
    assert client.get(f"/brokers/performance/{market['bureau'].id}").status_code == 404


# --- two runs at once ---

@pytest.mark.skipif(not os.environ.get("TEST_DATABASE_URL", "").startswith("postgres"),
                    reason="the race needs PostgreSQL (CI)")
class TestConcurrentRuns:
    @pytest.fixture
    def _db_transaction(self):
        """Threads need committed rows: this test manages its own data instead of the rolled-back transaction."""
        yield

    def test_concurrent_recomputes_do_not_clash(self, app):
        with app.app_context():
            try:
                brokers = [make_broker() for _ in range(5)]
                for i, broker in enumerate(brokers):
                    for _ in range(i + 1):
                        _deal(broker, "intent", T0, [("open", broker, None, "intent", T0)])
                db.session.commit()
                errors = []

                def run():
                    try:
                        with app.app_context():
                            kpis.recompute_broker_stats(today=TODAY, now=NOW)
                    except Exception as e:  # pragma: no cover - reported below
                        errors.append(e)

                threads = [threading.Thread(target=run) for _ in range(4)]
                for t in threads:
                    t.start()
                for t in threads:
                    t.join(60)
                assert not errors
                rows = _rows()
                assert {b.id: rows[b.id]["deals_opened"] for b in brokers} == {b.id: i + 1 for i, b in enumerate(brokers)}
                assert len(rows) == 5
            finally:
                db.session.rollback()
                with db.engine.begin() as conn:
                    for t in ("broker_stats", "deal_events", "deals", "broker_industries", "broker_trainings",
                              "broker_profiles", "users"):
                        conn.execute(sa.text(f"DELETE FROM {t}"))
                    conn.execute(sa.text("DELETE FROM organizations WHERE kind <> 'government'"))
