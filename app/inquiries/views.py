"""Inquiry pages: ask (from an achievement), the thread, my inquiries (sent and received), the bureau's list."""
from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required

from app.accounts import permissions as perm
from app.forms_common import ActionForm
from app.inquiries import services
from app.inquiries.forms import DeclineInquiryForm, InquiryForm, ReplyForm
from app.listings.services import get_listing
from app.web import commit_or_flash, commit_or_show, paginate

bp = Blueprint("inquiries", __name__)


@bp.app_context_processor
def _inquiry_box():
    """For the achievement detail page: may the viewer ask, and their organization's live inquiry."""
    def inquiry_box(listing):
        if getattr(listing, "kind", None) != "achievement":
            return None
        return {"refusal": services.refusal(current_user, listing),
                "live": services.live_inquiry(getattr(current_user, "organization_id", None), listing.id)
                if perm.is_authenticated(current_user) else None,
                "is_owner": perm.owns(current_user, listing)}
    return {"inquiry_box": inquiry_box}




@bp.route("/achievements/<int:listing_id>/inquire", methods=["GET", "POST"])
@login_required
def create(listing_id: int):
    achievement = get_listing("achievement", listing_id)
    if not perm.can_view(current_user, achievement):
        return render_template("error.html", code=404, message="页面不存在"), 404
    reason = services.refusal(current_user, achievement)
    if reason:
        perm.require(False, reason)
    live = services.live_inquiry(current_user.organization_id, achievement.id)
    if live is not None:
        flash("贵单位已就该成果询价，请在原询价中继续沟通", "info")
        return redirect(url_for("inquiries.detail", inquiry_id=live.id))
    form = InquiryForm()
    if form.validate_on_submit():
        inq, ok = commit_or_show(form, lambda: services.create(current_user, achievement, form.message.data,
                                                               form.offered_price_yuan.data))
        if ok:
            flash("询价已发送，成果单位答复后会通知您", "success")
            return redirect(url_for("inquiries.detail", inquiry_id=inq.id))
    status = 400 if request.method == "POST" else 200
    return render_template("inquiries/form.html", form=form, achievement=achievement), status


@bp.route("/inquiries/<int:inquiry_id>")
@login_required
def detail(inquiry_id: int):
    inq = services.get_inquiry(inquiry_id)
    services.require_view(current_user, inq)
    from app.deals.services import is_certified_broker
    deal = services.deal_of(inq)
    return render_template(
        "inquiries/detail.html", inq=inq, a=inq.achievement, deal=deal, reply_form=ReplyForm(),
        decline_form=DeclineInquiryForm(), action_form=ActionForm(),
        is_owner=services.is_owner_side(current_user, inq), is_inquirer=services.is_inquirer(current_user, inq),
        is_bureau=perm.is_bureau(current_user), show_contacts=services.contacts_visible(current_user, inq),
        show_confidential=perm.can_see_confidential(current_user, inq.achievement)
        and services.contacts_visible(current_user, inq),
        can_convert=deal is None and inq.status == "accepted" and (
            perm.is_bureau(current_user) or is_certified_broker(current_user)
            or services.is_participant(current_user, inq)),
    )


def _back(inq):
    return redirect(url_for("inquiries.detail", inquiry_id=inq.id))


@bp.route("/inquiries/<int:inquiry_id>/reply", methods=["POST"])
@login_required
def reply(inquiry_id: int):
    inq = services.get_inquiry(inquiry_id)
    services.require_view(current_user, inq)
    form = ReplyForm()
    if not form.validate_on_submit():
        flash("；".join(e for errs in form.errors.values() for e in errs) or "请求已过期，请刷新页面后重试", "danger")
        return _back(inq)
    if commit_or_flash(lambda: services.reply(current_user, inq, form.body.data))[1]:
        flash("留言已发送", "success")
    return _back(inq)


@bp.route("/inquiries/<int:inquiry_id>/<any(accept, 'request-broker', 'to-deal'):action>", methods=["POST"])
@login_required
def act(inquiry_id: int, action: str):
    inq = services.get_inquiry(inquiry_id)
    services.require_view(current_user, inq)
    if not ActionForm().validate_on_submit():
        flash("请求已过期，请刷新页面后重试", "danger")
        return _back(inq)
    if action == "to-deal":
        deal, ok = commit_or_flash(lambda: services.to_deal(current_user, inq))
        if ok:
            flash("已转为对接项目", "success")
            return redirect(url_for("deals.detail", deal_id=deal.id))
        return _back(inq)
    call, msg = {"accept": (services.accept, "已接受询价，对方现在可以看到联系方式和保密信息"),
                 "request-broker": (services.request_broker, "已申请技术经纪人，科技局将安排经纪人协助")}[action]
    if commit_or_flash(lambda: call(current_user, inq))[1]:
        flash(msg, "success")
    return _back(inq)


@bp.route("/inquiries/<int:inquiry_id>/decline", methods=["POST"])
@login_required
def decline(inquiry_id: int):
    inq = services.get_inquiry(inquiry_id)
    services.require_view(current_user, inq)
    form = DeclineInquiryForm()
    if not form.validate_on_submit():
        flash("；".join(e for errs in form.errors.values() for e in errs) or "请求已过期，请刷新页面后重试", "danger")
        return _back(inq)
    if commit_or_flash(lambda: services.decline(current_user, inq, form.reason.data))[1]:
        flash("已婉拒该询价", "success")
    return _back(inq)


@bp.route("/my/inquiries")
@login_required
def mine():
    return render_template("inquiries/mine.html", sent=services.sent_by(current_user),
                           received=services.received_by(current_user))


@bp.route("/bureau/inquiries")
@login_required
def bureau_list():
    perm.require_bureau(current_user)
    broker_requested = request.args.get("broker") == "1"
    status = request.args.get("status") or None
    page = paginate(services.for_bureau_query(broker_requested, status))
    return render_template("inquiries/bureau.html", page=page,
                           broker_requested=broker_requested, status=status)
