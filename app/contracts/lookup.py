"""The contract form's pickers: find an approved achievement or a non-government organization by a few typed
characters (the JSON lookup behind static/js/picker.js), the label each one is shown with, and, for a form posted
without JavaScript, the one record a typed text stands for.

A county market holds 100,000 listings and thousands of units, so nothing here lists them all: a lookup returns at
most LIMIT rows. Typed % and _ are plain characters (icontains with autoescape)."""
import re

from sqlalchemy import or_, select
from sqlalchemy.orm import joinedload

from app.accounts.models import Organization
from app.extensions import db
from app.listings.models import Achievement

LIMIT = 20
MAX_QUERY = 100
_NUMBER = re.compile(r"^[#＃]?\s*(\d{1,9})$")


def achievement_label(a: Achievement) -> str:
    return f"{a.title}（{a.organization.name}）"


def organization_label(o: Organization) -> str:
    return f"{o.name}（{o.kind_label}）"


def _number(text: str) -> int | None:
    m = _NUMBER.match(text)
    return int(m.group(1)) if m else None


# --- search (the JSON lookup) ---

def _achievements(q: str):
    stmt = (select(Achievement).join(Organization, Achievement.organization_id == Organization.id)
            .where(Achievement.status == "approved").options(joinedload(Achievement.organization)))
    if q:
        stmt = stmt.where(or_(Achievement.title.icontains(q, autoescape=True),
                              Organization.name.icontains(q, autoescape=True)))
    return stmt


def _organizations(q: str):
    stmt = select(Organization).where(Organization.kind != "government")
    if q:
        stmt = stmt.where(or_(Organization.name.icontains(q, autoescape=True),
                              Organization.credit_code.icontains(q, autoescape=True)))
    return stmt


def find_achievements(q: str, limit: int = LIMIT) -> list[Achievement]:
    """Approved achievements whose title or owner's name contains q, newest first; a typed number (成果编号, as in
    the page address /achievements/<编号>) puts that approved achievement first."""
    q = (q or "").strip()[:MAX_QUERY]
    found: list[Achievement] = []
    number = _number(q)
    if number is not None:
        a = db.session.scalar(_achievements("").where(Achievement.id == number))
        found += [a] if a is not None else []
    stmt = _achievements(q).order_by(Achievement.published_at.desc(), Achievement.id.desc()).limit(limit)
    found += [a for a in db.session.scalars(stmt).unique() if a not in found]
    return found[:limit]


def find_organizations(q: str, limit: int = LIMIT) -> list[Organization]:
    """Non-government organizations whose name or credit code contains q, by name."""
    q = (q or "").strip()[:MAX_QUERY]
    stmt = _organizations(q).order_by(Organization.name, Organization.id).limit(limit)
    return list(db.session.scalars(stmt))


def achievement_items(q: str, limit: int = LIMIT) -> list[dict]:
    return [{"id": a.id, "label": achievement_label(a)} for a in find_achievements(q, limit)]


def organization_items(q: str, limit: int = LIMIT) -> list[dict]:
    return [{"id": o.id, "label": organization_label(o)} for o in find_organizations(q, limit)]


# --- labels of the current values (rendered by the server, so an edit page shows its choice without JavaScript) ---

def describe_achievement(achievement_id) -> str | None:
    a = db.session.get(Achievement, achievement_id) if isinstance(achievement_id, int) else None
    return achievement_label(a) if a is not None else None


def describe_organization(org_id) -> str | None:
    o = db.session.get(Organization, org_id) if isinstance(org_id, int) else None
    return organization_label(o) if o is not None and o.kind != "government" else None


# --- a typed text, posted without choosing a suggestion ---

class Unresolved(ValueError):
    """The text names no record, or more than one: the message says what to type instead."""


def _one(rows: list, many: str):
    if len(rows) > 1:
        raise Unresolved(many)
    return rows[0] if rows else None


def resolve_achievement(text: str) -> int | None:
    """A 成果编号 as typed (checked later by the service), or the one approved achievement whose label or title is
    the text, or else the only one whose title or owner contains it."""
    text = (text or "").strip()[:MAX_QUERY * 3]
    if not text:
        return None
    number = _number(text)
    if number is not None:
        return number
    many = "有多个科技成果与输入的文字相符，请从提示中选择，或输入更完整的成果名称或成果编号"
    label = Achievement.title + "（" + Organization.name + "）"
    a = None
    for cond in (label == text, Achievement.title == text):  # as shown by the picker, then a whole title
        a = _one(list(db.session.scalars(_achievements("").where(cond).limit(2)).unique()), many)
        if a is not None:
            break
    if a is None:
        a = _one(list(db.session.scalars(_achievements(text).limit(2)).unique()), many)
    if a is None:
        raise Unresolved("未找到与输入文字相符的已发布科技成果，请换个关键词或输入成果编号")
    return a.id


def resolve_organization(text: str) -> int | None:
    """The one non-government organization whose label, name or credit code is the text, or else the only one whose
    name or credit code contains it; a number is an organization's id (a credit code has 18 characters)."""
    text = (text or "").strip()[:MAX_QUERY * 2]
    if not text:
        return None
    number = _number(text)
    if number is not None:
        return number
    many = "有多个单位与输入的文字相符，请从提示中选择，或输入完整的单位名称或统一社会信用代码"
    exact = [Organization.name == text, Organization.credit_code == text.upper()]
    o = db.session.scalars(_organizations("").where(or_(*exact)).order_by(Organization.name != text)).first()
    if o is None:  # a label as shown by the picker: 名称（类型）
        o = next((x for x in db.session.scalars(_organizations("").where(Organization.name == _label_name(text)))
                  if organization_label(x) == text), None)
    if o is None:
        o = _one(list(db.session.scalars(_organizations(text).limit(2))), many)
    if o is None:
        raise Unresolved("平台上没有与输入文字相符的单位；未在平台注册的单位请清空此项，并填写下面的名称、信用代码和地区")
    return o.id


def _label_name(text: str) -> str:
    """The name part of an organization's label 名称（类型）."""
    return text[:-1].rsplit("（", 1)[0] if text.endswith("）") and "（" in text else text
