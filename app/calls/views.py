"""Pages of 揭榜挂帅 calls. Thin: load → check access in the service → service → one commit."""
from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required
from sqlalchemy import select

from app.accounts import permissions as perm
from app.accounts.models import Organization
from app.calls import services
from app.calls.forms import ApplicationForm, CallForm, CloseForm, SelectForm
from app.calls.models import CallLog
from app.errors import DomainError
from app.extensions import db
from app.listings import services as listings
from app.models_base import utcnow
from app.reference import Industry
from app.timeutil import from_local
from app.web import commit_or_flash, commit_or_show, field_errors_to_form, paginate_rows

bp = Blueprint("calls", __name__)


def _errors(form) -> str:
    return "；".join(e for errs in form.errors.values() for e in errs) or "请求已过期，请刷新页面后重试"


@bp.route("/calls")
def index():
    now = utcnow()
    show = request.args.get("show", "open")
    rows = services.past_calls(now) if show == "past" else services.open_calls(now)
    return render_template("calls/index.html", calls=rows, show="past" if show == "past" else "open", now=now,
                           phase=services.phase, phase_labels=services.PHASE_LABELS)


@bp.route("/calls/unsolved")
@login_required
def unsolved():
    """The unsolved needs (no good match): where a call usually starts."""
    perm.require_bureau(current_user)
    from app.calls.models import ChallengeCall
    from app.matches.services import unsolved_needs_query
    with_call = set(db.session.scalars(select(ChallengeCall.need_id).where(ChallengeCall.need_id.is_not(None))))
    return render_template("calls/unsolved.html", page=paginate_rows(unsolved_needs_query()), with_call=with_call)


@bp.route("/calls/new", methods=["GET", "POST"])
@login_required
def create():
    perm.require_bureau(current_user)
    need_id = request.args.get("need_id", type=int)
    need = listings.get_listing("need", need_id) if need_id else None
    form = CallForm()
    form.industry_code.choices = [("", "请选择")] + [
        (i.code, i.name) for i in db.session.scalars(select(Industry).order_by(Industry.sort_order))]
    if need is not None:
        form.owner_org_id.choices = [(need.organization_id, need.organization.name)]
    else:
        form.owner_org_id.choices = [(0, "请选择")] + [
            (o.id, o.name) for o in db.session.scalars(select(Organization).where(
                Organization.kind == "enterprise", Organization.verified_at.is_not(None)).order_by(Organization.name))]
    if request.method == "GET" and need is not None:
        form.title.data = need.title
        form.industry_code.data = need.industry_code
        form.problem.data = need.description
        form.reward_yuan.data = need.budget_yuan
        form.owner_org_id.data = need.organization_id
    if form.validate_on_submit():
        data = dict(form.data)
        data["deadline"] = from_local(data["deadline"])
        try:
            call = services.publish(current_user, data, need=need)
            db.session.commit()
        except DomainError as err:
            db.session.rollback()
            field_errors_to_form(form, err)
        else:
            flash("榜单已发布", "success")
            return redirect(url_for("calls.detail", call_id=call.id))
    return render_template("calls/form.html", form=form, need=need)


@bp.route("/calls/<int:call_id>")
def detail(call_id: int):
    call = services.get_call(call_id)
    now = utcnow()
    see_apps = services.can_see_applications(current_user, call)
    mine = (services.application_of(call, current_user.organization_id)
            if current_user.is_authenticated and not perm.is_bureau(current_user) else None)
    logs = db.session.scalars(select(CallLog).where(CallLog.call_id == call.id).order_by(CallLog.id)).all()
    return render_template(
        "calls/detail.html", call=call, now=now, phase=services.phase(call, now), phase_labels=services.PHASE_LABELS,
        see_apps=see_apps, can_decide=services.can_decide(current_user, call), mine=mine,
        eligibility_error=services.eligibility_error(current_user, call), logs=logs,
        application_form=ApplicationForm(), select_form=SelectForm(), close_form=CloseForm(),
        n_applications=len(call.applications))


@bp.route("/calls/<int:call_id>/apply", methods=["GET", "POST"])
@login_required
def apply(call_id: int):
    call = services.get_call(call_id)
    form = ApplicationForm()
    if form.validate_on_submit():
        if commit_or_show(form, lambda: services.apply(current_user, call_id, form.data))[1]:
            flash("揭榜申请已提交，发榜单位和科技局评审后会通知您", "success")
            return redirect(url_for("calls.detail", call_id=call_id))
    return render_template("calls/apply.html", call=call, form=form)


@bp.route("/calls/<int:call_id>/select", methods=["POST"])
@login_required
def select_application(call_id: int):
    form = SelectForm()
    if not form.validate_on_submit():
        flash(_errors(form), "danger")
        return redirect(url_for("calls.detail", call_id=call_id))
    deal, ok = commit_or_flash(lambda: services.select_application(
        current_user, call_id, form.application_id.data, form.note.data), conflict_category="danger")
    if not ok:
        return redirect(url_for("calls.detail", call_id=call_id))
    flash(f"已选定揭榜方并建立对接项目（编号{deal.id}）", "success")
    return redirect(url_for("calls.detail", call_id=call_id))


@bp.route("/calls/<int:call_id>/close", methods=["POST"])
@login_required
def close(call_id: int):
    form = CloseForm()
    if not form.validate_on_submit():
        flash(_errors(form), "danger")
        return redirect(url_for("calls.detail", call_id=call_id))
    if not commit_or_flash(lambda: services.close_without_award(current_user, call_id, form.reason.data),
                           conflict_category="danger")[1]:
        return redirect(url_for("calls.detail", call_id=call_id))
    flash("榜单已关闭（未选定揭榜方），原因已记录", "success")
    return redirect(url_for("calls.detail", call_id=call_id))
