"""揭榜挂帅 challenge calls: publish (bureau), apply (eligible organizations, once), select one or none (the need's
owner or the bureau). Selecting opens one deal (source "call", source_id = the call's id).

Functions check permission first, raise a DomainError with a Chinese message on refusal and never commit.
Concurrency: apply and decide lock the call's row (PostgreSQL); the unique constraint (call_id, organization_id),
the partial unique index (one selected application per call) and the deals' unique (source, source_id) back them.
"""
from datetime import datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from app.accounts import permissions as perm
from app.accounts.models import Organization
from app.calls.models import (
    ELIGIBLE_KINDS,
    MAX_DURATION_MONTHS,
    CallApplication,
    CallLog,
    ChallengeCall,
)
from app.errors import InvalidTransition, NotFound, PermissionDenied, ValidationError
from app.extensions import db
from app.listings.models import MAX_MONEY_YUAN, Need
from app.models_base import utcnow
from app.notifications.services import bureau_staff, notify, org_members
from app.reference import ORG_KINDS, Industry, label
from app.timeutil import as_utc, fmt_local

TITLE_MAX = 100
TEXT_MAX = 5000
REASON_MAX = 1000
MAX_OPEN = timedelta(days=730)
KIND_COLUMNS = dict(ELIGIBLE_KINDS)


def call_url(call: ChallengeCall) -> str:
    return f"/calls/{call.id}"


def get_call(call_id: int) -> ChallengeCall:
    call = db.session.get(ChallengeCall, call_id)
    if call is None:
        raise NotFound("未找到该榜单")
    return call


def _log(call: ChallengeCall, actor, action: str, note: str = "", now: datetime | None = None) -> None:
    db.session.add(CallLog(call_id=call.id, action=action, note=note[:2000], actor_id=getattr(actor, "id", None),
                           created_at=now or utcnow()))


def phase(call: ChallengeCall, now: datetime | None = None) -> str:
    """open (applications accepted) / reviewing (deadline passed, not decided) / awarded / closed."""
    now = as_utc(now or utcnow())
    if call.status == "open":
        return "open" if now < as_utc(call.deadline) else "reviewing"
    return call.status


PHASE_LABELS = {"open": "揭榜中", "reviewing": "揭榜截止，评审中", "awarded": "已揭榜", "closed": "未揭榜关闭"}


# --- publish ---

def _text(data: dict, name: str) -> str:
    v = data.get(name)
    return v.strip() if isinstance(v, str) else ""


def validate(data: dict, now: datetime | None = None) -> dict:
    now = as_utc(now or utcnow())
    errors: dict[str, str] = {}
    title = _text(data, "title")
    if not title:
        errors["title"] = "请填写榜单名称"
    elif len(title) > TITLE_MAX:
        errors["title"] = f"榜单名称不能超过{TITLE_MAX}个字"
    industry_code = data.get("industry_code") or ""
    if not industry_code or db.session.get(Industry, industry_code) is None:
        errors["industry_code"] = "请选择产业领域"
    problem, indicators = _text(data, "problem"), _text(data, "indicators")
    if len(problem) < 10:
        errors["problem"] = "请至少用10个字描述要攻克的问题"
    elif len(problem) > TEXT_MAX:
        errors["problem"] = f"问题描述不能超过{TEXT_MAX}个字"
    if len(indicators) < 4:
        errors["indicators"] = "请填写揭榜方案必须达到的技术指标"
    elif len(indicators) > TEXT_MAX:
        errors["indicators"] = f"技术指标不能超过{TEXT_MAX}个字"
    reward = data.get("reward_yuan")
    if reward is None:
        errors["reward_yuan"] = "请填写榜额（预算或奖励，万元）"
    elif isinstance(reward, bool) or not isinstance(reward, int):
        errors["reward_yuan"] = "金额格式不正确"
    elif reward < 0:
        errors["reward_yuan"] = "榜额不能为负数"
    elif reward > MAX_MONEY_YUAN:
        errors["reward_yuan"] = "金额超出合理范围（不超过100亿元）"
    deadline = as_utc(data.get("deadline"))
    if not isinstance(deadline, datetime):
        errors["deadline"] = "请填写揭榜截止时间"
    elif deadline <= now:
        errors["deadline"] = "揭榜截止时间已过，请填写将来的时间"
    elif deadline - now > MAX_OPEN:
        errors["deadline"] = "揭榜期限不能超过两年"
    kinds = [k for k in (data.get("eligible_kinds") or []) if k in KIND_COLUMNS]
    if not kinds:
        errors["eligible_kinds"] = "请至少选择一类可揭榜的单位"
    if errors:
        raise ValidationError("榜单信息有误，请检查标红的字段", errors)
    values = {"title": title, "industry_code": industry_code, "problem": problem, "indicators": indicators,
              "reward_yuan": reward, "deadline": deadline}
    values.update({col: kind in kinds for kind, col in ELIGIBLE_KINDS})
    return values


