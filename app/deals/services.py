"""The deal pipeline (design.md §3): open, advance, terminate, assign/claim a broker, notes, follow-ups, overdue.

Who may act (design.md §2): the assigned broker and the bureau advance a deal and write its log; a certified broker
claims an unassigned deal; only the bureau assigns. Every change is a DealEvent. Functions check permission first,
raise a DomainError on refusal and never commit (the view or task commits once).

Used by other domains:
- contracts: `mark_signed(deal, actor)` when a contract is recorded, `mark_registered(deal, actor)` when the bureau
  registers it (登记 is never set by hand);
- auctions: `open_deal(None, ..., source="auction", source_id=auction.id, stage="signed")` (actor None = the
  platform), `find_by_source("auction", auction.id)` to stay idempotent;
- matches: `open_deal_from_match(actor, match)`.
"""
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta, timezone

from sqlalchemy import and_, func, or_, select, update
from sqlalchemy.orm.attributes import set_committed_value

from app.accounts import permissions as perm
from app.accounts.models import Organization, User
from app.deals.models import (
    CLOSED_STAGES,
    OPEN_STAGES,
    PIPELINE,
    SOURCE_LABELS,
    STAGE_LABELS,
    Deal,
    DealEvent,
)
from app.errors import InvalidTransition, NotFound, PermissionDenied, ValidationError
from app.extensions import db
from app.models_base import utcnow
from app.notifications.services import bureau_staff, notify, org_members

NOTE_MAX = 2000
REASON_MAX = 1000
OPENABLE_STAGES = ("intent", "negotiating", "signed")

try:
    from zoneinfo import ZoneInfo
    _TZ = ZoneInfo("Asia/Shanghai")
except Exception:  # pragma: no cover - no tz database: China has no DST, a fixed offset is exact
    _TZ = timezone(timedelta(hours=8))


def local_today() -> date:
    """Today in Yongjia (UTC+8): follow-up dates are calendar dates of the people using the platform."""
    return datetime.now(UTC).astimezone(_TZ).date()


def deal_url(deal: Deal) -> str:
    return f"/deals/{deal.id}"


# --- who may do what ---

def is_certified_broker(user) -> bool:
    from app.brokers.services import certified_profile
    return perm.is_authenticated(user) and user.role == "broker" and certified_profile(user) is not None


def is_party(user, deal: Deal) -> bool:
    return (perm.is_authenticated(user) and user.organization_id is not None
            and user.organization_id in (deal.buyer_org_id, deal.seller_org_id))


def is_assigned_broker(user, deal: Deal) -> bool:
    return perm.is_authenticated(user) and deal.broker_id is not None and deal.broker_id == user.id


def can_manage(user, deal: Deal) -> bool:
    """Advance, terminate, write notes, set follow-ups."""
    return perm.is_bureau(user) or is_assigned_broker(user, deal)


def can_claim(user, deal: Deal) -> bool:
    return deal.broker_id is None and deal.is_open and is_certified_broker(user)


def can_view(user, deal: Deal) -> bool:
    return perm.is_bureau(user) or is_assigned_broker(user, deal) or is_party(user, deal) or can_claim(user, deal)


def require_view(user, deal: Deal) -> None:
    if not can_view(user, deal):
        raise NotFound("未找到该对接项目")  # do not reveal that it exists


def _require_manage(user, deal: Deal) -> None:
    perm.require(can_manage(user, deal), "只有该项目的经纪人或科技局可以推进项目")


# --- helpers ---

def get_deal(deal_id: int) -> Deal:
    deal = db.session.get(Deal, deal_id)
    if deal is None:
        raise NotFound("未找到该对接项目")
    return deal


def find_by_source(source: str, source_id: int) -> Deal | None:
    return db.session.scalar(select(Deal).where(Deal.source == source, Deal.source_id == source_id))


def _log(deal: Deal, actor, kind: str, note: str = "", from_stage=None, to_stage=None) -> DealEvent:
    ev = DealEvent(deal=deal, actor_id=getattr(actor, "id", None), kind=kind, from_stage=from_stage,
                   to_stage=to_stage, note=note, created_at=utcnow())
    db.session.add(ev)
    return ev


def _clean_note(note: str | None, field: str = "note") -> str:
    note = (note or "").strip()
    if len(note) > NOTE_MAX:
        raise ValidationError(f"备注不能超过{NOTE_MAX}个字", {field: f"备注不能超过{NOTE_MAX}个字"})
    return note


