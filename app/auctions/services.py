"""Auction workflow: schedule, cancel, bid, open and close (design.md §3).

Services never commit; views and the CLI commit once. Every function checks permission first and raises a
DomainError with a Chinese message on refusal.

Concurrency of bids: the auction row is read with SELECT … FOR UPDATE (PostgreSQL blocks a second bidder until the
first commits, then hands it the new price). SQLite has no row locks (SQLAlchemy leaves FOR UPDATE out); there the
guard is the conditional UPDATE on `version`: it changes one row only if no other bid was accepted since this one
read the auction, otherwise the bid is refused with a message to bid again at the new price. The unique
(auction_id, seq) constraint on bids is a last line: two bids can never both be "bid number n".
"""
from datetime import datetime, timedelta
from decimal import Decimal

from sqlalchemy import select, update
from sqlalchemy.exc import OperationalError

from app.accounts import permissions as perm
from app.auctions.models import (
    ACTIVE_STATUSES,
    CLOSED_STATUSES,
    MAX_EXTENSION_MINUTES,
    Auction,
    AuctionEvent,
    Bid,
)
from app.errors import DomainError, InvalidTransition, NotFound, PermissionDenied, ValidationError
from app.extensions import db
from app.listings.models import MAX_MONEY_YUAN, Achievement
from app.models_base import utcnow
from app.timeutil import as_utc, fmt_local

MIN_DURATION = timedelta(minutes=10)
MAX_DURATION = timedelta(days=30)
START_GRACE = timedelta(minutes=5)  # a start "now" typed a few minutes ago is still accepted
MAX_INCREMENT_YUAN = 100_000_000


class BidConflict(DomainError):
    """Another bid was accepted between reading the price and writing this bid (SQLite guard)."""

    status_code = 409


def wan_text(yuan: int) -> str:
    """Integer 元 as the number a person types into a 万元 field: 125000 → "12.5"."""
    return format(Decimal(yuan) / 10_000, "f").rstrip("0").rstrip(".") if yuan else "0"


def _guarded(stmt, conflict: DomainError):
    """Run a conditional UPDATE. SQLite refuses a write from a transaction whose snapshot another writer has since
    replaced ("database is locked"): that is the same conflict the version check catches, reported the same way."""
    try:
        return db.session.execute(stmt.execution_options(synchronize_session=False))
    except OperationalError as exc:
        if db.session.get_bind().dialect.name == "sqlite" and "locked" in str(exc.orig):
            raise conflict from None
        raise


def _money_text(yuan: int) -> str:
    from app import money
    return money(yuan)


# --- permissions ---

def can_manage(user, auction_or_achievement) -> bool:
    """The achievement's owner (university/institute user of its organization) or the bureau."""
    if perm.is_bureau(user):
        return True
    org_id = auction_or_achievement.organization_id
    return (perm.is_authenticated(user) and user.organization_id == org_id
            and perm.can_post(user, "achievement"))


def can_bid(user) -> bool:
    """Verified enterprises bid (design.md §2)."""
    return (perm.is_authenticated(user) and user.role == "enterprise" and user.organization is not None
            and user.organization.kind == "enterprise" and user.organization.verified)


def require_bidder(user) -> None:
    if not perm.is_authenticated(user) or user.role != "enterprise":
        raise PermissionDenied("只有企业用户可以参与竞价")
    if user.organization is None or not user.organization.verified:
        raise PermissionDenied("您所在企业尚未通过科技局认证，认证后才能参与竞价")


def get_auction(auction_id: int) -> Auction:
    auction = db.session.get(Auction, auction_id)
    if auction is None:
        raise NotFound("未找到该拍卖")
    return auction


def _log(auction: Auction, actor, action: str, note: str = "", now: datetime | None = None) -> None:
    db.session.add(AuctionEvent(auction_id=auction.id, action=action, note=note,
                                actor_id=getattr(actor, "id", None), created_at=now or utcnow()))


# --- schedule / cancel ---