def publish(actor, data: dict, need: Need | None = None, now: datetime | None = None) -> ChallengeCall:
    """The bureau publishes a call, from an approved need (its enterprise is the owner) or from scratch
    (data["owner_org_id"]: a verified enterprise)."""
    perm.require_bureau(actor)
    now = as_utc(now or utcnow())
    if need is not None:
        if need.status != "approved":
            raise InvalidTransition("只有已发布的技术需求可以发榜")
        if db.session.scalar(select(ChallengeCall.id).where(ChallengeCall.need_id == need.id,
                                                            ChallengeCall.status == "open")) is not None:
            raise InvalidTransition("该需求已有进行中的榜单")
        owner = need.organization
    else:
        owner_id = data.get("owner_org_id")
        owner = db.session.get(Organization, owner_id) if isinstance(owner_id, int) else None
    try:
        values = validate(data, now)
    except ValidationError as err:
        if owner is None or owner.kind != "enterprise" or not owner.verified:
            err.field_errors["owner_org_id"] = "请选择已认证的发榜企业"
        raise
    if owner is None or owner.kind != "enterprise" or not owner.verified:
        raise ValidationError("请选择已认证的发榜企业", {"owner_org_id": "请选择已认证的发榜企业"})
    call = ChallengeCall(**values, need_id=need.id if need else None, owner_org_id=owner.id, status="open",
                         close_reason="", created_by_id=actor.id)
    db.session.add(call)
    db.session.flush()
    _log(call, actor, "publish", f"榜额{_money(call.reward_yuan)}，截止{fmt_local(call.deadline)}", now)
    notify(org_members(owner.id), "call_published",
           f"科技局已发布揭榜挂帅榜单「{call.title}」，贵单位为发榜单位，可在榜单页查看和评审揭榜申请", call_url(call))
    return call


def _money(yuan: int | None) -> str:
    from app import money
    return money(yuan)


# --- apply ---

def eligibility_error(user, call: ChallengeCall) -> str | None:
    """Why this user's organization may not apply (None: it may)."""
    if not perm.is_authenticated(user):
        return "请先登录"
    org = user.organization
    if org is None or perm.is_bureau(user) or user.role not in KIND_COLUMNS:
        return "只有企业、高校和科研院所的用户可以揭榜"
    if not org.verified:
        return "贵单位尚未通过认证，认证后才能揭榜"
    if org.kind not in call.eligible_kinds:
        return f"本榜单仅限{call.eligible_label}揭榜"
    if org.id == call.owner_org_id:
        return "发榜单位不能揭自己的榜"
    return None


def can_apply(user, call: ChallengeCall) -> bool:
    return eligibility_error(user, call) is None


def application_of(call: ChallengeCall, org_id: int | None) -> CallApplication | None:
    if org_id is None:
        return None
    return db.session.scalar(select(CallApplication).where(CallApplication.call_id == call.id,
                                                           CallApplication.organization_id == org_id))


def _locked(call_id: int) -> ChallengeCall:
    call = db.session.scalar(select(ChallengeCall).where(ChallengeCall.id == call_id).with_for_update()
                             .execution_options(populate_existing=True))
    if call is None:
        raise NotFound("未找到该榜单")
    return call


