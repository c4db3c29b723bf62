"""Listing workflow: create, edit, submit, withdraw, archive, approve, reject (design.md §3).

Views call these, then commit once. Each function checks permission first and raises a DomainError on refusal.
"""
from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from app.accounts import permissions as perm
from app.errors import InvalidTransition, NotFound, ValidationError
from app.extensions import db
from app.listings.models import MAX_MONEY_YUAN, Achievement, Need, Patent, ReviewEvent
from app.models_base import utcnow
from app.reference import (
    COOPERATION_MODES,
    MATURITIES,
    PATENT_STATUSES,
    PATENT_TYPES,
    TRANSFER_MODES,
    Industry,
    Town,
    codes,
)

MODELS = {"need": Need, "achievement": Achievement}
TITLE_MAX = 100
TEXT_MAX = 5000


def get_listing(kind: str, listing_id: int, options=()):
    model = MODELS.get(kind)
    obj = db.session.get(model, listing_id, options=list(options)) if model else None
    if obj is None:
        raise NotFound("未找到该信息")
    return obj


def _log(listing, user, action: str, note: str = "") -> None:
    db.session.add(ReviewEvent(listing_kind=listing.kind, listing_id=listing.id, action=action, note=note,
                               actor_id=user.id, created_at=utcnow()))


def validate(kind: str, data: dict) -> dict:
    """Check and normalise owner-editable fields. Raises ValidationError with Chinese messages per field."""
    model = MODELS[kind]
    errors: dict[str, str] = {}
    clean: dict = {}
    for f in model.EDITABLE:
        v = data.get(f)
        clean[f] = v.strip() if isinstance(v, str) else v
    text_field = "description" if kind == "need" else "abstract"
    if not clean.get("title"):
        errors["title"] = "请填写标题"
    elif len(clean["title"]) > TITLE_MAX:
        errors["title"] = f"标题不能超过{TITLE_MAX}个字"
    if not clean.get(text_field) or len(clean[text_field]) < 10:
        errors[text_field] = "请至少用10个字描述"
    elif len(clean[text_field]) > TEXT_MAX:
        errors[text_field] = f"描述不能超过{TEXT_MAX}个字"
    if not clean.get("industry_code") or db.session.get(Industry, clean["industry_code"]) is None:
        errors["industry_code"] = "请选择有效的产业领域"
    money = "budget_yuan" if kind == "need" else "price_yuan"
    m = clean.get(money)
    if m is not None:
        if isinstance(m, bool) or not isinstance(m, int):
            errors[money] = "金额格式不正确"
        elif m < 0:
            errors[money] = "金额不能为负数"
        elif m > MAX_MONEY_YUAN:
            errors[money] = "金额超出合理范围（不超过100亿元）"
    kw = clean.get("keywords") or ""
    kw = "、".join(k.strip() for k in kw.replace("，", "、").replace(",", "、").replace(" ", "、").split("、") if k.strip())
    if len(kw) > 200:
        errors["keywords"] = "关键词总长度不能超过200个字"
    clean["keywords"] = kw
    if kind == "need":
        if clean.get("town_code") and db.session.get(Town, clean["town_code"]) is None:
            errors["town_code"] = "请选择有效的街道/乡镇"
        clean["town_code"] = clean.get("town_code") or None
        if clean.get("cooperation_mode") not in codes(COOPERATION_MODES):
            errors["cooperation_mode"] = "请选择合作方式"
        d = clean.get("deadline")
        if d is not None and not isinstance(d, date):
            errors["deadline"] = "日期格式不正确"
    else:
        if clean.get("maturity") not in codes(MATURITIES):
            errors["maturity"] = "请选择成熟度"
        if clean.get("transfer_mode") not in codes(TRANSFER_MODES):
            errors["transfer_mode"] = "请选择转化方式"
        for f, n in (("leader", 50), ("application", 2000), ("confidential", TEXT_MAX)):
            clean[f] = clean.get(f) or ""
            if len(clean[f]) > n:
                errors[f] = f"不能超过{n}个字"
    if errors:
        raise ValidationError("提交的信息有误，请检查标红的字段", errors)
    return clean


def _search_text(listing) -> str:
    org = listing.organization.name if listing.organization else ""
    return " ".join([listing.title, listing.keywords, listing.description, org]).lower()


def _apply(listing, values: dict) -> None:
    for f, v in values.items():
        setattr(listing, f, v)
    listing.search_text = _search_text(listing)


def find_submission(kind: str, user, key: str | None):
    """The listing an earlier post of the same form created, if any."""
    if not key:
        return None
    model = MODELS[kind]
    return db.session.scalar(select(model).where(model.submission_key == key,
                                                 model.organization_id == user.organization_id))


def create(user, kind: str, data: dict, submit: bool = False):
    perm.require_post(user, kind)
    values = validate(kind, data)
    key = (data.get("submission_key") or "").strip()[:64] or None
    existing = find_submission(kind, user, key)
    if existing is not None:
        return existing  # the same form posted again: nothing new
    listing = MODELS[kind](organization_id=user.organization_id, created_by_id=user.id, status="draft",
                           submission_key=key)
    listing.organization = user.organization
    _apply(listing, values)
    db.session.add(listing)
    db.session.flush()
    _log(listing, user, "create")
    if submit:
        _submit(user, listing)
    return listing


