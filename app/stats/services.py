"""Contract statistics: the summary table the cockpit reads, its recompute, and the drill-down behind each figure.

The dimensions of a registered contract are defined once (`_dimensions`) and used both to fill the summary table
and to list the contracts behind a figure, so a figure and its list can never disagree.
"""
import calendar
from dataclasses import dataclass
from datetime import date
from decimal import ROUND_HALF_UP, Decimal

from sqlalchemy import Integer, and_, case, cast, delete, extract, func, insert, literal, select, text
from sqlalchemy.orm import aliased

from app import pagecache
from app.accounts.models import Organization
from app.contracts.models import CONTRACT_TYPES, Contract
from app.deals.models import DEAL_SOURCES, Deal
from app.extensions import db
from app.listings.models import Achievement
from app.reference import INDUSTRIES, ORG_KINDS, TOWNS
from app.stats.models import ContractRollup, ContractStat, Indicator, IndicatorValue, YearlyTarget

YI = 100_000_000  # 1亿元 in 元
SELLER_KINDS = [("university", "高校"), ("institute", "科研院所"), ("enterprise", "企业"),
                ("service_agency", "科技服务机构"), ("other", "其他/未注册单位")]
FLOWS = [("absorbed", "县内企业吸纳技术"), ("supplied", "县内单位输出技术")]


def _dimensions():
    """(select-from, {dimension: SQL expression}) for registered contracts."""
    seller = aliased(Organization)
    buyer = aliased(Organization)
    frm = (select(Contract).outerjoin(Achievement, Achievement.id == Contract.achievement_id)
           .outerjoin(seller, seller.id == Contract.seller_org_id)
           .outerjoin(buyer, buyer.id == Contract.buyer_org_id)
           .outerjoin(Deal, Deal.id == Contract.deal_id)
           # a registered contract always has counted_on (ck_contracts_registered_has_number); saying so again
           # made PostgreSQL prefer the plain counted_on index over the covering one of migration 0012
           .where(Contract.status == "registered"))
    dims = {
        "year": cast(extract("year", Contract.counted_on), Integer),
        "month": cast(extract("month", Contract.counted_on), Integer),
        "industry_code": func.coalesce(Achievement.industry_code, seller.industry_code, buyer.industry_code, ""),
        # where in the county the technology went: the buyer's town, else the county seller's town
        "town_code": func.coalesce(case((Contract.buyer_in_county.is_(True), buyer.town_code)),
                                   case((Contract.seller_in_county.is_(True), seller.town_code)), ""),
        "contract_type": Contract.contract_type,
        "seller_kind": func.coalesce(seller.kind, "other"),
        "buyer_in_county": Contract.buyer_in_county,
        "seller_in_county": Contract.seller_in_county,
        "source": func.coalesce(Deal.source, ""),
    }
    return frm, dims


def recompute_contract_stats(commit: bool = True) -> int:
    """Replace the summary table from the registered contracts in one transaction. Idempotent; two concurrent
    runs cannot double-count (the table is locked on PostgreSQL; SQLite serialises writers). Returns rows."""
    if db.engine.dialect.name == "postgresql":
        db.session.execute(text("LOCK TABLE contract_stats, contract_rollups IN EXCLUSIVE MODE"))
        # the app's connections plan serially (app._postgres_settings); this scan of every contract gains from more
        db.session.execute(text("SET LOCAL max_parallel_workers_per_gather TO DEFAULT"))
    db.session.execute(delete(ContractStat))
    db.session.execute(delete(ContractRollup))
    frm, dims = _dimensions()
    keys = list(dims)
    agg = (frm.with_only_columns(*[dims[k].label(k) for k in keys],
                                 func.count(Contract.id).label("contract_count"),
                                 func.sum(Contract.contract_amount_yuan).label("contract_amount_yuan"),
                                 func.sum(Contract.tech_amount_yuan).label("tech_amount_yuan"))
           .group_by(*[dims[k] for k in keys]))
    cols = keys + ["contract_count", "contract_amount_yuan", "tech_amount_yuan"]
    db.session.execute(insert(ContractStat).from_select(cols, agg))
    _rollup()
    n = db.session.scalar(select(func.count()).select_from(ContractStat)) or 0
    if commit:
        db.session.commit()
    return n


ROLLUP_DIMS = ("contract_type", "industry_code", "town_code", "seller_kind", "source")
SUMS = ("contract_count", "contract_amount_yuan", "tech_amount_yuan")


