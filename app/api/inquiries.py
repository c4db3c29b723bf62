"""Inquiries (询价) through the API: an enterprise asks about an achievement, the owner replies, accepts or declines,
either side asks the bureau for a broker, an accepted inquiry becomes a deal.

Calls app/inquiries/services.py, the one service layer the pages use, with the same checks in the same order as
app/inquiries/views.py: an inquiry the caller may not see is 404, an action they may not take is 403, an action the
inquiry's state refuses is 409. The confidential part of the achievement and both sides' contact details are in a
response exactly where the thread page shows them (services.contacts_visible, permissions.can_see_confidential).
"""
from marshmallow import fields, validate

from app.accounts import permissions as perm
from app.api import deals as deals_api
from app.api import schemas as s
from app.api.auth import require_token, user
from app.api.blueprint import Blueprint
from app.api.fields import Money, UtcDateTime
from app.deals.services import is_certified_broker
from app.errors import NotFound
from app.extensions import db
from app.inquiries import services
from app.inquiries.models import INQUIRY_STATUSES
from app.listings.services import get_listing

ID = "int(max=2147483647)"
STATUSES = s.codes(INQUIRY_STATUSES)


# --- schemas ---

class InquiryIn(s.Schema):
    message = s.plain_text(services.MESSAGE_MAX, what="留言", required=True,
                           metadata={"description": "询价内容：用途、规模、希望的合作方式等"})
    offered_price_yuan = Money(load_default=None, allow_none=True, metadata={"description": "意向报价（元）；null 为面议"})


class ReplyIn(s.Schema):
    body = s.plain_text(services.MESSAGE_MAX, what="留言", required=True)


class DeclineIn(s.Schema):
    reason = s.plain_text(1000, what="婉拒原因", load_default="", metadata={"description": "婉拒原因（可不填）"})


class InquiryListArgs(s.PageArgs):
    box = fields.String(load_default="", validate=validate.OneOf(["", "sent", "received"], error="box 须为 sent 或 received"),
                        metadata={"description": "sent：本单位发出的；received：本单位成果收到的；不填：两者（科技局：全部询价）"})
    status = fields.String(load_default="", validate=validate.OneOf(["", *STATUSES], error="无效的询价状态"))
    broker_requested = fields.Boolean(load_default=False, metadata={"description": "true：只看已申请经纪人的"})


class AchievementBrief(s.Schema):
    id = fields.Integer(required=True)
    title = fields.String(required=True)
    price_yuan = Money(required=True, allow_none=True, metadata={"description": "参考价格（元）；null 为面议"})
    organization = fields.Nested(s.OrganizationRef, required=True)


class DealBrief(s.Schema):
    id = fields.Integer(required=True)
    title = fields.String(required=True)
    stage = fields.String(required=True)


class MessageOut(s.Schema):
    id = fields.Integer(required=True)
    author = fields.Nested(s.UserRef, required=True)
    organization = fields.String(required=True, allow_none=True, metadata={"description": "留言人所在单位"})
    body = fields.String(required=True)
    created_at = UtcDateTime(required=True)


class InquiryOut(s.Schema):
    id = fields.Integer(required=True)
    status = fields.String(required=True, validate=validate.OneOf(STATUSES),
                           metadata={"description": "open 待答复 / accepted 已接受 / declined 已婉拒"})
    achievement = fields.Nested(AchievementBrief, required=True)
    enterprise = fields.Nested(s.OrganizationRef, required=True, attribute="enterprise_org",
                               metadata={"description": "询价单位"})
    created_by = fields.Nested(s.UserRef, required=True)
    message = fields.String(required=True, metadata={"description": "询价内容（沟通记录的第一条）"})
    offered_price_yuan = Money(required=True, allow_none=True, metadata={"description": "意向报价（元）；null 为面议"})
    decline_reason = fields.String(required=True)
    decided_at = UtcDateTime(required=True, allow_none=True)
    broker_requested_at = UtcDateTime(required=True, allow_none=True)
    created_at = UtcDateTime(required=True)
    updated_at = UtcDateTime(required=True)