def _people(deal: Deal) -> list:
    """Everyone concerned by a deal: both parties' users and the broker."""
    people: list = org_members(deal.buyer_org_id) + org_members(deal.seller_org_id)
    if deal.broker_id:
        people.append(deal.broker_id)
    return people


def _tell_everyone(deal: Deal, actor, kind: str, message: str) -> None:
    notify(_people(deal), kind, message, deal_url(deal), exclude=actor)


# --- opening ---

def open_deal(actor, *, achievement_id: int | None = None, need_id: int | None = None, buyer_org_id: int,
              seller_org_id: int, source: str, source_id: int | None = None, stage: str = "intent",
              broker_id: int | None = None, note: str = "") -> Deal:
    """Open a deal. actor: the bureau, a certified broker (who becomes its broker unless one is given), a member of
    the buyer or seller organization, or None for the platform itself (a task, e.g. closing an auction)."""
    if actor is not None:
        perm.require(perm.is_bureau(actor) or is_certified_broker(actor)
                     or (perm.is_authenticated(actor) and actor.organization_id in (buyer_org_id, seller_org_id)),
                     "只有科技局、认证经纪人或交易双方可以建立对接项目")
    errors = {}
    if source not in SOURCE_LABELS:
        errors["source"] = "未知的项目来源"
    if stage not in OPENABLE_STAGES:
        errors["stage"] = "新项目只能从意向、洽谈或签约阶段开始"
    buyer = db.session.get(Organization, buyer_org_id) if buyer_org_id else None
    seller = db.session.get(Organization, seller_org_id) if seller_org_id else None
    if buyer is None:
        errors["buyer_org_id"] = "未知的买方单位"
    if seller is None:
        errors["seller_org_id"] = "未知的卖方单位"
    if buyer is not None and seller is not None and buyer.id == seller.id:
        errors["seller_org_id"] = "买方和卖方不能是同一单位"
    from app.listings.models import Achievement, Need
    if achievement_id is not None and db.session.get(Achievement, achievement_id) is None:
        errors["achievement_id"] = "未知的科技成果"
    if need_id is not None and db.session.get(Need, need_id) is None:
        errors["need_id"] = "未知的技术需求"
    note = _clean_note(note)
    if errors:
        raise ValidationError("；".join(errors.values()), errors)
    if source_id is not None and (existing := find_by_source(source, source_id)) is not None:
        raise InvalidTransition(f"该{SOURCE_LABELS[source]}已建立对接项目（编号{existing.id}）")
    broker = None
    if broker_id is not None:
        broker = db.session.get(User, broker_id)
        if broker is None or not is_certified_broker(broker):
            raise ValidationError("只能指派已认证的技术经纪人", {"broker_id": "只能指派已认证的技术经纪人"})
        if actor is not None and not perm.is_bureau(actor) and broker.id != actor.id:
            raise PermissionDenied("只有科技局可以指派经纪人")
    elif actor is not None and is_certified_broker(actor):
        broker = actor
    deal = Deal(need_id=need_id, achievement_id=achievement_id, buyer_org_id=buyer.id, seller_org_id=seller.id,
                broker_id=broker.id if broker else None, source=source, source_id=source_id, stage=stage,
                terminate_reason="", created_by_id=getattr(actor, "id", None))
    db.session.add(deal)
    db.session.flush()
    _log(deal, actor, "open", note or f"来源：{SOURCE_LABELS[source]}", to_stage=stage)
    if broker is not None:
        _log(deal, actor, "assign", f"经纪人：{broker.name}")
    message = f"新对接项目「{deal.title}」（{STAGE_LABELS[stage]}）"
    notify(_people(deal), "deal_opened", message, deal_url(deal), exclude=actor)
    if broker is None:
        notify(bureau_staff(), "deal_needs_broker", f"{message}尚未指派经纪人", deal_url(deal), exclude=actor)
    return deal


def open_deal_from_match(actor, match) -> Deal:
    """A pursued match becomes a deal (buyer: the need's enterprise, seller: the achievement's owner)."""
    if find_by_source("match", match.id) is not None:
        raise InvalidTransition("该匹配已建立对接项目")
    deal = open_deal(actor, need_id=match.need_id, achievement_id=match.achievement_id,
                     buyer_org_id=match.need.organization_id, seller_org_id=match.achievement.organization_id,
                     source="match", source_id=match.id)
    match.status = "pursued"
    return deal


