"""Broker performance (issue 5 §4): the KPIs of every certified broker, kept in `broker_stats` by the task
`stats.recompute_brokers`; the leaderboard and each broker's page read only that table.

Every KPI is defined once, here:

- **a broker's deals**: deals whose broker is the broker now (`Deal.broker_id`): assigned by the bureau, claimed, or
  opened by the broker. A deal reassigned to someone else leaves the previous broker's figures.
- **deals_opened**: the broker's deals, at any stage.
- **reached a stage**: the furthest pipeline stage a deal ever reached, read from its log (the stages named by its
  `open` and `stage` entries) and its current stage, so a terminated deal keeps the stage it had reached.
  `deals_negotiating` / `deals_signed`: deals that reached 洽谈 / 签约 (or later). `deals_terminated`: now 终止.
- **registered contracts**: current registered versions (`Contract.status == 'registered'`) credited to the
  contract's own broker (`Contract.broker_id`) or, when it has none, to the broker of its deal. A contract is
  credited to one broker at most; `contract_amount_yuan` is their 合同金额, all years.
- **median_days_to_sign**: over the broker's deals opened at 意向 or 洽谈 that reached 签约: from the deal's opening
  (`Deal.created_at`) to the first log entry that took it to 签约, in days. Deals opened already at 签约 (e.g. an
  auction's sale) are left out: they had no 意向 stage.
- **median_response_hours**: over the broker's deals that the broker received by an assignment from someone else
  (the deal's latest `assign`/`claim` entry is an `assign` by the bureau or the platform): from that assignment to
  the broker's first later log entry on the deal (a note, a stage change, a follow-up date …), in hours. An
  assignment still unanswered after 24 hours counts with the time waited so far; a younger one waits until it is
  answered. Claims and deals the broker opened are not assignments.
- **overdue_followups**: the broker's open deals whose next follow-up date is before today (Asia/Shanghai).
- **score** (0–100, `SCORE_RULES`, shown on the pages): see `score()`.
"""
import statistics
from dataclasses import dataclass
from datetime import date, datetime
from decimal import ROUND_HALF_UP, Decimal

from sqlalchemy import and_, case, delete, func, insert, select, text, union_all
from sqlalchemy.orm import aliased

from app.accounts.models import User
from app.brokers.models import BrokerProfile
from app.contracts.models import Contract
from app.deals.models import OPEN_STAGES, PIPELINE, Deal, DealEvent
from app.extensions import db
from app.models_base import utcnow
from app.stats.models import BrokerStat
from app.timeutil import as_utc  # SQLite gives naive UTC back, PostgreSQL aware: compare as UTC

# --- the score ---
VOLUME_POINTS, VOLUME_FULL_YUAN = 40, 5_000_000  # full marks at 500万元 of registered contracts
CONVERSION_POINTS = 30  # × deals_signed ÷ deals_opened
RESPONSE_POINTS, RESPONSE_FULL_HOURS, RESPONSE_ZERO_HOURS = 15, 24, 168  # ≤ 1 day: full; ≥ 7 days: none
FOLLOW_UP_POINTS, OVERDUE_PENALTY = 15, 5  # minus 5 per overdue follow-up
UNANSWERED_AFTER_HOURS = 24

SCORE_RULES = [
    f"成交（{VOLUME_POINTS}分）：{VOLUME_POINTS} × min(1, 已登记合同金额 ÷ {VOLUME_FULL_YUAN // 10_000}万元)",
    f"转化（{CONVERSION_POINTS}分）：{CONVERSION_POINTS} × 签约项目数 ÷ 项目数",
    f"响应（{RESPONSE_POINTS}分）：新指派项目响应时间中位数 ≤ {RESPONSE_FULL_HOURS}小时得满分，"
    f"≥ {RESPONSE_ZERO_HOURS}小时（7天）得0分，其间按比例；没有被指派的项目时得满分",
    f"跟进（{FOLLOW_UP_POINTS}分）：{FOLLOW_UP_POINTS} − {OVERDUE_PENALTY} × 逾期未跟进项目数，最低0分",
    "没有任何项目和已登记合同的经纪人得0分；总分100分，保留两位小数",
]

CENT = Decimal("0.01")
TENTH = Decimal("0.1")
STAGE_RANK = {s: i for i, s in enumerate(PIPELINE)}  # intent 0 … completed 4; terminated has no rank


@dataclass
class ScoreParts:
    volume: Decimal
    conversion: Decimal
    response: Decimal
    follow_up: Decimal

    @property
    def total(self) -> Decimal:
        return (self.volume + self.conversion + self.response + self.follow_up).quantize(CENT, ROUND_HALF_UP)


