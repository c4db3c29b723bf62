"""Deals (对接项目) through the API, for brokers, the bureau and the two parties: list with filters, detail with the
event log, advance/terminate, notes, follow-up date, assign (bureau), claim (certified broker).

Calls app/deals/services.py, the one service layer the pages use, with the same checks in the same order as
app/deals/views.py: a deal the caller may not see is 404, an action they may not take 403. The service changes a deal
by compare-and-set; when someone else changed it first (or its stage refuses the move) the refusal is 409.
The parties' contact details are shown to the bureau only, as on the deal page.
"""
from marshmallow import fields, validate

from app.accounts import permissions as perm
from app.accounts.models import User
from app.api import schemas as s
from app.api.auth import require_bureau_token, require_token, user
from app.api.blueprint import Blueprint
from app.api.fields import UtcDateTime
from app.deals import services
from app.deals.models import DEAL_SOURCES, DEAL_STAGES, EVENT_KINDS
from app.extensions import db

ID = "int(max=2147483647)"
STAGES = s.codes(DEAL_STAGES)


# --- schemas ---

class DealListArgs(s.PageArgs):
    scope = fields.String(load_default="mine", validate=validate.OneOf(["mine", "claimable"], error="scope 须为 mine 或 claimable"),
                          metadata={"description": "mine：我跟进的或本单位的；claimable：可认领的（认证经纪人）。科技局总是全部"})
    stage = fields.String(load_default="", validate=validate.OneOf(["", "open", *STAGES], error="无效的项目阶段"),
                          metadata={"description": "阶段；open 为所有未结束的阶段"})
    broker_id = fields.Integer(load_default=None, validate=validate.Range(min=0, max=2147483647, error="无效的经纪人"),
                               metadata={"description": "经纪人（科技局筛选）；0 为尚未指派"})
    overdue = fields.Boolean(load_default=False, metadata={"description": "true：只看跟进已逾期的"})


class ListingBrief(s.Schema):
    id = fields.Integer(required=True)
    title = fields.String(required=True)


class DealOut(s.Schema):
    id = fields.Integer(required=True)
    title = fields.String(required=True)
    stage = fields.String(required=True, validate=validate.OneOf(STAGES),
                          metadata={"description": "intent 意向 → negotiating 洽谈 → signed 签约 → registered 登记 → "
                                                   "completed 完成；terminated 终止"})
    source = fields.String(required=True, validate=validate.OneOf(s.codes(DEAL_SOURCES)))
    source_id = fields.Integer(required=True, allow_none=True)
    buyer = fields.Nested(s.OrganizationRef, required=True, attribute="buyer_org")
    seller = fields.Nested(s.OrganizationRef, required=True, attribute="seller_org")
    need = fields.Nested(ListingBrief, required=True, allow_none=True)
    achievement = fields.Nested(ListingBrief, required=True, allow_none=True)
    broker = fields.Nested(s.UserRef, required=True, allow_none=True)
    next_follow_up = fields.Date(required=True, allow_none=True)
    overdue = fields.Boolean(required=True, metadata={"description": "未结束且下次跟进日期已过"})
    terminate_reason = fields.String(required=True)
    closed_at = UtcDateTime(required=True, allow_none=True)
    created_at = UtcDateTime(required=True)
    updated_at = UtcDateTime(required=True)


class DealPage(s.PageMeta):
    items = fields.List(fields.Nested(DealOut), required=True)


class EventOut(s.Schema):
    id = fields.Integer(required=True)
    kind = fields.String(required=True, validate=validate.OneOf(s.codes(EVENT_KINDS)))
    from_stage = fields.String(required=True, allow_none=True)
    to_stage = fields.String(required=True, allow_none=True)
    note = fields.String(required=True)
    actor = fields.Nested(s.UserRef, required=True, allow_none=True, metadata={"description": "null：平台（定时任务）"})
    created_at = UtcDateTime(required=True)


class DealActions(s.Schema):
    manage = fields.Boolean(required=True, metadata={"description": "可推进、终止、写跟进记录、设定跟进日期"})
    stages = fields.List(fields.String(), required=True, metadata={"description": "现在可以进入的阶段"})
    claim = fields.Boolean(required=True)
    assign = fields.Boolean(required=True)


class DealDetail(DealOut):
    events = fields.List(fields.Nested(EventOut), required=True, metadata={"description": "项目记录，先发生的在前"})
    contacts = fields.List(fields.Nested(s.ContactOut), required=True, allow_none=True,
                           metadata={"description": "买方、卖方联系方式：仅科技局可见，其他为 null"})
    actions = fields.Nested(DealActions, required=True, metadata={"description": "调用者现在可以执行的操作"})


class AdvanceIn(s.Schema):
    to_stage = fields.String(required=True, validate=validate.OneOf(STAGES, error="无效的项目阶段，可选值：{choices}"))
    note = s.plain_text(services.NOTE_MAX, what="备注", load_default="")
    reason = s.plain_text(services.REASON_MAX, what="终止原因", load_default="",
                          metadata={"description": "终止原因（to_stage=terminated 时必填）"})


class TerminateIn(s.Schema):
    reason = s.plain_text(services.REASON_MAX, what="终止原因", required=True)
    note = s.plain_text(services.NOTE_MAX, what="备注", load_default="")


class NoteIn(s.Schema):
    note = s.plain_text(services.NOTE_MAX, what="跟进记录", required=True)