# --- the pipeline ---

def _stage_error(deal: Deal, to_stage: str) -> str | None:
    """Why deal cannot go to to_stage by hand (None: it can)."""
    if to_stage not in STAGE_LABELS:
        return "未知的项目阶段"
    if deal.stage in CLOSED_STAGES:
        return f"项目已{STAGE_LABELS[deal.stage]}，不能再变更阶段"
    if to_stage == "terminated":
        return None
    if to_stage == deal.stage:
        return f"项目已处于“{STAGE_LABELS[to_stage]}”阶段"
    if to_stage == "registered":
        return "“登记”由科技局在技术合同认定登记时自动设置，不能手工变更"
    cur, nxt = PIPELINE.index(deal.stage), PIPELINE.index(to_stage)
    if nxt < cur:
        return f"不能从“{STAGE_LABELS[deal.stage]}”退回到“{STAGE_LABELS[to_stage]}”"
    if nxt > cur + 1:
        return f"不能从“{STAGE_LABELS[deal.stage]}”直接跳到“{STAGE_LABELS[to_stage]}”，须先进入“{STAGE_LABELS[PIPELINE[cur + 1]]}”"
    return None


def allowed_stages(user, deal: Deal) -> list[str]:
    """The stages user may move deal to now (for the buttons)."""
    if not can_manage(user, deal):
        return []
    return [s for s in [*PIPELINE, "terminated"] if _stage_error(deal, s) is None]


STALE = "项目刚被他人更新，请刷新页面后重试"


def _compare_and_set(deal: Deal, expected: dict, values: dict) -> None:
    """UPDATE deals SET values WHERE id = deal.id AND expected columns still hold: two people acting on the same
    deal at once (two brokers claiming, two clicks advancing) cannot both succeed; the loser gets a clear message.
    On PostgreSQL the second UPDATE waits for the first to commit and then finds nothing to change."""
    stmt = update(Deal).where(Deal.id == deal.id, *[getattr(Deal, k) == v if v is not None else getattr(Deal, k).is_(None)
                                                    for k, v in expected.items()])
    result = db.session.execute(stmt.values(**values, updated_at=utcnow()).execution_options(synchronize_session=False))
    if result.rowcount != 1:
        db.session.refresh(deal)
        raise InvalidTransition(STALE)
    for k, v in values.items():
        set_committed_value(deal, k, v)
    if "broker_id" in values:
        db.session.expire(deal, ["broker"])


def _move(deal: Deal, actor, to_stage: str, note: str, reason: str = "") -> None:
    from_stage = deal.stage
    values = {"stage": to_stage}
    if to_stage == "terminated":
        values["terminate_reason"] = reason
    if to_stage in CLOSED_STAGES:
        values["closed_at"] = utcnow()
    _compare_and_set(deal, {"stage": from_stage}, values)
    _log(deal, actor, "stage", note, from_stage=from_stage, to_stage=to_stage)
    text = f"对接项目「{deal.title}」：{STAGE_LABELS[from_stage]} → {STAGE_LABELS[to_stage]}"
    if to_stage == "terminated":
        text += f"（原因：{deal.terminate_reason}）"
    _tell_everyone(deal, actor, "deal_stage", text)


def advance(actor, deal: Deal, to_stage: str, note: str = "", reason: str | None = None) -> Deal:
    """Move deal one stage along the pipeline, or terminate it (reason required). 登记 is refused here."""
    _require_manage(actor, deal)
    error = _stage_error(deal, to_stage)
    if error:
        raise InvalidTransition(error)
    note = _clean_note(note)
    if to_stage == "terminated":
        reason = (reason or "").strip()
        if not reason:
            raise ValidationError("终止项目必须填写原因", {"reason": "请填写终止原因"})
        if len(reason) > REASON_MAX:
            raise ValidationError(f"终止原因不能超过{REASON_MAX}个字", {"reason": f"终止原因不能超过{REASON_MAX}个字"})
        note = note or reason
    _move(deal, actor, to_stage, note, reason=reason or "")
    return deal


def terminate(actor, deal: Deal, reason: str, note: str = "") -> Deal:
    return advance(actor, deal, "terminated", note=note, reason=reason)