def score_parts(s) -> ScoreParts:
    """The score of a BrokerStat (or anything with its fields), part by part (SCORE_RULES)."""
    zero = Decimal(0)
    if not s.deals_opened and not s.contracts_registered:
        return ScoreParts(zero, zero, zero, zero)
    # multiply before dividing, so that e.g. 15 × 138 ÷ 144 is exactly 14.375
    volume = min(Decimal(VOLUME_POINTS), Decimal(VOLUME_POINTS * s.contract_amount_yuan) / VOLUME_FULL_YUAN)
    conversion = Decimal(CONVERSION_POINTS * s.deals_signed) / s.deals_opened if s.deals_opened else zero
    if s.median_response_hours is None:
        response = Decimal(RESPONSE_POINTS)
    else:
        late = Decimal(RESPONSE_ZERO_HOURS) - Decimal(s.median_response_hours)
        span = RESPONSE_ZERO_HOURS - RESPONSE_FULL_HOURS
        response = min(Decimal(RESPONSE_POINTS), max(zero, RESPONSE_POINTS * late / span))
    follow_up = Decimal(max(0, FOLLOW_UP_POINTS - OVERDUE_PENALTY * s.overdue_followups))
    q = lambda v: Decimal(v).quantize(CENT, ROUND_HALF_UP)  # noqa: E731
    return ScoreParts(q(volume), q(conversion), q(response), q(follow_up))


def score(s) -> Decimal:
    return score_parts(s).total


# --- computing ---

def _median(values: list[float]) -> Decimal | None:
    if not values:
        return None
    return Decimal(str(statistics.median(values))).quantize(TENTH, ROUND_HALF_UP)


def certified_broker_ids():
    """SELECT of the user ids of certified, active brokers (who get a row)."""
    return (select(BrokerProfile.user_id).join(User, User.id == BrokerProfile.user_id)
            .where(BrokerProfile.status == "certified", User.role == "broker", User.active.is_(True)))


def contract_broker():
    """The broker a registered contract is credited to (defined once: the contract's own, else its deal's)."""
    return func.coalesce(Contract.broker_id, Deal.broker_id)


def credited_contracts(broker_id: int):
    """SELECT of the registered contracts credited to broker_id (the list behind the figures)."""
    # the same rule as contract_broker(), spelt as two indexed lookups: COALESCE over the join read every contract
    # (600 ms with a million), this reads the broker's own (ix_contracts_broker_id, ix_deals_broker_id)
    own = select(Contract.id).where(Contract.broker_id == broker_id)
    via_deal = (select(Contract.id).join(Deal, Deal.id == Contract.deal_id)
                .where(Contract.broker_id.is_(None), Deal.broker_id == broker_id))
    return (select(Contract).where(Contract.status == "registered", Contract.id.in_(union_all(own, via_deal)))
            .order_by(Contract.counted_on.desc(), Contract.id.desc()))


def compute(today: date | None = None, now: datetime | None = None) -> dict[int, dict]:
    """Every certified broker's KPIs (a dict of BrokerStat column values per broker id), straight from deals, their
    log and registered contracts."""
    from app.deals.services import local_today
    today = today or local_today()
    now = as_utc(now) or utcnow()
    ids = certified_broker_ids()
    out = {bid: {"broker_id": bid, "deals_opened": 0, "deals_negotiating": 0, "deals_signed": 0, "deals_terminated": 0,
                 "contracts_registered": 0, "contract_amount_yuan": 0, "median_days_to_sign": None,
                 "median_response_hours": None, "overdue_followups": 0}
           for bid in db.session.scalars(ids)}
    if not out:
        return out

    # the broker's deals, their current stage and the stages their log names
    rank_to = case(*[(DealEvent.to_stage == s, r) for s, r in STAGE_RANK.items()], else_=-1)
    rank_from = case(*[(DealEvent.from_stage == s, r) for s, r in STAGE_RANK.items()], else_=-1)
    open_stage = func.max(case((DealEvent.kind == "open", DealEvent.to_stage)))
    first_signed = func.min(case((DealEvent.to_stage == "signed", DealEvent.created_at)))
    rows = db.session.execute(
        select(Deal.id, Deal.broker_id, Deal.stage, Deal.created_at, Deal.next_follow_up,
               func.max(rank_to), func.max(rank_from), open_stage, first_signed.label("first_signed"))
        .outerjoin(DealEvent, DealEvent.deal_id == Deal.id)
        .where(Deal.broker_id.in_(ids))
        .group_by(Deal.id, Deal.broker_id, Deal.stage, Deal.created_at, Deal.next_follow_up))
    days: dict[int, list[float]] = {}
    for _id, bid, stage, created_at, follow_up, max_to, max_from, opened_at, signed_at in rows:
        o = out[bid]
        o["deals_opened"] += 1
        reached = max(STAGE_RANK.get(stage, -1), max_to if max_to is not None else -1,
                      max_from if max_from is not None else -1, 0)
        o["deals_negotiating"] += reached >= STAGE_RANK["negotiating"]
        o["deals_signed"] += reached >= STAGE_RANK["signed"]
        o["deals_terminated"] += stage == "terminated"
        o["overdue_followups"] += bool(stage in OPEN_STAGES and follow_up is not None and follow_up < today)
        if signed_at is not None and (opened_at or "intent") in ("intent", "negotiating"):
            if isinstance(signed_at, str):  # SQLite: min() over a CASE loses the column type
                signed_at = datetime.fromisoformat(signed_at)
            delta = as_utc(signed_at) - as_utc(created_at)
            days.setdefault(bid, []).append(max(0.0, delta.total_seconds() / 86400))
    for bid, values in days.items():
        out[bid]["median_days_to_sign"] = _median(values)

    # response to assignments: the deal's latest assign/claim entry, and the broker's first entry after it
    latest = (select(DealEvent.deal_id, func.max(DealEvent.id).label("eid"))
              .where(DealEvent.kind.in_(("assign", "claim"))).group_by(DealEvent.deal_id).subquery())
    a, r = aliased(DealEvent), aliased(DealEvent)
    rows = db.session.execute(
        select(Deal.broker_id, a.kind, a.actor_id, a.created_at, func.min(r.created_at))
        .join(latest, latest.c.deal_id == Deal.id).join(a, a.id == latest.c.eid)
        .outerjoin(r, and_(r.deal_id == Deal.id, r.actor_id == Deal.broker_id, r.id > a.id))
        .where(Deal.broker_id.in_(ids))
        .group_by(Deal.id, Deal.broker_id, a.kind, a.actor_id, a.created_at))
    hours: dict[int, list[float]] = {}
    for bid, kind, actor_id, assigned_at, answered_at in rows:
        if kind != "assign" or actor_id == bid:
            continue
        waited = ((as_utc(answered_at) if answered_at is not None else now) - as_utc(assigned_at)).total_seconds() / 3600
        if answered_at is None and waited < UNANSWERED_AFTER_HOURS:
            continue
        hours.setdefault(bid, []).append(max(0.0, waited))
    for bid, values in hours.items():
        out[bid]["median_response_hours"] = _median(values)

    # registered contracts credited to each broker
    who = contract_broker()
    for bid, n, amount in db.session.execute(
            select(who, func.count(Contract.id), func.coalesce(func.sum(Contract.contract_amount_yuan), 0))
            .select_from(Contract).outerjoin(Deal, Deal.id == Contract.deal_id)
            .where(Contract.status == "registered", who.in_(ids)).group_by(who)):
        out[bid]["contracts_registered"] = int(n)
        out[bid]["contract_amount_yuan"] = int(amount)

    for o in out.values():
        o["score"] = score(_Row(**o))
    return out