def _rollup() -> None:
    """ContractStat → ContractRollup: per (year, month) and one dimension at a time, plus the two flows."""
    cols = ["year", "month", "dim", "key", *SUMS]
    sums = [func.sum(getattr(ContractStat, c)) for c in SUMS]
    for dim in ROLLUP_DIMS:
        col = getattr(ContractStat, dim)
        q = (select(ContractStat.year, ContractStat.month, literal(dim), col, *sums)
             .group_by(ContractStat.year, ContractStat.month, col))
        db.session.execute(insert(ContractRollup).from_select(cols, q))
    for flow, cond in (("absorbed", ContractStat.buyer_in_county), ("supplied", ContractStat.seller_in_county)):
        q = (select(ContractStat.year, ContractStat.month, literal("flow"), literal(flow), *sums)
             .where(cond.is_(True)).group_by(ContractStat.year, ContractStat.month))
        db.session.execute(insert(ContractRollup).from_select(cols, q))


def _rolled(year: int, dim: str, by: str | None = None, key: str | None = None) -> list[dict]:
    """Sums from the rollup for one year and dimension, grouped by `by` ("month" or "key") or in total."""
    group = [getattr(ContractRollup, by)] if by else []
    stmt = (select(*group, *[func.coalesce(func.sum(getattr(ContractRollup, c)), 0) for c in SUMS])
            .where(ContractRollup.year == year, ContractRollup.dim == dim))
    if key is not None:
        stmt = stmt.where(ContractRollup.key == key)
    rows = db.session.execute(stmt.group_by(*group).order_by(*group)).all()
    return [{"key": r[0] if by else None, "count": int(r[-3]), "amount": int(r[-2]), "tech": int(r[-1])} for r in rows]


# --- reading the summary ---

@dataclass
class Drill:
    """A set of registered contracts named by dimension values (the link behind a figure)."""
    year: int | None = None
    month: int | None = None
    industry_code: str | None = None
    town_code: str | None = None
    contract_type: str | None = None
    seller_kind: str | None = None
    flow: str | None = None
    source: str | None = None

    @classmethod
    def from_args(cls, args) -> "Drill":
        def intval(name, lo, hi):
            try:
                v = int(args.get(name, ""))
            except ValueError:
                return None
            return v if lo <= v <= hi else None
        strs = {k: (args.get(k) if args.get(k) is not None else None)
                for k in ("industry_code", "town_code", "contract_type", "seller_kind", "flow", "source")}
        return cls(year=intval("year", 1990, 2100), month=intval("month", 1, 12), **strs)

    def args(self) -> dict:
        return {k: v for k, v in self.__dict__.items() if v is not None}

    def with_(self, **kw) -> dict:
        return {**self.args(), **kw}


def _stat_filter(d: Drill):
    conds = []
    for k in ("year", "month", "industry_code", "town_code", "contract_type", "seller_kind", "source"):
        v = getattr(d, k)
        if v is not None:
            conds.append(getattr(ContractStat, k) == v)
    if d.flow == "absorbed":
        conds.append(ContractStat.buyer_in_county.is_(True))
    elif d.flow == "supplied":
        conds.append(ContractStat.seller_in_county.is_(True))
    return and_(*conds) if conds else literal(True)


# the drill-down dimensions that read another table than contracts (see _dimensions)
JOINED_DIMENSIONS = ("industry_code", "town_code", "seller_kind", "source")


def _next_month(year: int, month: int) -> date:
    return date(year + 1, 1, 1) if month == 12 else date(year, month + 1, 1)


def drill_contracts(d: Drill):
    """SELECT of the registered contracts behind a figure (same dimension expressions as the summary)."""
    frm, dims = _dimensions()
    if all(getattr(d, k) is None for k in JOINED_DIMENSIONS):
        # no filter on the joined tables: the contracts alone, so that PostgreSQL can sum a year from the covering
        # index of migration 0012 (even joins it removes as unused kept it from that index: 300 → 40 ms a year)
        frm = select(Contract).where(Contract.status == "registered")
    stmt = frm
    keys = ["industry_code", "town_code", "contract_type", "seller_kind", "source"]
    if d.year is not None:
        # the period as a range of counted_on (the same contracts as EXTRACT(year) = y, but an index can find them:
        # a year of a million contracts was read whole to find its 170,000)
        first, last = (date(d.year, d.month, 1), _next_month(d.year, d.month)) if d.month is not None else \
            (date(d.year, 1, 1), date(d.year + 1, 1, 1))
        stmt = stmt.where(Contract.counted_on >= first, Contract.counted_on < last)
    else:
        keys = ["month", *keys]
    for k in keys:
        v = getattr(d, k)
        if v is not None:
            stmt = stmt.where(dims[k] == v)
    if d.flow == "absorbed":
        stmt = stmt.where(Contract.buyer_in_county.is_(True))
    elif d.flow == "supplied":
        stmt = stmt.where(Contract.seller_in_county.is_(True))
    return stmt.order_by(Contract.counted_on.desc(), Contract.id.desc())