def mark_signed(deal: Deal, actor, note: str = "技术合同已录入") -> Deal:
    """Called by the contracts domain when a contract is recorded (the caller checked who may record it).
    intent/negotiating → signed; already signed or later: nothing to do."""
    if deal.stage == "terminated":
        raise InvalidTransition("已终止的项目不能录入合同")
    if deal.stage in ("intent", "negotiating"):
        _move(deal, actor, "signed", note)
    return deal


def mark_registered(deal: Deal, actor, note: str = "技术合同已认定登记") -> Deal:
    """Called by the contracts domain when the bureau registers (认定登记) the deal's contract. Idempotent: a
    registered (or completed) deal stays as it is, e.g. when a corrected version is registered again."""
    if actor is not None:
        perm.require_bureau(actor)
    if deal.stage == "terminated":
        raise InvalidTransition("已终止的项目不能登记合同")
    if deal.stage in ("registered", "completed"):
        return deal
    if deal.stage in ("intent", "negotiating"):
        _move(deal, actor, "signed", "合同登记时自动进入签约")
    _move(deal, actor, "registered", note)
    return deal


# --- brokers on a deal ---

def assign_broker(actor, deal: Deal, broker_user) -> Deal:
    perm.require_bureau(actor)
    if not deal.is_open:
        raise InvalidTransition(f"项目已{deal.stage_label}，不能再指派经纪人")
    if broker_user is None or not is_certified_broker(broker_user):
        raise ValidationError("只能指派已认证的技术经纪人", {"broker_id": "只能指派已认证的技术经纪人"})
    if deal.broker_id == broker_user.id:
        raise InvalidTransition(f"{broker_user.name}已是该项目的经纪人")
    previous = deal.broker
    _compare_and_set(deal, {"broker_id": deal.broker_id}, {"broker_id": broker_user.id})
    _log(deal, actor, "assign", f"{previous.name} → {broker_user.name}" if previous else f"经纪人：{broker_user.name}")
    notify(broker_user, "deal_assigned", f"科技局指派您跟进对接项目「{deal.title}」", deal_url(deal))
    notify(org_members(deal.buyer_org_id) + org_members(deal.seller_org_id), "deal_broker",
           f"对接项目「{deal.title}」的经纪人：{broker_user.name}", deal_url(deal), exclude=actor)
    if previous is not None:
        notify(previous, "deal_unassigned", f"对接项目「{deal.title}」已改由{broker_user.name}跟进", deal_url(deal))
    return deal


def claim(actor, deal: Deal) -> Deal:
    if not is_certified_broker(actor):
        raise PermissionDenied("只有已认证的技术经纪人可以认领项目")
    if deal.broker_id is not None:
        raise InvalidTransition("该项目已有经纪人")
    if not deal.is_open:
        raise InvalidTransition(f"项目已{deal.stage_label}，不能认领")
    _compare_and_set(deal, {"broker_id": None}, {"broker_id": actor.id})
    _log(deal, actor, "claim", f"经纪人：{actor.name}")
    notify(org_members(deal.buyer_org_id) + org_members(deal.seller_org_id) + bureau_staff(), "deal_broker",
           f"经纪人{actor.name}认领了对接项目「{deal.title}」", deal_url(deal), exclude=actor)
    return deal


@dataclass
class BrokerSuggestion:
    user: User
    profile: object
    expert: bool  # expertise covers the deal's industry
    load: int  # open deals the broker follows now


def open_loads() -> dict[int, int]:
    rows = db.session.execute(select(Deal.broker_id, func.count()).where(
        Deal.broker_id.is_not(None), Deal.stage.in_(OPEN_STAGES)).group_by(Deal.broker_id))
    return {bid: n for bid, n in rows}


def suggest_brokers(deal: Deal | None = None, industry_code: str | None = None, limit: int = 5) -> list[BrokerSuggestion]:
    """Certified brokers ranked: expertise in the deal's industry first, then fewest open deals, then higher level
    and more experience."""
    from app.brokers.models import LEVEL_RANK
    from app.brokers.services import certified_profiles
    industry = industry_code or (deal.industry_code if deal is not None else None)
    loads = open_loads()
    out = []
    for p in certified_profiles():
        if deal is not None and deal.broker_id == p.user_id:
            continue
        out.append(BrokerSuggestion(user=p.user, profile=p, expert=bool(industry and industry in p.industry_codes),
                                    load=loads.get(p.user_id, 0)))
    out.sort(key=lambda s: (not s.expert, s.load, -LEVEL_RANK.get(s.profile.level, 0),
                            -s.profile.years_experience, s.user.id))
    return out[:limit] if limit else out