def _int_money(value, field: str, errors: dict, what: str, allow_none: bool = False) -> int | None:
    if value is None:
        if not allow_none:
            errors[field] = f"请填写{what}"
        return None
    if isinstance(value, bool) or not isinstance(value, int):
        errors[field] = f"{what}格式不正确"
        return None
    if value <= 0:
        errors[field] = f"{what}必须大于0"
        return None
    if value > MAX_MONEY_YUAN:
        errors[field] = f"{what}超出合理范围（不超过100亿元）"
        return None
    return value


def validate_schedule(data: dict, now: datetime) -> dict:
    errors: dict[str, str] = {}
    start = _int_money(data.get("start_price_yuan"), "start_price_yuan", errors, "起拍价")
    reserve = _int_money(data.get("reserve_price_yuan"), "reserve_price_yuan", errors, "保留价", allow_none=True)
    increment = _int_money(data.get("increment_yuan"), "increment_yuan", errors, "加价幅度")
    if start is not None and reserve is not None and reserve < start:
        errors["reserve_price_yuan"] = "保留价不能低于起拍价"
    if increment is not None and increment > MAX_INCREMENT_YUAN:
        errors["increment_yuan"] = "加价幅度超出合理范围（不超过1亿元）"
    starts_at, ends_at = as_utc(data.get("starts_at")), as_utc(data.get("ends_at"))
    if starts_at is None:
        errors["starts_at"] = "请填写开始时间"
    elif starts_at < now - START_GRACE:
        errors["starts_at"] = "开始时间不能早于当前时间"
    if ends_at is None:
        errors["ends_at"] = "请填写结束时间"
    elif starts_at is not None:
        if ends_at <= starts_at:
            errors["ends_at"] = "结束时间必须晚于开始时间"
        elif ends_at - starts_at < MIN_DURATION:
            errors["ends_at"] = "竞价时长不能少于10分钟"
        elif ends_at - starts_at > MAX_DURATION:
            errors["ends_at"] = "竞价时长不能超过30天"
    ext = data.get("extension_minutes")
    if ext is None:
        ext = 0
    if isinstance(ext, bool) or not isinstance(ext, int) or not 0 <= ext <= MAX_EXTENSION_MINUTES:
        errors["extension_minutes"] = f"延时周期应为0到{MAX_EXTENSION_MINUTES}分钟"
    description = (data.get("description") or "").strip()
    if len(description) > 2000:
        errors["description"] = "说明不能超过2000个字"
    if errors:
        raise ValidationError("拍卖信息有误，请检查标红的字段", errors)
    return {"start_price_yuan": start, "reserve_price_yuan": reserve if reserve is not None else start,
            "increment_yuan": increment, "starts_at": starts_at, "ends_at": ends_at, "extension_minutes": ext,
            "description": description}


def schedule(user, achievement: Achievement, data: dict, now: datetime | None = None) -> Auction:
    """An owner (or the bureau on its behalf) puts an approved achievement up for auction."""
    if not perm.is_authenticated(user) or not can_manage(user, achievement):
        raise PermissionDenied("只有成果所属单位或科技局可以发起拍卖")
    if achievement.status != "approved":
        raise InvalidTransition("只有已发布的科技成果可以拍卖")
    now = as_utc(now or utcnow())
    values = validate_schedule(data, now)
    running = db.session.scalar(select(Auction.id).where(Auction.achievement_id == achievement.id,
                                                         Auction.status.in_(ACTIVE_STATUSES)))
    if running is not None:
        raise InvalidTransition("该成果已有进行中或待开始的拍卖")
    auction = Auction(achievement_id=achievement.id, organization_id=achievement.organization_id,
                      created_by_id=user.id, status="open" if values["starts_at"] <= now else "scheduled",
                      scheduled_end_at=values["ends_at"], bid_count=0, version=0, **values)
    db.session.add(auction)
    db.session.flush()
    _log(auction, user, "schedule", now=now)
    return auction


