"""Public browsing of approved listings: filters, sort, pagination, keyword search."""
from dataclasses import dataclass

from flask_sqlalchemy.pagination import SelectPagination
from sqlalchemy import func, select
from sqlalchemy.orm import joinedload, selectinload

from app.extensions import db
from app.listings.models import Achievement, Need
from app.listings.search import keyword_condition

SORTS = {
    "need": {"newest": "最新发布", "budget_desc": "预算从高到低", "budget_asc": "预算从低到高", "deadline": "截止日期最近"},
    "achievement": {"newest": "最新发布", "price_desc": "价格从高到低", "price_asc": "价格从低到高"},
}


@dataclass
class Filters:
    q: str = ""
    industry: str = ""
    town: str = ""
    maturity: str = ""
    transfer_mode: str = ""
    cooperation_mode: str = ""
    min_wan: int | None = None  # 万元, as people type it
    max_wan: int | None = None
    sort: str = "newest"
    page: int = 1

    @classmethod
    def from_args(cls, args) -> "Filters":
        def num(name):
            v = (args.get(name) or "").strip()
            try:
                n = int(float(v))
            except ValueError:
                return None
            return n if 0 <= n <= 1_000_000 else None

        page = num("page") or 1
        return cls(q=(args.get("q") or "").strip()[:100], industry=args.get("industry", ""),
                   town=args.get("town", ""), maturity=args.get("maturity", ""),
                   transfer_mode=args.get("transfer_mode", ""), cooperation_mode=args.get("cooperation_mode", ""),
                   min_wan=num("min"), max_wan=num("max"), sort=args.get("sort", "newest"), page=max(1, page))


class IdFirstPagination(SelectPagination):
    """Flask-SQLAlchemy's pagination, with the page's rows found in two steps: first the ids (filters and sort keys
    only, so PostgreSQL answers from the covering partial indexes of migration 0011 without reading the wide listing
    rows), then those 20 rows by primary key. The count likewise names only the filter columns. Same results as
    one `SELECT … LIMIT … OFFSET` (tests/listings/test_search.py)."""

    def _query_items(self) -> list:
        model, where, order = self._query_args["model"], self._query_args["where"], self._query_args["order"]
        session = self._query_args["session"]
        ids = list(session.scalars(select(model.id).where(*where).order_by(*order)
                                   .limit(self.per_page).offset(self._query_offset)))
        if not ids:
            return []
        rows = {r.id: r for r in session.scalars(
            select(model).where(model.id.in_(ids)).options(*self._query_args["options"]))}
        return [rows[i] for i in ids if i in rows]

    def _query_count(self) -> int:
        model, where = self._query_args["model"], self._query_args["where"]
        return self._query_args["session"].scalar(select(func.count(model.id)).where(*where)) or 0


def card_options(model) -> list:
    """What a listing card shows besides the row (templates/macros.html listing_card): one query per relation for the
    whole page, not one per card (a need's town was loaded card by card: 15 extra queries on a page of 20)."""
    options = [selectinload(model.organization), selectinload(model.industry)]
    if model is Need:
        options.append(selectinload(Need.town))
    return options


def detail_options(kind: str) -> list:
    """What the detail page shows besides the row, in the same query (a detail page not yet kept by the page cache
    cost four round trips to the database: the row, then its organization, industry and town one by one)."""
    model = Need if kind == "need" else Achievement
    options = [joinedload(model.organization), joinedload(model.industry)]
    options.append(joinedload(Need.town) if model is Need else selectinload(Achievement.patents))
    return options


def public_listings(kind: str, f: Filters, per_page: int = 20):
    model = Need if kind == "need" else Achievement
    where = [model.status == "approved", model.hidden_stale_at.is_(None)]
    if f.industry:
        where.append(model.industry_code == f.industry)
    if kind == "need":
        money = Need.budget_yuan
        if f.town:
            where.append(Need.town_code == f.town)
        if f.cooperation_mode:
            where.append(Need.cooperation_mode == f.cooperation_mode)
    else:
        money = Achievement.price_yuan
        if f.maturity:
            where.append(Achievement.maturity == f.maturity)
        if f.transfer_mode:
            where.append(Achievement.transfer_mode == f.transfer_mode)
    if f.min_wan is not None:
        where.append(money >= f.min_wan * 10_000)
    if f.max_wan is not None:
        where.append(money <= f.max_wan * 10_000)
    cond = keyword_condition(model.search_text, f.q, db.session.get_bind().dialect.name)
    if cond is not None:
        where.append(cond)
    order = {
        "budget_desc": [Need.budget_yuan.desc().nulls_last()] if kind == "need" else None,
        "budget_asc": [Need.budget_yuan.asc().nulls_last()] if kind == "need" else None,
        "deadline": [Need.deadline.asc().nulls_last()] if kind == "need" else None,
        "price_desc": [Achievement.price_yuan.desc().nulls_last()] if kind == "achievement" else None,
        "price_asc": [Achievement.price_yuan.asc().nulls_last()] if kind == "achievement" else None,
    }.get(f.sort) or []
    order = [*order, model.published_at.desc(), model.id.desc()]
    return IdFirstPagination(model=model, where=where, order=order,
                             options=card_options(model),
                             session=db.session, page=f.page, per_page=per_page, error_out=False)


def headline_figures() -> dict:
    from app.accounts.models import Organization
    from app.listings.models import Patent

    def count(stmt):
        return db.session.scalar(stmt) or 0

    return {
        "needs": count(select(func.count()).select_from(Need).where(Need.status == "approved",
                                                                    Need.hidden_stale_at.is_(None))),
        "achievements": count(select(func.count()).select_from(Achievement).where(
            Achievement.status == "approved", Achievement.hidden_stale_at.is_(None))),
        "organizations": count(select(func.count()).select_from(Organization).where(Organization.verified_at.is_not(None))),
        "patents": count(select(func.count()).select_from(Patent).where(Patent.active.is_(True))),
        "need_budget_yuan": count(select(func.sum(Need.budget_yuan)).where(Need.status == "approved",
                                                                           Need.hidden_stale_at.is_(None))),
    }


def newest(kind: str, n: int = 6):
    model = Need if kind == "need" else Achievement
    return db.session.scalars(
        select(model).where(model.status == "approved", model.hidden_stale_at.is_(None))
        .order_by(model.published_at.desc(), model.id.desc()).limit(n)
        .options(*card_options(model))
    ).all()