class InquiryPage(s.PageMeta):
    items = fields.List(fields.Nested(InquiryOut), required=True)


class InquiryActions(s.Schema):
    reply = fields.Boolean(required=True)
    accept = fields.Boolean(required=True)
    decline = fields.Boolean(required=True)
    request_broker = fields.Boolean(required=True)
    to_deal = fields.Boolean(required=True)


class InquiryDetail(InquiryOut):
    messages = fields.List(fields.Nested(MessageOut), required=True, metadata={"description": "回复，先发的在前"})
    deal = fields.Nested(DealBrief, required=True, allow_none=True, metadata={"description": "转成的对接项目"})
    contacts = fields.List(fields.Nested(s.ContactOut), required=True, allow_none=True,
                           metadata={"description": "双方联系方式：科技局可见；成果单位接受询价后询价双方可见；其他情况为 null"})
    confidential = fields.String(required=True, allow_none=True,
                                 metadata={"description": "成果的保密信息：与询价页相同，接受后询价双方和科技局可见，其他为 null"})
    actions = fields.Nested(InquiryActions, required=True, metadata={"description": "调用者现在可以执行的操作"})


blp = Blueprint("api_inquiries", __name__, url_prefix="/api/v1",
                description="询价：企业就已发布成果询价，成果单位答复、接受或婉拒；双方可申请经纪人；接受后可转为对接项目")


# --- helpers ---

def _visible(inquiry_id: int):
    inq = services.get_inquiry(inquiry_id)
    services.require_view(user(), inq)  # 404 for anyone the thread page refuses
    return inq


def _message(m):
    from app.api.listings import Overlay
    return Overlay(m, organization=m.author.organization.name if m.author.organization else None)


def _detail(inq) -> dict:
    """The thread as the page shows it to this caller (templates/inquiries/detail.html)."""
    from app.api.listings import Overlay
    u = user()
    deal = services.deal_of(inq)
    show_contacts = services.contacts_visible(u, inq)
    a = inq.achievement
    show_confidential = show_contacts and perm.can_see_confidential(u, a)
    is_owner, is_inquirer = services.is_owner_side(u, inq), services.is_inquirer(u, inq)
    open_side = (is_owner or is_inquirer) and inq.status != "declined"
    actions = {
        "reply": open_side,
        "accept": is_owner and inq.status == "open",
        "decline": is_owner and inq.status == "open",
        "request_broker": open_side and inq.broker_requested_at is None and not (deal and deal.broker_id),
        "to_deal": deal is None and inq.status == "accepted" and (
            perm.is_bureau(u) or is_certified_broker(u) or services.is_participant(u, inq)),
    }
    return Overlay(inq, messages=[_message(m) for m in inq.messages], deal=deal, actions=actions,
                   contacts=[s.contact(a.organization), s.contact(inq.enterprise_org)] if show_contacts else None,
                   confidential=(a.confidential or None) if show_confidential else None)


# --- routes ---