@dataclass
class _Row:
    broker_id: int
    deals_opened: int
    deals_negotiating: int
    deals_signed: int
    deals_terminated: int
    contracts_registered: int
    contract_amount_yuan: int
    median_days_to_sign: Decimal | None
    median_response_hours: Decimal | None
    overdue_followups: int


def recompute_broker_stats(today: date | None = None, now: datetime | None = None, commit: bool = True) -> int:
    """Replace broker_stats with every certified broker's KPIs in one transaction. Idempotent; concurrent runs
    never clash: the table is locked on PostgreSQL, and on SQLite the DELETE first takes the database's write lock,
    so a second run waits and then replaces the rows again. Returns the brokers written."""
    if db.engine.dialect.name == "postgresql":
        db.session.execute(text("LOCK TABLE broker_stats IN EXCLUSIVE MODE"))
    db.session.execute(delete(BrokerStat))
    rows = list(compute(today, now).values())
    stamp = utcnow()
    if rows:
        db.session.execute(insert(BrokerStat), [{**r, "computed_at": stamp} for r in rows])
    if commit:
        db.session.commit()
    return len(rows)


# --- reading ---

SORTS = {"score": "得分", "volume": "登记合同金额"}


def leaderboard(sort: str = "score") -> list[tuple[BrokerStat, User, BrokerProfile | None]]:
    order = ([BrokerStat.contract_amount_yuan.desc(), BrokerStat.score.desc()] if sort == "volume"
             else [BrokerStat.score.desc(), BrokerStat.contract_amount_yuan.desc()])
    return list(db.session.execute(
        select(BrokerStat, User, BrokerProfile).join(User, User.id == BrokerStat.broker_id)
        .outerjoin(BrokerProfile, BrokerProfile.user_id == User.id)
        .order_by(*order, User.name, User.id)).tuples())


def last_computed() -> datetime | None:
    return db.session.scalar(select(func.max(BrokerStat.computed_at)))


def rate(part: int, whole: int) -> float | None:
    """part ÷ whole in percent (one decimal), None when there is nothing to divide by."""
    return round(100 * part / whole, 1) if whole else None


def funnel(s: BrokerStat) -> list[dict]:
    """意向 → 洽谈 → 签约 → 登记: counts and the conversion from the step before."""
    steps = [("意向（项目数）", s.deals_opened), ("洽谈", s.deals_negotiating), ("签约", s.deals_signed),
             ("登记（已登记合同）", s.contracts_registered)]
    return [{"label": label, "count": n, "rate": rate(n, steps[i - 1][1]) if i else None}
            for i, (label, n) in enumerate(steps)]