def cancel(user, auction: Auction, reason: str = "", now: datetime | None = None) -> None:
    if not perm.is_authenticated(user) or not can_manage(user, auction):
        raise PermissionDenied("只有成果所属单位或科技局可以取消拍卖")
    now = as_utc(now or utcnow())
    reason = (reason or "").strip()
    if len(reason) > 1000:
        raise ValidationError("取消原因不能超过1000个字", {"reason": "取消原因不能超过1000个字"})
    if auction.status in CLOSED_STATUSES:
        raise InvalidTransition("拍卖已结束或已取消，不能再取消")
    if auction.phase(now) == "due":
        raise InvalidTransition("拍卖已到结束时间，不能再取消")
    # the guard is in the WHERE clause: a bid accepted a moment ago wins over the cancel
    result = _guarded(
        update(Auction).where(Auction.id == auction.id, Auction.bid_count == 0,
                              Auction.status.in_(ACTIVE_STATUSES))
        .values(status="cancelled", cancelled_reason=reason, closed_at=now, version=Auction.version + 1,
                updated_at=now), InvalidTransition("拍卖状态刚刚发生变化，请刷新页面后重试"))
    if result.rowcount != 1:
        db.session.refresh(auction)
        raise InvalidTransition("已有竞买人出价，拍卖不能取消")
    db.session.refresh(auction)
    _log(auction, user, "cancel", reason, now=now)


# --- bidding ---

def _locked(auction_id: int) -> Auction:
    """The auction row, read fresh and locked for this transaction (PostgreSQL; SQLite: see module doc)."""
    stmt = (select(Auction).where(Auction.id == auction_id).with_for_update()
            .execution_options(populate_existing=True))
    auction = db.session.scalar(stmt)
    if auction is None:
        raise NotFound("未找到该拍卖")
    return auction


def place_bid(user, auction_id: int, amount_yuan, now: datetime | None = None) -> Bid:
    require_bidder(user)
    errors_field = "amount_yuan"
    if amount_yuan is None:
        raise ValidationError("请填写出价金额", {errors_field: "请填写出价金额"})
    if isinstance(amount_yuan, bool) or not isinstance(amount_yuan, int):
        raise ValidationError("出价金额格式不正确", {errors_field: "出价金额格式不正确"})
    if amount_yuan <= 0:
        raise ValidationError("出价金额必须大于0", {errors_field: "出价金额必须大于0"})
    if amount_yuan > MAX_MONEY_YUAN:
        raise ValidationError("出价金额超出合理范围（不超过100亿元）", {errors_field: "出价金额超出合理范围（不超过100亿元）"})
    auction = _locked(auction_id)
    now = as_utc(now or utcnow())
    if auction.organization_id == user.organization_id:
        raise PermissionDenied("不能对本单位的成果出价")
    if auction.status == "cancelled":
        raise InvalidTransition("该拍卖已取消，不能出价")
    if auction.status in CLOSED_STATUSES:
        raise InvalidTransition("拍卖已结束，不能再出价")
    starts_at, ends_at = as_utc(auction.starts_at), as_utc(auction.ends_at)
    if now < starts_at:
        raise InvalidTransition(f"拍卖尚未开始，开始时间为{fmt_local(starts_at)}（北京时间）")
    if now >= ends_at:
        raise InvalidTransition(f"拍卖已于{fmt_local(ends_at)}（北京时间）结束，不能再出价")
    if auction.leader_org_id == user.organization_id:
        raise InvalidTransition("您所在企业已是当前最高出价者，无需再次出价")
    minimum = auction.min_next_bid()
    if amount_yuan < minimum:
        if auction.current_price_yuan is None:
            msg = f"出价不能低于起拍价{_money_text(minimum)}"
        else:
            msg = (f"出价不能低于当前价{_money_text(auction.current_price_yuan)}加最小加价幅度"
                   f"{_money_text(auction.increment_yuan)}，即至少{_money_text(minimum)}")
        raise ValidationError(msg, {errors_field: msg})

    seen_version, seq = auction.version, auction.bid_count + 1
    previous_leader_id = auction.leader_user_id
    new_end, extended = ends_at, False
    if auction.extension_minutes and now >= ends_at - timedelta(minutes=auction.extension_minutes):
        new_end, extended = now + timedelta(minutes=auction.extension_minutes), True
    conflict = BidConflict("出价时当前价已被他人刷新，请按最新价格重新出价")
    result = _guarded(
        update(Auction)
        .where(Auction.id == auction.id, Auction.version == seen_version, Auction.status.in_(ACTIVE_STATUSES))
        .values(current_price_yuan=amount_yuan, bid_count=Auction.bid_count + 1, version=Auction.version + 1,
                leader_user_id=user.id, leader_org_id=user.organization_id, ends_at=new_end, status="open",
                updated_at=now), conflict)
    if result.rowcount != 1:
        raise conflict
    bid = Bid(auction_id=auction.id, seq=seq, bidder_id=user.id, organization_id=user.organization_id,
              amount_yuan=amount_yuan, created_at=now, extended_end=extended and new_end > ends_at)
    db.session.add(bid)
    db.session.flush()
    db.session.refresh(auction)
    _notify_outbid(auction, previous_leader_id, user)
    return bid


