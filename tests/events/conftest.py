"""Factories for event and call tests: events in any phase, a private matching index, registered contracts."""
from datetime import date, timedelta
from itertools import count

import pytest

from app.contracts.models import Contract
from app.events.models import MatchmakingEvent
from app.extensions import db
from app.matches import services as matches
from app.models_base import utcnow

_reg = count(1)


@pytest.fixture
def fresh_index(app, tmp_path):
    """The matching index lives next to the test and is built from this test's (rolled-back) database."""
    old = app.config["MATCHING_INDEX_PATH"]
    app.config["MATCHING_INDEX_PATH"] = str(tmp_path / "matching.idx")
    matches._process.update(matcher=None, key=None)
    yield
    app.config["MATCHING_INDEX_PATH"] = old
    matches._process.update(matcher=None, key=None)


def make_event(creator, *, starts_in=timedelta(days=10), hours=4, deadline_before=timedelta(days=2), capacity=50,
               status="scheduled", industry_code="pump_valve", title="2026泵阀专场供需对接会",
               focus_keywords="阀门、密封、泵") -> MatchmakingEvent:
    """An event placed directly at any time (setup, not the workflow under test: it may lie in the past)."""
    now = utcnow()
    starts = now + starts_in
    e = MatchmakingEvent(title=title, industry_code=industry_code, focus_keywords=focus_keywords, description="",
                         starts_at=starts, ends_at=starts + timedelta(hours=hours),
                         registration_deadline=starts - deadline_before, venue="永嘉县科技创新中心三楼报告厅",
                         online_url="", capacity=capacity, registered_count=0, status=status, cancel_reason="",
                         created_by_id=creator.id)
    db.session.add(e)
    db.session.flush()
    return e


def make_contract(deal, recorder, *, amount=1_000_000, tech=None, status="registered", counted_on=None):
    """A technology contract on a deal, registered (or not) directly."""
    n = next(_reg)
    registered = status in ("registered", "superseded")
    counted_on = counted_on or date(2026, 3, 1)
    c = Contract(title=f"技术合同{n}", contract_type="development", buyer_org_id=deal.buyer_org_id,
                 buyer_name=deal.buyer_org.name, seller_org_id=deal.seller_org_id, seller_name=deal.seller_org.name,
                 contract_amount_yuan=amount, tech_amount_yuan=tech if tech is not None else amount,
                 signed_on=counted_on - timedelta(days=10), deal_id=deal.id, recorded_by_id=recorder.id,
                 status=status, version=1, return_reason="", correction_reason="",
                 registration_number=f"2026330324{n:06d}" if registered else None,
                 registered_on=counted_on if registered else None, counted_on=counted_on if registered else None)
    db.session.add(c)
    db.session.flush()
    return c