# --- notes and follow-ups ---

def add_note(actor, deal: Deal, note: str) -> DealEvent:
    _require_manage(actor, deal)
    note = _clean_note(note)
    if not note:
        raise ValidationError("请填写跟进记录", {"note": "请填写跟进记录"})
    return _log(deal, actor, "note", note)


def set_follow_up(actor, deal: Deal, when: date | None, note: str = "", today: date | None = None) -> Deal:
    _require_manage(actor, deal)
    if not deal.is_open:
        raise InvalidTransition(f"项目已{deal.stage_label}，无需再跟进")
    if not isinstance(when, date):
        raise ValidationError("请填写下次跟进日期", {"next_follow_up": "请填写下次跟进日期"})
    today = today or local_today()
    if when < today:
        raise ValidationError("下次跟进日期不能早于今天", {"next_follow_up": "下次跟进日期不能早于今天"})
    if when > today + timedelta(days=366):
        raise ValidationError("下次跟进日期不能超过一年以后", {"next_follow_up": "下次跟进日期不能超过一年以后"})
    note = _clean_note(note)
    deal.next_follow_up = when
    _log(deal, actor, "follow_up", f"下次跟进：{when.isoformat()}" + (f"；{note}" if note else ""))
    return deal


def mark_overdue_deals(today: date | None = None) -> int:
    """Notify about open deals whose follow-up date has passed. Idempotent: one notification per deal per overdue
    spell (a spell ends when a new follow-up date is set). Called by the periodic task; returns deals notified."""
    today = today or local_today()
    deals = db.session.scalars(select(Deal).where(
        Deal.stage.in_(OPEN_STAGES), Deal.next_follow_up.is_not(None), Deal.next_follow_up < today,
        or_(Deal.overdue_notified_for.is_(None), Deal.overdue_notified_for != Deal.next_follow_up),
    ).order_by(Deal.id).with_for_update(skip_locked=True)).all()
    for deal in deals:
        deal.overdue_notified_for = deal.next_follow_up
        _log(deal, None, "overdue", f"计划跟进日期{deal.next_follow_up.isoformat()}已过")
        who = [deal.broker_id] if deal.broker_id else bureau_staff()
        notify(who, "deal_overdue", f"对接项目「{deal.title}」已逾期未跟进（计划{deal.next_follow_up.isoformat()}）",
               deal_url(deal))
    return len(deals)


# --- lists ---

def overdue_clause(today: date | None = None):
    today = today or local_today()
    return and_(Deal.stage.in_(OPEN_STAGES), Deal.next_follow_up.is_not(None), Deal.next_follow_up < today)


def deals_query(user, *, stage: str | None = None, broker_id: int | None = None, overdue: bool = False,
                scope: str = "mine"):
    """Deals user may see. Bureau: all (filters: stage, broker, overdue). Broker: scope 'mine' or 'claimable'.
    Parties: their organization's deals."""
    stmt = select(Deal)
    if perm.is_bureau(user):
        if broker_id == 0:
            stmt = stmt.where(Deal.broker_id.is_(None))
        elif broker_id:
            stmt = stmt.where(Deal.broker_id == broker_id)
    elif scope == "claimable":
        if not is_certified_broker(user):
            return stmt.where(False)
        stmt = stmt.where(Deal.broker_id.is_(None), Deal.stage.in_(OPEN_STAGES))
    else:
        conds = [Deal.broker_id == user.id]
        if user.organization_id is not None and user.role != "broker":
            conds += [Deal.buyer_org_id == user.organization_id, Deal.seller_org_id == user.organization_id]
        stmt = stmt.where(or_(*conds))
    if stage == "open":
        stmt = stmt.where(Deal.stage.in_(OPEN_STAGES))
    elif stage in STAGE_LABELS:
        stmt = stmt.where(Deal.stage == stage)
    if overdue:
        stmt = stmt.where(overdue_clause())
    return stmt.order_by(Deal.next_follow_up.is_(None), Deal.next_follow_up, Deal.updated_at.desc(), Deal.id.desc())


def open_deals_of_broker(user_id: int) -> list[Deal]:
    return list(db.session.scalars(select(Deal).where(Deal.broker_id == user_id, Deal.stage.in_(OPEN_STAGES))
                                   .order_by(Deal.next_follow_up.is_(None), Deal.next_follow_up, Deal.id)))