def _notify_outbid(auction: Auction, previous_leader_id: int | None, bidder) -> None:
    if previous_leader_id is None or previous_leader_id == bidder.id:
        return
    from app.notifications.services import notify
    notify([previous_leader_id], "auction_outbid",
           f"您在拍卖「{auction.title}」中的出价已被超越，当前价{_money_text(auction.current_price_yuan)}",
           f"/auctions/{auction.id}")


# --- the periodic task: open what started, close what ended ---

def open_due_auctions(now: datetime | None = None) -> int:
    now = as_utc(now or utcnow())
    ids = db.session.scalars(select(Auction.id).where(Auction.status == "scheduled", Auction.starts_at <= now,
                                                      Auction.ends_at > now)).all()
    opened = 0
    for auction_id in ids:
        result = db.session.execute(
            update(Auction).where(Auction.id == auction_id, Auction.status == "scheduled")
            .values(status="open", updated_at=now).execution_options(synchronize_session=False))
        if result.rowcount == 1:
            db.session.add(AuctionEvent(auction_id=auction_id, action="open", actor_id=None, created_at=now))
            opened += 1
    return opened


def close_auction(auction_id: int, now: datetime | None = None) -> str | None:
    """Close one auction whose end has passed. Returns the new status, or None when there was nothing to do
    (already closed, not yet ended): closing twice changes nothing and opens no second deal."""
    now = as_utc(now or utcnow())
    auction = _locked(auction_id)
    if auction.status not in ACTIVE_STATUSES or now < as_utc(auction.ends_at):
        return None
    sold = auction.bid_count > 0 and auction.reserve_met
    new_status = "closed_sold" if sold else "closed_unsold"
    result = _guarded(
        update(Auction).where(Auction.id == auction.id, Auction.version == auction.version,
                              Auction.status.in_(ACTIVE_STATUSES))
        .values(status=new_status, closed_at=now, version=Auction.version + 1, updated_at=now),
        InvalidTransition("拍卖状态刚刚发生变化，下次运行时再结算"))
    if result.rowcount != 1:
        return None  # a concurrent closer (or a last bid) got there first; the next run sees the new state
    db.session.refresh(auction)
    from app.notifications.services import notify, org_members
    url = f"/auctions/{auction.id}"
    owners = {u.id for u in org_members(auction.organization_id)} | {auction.created_by_id}
    if sold:
        from app.deals.services import find_by_source, open_deal
        # deals are unique per (source, source_id): a deal for this auction is reused, never duplicated
        deal = find_by_source("auction", auction.id) or open_deal(
            None, achievement_id=auction.achievement_id, buyer_org_id=auction.leader_org_id,
            seller_org_id=auction.organization_id, source="auction", source_id=auction.id, stage="signed",
            note=f"竞价拍卖成交，成交价{_money_text(auction.current_price_yuan)}")
        auction.deal_id = deal.id
        _log(auction, None, "close_sold", f"成交价{_money_text(auction.current_price_yuan)}", now=now)
        notify([auction.leader_user_id], "auction_won",
               f"恭喜，您以{_money_text(auction.current_price_yuan)}竞得「{auction.title}」，请尽快与卖方签订技术合同",
               url)
        notify(sorted(owners), "auction_closed",
               f"拍卖「{auction.title}」已成交，成交价{_money_text(auction.current_price_yuan)}，"
               f"买受人：{auction.leader_org.name}", url)
    else:
        note = "无人出价" if auction.bid_count == 0 else f"最高出价{_money_text(auction.current_price_yuan)}未达保留价"
        _log(auction, None, "close_unsold", note, now=now)
        notify(sorted(owners), "auction_closed", f"拍卖「{auction.title}」已结束，流拍（{note}）", url)
        if auction.leader_user_id:
            notify([auction.leader_user_id], "auction_closed",
                   f"拍卖「{auction.title}」已结束，最高出价未达保留价，未能成交", url)
    db.session.flush()
    return new_status


