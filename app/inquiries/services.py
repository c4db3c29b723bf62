"""Inquiries (询价): a verified enterprise asks about an approved achievement; the owner answers in a thread and
accepts or declines; either side may ask the bureau for a broker; an accepted inquiry can become a deal.

Confidential part of the achievement and both sides' contact details are visible inside an inquiry only once the
owner has accepted it (`has_accepted_inquiry`, used by permissions.can_see_confidential).
"""
from sqlalchemy import exists, select

from app.accounts import permissions as perm
from app.errors import InvalidTransition, NotFound, ValidationError
from app.extensions import db
from app.inquiries.models import Inquiry, InquiryMessage
from app.listings.models import MAX_MONEY_YUAN, Achievement
from app.models_base import utcnow
from app.notifications.services import bureau_staff, notify, org_members

MESSAGE_MAX = 2000


def inquiry_url(inquiry: Inquiry) -> str:
    return f"/inquiries/{inquiry.id}"


def get_inquiry(inquiry_id: int) -> Inquiry:
    inq = db.session.get(Inquiry, inquiry_id)
    if inq is None:
        raise NotFound("未找到该询价")
    return inq


def has_accepted_inquiry(org_id: int | None, achievement_id: int) -> bool:
    if org_id is None:
        return False
    return bool(db.session.scalar(select(exists().where(
        Inquiry.achievement_id == achievement_id, Inquiry.enterprise_org_id == org_id, Inquiry.status == "accepted"))))


# --- who ---

def is_owner_side(user, inquiry: Inquiry) -> bool:
    return perm.owns(user, inquiry.achievement)


def is_inquirer(user, inquiry: Inquiry) -> bool:
    return (perm.is_authenticated(user) and user.organization_id is not None
            and user.organization_id == inquiry.enterprise_org_id)


def is_participant(user, inquiry: Inquiry) -> bool:
    return is_owner_side(user, inquiry) or is_inquirer(user, inquiry)


def deal_of(inquiry: Inquiry):
    from app.deals.services import find_by_source
    return find_by_source("inquiry", inquiry.id)


def can_view(user, inquiry: Inquiry) -> bool:
    if is_participant(user, inquiry) or perm.is_bureau(user):
        return True
    deal = deal_of(inquiry)
    return deal is not None and perm.is_authenticated(user) and deal.broker_id == user.id


def contacts_visible(user, inquiry: Inquiry) -> bool:
    """Both sides' contact person and phone: to the bureau, and to the two sides once the owner accepted (not to a
    broker following the resulting deal: the deal page shows contacts to its broker)."""
    return perm.is_bureau(user) or (inquiry.status == "accepted" and is_participant(user, inquiry))


def require_view(user, inquiry: Inquiry) -> None:
    if not can_view(user, inquiry):
        raise NotFound("未找到该询价")  # do not reveal other people's inquiries


def refusal(user, achievement: Achievement) -> str | None:
    """Why user cannot send an inquiry about achievement (None: they can)."""
    if not perm.is_authenticated(user):
        return "请先登录企业账号"
    if user.role != "enterprise" or user.organization is None or user.organization.kind != "enterprise":
        return "只有企业用户可以询价"
    if not user.organization.verified:
        return "贵单位尚未通过科技局认证，认证后才能询价"
    if achievement.kind != "achievement" or not achievement.is_public:
        return "只能对已发布的科技成果询价"
    if achievement.organization_id == user.organization_id:
        return "不能对本单位的成果询价"
    return None


def live_inquiry(org_id: int | None, achievement_id: int) -> Inquiry | None:
    """The organization's open or accepted inquiry about this achievement, if any."""
    if org_id is None:
        return None
    return db.session.scalar(select(Inquiry).where(
        Inquiry.achievement_id == achievement_id, Inquiry.enterprise_org_id == org_id,
        Inquiry.status.in_(("open", "accepted"))).order_by(Inquiry.id.desc()))


# --- actions ---

def _clean_message(text: str | None, field: str = "message") -> str:
    text = (text or "").strip()
    if not text:
        raise ValidationError("请填写留言内容", {field: "请填写留言内容"})
    if len(text) > MESSAGE_MAX:
        raise ValidationError(f"留言不能超过{MESSAGE_MAX}个字", {field: f"留言不能超过{MESSAGE_MAX}个字"})
    return text


def create(user, achievement: Achievement, message: str, offered_price_yuan: int | None = None) -> Inquiry:
    reason = refusal(user, achievement)
    if reason:
        perm.require(False, reason)
    message = _clean_message(message)
    p = offered_price_yuan
    if p is not None:
        if isinstance(p, bool) or not isinstance(p, int):
            raise ValidationError("报价格式不正确", {"offered_price_yuan": "报价格式不正确"})
        if p < 0:
            raise ValidationError("报价不能为负数", {"offered_price_yuan": "报价不能为负数"})
        if p > MAX_MONEY_YUAN:
            raise ValidationError("报价超出合理范围（不超过100亿元）", {"offered_price_yuan": "报价超出合理范围（不超过100亿元）"})
    if (existing := live_inquiry(user.organization_id, achievement.id)) is not None:
        raise InvalidTransition(f"贵单位已就该成果询价（编号{existing.id}），请在原询价中继续沟通")
    inq = Inquiry(achievement=achievement, enterprise_org_id=user.organization_id, created_by_id=user.id,
                  message=message, offered_price_yuan=p, status="open", decline_reason="")
    db.session.add(inq)
    db.session.flush()
    notify(org_members(achievement.organization_id), "inquiry_new",
           f"{user.organization.name}就成果「{achievement.title}」询价", inquiry_url(inq))
    return inq