def validate_application(data: dict) -> dict:
    errors = {}
    plan, team = _text(data, "plan"), _text(data, "team")
    if len(plan) < 10:
        errors["plan"] = "请至少用10个字说明技术方案"
    elif len(plan) > TEXT_MAX:
        errors["plan"] = f"技术方案不能超过{TEXT_MAX}个字"
    if len(team) < 2:
        errors["team"] = "请介绍承担团队（负责人、主要成员）"
    elif len(team) > TEXT_MAX:
        errors["team"] = f"团队介绍不能超过{TEXT_MAX}个字"
    price = data.get("price_yuan")
    if price is None:
        errors["price_yuan"] = "请填写报价（万元）"
    elif isinstance(price, bool) or not isinstance(price, int):
        errors["price_yuan"] = "金额格式不正确"
    elif price < 0:
        errors["price_yuan"] = "报价不能为负数"
    elif price > MAX_MONEY_YUAN:
        errors["price_yuan"] = "金额超出合理范围（不超过100亿元）"
    months = data.get("duration_months")
    if isinstance(months, bool) or not isinstance(months, int) or not 1 <= months <= MAX_DURATION_MONTHS:
        errors["duration_months"] = f"完成周期应为1到{MAX_DURATION_MONTHS}个月"
    if errors:
        raise ValidationError("揭榜申请有误，请检查标红的字段", errors)
    return {"plan": plan, "team": team, "price_yuan": price, "duration_months": months}


ALREADY = "贵单位已揭过该榜，每个单位只能提交一次申请"


def apply(user, call_id: int, data: dict, now: datetime | None = None) -> CallApplication:
    now = as_utc(now or utcnow())
    call = get_call(call_id)
    reason = eligibility_error(user, call)
    if reason:
        raise PermissionDenied(reason)
    values = validate_application(data)
    call = _locked(call_id)
    if call.status != "open":
        raise InvalidTransition(f"该榜单{call.status_label}，不再接受揭榜")
    if now >= as_utc(call.deadline):
        raise InvalidTransition(f"揭榜已于{fmt_local(call.deadline)}（北京时间）截止")
    if application_of(call, user.organization_id) is not None:
        raise InvalidTransition(ALREADY)
    app_row = CallApplication(call_id=call.id, organization_id=user.organization_id, applicant_id=user.id,
                              status="submitted", **values)
    try:
        with db.session.begin_nested():
            db.session.add(app_row)
            db.session.flush()
    except IntegrityError:
        raise InvalidTransition(ALREADY) from None
    _log(call, user, "apply", user.organization.name, now)
    notify(org_members(call.owner_org_id) + bureau_staff(), "call_applied",
           f"{user.organization.name}揭榜「{call.title}」（报价{_money(app_row.price_yuan)}，{app_row.duration_months}个月）",
           call_url(call), exclude=user)
    return app_row


# --- decide ---

def can_decide(user, call: ChallengeCall) -> bool:
    """The need's owner (a user of the owner enterprise) or the bureau."""
    return perm.is_bureau(user) or (perm.is_authenticated(user) and user.role == "enterprise"
                                    and user.organization_id == call.owner_org_id)


def can_see_applications(user, call: ChallengeCall) -> bool:
    return can_decide(user, call)


def _require_decide(user, call: ChallengeCall) -> None:
    perm.require(can_decide(user, call), "只有发榜单位或科技局可以评审揭榜申请")


def _tell_applicants(call: ChallengeCall, actor) -> None:
    for a in call.applications:
        text = (f"恭喜，贵单位的揭榜申请已入选「{call.title}」，已建立对接项目" if a.status == "selected"
                else f"「{call.title}」已{'选定其他揭榜方' if call.status == 'awarded' else '关闭'}，感谢贵单位参与揭榜")
        notify(org_members(a.organization_id), "call_decided", text, call_url(call), exclude=actor)


