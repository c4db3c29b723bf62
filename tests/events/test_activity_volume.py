"""Registered contract volume attributed to events and calls equals the sum of the registered contracts whose deals
came from them — nothing from other sources, nothing unregistered, and each contract once."""
from datetime import date, timedelta

from app.events import figures
from app.events.models import EventPair
from app.extensions import db
from tests.conftest import login, make_listing, make_user
from tests.events.conftest import make_contract, make_event
from tests.transaction_factories import make_deal


def test_activity_contract_volume_is_the_sum_of_registered_contracts_from_event_and_call_deals(client):
    bureau = make_user("bureau")
    event = make_event(bureau, starts_in=-timedelta(days=30), deadline_before=timedelta(days=1))
    pairs = []
    for _ in range(3):
        p = EventPair(event=event, need_id=make_listing("need").id, achievement_id=make_listing("achievement").id,
                      terms=[], outcome="pending", outcome_note="")
        db.session.add(p)
        pairs.append(p)
    db.session.flush()
    event_deals = [make_deal(source="event", source_id=p.id) for p in pairs]
    for p, d in zip(pairs, event_deals, strict=True):
        p.deal_id, p.outcome = d.id, "deal_opened"
    call_deal = make_deal(source="call", source_id=424242)
    match_deal = make_deal(source="match", source_id=None)
    counted = [
        make_contract(event_deals[0], bureau, amount=1_200_000, tech=1_000_000),
        make_contract(event_deals[1], bureau, amount=3_500_000),
        make_contract(call_deal, bureau, amount=800_000, tech=600_000),
        make_contract(event_deals[0], bureau, amount=50_000, counted_on=date(2025, 12, 30)),  # another year
    ]
    # not counted: still waiting for registration, returned, replaced by a correction, or from another source
    make_contract(event_deals[2], bureau, amount=9_000_000, status="submitted")
    make_contract(call_deal, bureau, amount=7_000_000, status="superseded")
    make_contract(match_deal, bureau, amount=5_000_000)
    db.session.flush()

    vol = figures.activity_contract_volume()
    by_source = {"event": [c for c in counted if c.deal.source == "event"],
                 "call": [c for c in counted if c.deal.source == "call"]}
    for source, rows in by_source.items():
        assert vol[source]["count"] == len(rows)
        assert vol[source]["contract_amount_yuan"] == sum(c.contract_amount_yuan for c in rows)
        assert vol[source]["tech_amount_yuan"] == sum(c.tech_amount_yuan for c in rows)
    assert vol["total"]["contract_amount_yuan"] == sum(c.contract_amount_yuan for c in counted) == 5_550_000
    # by the year the contract was first registered
    y2026 = figures.activity_contract_volume(2026)
    assert y2026["event"]["contract_amount_yuan"] == 4_700_000 and y2026["call"]["count"] == 1
    assert figures.activity_contract_volume(2025)["total"] == {"count": 1, "contract_amount_yuan": 50_000,
                                                                "tech_amount_yuan": 50_000}
    # per event: the contracts of the deals opened from its pairs
    assert figures.event_figures(event)["volume"]["contract_amount_yuan"] == 4_750_000

    login(client, bureau)
    html = client.get("/bureau/activities").get_data(as_text=True)
    assert "555万元" in html and "80万元" in html  # total, call


def test_activity_figures_page_is_for_the_bureau(client):
    login(client, make_user("enterprise"))
    assert client.get("/bureau/activities").status_code == 403


def test_cockpit_summary_by_source_equals_the_activity_figures(client):
    """The cockpit's per-source figures (summary table) agree with the activity figures computed from contracts."""
    from app.stats import services as stats
    bureau = make_user("bureau")
    event_deal = make_deal(source="event", source_id=515151)
    call_deal = make_deal(source="call", source_id=525252)
    make_contract(event_deal, bureau, amount=2_000_000, tech=1_500_000)
    make_contract(call_deal, bureau, amount=900_000)
    make_contract(make_deal(source="inquiry", source_id=535353), bureau, amount=400_000)
    db.session.flush()
    stats.recompute_contract_stats(commit=False)
    vol = figures.activity_contract_volume()
    for source in ("event", "call"):
        summary = stats.totals(stats.Drill(source=source))
        assert summary["amount"] == vol[source]["contract_amount_yuan"]
        assert summary["tech"] == vol[source]["tech_amount_yuan"]
        assert summary["count"] == vol[source]["count"]
    assert stats.totals(stats.Drill(source="inquiry"))["amount"] == 400_000