def update(user, listing, data: dict) -> str:
    """Apply an owner's edit. Returns 'applied' or 'held' (approved listing: stays public until re-reviewed)."""
    perm.require_owner(user, listing)
    if listing.status == "archived":
        raise InvalidTransition("已归档的信息不能修改")
    values = validate(listing.kind, data)
    if listing.status == "approved":
        listing.revision = {k: (v.isoformat() if isinstance(v, date) else v) for k, v in values.items()}
        listing.revision_status = "pending"
        listing.reject_reason = ""
        _log(listing, user, "edit_approved")
        return "held"
    _apply(listing, values)
    _log(listing, user, "edit")
    return "applied"


def _submit(user, listing) -> None:
    if listing.status not in ("draft", "rejected", "withdrawn"):
        raise InvalidTransition("当前状态不能提交审核")
    listing.status = "pending"
    listing.submitted_at = utcnow()
    listing.reject_reason = ""
    _log(listing, user, "submit")


def submit(user, listing) -> None:
    perm.require_owner(user, listing)
    _submit(user, listing)


def withdraw(user, listing) -> None:
    """Owner takes a listing back: from review to draft, or off the market; a held edit is discarded."""
    perm.require_owner(user, listing)
    if listing.status == "pending":
        listing.status = "draft"
    elif listing.status == "approved" and listing.revision_status:
        listing.revision, listing.revision_status = None, None
    elif listing.status == "approved":
        listing.status = "withdrawn"
    else:
        raise InvalidTransition("当前状态不能撤回")
    _log(listing, user, "withdraw")


def archive(user, listing) -> None:
    if not perm.is_bureau(user):
        perm.require_owner(user, listing)
    if listing.status == "archived":
        raise InvalidTransition("该信息已归档")
    listing.status = "archived"
    listing.archived_at = utcnow()
    listing.revision, listing.revision_status = None, None
    _log(listing, user, "archive")


def approve(user, listing) -> None:
    perm.require_bureau(user)
    if listing.status == "approved" and listing.revision_status == "pending":
        _apply(listing, listing.revision_values())
        listing.revision, listing.revision_status = None, None
        listing.reviewed_by_id = user.id
        _log(listing, user, "approve_revision")
        return
    if listing.status != "pending":
        raise InvalidTransition("只有待审核的信息可以审核通过")
    if not listing.organization.verified:
        raise InvalidTransition("发布单位尚未通过认证，请先认证该单位")
    listing.status = "approved"
    listing.published_at = listing.published_at or utcnow()
    listing.reviewed_by_id = user.id
    _log(listing, user, "approve")


def reject(user, listing, reason: str) -> None:
    perm.require_bureau(user)
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError("退回时必须填写原因", {"reason": "请填写退回原因"})
    if len(reason) > 1000:
        raise ValidationError("退回原因不能超过1000个字", {"reason": "退回原因不能超过1000个字"})
    if listing.status == "approved" and listing.revision_status == "pending":
        listing.revision_status = "rejected"
        listing.reject_reason = reason
        listing.reviewed_by_id = user.id
        _log(listing, user, "reject_revision", reason)
        return
    if listing.status != "pending":
        raise InvalidTransition("只有待审核的信息可以退回")
    listing.status = "rejected"
    listing.reject_reason = reason
    listing.reviewed_by_id = user.id
    _log(listing, user, "reject", reason)


def review_queue():
    """Pending new listings and held edits of approved ones, oldest first."""
    out = []
    for model in (Need, Achievement):
        rows = db.session.scalars(
            select(model).where((model.status == "pending") | (model.revision_status == "pending"))
            .order_by(model.submitted_at, model.updated_at)
            .options(selectinload(model.organization), selectinload(model.industry))
        ).all()
        out.extend(rows)
    return sorted(out, key=lambda r: r.updated_at)


# --- patents ---

def add_patent(user, achievement: Achievement, data: dict) -> Patent:
    perm.require_owner(user, achievement)
    number = (data.get("number") or "").strip().upper()
    title = (data.get("title") or "").strip()
    errors = {}
    if not number or len(number) > 32:
        errors["number"] = "请填写专利号（不超过32个字符）"
    if not title or len(title) > 200:
        errors["title"] = "请填写专利名称（不超过200个字）"
    if data.get("patent_type") not in codes(PATENT_TYPES):
        errors["patent_type"] = "请选择专利类型"
    if data.get("status") not in codes(PATENT_STATUSES):
        errors["status"] = "请选择法律状态"
    if not errors and db.session.scalar(select(Patent).where(Patent.number == number)) is not None:
        errors["number"] = "该专利号已登记"
    if errors:
        raise ValidationError("专利信息有误", errors)
    patent = Patent(number=number, title=title, patent_type=data["patent_type"], status=data["status"],
                    organization_id=achievement.organization_id, achievement=achievement,
                    industrialized=bool(data.get("industrialized")))
    db.session.add(patent)
    return patent


def unlink_patent(user, patent: Patent) -> None:
    """Nothing is hard-deleted: the patent stays registered, only detached from the achievement."""
    if patent.achievement is None:
        raise InvalidTransition("该专利未关联成果")
    perm.require_owner(user, patent.achievement)
    patent.achievement = None
    patent.active = False