@blp.route("/inquiries", endpoint="list", methods=["GET"])
@blp.doc(summary="我的询价（发出的和收到的；科技局为全部），最近更新的在前")
@require_token
@blp.arguments(InquiryListArgs, location="query", as_kwargs=True)
@blp.response(200, InquiryPage)
def list_(page, per_page, box, status, broker_requested):
    u = user()
    if perm.is_bureau(u) and not box:
        # every inquiry of the county: paged in SQL, in the bureau page's order
        return s.paginate(services.for_bureau_query(broker_requested, status or None), page, per_page)
    else:
        rows = [] if box == "received" else services.sent_by(u)
        rows += [] if box == "sent" else services.received_by(u)
        rows = list({r.id: r for r in rows}.values())
        if status:
            rows = [r for r in rows if r.status == status]
        if broker_requested:
            rows = [r for r in rows if r.broker_requested_at is not None]
    # stable: newest activity first, then newest inquiry (the services' order has no tie-break)
    rows.sort(key=lambda r: r.id, reverse=True)
    rows.sort(key=lambda r: r.updated_at, reverse=True)
    total = len(rows)
    return {"items": rows[(page - 1) * per_page: page * per_page], "page": page, "per_page": per_page,
            "total": total, "pages": (total + per_page - 1) // per_page}


@blp.route(f"/achievements/<{ID}:listing_id>/inquiries", endpoint="create", methods=["POST"])
@blp.doc(summary="就已发布的科技成果询价（已认证的企业）",
         description="同一单位对同一成果只能有一个进行中的询价（409，detail 中给出原询价编号）")
@require_token
@blp.arguments(InquiryIn)
@blp.response(201, InquiryDetail)
def create(data, listing_id):
    u = user()
    achievement = get_listing("achievement", listing_id)
    if not perm.can_view(u, achievement):
        raise NotFound("未找到该信息")  # as the page: an unpublished achievement does not exist for you
    inq = services.create(u, achievement, data["message"], data["offered_price_yuan"])
    db.session.commit()
    return _detail(inq)


@blp.route(f"/inquiries/<{ID}:inquiry_id>", endpoint="detail", methods=["GET"])
@blp.doc(summary="单个询价及沟通记录（询价双方、科技局；转为对接项目后还有其经纪人）")
@require_token
@blp.response(200, InquiryDetail)
def detail(inquiry_id):
    return _detail(_visible(inquiry_id))


@blp.route(f"/inquiries/<{ID}:inquiry_id>/messages", endpoint="reply", methods=["POST"])
@blp.doc(summary="留言（询价双方；已婉拒的询价不能再留言）")
@require_token
@blp.arguments(ReplyIn)
@blp.response(201, MessageOut)
def reply(data, inquiry_id):
    inq = _visible(inquiry_id)
    msg = services.reply(user(), inq, data["body"])
    db.session.commit()
    return _message(msg)


@blp.route(f"/inquiries/<{ID}:inquiry_id>/accept", endpoint="accept", methods=["POST"])
@blp.doc(summary="接受询价（成果单位）：询价单位随即可见联系方式和保密信息")
@require_token
@blp.response(200, InquiryDetail)
def accept(inquiry_id):
    inq = _visible(inquiry_id)
    services.accept(user(), inq)
    db.session.commit()
    return _detail(inq)


@blp.route(f"/inquiries/<{ID}:inquiry_id>/decline", endpoint="decline", methods=["POST"])
@blp.doc(summary="婉拒询价（成果单位），可说明原因")
@require_token
@blp.arguments(DeclineIn)
@blp.response(200, InquiryDetail)
def decline(data, inquiry_id):
    inq = _visible(inquiry_id)
    services.decline(user(), inq, data["reason"])
    db.session.commit()
    return _detail(inq)


@blp.route(f"/inquiries/<{ID}:inquiry_id>/request-broker", endpoint="request_broker", methods=["POST"])
@blp.doc(summary="申请技术经纪人协助（询价双方）：科技局收到通知并安排")
@require_token
@blp.response(200, InquiryDetail)
def request_broker(inquiry_id):
    inq = _visible(inquiry_id)
    services.request_broker(user(), inq)
    db.session.commit()
    return _detail(inq)


@blp.route(f"/inquiries/<{ID}:inquiry_id>/to-deal", endpoint="to_deal", methods=["POST"])
@blp.doc(summary="已接受的询价转为对接项目（询价双方、认证经纪人、科技局）；认证经纪人转的由其跟进")
@require_token
@blp.response(201, deals_api.DealDetail)
def to_deal(inquiry_id):
    inq = _visible(inquiry_id)
    deal = services.to_deal(user(), inq)
    db.session.commit()
    return deals_api.detail_dump(deal)


def blueprints():
    return [blp]
