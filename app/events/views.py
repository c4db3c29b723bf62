"""Pages of matchmaking events. Thin: load → check access in the service → service → one commit."""
from flask import Blueprint, Response, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required
from sqlalchemy import select

from app.accounts import permissions as perm
from app.errors import DomainError
from app.events import figures, services
from app.events.agenda import agenda_workbook
from app.events.forms import (
    AddPairForm,
    CancelEventForm,
    DealFromPairForm,
    EventForm,
    OutcomeForm,
    RegisterForm,
)
from app.events.models import EventLog
from app.extensions import db
from app.forms_common import ActionForm
from app.models_base import utcnow
from app.reference import Industry
from app.timeutil import from_local
from app.web import commit_or_flash, field_errors_to_form

bp = Blueprint("events", __name__)


def _errors(form) -> str:
    return "；".join(e for errs in form.errors.values() for e in errs) or "请求已过期，请刷新页面后重试"


@bp.route("/events")
def index():
    now = utcnow()
    past = services.past(now)
    return render_template("events/index.html", upcoming=services.upcoming(now),
                           past=[(e, figures.event_figures(e)) for e in past], now=now, phase=services.phase,
                           phase_labels=services.PHASE_LABELS)


@bp.route("/events/new", methods=["GET", "POST"])
@login_required
def create():
    perm.require_bureau(current_user)
    form = EventForm()
    form.industry_code.choices = [("", "请选择")] + [
        (i.code, i.name) for i in db.session.scalars(select(Industry).order_by(Industry.sort_order))]
    if form.validate_on_submit():
        data = dict(form.data)
        for f in ("starts_at", "ends_at", "registration_deadline"):
            data[f] = from_local(data[f])
        try:
            event = services.create(current_user, data)
            db.session.commit()
        except DomainError as err:
            db.session.rollback()
            field_errors_to_form(form, err)
        else:
            flash("活动已创建。下一步：查看系统推荐的需求、成果和对接组合，选择并邀请。", "success")
            return redirect(url_for("events.propose", event_id=event.id))
    return render_template("events/form.html", form=form)


@bp.route("/events/<int:event_id>")
def detail(event_id: int):
    event = services.get_event(event_id)
    now = utcnow()
    is_bureau = perm.is_bureau(current_user)
    my_reg = services.registration_of(event, current_user.organization_id) if current_user.is_authenticated else None
    logs = []
    add_pair_form = None
    if is_bureau:
        logs = db.session.scalars(select(EventLog).where(EventLog.event_id == event.id).order_by(EventLog.id)).all()
        add_pair_form = AddPairForm()
        add_pair_form.need_id.choices = [(i.need.id, f"{i.need.title}（{i.need.organization.name}）")
                                         for i in event.items if i.listing_kind == "need"]
        add_pair_form.achievement_id.choices = [(i.achievement.id, f"{i.achievement.title}（{i.achievement.organization.name}）")
                                                for i in event.items if i.listing_kind == "achievement"]
    return render_template(
        "events/detail.html", event=event, now=now, phase=services.phase(event, now),
        phase_labels=services.PHASE_LABELS, is_bureau=is_bureau, my_reg=my_reg,
        can_register=services.can_register(current_user), can_agenda=services.can_download_agenda(current_user, event),
        fig=figures.event_figures(event), logs=logs, register_form=RegisterForm(), outcome_form=OutcomeForm(),
        deal_form=DealFromPairForm(), cancel_form=CancelEventForm(), add_pair_form=add_pair_form,
        action_form=ActionForm())


@bp.route("/events/<int:event_id>/propose")
@login_required
def propose(event_id: int):
    perm.require_bureau(current_user)
    event = services.get_event(event_id)
    return render_template("events/propose.html", event=event, proposals=services.propose(event),
                           action_form=ActionForm())


@bp.route("/events/<int:event_id>/invite", methods=["POST"])
@login_required
def invite(event_id: int):
    perm.require_bureau(current_user)
    event = services.get_event(event_id)
    if not ActionForm().validate_on_submit():
        flash("请求已过期，请刷新页面后重试", "danger")
        return redirect(url_for("events.propose", event_id=event_id))
    try:
        added = services.invite(current_user, event, request.form.getlist("listing"), request.form.getlist("pair"))
        db.session.commit()
    except DomainError as err:
        db.session.rollback()
        flash(err.message, "danger")
        return redirect(url_for("events.propose", event_id=event_id))
    flash(f"已邀请：新增路演/发布{added['listings']}项、对接组合{added['pairs']}组，相关单位已收到通知", "success")
    return redirect(url_for("events.detail", event_id=event_id))