def totals(d: Drill) -> dict:
    row = db.session.execute(select(
        func.coalesce(func.sum(ContractStat.contract_count), 0),
        func.coalesce(func.sum(ContractStat.contract_amount_yuan), 0),
        func.coalesce(func.sum(ContractStat.tech_amount_yuan), 0)).where(_stat_filter(d))).one()
    return {"count": int(row[0]), "amount": int(row[1]), "tech": int(row[2])}


def breakdown(d: Drill, dim: str) -> list[dict]:
    col = getattr(ContractStat, dim)
    rows = db.session.execute(select(
        col, func.sum(ContractStat.contract_count), func.sum(ContractStat.contract_amount_yuan),
        func.sum(ContractStat.tech_amount_yuan)).where(_stat_filter(d)).group_by(col).order_by(col)).all()
    return [{"key": k, "count": int(c), "amount": int(a), "tech": int(t)} for k, c, a, t in rows]


LABELS = {
    "industry_code": dict(INDUSTRIES) | {"": "未分类"},
    "town_code": dict(TOWNS) | {"": "县外/未知"},
    "contract_type": dict(CONTRACT_TYPES),
    "seller_kind": dict(SELLER_KINDS) | dict(ORG_KINDS),
    "source": dict(DEAL_SOURCES) | {"": "无对接项目"},
}


def target_for(year: int) -> tuple[int, str]:
    """The year's target and where it comes from (a later year without its own target keeps the last one)."""
    t = db.session.get(YearlyTarget, year)
    if t is not None:
        return t.contract_volume_yuan, t.note or f"{year}年目标"
    prev = db.session.scalar(select(YearlyTarget).where(YearlyTarget.year < year).order_by(YearlyTarget.year.desc()))
    if prev is not None:
        return prev.contract_volume_yuan, f"沿用{prev.year}年目标（科技局可设置{year}年目标）"
    return 20 * YI, "规划目标20亿元"


def pace(ytd: int, target: int, today: date, year: int) -> dict:
    """Projection for the year end from the pace so far, and the monthly pace still needed."""
    days_in_year = 366 if calendar.isleap(year) else 365
    if today.year > year:
        elapsed = days_in_year
    elif today.year < year:
        elapsed = 0
    else:
        elapsed = today.timetuple().tm_yday
    projection = int(Decimal(ytd) * days_in_year / elapsed) if elapsed else 0
    months_left = 0 if today.year > year else (12 if today.year < year else 12 - today.month + 1)
    remaining = max(0, target - ytd)
    needed = int((Decimal(remaining) / months_left).to_integral_value(ROUND_HALF_UP)) if months_left else 0
    return {"projection": projection, "months_left": months_left, "remaining": remaining,
            "monthly_needed": needed, "on_track": projection >= target,
            "percent": float(Decimal(ytd * 100) / target) if target else 0.0}


def year_series(until: int) -> list[dict]:
    """Registered volume by year from the plan's baseline (附件1: 2015, 2019, 2020 expected) to now."""
    ind = db.session.get(Indicator, "contract_volume")
    out = []
    if ind is not None:
        for y, v, note in ((2015, ind.value_2015, "规划基数"), (2019, ind.value_2019, "规划基数"),
                           (2020, ind.value_2020, "规划预计数")):
            if v is not None:
                out.append({"year": y, "amount": int(Decimal(v) * YI), "source": note})
    rows = db.session.execute(select(ContractRollup.year, func.sum(ContractRollup.contract_amount_yuan))
                              .where(ContractRollup.dim == "contract_type")
                              .group_by(ContractRollup.year).order_by(ContractRollup.year)).all()
    registered = {int(y): int(a) for y, a in rows}
    # from the first year the platform registered contracts (years before it have no figures here, not zero)
    first = min(registered) if registered else until
    for y in range(first, until + 1):
        if y in {s["year"] for s in out}:
            continue
        out.append({"year": y, "amount": registered.get(y, 0), "source": "已登记合同"})
    return sorted(out, key=lambda r: r["year"])