def select_application(actor, call_id: int, application_id: int, note: str = "", now: datetime | None = None):
    """Select one application: the others are not selected, the call is awarded and one deal is opened."""
    from app.deals import services as deals
    now = as_utc(now or utcnow())
    call = get_call(call_id)
    _require_decide(actor, call)
    note = (note or "").strip()
    if len(note) > REASON_MAX:
        raise ValidationError(f"说明不能超过{REASON_MAX}个字", {"note": f"说明不能超过{REASON_MAX}个字"})
    call = _locked(call_id)
    if call.status != "open":
        raise InvalidTransition(f"该榜单{call.status_label}，不能再选定揭榜方")
    chosen = db.session.get(CallApplication, application_id) if isinstance(application_id, int) else None
    if chosen is None or chosen.call_id != call.id:
        raise NotFound("未找到该揭榜申请")
    if chosen.status != "submitted":
        raise InvalidTransition("该申请不能被选定")
    for a in call.applications:
        a.status = "selected" if a.id == chosen.id else "not_selected"
    db.session.flush()
    deal = deals.open_deal(actor, need_id=call.need_id, buyer_org_id=call.owner_org_id,
                           seller_org_id=chosen.organization_id, source="call", source_id=call.id, stage="intent",
                           note=note or f"揭榜挂帅「{call.title}」选定揭榜方：{chosen.organization.name}")
    call.status, call.deal_id = "awarded", deal.id
    call.decided_by_id, call.decided_at = actor.id, now
    db.session.flush()
    _log(call, actor, "select", f"{chosen.organization.name}（报价{_money(chosen.price_yuan)}）" + (f"：{note}" if note else ""), now)
    _log(call, actor, "deal", f"对接项目{deal.id}", now)
    _tell_applicants(call, actor)
    return deal


def close_without_award(actor, call_id: int, reason: str, now: datetime | None = None) -> ChallengeCall:
    """Select none: the call closes with a reason (kept in its history)."""
    now = as_utc(now or utcnow())
    call = get_call(call_id)
    _require_decide(actor, call)
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError("不选定揭榜方时必须说明原因", {"reason": "请填写原因"})
    if len(reason) > REASON_MAX:
        raise ValidationError(f"原因不能超过{REASON_MAX}个字", {"reason": f"原因不能超过{REASON_MAX}个字"})
    call = _locked(call_id)
    if call.status != "open":
        raise InvalidTransition(f"该榜单{call.status_label}，不能再关闭")
    for a in call.applications:
        a.status = "not_selected"
    call.status, call.close_reason = "closed", reason
    call.decided_by_id, call.decided_at = actor.id, now
    _log(call, actor, "close", reason, now)
    _tell_applicants(call, actor)
    return call


# --- lists and figures ---

def open_calls(now: datetime | None = None) -> list[ChallengeCall]:
    """The public rolling list: open calls still taking applications, nearest deadline first."""
    now = as_utc(now or utcnow())
    return list(db.session.scalars(select(ChallengeCall).where(ChallengeCall.status == "open",
                                                               ChallengeCall.deadline > now)
                                   .order_by(ChallengeCall.deadline, ChallengeCall.id)))


def past_calls(now: datetime | None = None) -> list[ChallengeCall]:
    now = as_utc(now or utcnow())
    return list(db.session.scalars(select(ChallengeCall).where(
        (ChallengeCall.status != "open") | (ChallengeCall.deadline <= now))
        .order_by(ChallengeCall.deadline.desc(), ChallengeCall.id.desc()).limit(200)))


def calls_summary() -> dict:
    counts = dict(db.session.execute(select(ChallengeCall.status, func.count()).group_by(ChallengeCall.status)).all())
    applications = db.session.scalar(select(func.count()).select_from(CallApplication)) or 0
    return {"published": sum(counts.values()), "open": counts.get("open", 0), "awarded": counts.get("awarded", 0),
            "closed": counts.get("closed", 0), "applications": applications}


def kind_choices() -> list[tuple[str, str]]:
    return [(k, label(ORG_KINDS, k)) for k in KIND_COLUMNS]