@bp.route("/events/<int:event_id>/register", methods=["POST"])
@login_required
def register(event_id: int):
    form = RegisterForm()
    target = redirect(url_for("events.detail", event_id=event_id))
    if not form.validate_on_submit():
        flash(_errors(form), "danger")
        return target
    if not commit_or_flash(lambda: services.register(current_user, event_id, form.attendees.data,
                                                     form.contact.data), conflict_category="danger")[1]:
        return target
    flash("报名成功，可下载活动议程", "success")
    return target


@bp.route("/events/<int:event_id>/agenda.xlsx")
@login_required
def agenda(event_id: int):
    event = services.get_event(event_id)
    perm.require(services.can_download_agenda(current_user, event), "报名或受邀单位及科技局可以下载议程")
    data = agenda_workbook(event)
    resp = Response(data, mimetype="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
    resp.headers["Content-Disposition"] = f"attachment; filename=event-{event.id}-agenda.xlsx"
    return resp


@bp.route("/events/<int:event_id>/pairs/<int:pair_id>/outcome", methods=["POST"])
@login_required
def outcome(event_id: int, pair_id: int):
    perm.require_bureau(current_user)
    event = services.get_event(event_id)
    pair = services.get_pair(event, pair_id)
    form = OutcomeForm()
    if form.validate_on_submit():
        try:
            services.record_outcome(current_user, pair, form.outcome.data, form.note.data)
            db.session.commit()
            flash("对接结果已记录", "success")
        except DomainError as err:
            db.session.rollback()
            flash(err.message, "danger")
    else:
        flash(_errors(form), "danger")
    return redirect(url_for("events.detail", event_id=event_id, _anchor="pairs"))


@bp.route("/events/<int:event_id>/pairs/<int:pair_id>/deal", methods=["POST"])
@login_required
def open_deal(event_id: int, pair_id: int):
    perm.require_bureau(current_user)
    event = services.get_event(event_id)
    pair = services.get_pair(event, pair_id)
    form = DealFromPairForm()
    if not form.validate_on_submit():
        flash(_errors(form), "danger")
        return redirect(url_for("events.detail", event_id=event_id, _anchor="pairs"))
    try:
        deal = services.open_deal_from_pair(current_user, pair, form.note.data)
        db.session.commit()
    except DomainError as err:
        db.session.rollback()
        flash(err.message, "danger")
        return redirect(url_for("events.detail", event_id=event_id, _anchor="pairs"))
    flash(f"已建立对接项目（编号{deal.id}），请指派技术经纪人跟进", "success")
    return redirect(f"/deals/{deal.id}")


@bp.route("/events/<int:event_id>/pairs", methods=["POST"])
@login_required
def add_pair(event_id: int):
    perm.require_bureau(current_user)
    event = services.get_event(event_id)
    form = AddPairForm()
    form.need_id.choices = [(i.need_id, "") for i in event.items if i.listing_kind == "need"]
    form.achievement_id.choices = [(i.achievement_id, "") for i in event.items if i.listing_kind == "achievement"]
    if form.validate_on_submit():
        try:
            services.add_pair(current_user, event, form.need_id.data, form.achievement_id.data)
            db.session.commit()
            flash("已加入对接组合", "success")
        except DomainError as err:
            db.session.rollback()
            flash(err.message, "danger")
    else:
        flash(_errors(form), "danger")
    return redirect(url_for("events.detail", event_id=event_id, _anchor="pairs"))


@bp.route("/events/<int:event_id>/finish", methods=["POST"])
@login_required
def finish(event_id: int):
    perm.require_bureau(current_user)
    event = services.get_event(event_id)
    if not ActionForm().validate_on_submit():
        abort(400)
    try:
        ids = [int(x) for x in request.form.getlist("attended")]
    except ValueError:
        abort(400)
    try:
        came = services.finish(current_user, event, ids)
        db.session.commit()
    except DomainError as err:
        db.session.rollback()
        flash(err.message, "danger")
    else:
        flash(f"活动已结束，出席{came}家单位", "success")
    return redirect(url_for("events.detail", event_id=event_id))


@bp.route("/events/<int:event_id>/cancel", methods=["POST"])
@login_required
def cancel(event_id: int):
    perm.require_bureau(current_user)
    event = services.get_event(event_id)
    form = CancelEventForm()
    if form.validate_on_submit():
        try:
            services.cancel(current_user, event, form.reason.data)
            db.session.commit()
            flash("活动已取消，已通知报名和受邀单位", "success")
        except DomainError as err:
            db.session.rollback()
            flash(err.message, "danger")
    else:
        flash(_errors(form), "danger")
    return redirect(url_for("events.detail", event_id=event_id))


@bp.route("/bureau/activities")
@login_required
def activity_figures():
    """Events held, attendance, outcomes per event, and registered contract volume from events and calls."""
    perm.require_bureau(current_user)
    year = request.args.get("year", type=int)
    from app.calls import services as calls
    return render_template("events/figures.html", summary=figures.events_summary(year), year=year,
                           volume=figures.activity_contract_volume(year), calls=calls.calls_summary())