def reply(user, inquiry: Inquiry, body: str) -> InquiryMessage:
    perm.require(is_participant(user, inquiry), "只有询价双方可以留言")
    if inquiry.status == "declined":
        raise InvalidTransition("该询价已婉拒，不能继续留言")
    body = _clean_message(body, "body")
    msg = InquiryMessage(inquiry=inquiry, author_id=user.id, body=body, created_at=utcnow())
    db.session.add(msg)
    inquiry.updated_at = utcnow()
    other = inquiry.enterprise_org_id if is_owner_side(user, inquiry) else inquiry.achievement.organization_id
    notify(org_members(other), "inquiry_reply", f"询价「{inquiry.achievement.title}」有新留言", inquiry_url(inquiry))
    return msg


def accept(user, inquiry: Inquiry) -> Inquiry:
    perm.require(is_owner_side(user, inquiry), "只有成果所属单位可以接受询价")
    if inquiry.status != "open":
        raise InvalidTransition(f"该询价{inquiry.status_label}，不能再接受")
    inquiry.status = "accepted"
    inquiry.decided_at = utcnow()
    inquiry.decided_by_id = user.id
    notify(org_members(inquiry.enterprise_org_id), "inquiry_accepted",
           f"{inquiry.achievement.organization.name}接受了您对「{inquiry.achievement.title}」的询价，可查看联系方式和保密信息",
           inquiry_url(inquiry))
    return inquiry


def decline(user, inquiry: Inquiry, reason: str = "") -> Inquiry:
    perm.require(is_owner_side(user, inquiry), "只有成果所属单位可以婉拒询价")
    if inquiry.status != "open":
        raise InvalidTransition(f"该询价{inquiry.status_label}，不能再婉拒")
    reason = (reason or "").strip()
    if len(reason) > 1000:
        raise ValidationError("原因不能超过1000个字", {"reason": "原因不能超过1000个字"})
    inquiry.status = "declined"
    inquiry.decline_reason = reason
    inquiry.decided_at = utcnow()
    inquiry.decided_by_id = user.id
    notify(org_members(inquiry.enterprise_org_id), "inquiry_declined",
           f"您对「{inquiry.achievement.title}」的询价已被婉拒" + (f"：{reason}" if reason else ""), inquiry_url(inquiry))
    return inquiry


def request_broker(user, inquiry: Inquiry) -> Inquiry:
    perm.require(is_participant(user, inquiry), "只有询价双方可以申请经纪人")
    if inquiry.status == "declined":
        raise InvalidTransition("该询价已婉拒，不能申请经纪人")
    if inquiry.broker_requested_at is not None:
        raise InvalidTransition("已申请经纪人，请等待科技局安排")
    deal = deal_of(inquiry)
    if deal is not None and deal.broker_id is not None:
        raise InvalidTransition("该询价的对接项目已有经纪人")
    inquiry.broker_requested_at = utcnow()
    inquiry.broker_requested_by_id = user.id
    notify(bureau_staff(), "broker_requested",
           f"{user.organization.name}就询价「{inquiry.achievement.title}」申请技术经纪人协助", inquiry_url(inquiry))
    other = inquiry.enterprise_org_id if is_owner_side(user, inquiry) else inquiry.achievement.organization_id
    notify(org_members(other), "broker_requested", f"对方就询价「{inquiry.achievement.title}」申请了技术经纪人协助",
           inquiry_url(inquiry))
    return inquiry


def to_deal(user, inquiry: Inquiry, broker_id: int | None = None):
    """An accepted inquiry becomes a deal (buyer: the inquiring enterprise, seller: the owner)."""
    from app.deals import services as deals
    perm.require(perm.is_bureau(user) or deals.is_certified_broker(user) or is_participant(user, inquiry),
                 "只有科技局、认证经纪人或询价双方可以转为对接项目")
    if inquiry.status != "accepted":
        raise InvalidTransition("成果单位接受询价后才能转为对接项目")
    if deal_of(inquiry) is not None:
        raise InvalidTransition("该询价已转为对接项目")
    note = f"询价：{inquiry.message[:200]}"
    return deals.open_deal(user, achievement_id=inquiry.achievement_id, buyer_org_id=inquiry.enterprise_org_id,
                           seller_org_id=inquiry.achievement.organization_id, source="inquiry", source_id=inquiry.id,
                           stage="intent", broker_id=broker_id, note=note)


# --- lists ---

def sent_by(user) -> list[Inquiry]:
    if not perm.is_authenticated(user) or user.organization_id is None:
        return []
    return list(db.session.scalars(select(Inquiry).where(Inquiry.enterprise_org_id == user.organization_id)
                                   .order_by(Inquiry.updated_at.desc())))


def received_by(user) -> list[Inquiry]:
    if not perm.is_authenticated(user) or user.organization_id is None:
        return []
    return list(db.session.scalars(select(Inquiry).join(Inquiry.achievement)
                                   .where(Achievement.organization_id == user.organization_id)
                                   .order_by(Inquiry.updated_at.desc())))


def for_bureau_query(broker_requested: bool = False, status: str | None = None):
    """Every inquiry (the bureau's view) as a statement to page through: broker requests first, then the latest
    activity; each row with its achievement, the achievement's organization and the asking enterprise."""
    from sqlalchemy.orm import selectinload
    stmt = select(Inquiry)
    if broker_requested:
        stmt = stmt.where(Inquiry.broker_requested_at.is_not(None))
    if status:
        stmt = stmt.where(Inquiry.status == status)
    return (stmt.order_by(Inquiry.broker_requested_at.is_(None), Inquiry.updated_at.desc(), Inquiry.id.desc())
            .options(selectinload(Inquiry.achievement).selectinload(Achievement.organization),
                     selectinload(Inquiry.enterprise_org)))