def close_due_auctions(now: datetime | None = None) -> dict:
    """Open auctions whose start has come, close those whose end has passed. Idempotent; each auction in its own
    savepoint so that one failure does not stop the others. The caller commits."""
    now = as_utc(now or utcnow())
    out = {"opened": open_due_auctions(now), "sold": 0, "unsold": 0, "failed": 0}
    ids = db.session.scalars(select(Auction.id).where(Auction.status.in_(ACTIVE_STATUSES), Auction.ends_at <= now)
                             .order_by(Auction.ends_at, Auction.id)).all()
    for auction_id in ids:
        try:
            with db.session.begin_nested():
                status = close_auction(auction_id, now)
        except DomainError:
            out["failed"] += 1
            continue
        if status == "closed_sold":
            out["sold"] += 1
        elif status == "closed_unsold":
            out["unsold"] += 1
    return out


# --- reading ---

def state(auction: Auction, user=None, now: datetime | None = None) -> dict:
    """What the auction page polls: small, no names of other bidders."""
    now = as_utc(now or utcnow())
    ends_at = as_utc(auction.ends_at)
    mine = bool(perm.is_authenticated(user) and user.organization_id is not None
                and auction.leader_org_id == user.organization_id)
    return {
        "id": auction.id,
        "status": auction.status,
        "phase": auction.phase(now),
        "phase_label": auction.phase_label(now),
        "current_price_yuan": auction.current_price_yuan,
        "current_price_text": _money_text(auction.current_price_yuan) if auction.current_price_yuan else "暂无出价",
        "start_price_yuan": auction.start_price_yuan,
        "min_next_bid_yuan": auction.min_next_bid(),
        "min_next_bid_text": _money_text(auction.min_next_bid()),
        "min_next_bid_wan": wan_text(auction.min_next_bid()),
        "bid_count": auction.bid_count,
        "starts_at": as_utc(auction.starts_at).isoformat(),
        "ends_at": ends_at.isoformat(),
        "ends_at_text": fmt_local(ends_at, "%Y-%m-%d %H:%M:%S"),
        "seconds_left": 0 if auction.status in CLOSED_STATUSES else max(0, int((ends_at - now).total_seconds())),
        "reserve_met": auction.reserve_met,
        "you_lead": mine,
        "version": auction.version,
        "server_time": now.isoformat(),
    }


def bidder_labels(auction: Auction) -> dict[int, str]:
    """Bidders shown as 竞买人1, 竞买人2 … in order of their first bid: the page never names another bidder."""
    labels: dict[int, str] = {}
    for b in auction.bids:
        labels.setdefault(b.organization_id, f"竞买人{len(labels) + 1}")
    return labels