class FollowUpIn(s.Schema):
    next_follow_up = fields.Date(required=True, metadata={"description": "下次跟进日期（今天到一年内）"})
    note = s.plain_text(services.NOTE_MAX, what="说明", load_default="")


class AssignIn(s.Schema):
    broker_id = fields.Integer(required=True, validate=validate.Range(min=1, max=2147483647, error="无效的经纪人"),
                              metadata={"description": "已认证技术经纪人的用户编号"})


blp = Blueprint("api_deals", __name__, url_prefix="/api/v1/deals",
                description="对接项目：经纪人和科技局推进（意向→洽谈→签约→登记→完成，或终止）、跟进、指派与认领经纪人")


# --- helpers ---

def _dump(deal, **extra):
    from app.api.listings import Overlay
    return Overlay(deal, overdue=deal.is_overdue(services.local_today()), **extra)


def detail_dump(deal):
    u = user()
    return _dump(deal, events=list(deal.events),
                 contacts=[s.contact(deal.buyer_org), s.contact(deal.seller_org)] if perm.is_bureau(u) else None,
                 actions={"manage": services.can_manage(u, deal), "stages": services.allowed_stages(u, deal),
                          "claim": services.can_claim(u, deal), "assign": perm.is_bureau(u) and deal.is_open})


def _visible(deal_id: int):
    deal = services.get_deal(deal_id)
    services.require_view(user(), deal)  # 404 for anyone the deal page refuses
    return deal


def _done(deal):
    db.session.commit()
    return detail_dump(deal)


# --- routes ---

@blp.route("", endpoint="list", methods=["GET"])
@blp.doc(summary="我能看到的对接项目（科技局：全部，可按阶段、经纪人、逾期筛选），先到跟进日期的在前")
@require_token
@blp.arguments(DealListArgs, location="query", as_kwargs=True)
@blp.response(200, DealPage)
def list_(page, per_page, scope, stage, broker_id, overdue):
    stmt = services.deals_query(user(), stage=stage or None, broker_id=broker_id, overdue=overdue, scope=scope)
    p = db.paginate(stmt, page=page, per_page=per_page, error_out=False)
    return s.page_dump(p, per_page, items=[_dump(d) for d in p.items])


@blp.route(f"/<{ID}:deal_id>", endpoint="detail", methods=["GET"])
@blp.doc(summary="单个对接项目及项目记录")
@require_token
@blp.response(200, DealDetail)
def detail(deal_id):
    return detail_dump(_visible(deal_id))


@blp.route(f"/<{ID}:deal_id>/advance", endpoint="advance", methods=["POST"])
@blp.doc(summary="推进到下一阶段或终止（该项目的经纪人、科技局）",
         description="只能前进一个阶段；“登记”由科技局认定登记合同时自动设置。阶段不允许或项目刚被他人更新：409")
@require_token
@blp.arguments(AdvanceIn)
@blp.response(200, DealDetail)
def advance(data, deal_id):
    deal = _visible(deal_id)
    services.advance(user(), deal, data["to_stage"], note=data["note"], reason=data["reason"])
    return _done(deal)


@blp.route(f"/<{ID}:deal_id>/terminate", endpoint="terminate", methods=["POST"])
@blp.doc(summary="终止项目并说明原因（该项目的经纪人、科技局）")
@require_token
@blp.arguments(TerminateIn)
@blp.response(200, DealDetail)
def terminate(data, deal_id):
    deal = _visible(deal_id)
    services.terminate(user(), deal, data["reason"], note=data["note"])
    return _done(deal)


@blp.route(f"/<{ID}:deal_id>/notes", endpoint="note", methods=["POST"])
@blp.doc(summary="写跟进记录（该项目的经纪人、科技局）")
@require_token
@blp.arguments(NoteIn)
@blp.response(201, EventOut)
def note(data, deal_id):
    deal = _visible(deal_id)
    event = services.add_note(user(), deal, data["note"])
    db.session.commit()
    return event


@blp.route(f"/<{ID}:deal_id>/follow-up", endpoint="follow_up", methods=["POST"])
@blp.doc(summary="设定下次跟进日期（该项目的经纪人、科技局）；日期过了仍未跟进即为逾期")
@require_token
@blp.arguments(FollowUpIn)
@blp.response(200, DealDetail)
def follow_up(data, deal_id):
    deal = _visible(deal_id)
    services.set_follow_up(user(), deal, data["next_follow_up"], data["note"])
    return _done(deal)


@blp.route(f"/<{ID}:deal_id>/assign", endpoint="assign", methods=["POST"])
@blp.doc(summary="指派或更换经纪人（科技局）：只能指派已认证的技术经纪人")
@require_bureau_token  # before the body is read: a refused caller learns nothing from validation errors
@blp.arguments(AssignIn)
@blp.response(200, DealDetail)
def assign(data, deal_id):
    deal = _visible(deal_id)
    broker = db.session.get(User, data["broker_id"])  # the service accepts certified brokers only
    services.assign_broker(user(), deal, broker)
    return _done(deal)


@blp.route(f"/<{ID}:deal_id>/claim", endpoint="claim", methods=["POST"])
@blp.doc(summary="认领尚未指派经纪人的项目（认证经纪人）；两人同时认领只有一人成功，另一人 409")
@require_token
@blp.response(200, DealDetail)
def claim(deal_id):
    deal = _visible(deal_id)
    services.claim(user(), deal)
    return _done(deal)


def blueprints():
    return [blp]