def cockpit(year: int, today: date) -> dict:
    """Everything the cockpit page shows, read from the rollup (a few hundred rows a year)."""
    t = _rolled(year, "contract_type")[0]
    t.pop("key")
    target, target_note = target_for(year)
    by_month = {r["key"]: r for r in _rolled(year, "contract_type", by="month")}
    months = [{"key": m, "count": by_month.get(m, {}).get("count", 0), "amount": by_month.get(m, {}).get("amount", 0),
               "tech": by_month.get(m, {}).get("tech", 0)} for m in range(1, 13)]
    flows = []
    for code, name in FLOWS:
        row = _rolled(year, "flow", key=code)[0]
        row.pop("key")
        flows.append({"key": code, "label": name, **row})
    return {
        "year": year, "totals": t, "target": target, "target_note": target_note,
        "pace": pace(t["amount"], target, today, year), "months": months,
        "breakdowns": {dim: [{**r, "label": LABELS[dim].get(r["key"], r["key"])} for r in _rolled(year, dim, by="key")]
                       for dim in ("industry_code", "town_code", "contract_type", "seller_kind", "source")},
        "flows": flows, "series": year_series(max(year, today.year)),
    }


def indicator_table(years: list[int]) -> list[dict]:
    values = {(v.indicator_code, v.year): v for v in db.session.scalars(
        select(IndicatorValue).where(IndicatorValue.year.in_(years)))}
    out = []
    for ind in db.session.scalars(select(Indicator).order_by(Indicator.sort_order)):
        row = {"indicator": ind, "values": {y: values.get((ind.code, y)) for y in years}}
        latest = next((values[(ind.code, y)] for y in sorted(years, reverse=True) if (ind.code, y) in values), None)
        row["latest"] = latest
        row["gap"] = (ind.target_2025 - latest.value) if latest is not None and ind.target_2025 is not None else None
        out.append(row)
    return out


def registered_volume_direct(year: int | None = None) -> int:
    """Straight from the contracts (no summary table): what tests and checks compare the cockpit with."""
    stmt = select(func.coalesce(func.sum(Contract.contract_amount_yuan), 0)).where(Contract.status == "registered")
    if year is not None:
        stmt = stmt.where(Contract.counted_on >= date(year, 1, 1), Contract.counted_on <= date(year, 12, 31))
    return int(db.session.scalar(stmt))



def drill_totals(d: Drill) -> dict:
    """Totals straight from the contracts of a drill-down (the list's own sum, shown next to the figure)."""
    sub = drill_contracts(d).order_by(None).with_only_columns(
        Contract.contract_amount_yuan.label("a"), Contract.tech_amount_yuan.label("t")).subquery()
    row = db.session.execute(select(func.count(), func.coalesce(func.sum(sub.c.a), 0),
                                    func.coalesce(func.sum(sub.c.t), 0)).select_from(sub)).one()
    return {"count": int(row[0]), "amount": int(row[1]), "tech": int(row[2])}


def describe(d: Drill) -> str:
    parts = []
    if d.year:
        parts.append(f"{d.year}年" + (f"{d.month}月" if d.month else ""))
    for dim in ("industry_code", "town_code", "contract_type", "seller_kind", "source"):
        v = getattr(d, dim)
        if v is not None:
            parts.append(LABELS[dim].get(v, v))
    if d.flow:
        parts.append(dict(FLOWS).get(d.flow, d.flow))
    return "，".join(parts) or "全部"


def last_recompute():
    from app.jobs.models import Job
    return db.session.scalar(select(Job).where(Job.kind == "stats.recompute", Job.status == "done")
                             .order_by(Job.id.desc()).limit(1))


def recompute_and_record() -> int:
    """Recompute the summary table and record the run (the cockpit shows when its figures were computed)."""
    from app.jobs import services as jobs
    job = jobs.create("stats.recompute")
    jobs.started(job.id)
    n = recompute_contract_stats()
    jobs.finished(job.id, message=f"{n} 行")
    pagecache.mark(db.session, "stats")  # the cockpit shows when its kept figures were computed
    jobs.prune("stats.recompute")
    return n
