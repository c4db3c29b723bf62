"""Figures of market activities (issue 8 §3), computed from the rows themselves, for the bureau's cockpit.

- `event_figures(event)`: registered and attending organizations, pairs, outcomes (无意向 / 意向 / 已建对接项目) and the
  registered contract volume of the deals opened from its pairs.
- `events_summary(year=None)`: events held (finished) and their totals, with one row per held event.
- `activity_contract_volume(year=None)`: registered contract volume whose deals came from events or calls
  (deal source "event" / "call"), from contracts + deals directly. The cockpit's summary table
  (`stats.ContractStat`, source column) must give the same sums; tests compare the two.

"Intents" counts pairs whose recorded outcome is 有合作意向; "deals" counts pairs from which a deal was opened (a pair
is in one of the two, never both). Contract volume counts contracts in status `registered` (each contract family has
at most one), by the date it was first registered (`counted_on`), like `contracts.services.contract_totals`.
"""
from datetime import date

from sqlalchemy import func, select

from app.contracts.models import Contract
from app.deals.models import Deal
from app.events.models import EventPair, EventRegistration, MatchmakingEvent
from app.extensions import db

ACTIVITY_SOURCES = ("event", "call")


def _zero() -> dict:
    return {"count": 0, "contract_amount_yuan": 0, "tech_amount_yuan": 0}


def _registered_contracts(year: int | None = None):
    stmt = (select(Deal.source, Deal.source_id, Contract.contract_amount_yuan, Contract.tech_amount_yuan)
            .join(Deal, Deal.id == Contract.deal_id)
            .where(Contract.status == "registered", Deal.source.in_(ACTIVITY_SOURCES)))
    if year is not None:
        stmt = stmt.where(Contract.counted_on >= date(year, 1, 1), Contract.counted_on <= date(year, 12, 31))
    return db.session.execute(stmt).all()


def activity_contract_volume(year: int | None = None) -> dict:
    """{"event": {count, contract_amount_yuan, tech_amount_yuan}, "call": {...}, "total": {...}} in integer 元."""
    out = {s: _zero() for s in (*ACTIVITY_SOURCES, "total")}
    for source, _sid, amount, tech in _registered_contracts(year):
        for bucket in (out[source], out["total"]):
            bucket["count"] += 1
            bucket["contract_amount_yuan"] += int(amount)
            bucket["tech_amount_yuan"] += int(tech)
    return out


def _pair_volume(pair_ids: list[int]) -> dict:
    out = _zero()
    if not pair_ids:
        return out
    rows = db.session.execute(
        select(func.count(), func.coalesce(func.sum(Contract.contract_amount_yuan), 0),
               func.coalesce(func.sum(Contract.tech_amount_yuan), 0))
        .join(Deal, Deal.id == Contract.deal_id)
        .where(Contract.status == "registered", Deal.source == "event", Deal.source_id.in_(pair_ids))).one()
    out.update(count=int(rows[0]), contract_amount_yuan=int(rows[1]), tech_amount_yuan=int(rows[2]))
    return out


def event_figures(event: MatchmakingEvent) -> dict:
    outcomes = dict(db.session.execute(select(EventPair.outcome, func.count()).where(EventPair.event_id == event.id)
                                       .group_by(EventPair.outcome)).all())
    regs = db.session.execute(select(EventRegistration.attended, func.count(),
                                     func.coalesce(func.sum(EventRegistration.attendees), 0))
                              .where(EventRegistration.event_id == event.id)
                              .group_by(EventRegistration.attended)).all()
    registered = sum(n for _a, n, _p in regs)
    attended = sum(n for a, n, _p in regs if a)
    pair_ids = list(db.session.scalars(select(EventPair.id).where(EventPair.event_id == event.id,
                                                                  EventPair.deal_id.is_not(None))))
    return {
        "registered": registered,
        "attended": attended,
        "attendance_recorded": event.status == "finished",
        "people": sum(int(p) for a, _n, p in regs if a) if event.status == "finished" else
        sum(int(p) for _a, _n, p in regs),
        "pairs": sum(outcomes.values()),
        "pending": outcomes.get("pending", 0),
        "no_interest": outcomes.get("no_interest", 0),
        "intents": outcomes.get("intent", 0),
        "deals": outcomes.get("deal_opened", 0),
        "volume": _pair_volume(pair_ids),
    }


def events_summary(year: int | None = None) -> dict:
    """Held events (status finished), by start date in `year` when given: one row per event and the totals."""
    stmt = select(MatchmakingEvent).where(MatchmakingEvent.status == "finished")
    events = list(db.session.scalars(stmt.order_by(MatchmakingEvent.starts_at.desc(), MatchmakingEvent.id.desc())))
    if year is not None:
        from app.timeutil import to_local
        events = [e for e in events if to_local(e.starts_at).year == year]
    rows = [(e, event_figures(e)) for e in events]
    totals = {"events_held": len(rows), "registered": 0, "attended": 0, "pairs": 0, "intents": 0, "deals": 0,
              "no_interest": 0, "volume": _zero()}
    for _e, f in rows:
        for k in ("registered", "attended", "pairs", "intents", "deals", "no_interest"):
            totals[k] += f[k]
        for k in totals["volume"]:
            totals["volume"][k] += f["volume"][k]
    return {"rows": rows, "totals": totals}
