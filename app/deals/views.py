"""Deal pages: the list (bureau: all with filters; broker: mine and claimable; parties: their organization's),
the detail with stage buttons, notes, follow-up date, broker assignment/claim and the log."""
from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required
from sqlalchemy.orm import selectinload

from app.accounts import permissions as perm
from app.accounts.models import User
from app.deals import services
from app.deals.forms import AdvanceForm, AssignForm, FollowUpForm, NoteForm
from app.deals.models import DEAL_STAGES, STAGE_LABELS, Deal
from app.extensions import db
from app.forms_common import ActionForm
from app.web import commit_or_flash, paginate

bp = Blueprint("deals", __name__)


@bp.app_context_processor
def _endpoints():
    # lets the deal page link to pages of domains that may not be installed (e.g. contracts)
    from flask import current_app
    return {"has_endpoint": lambda name: name in current_app.view_functions}



def _form_errors(form) -> str:
    return "；".join(e for errs in form.errors.values() for e in errs) or "请求已过期，请刷新页面后重试"


def _run(deal, fn, success: str):
    """Call a service, commit once; a refusal (409/400) is a flash message, 403/404 the error page."""
    if commit_or_flash(fn)[1]:
        flash(success, "success")
    return redirect(url_for("deals.detail", deal_id=deal.id))


@bp.route("/deals")
@login_required
def index():
    scope = request.args.get("scope", "mine")
    stage = request.args.get("stage") or None
    overdue = request.args.get("overdue") == "1"
    broker_id = request.args.get("broker", type=int)
    is_broker = services.is_certified_broker(current_user)
    if perm.is_bureau(current_user):
        scope = "all"
    elif scope != "claimable":
        scope = "mine"
    stmt = services.deals_query(current_user, stage=stage, broker_id=broker_id, overdue=overdue, scope=scope)
    # the rows' parties and broker with the page, not one query per row
    stmt = stmt.options(selectinload(Deal.buyer_org), selectinload(Deal.seller_org), selectinload(Deal.broker))
    page = paginate(stmt)
    brokers = []
    if perm.is_bureau(current_user):
        from app.brokers.services import certified_profiles
        brokers = [p.user for p in certified_profiles()]
    return render_template("deals/index.html", page=page, scope=scope, stage=stage, overdue=overdue,
                           broker_id=broker_id, brokers=brokers, stages=DEAL_STAGES, is_broker=is_broker,
                           today=services.local_today())


@bp.route("/deals/<int:deal_id>")
@login_required
def detail(deal_id: int):
    deal = services.get_deal(deal_id)
    services.require_view(current_user, deal)
    manage = services.can_manage(current_user, deal)
    suggestions, assign_form = [], None
    if perm.is_bureau(current_user) and deal.is_open:
        suggestions = services.suggest_brokers(deal, limit=5)
        assign_form = AssignForm()
        from app.brokers.services import certified_profiles
        assign_form.broker_id.choices = [(p.user_id, f"{p.user.name}（{p.level_label}）") for p in certified_profiles()]
    return render_template(
        "deals/detail.html", deal=deal, manage=manage, allowed=services.allowed_stages(current_user, deal),
        stage_labels=STAGE_LABELS, pipeline=[s for s, _ in DEAL_STAGES if s != "terminated"],
        can_claim=services.can_claim(current_user, deal), suggestions=suggestions, assign_form=assign_form,
        advance_form=AdvanceForm(), note_form=NoteForm(), follow_up_form=FollowUpForm(), action_form=ActionForm(),
        # the parties' contact details follow the listing rule: only the bureau sees them here
        show_contacts=perm.is_bureau(current_user), today=services.local_today(),
    )


@bp.route("/deals/<int:deal_id>/advance", methods=["POST"])
@login_required
def advance(deal_id: int):
    deal = services.get_deal(deal_id)
    services.require_view(current_user, deal)
    form = AdvanceForm()
    if not form.validate_on_submit():
        flash(_form_errors(form), "danger")
        return redirect(url_for("deals.detail", deal_id=deal.id))
    to = form.to_stage.data
    return _run(deal, lambda: services.advance(current_user, deal, to, note=form.note.data or "",
                                               reason=form.reason.data),
                f"项目已进入“{STAGE_LABELS.get(to, to)}”阶段" if to != "terminated" else "项目已终止")


@bp.route("/deals/<int:deal_id>/note", methods=["POST"])
@login_required
def note(deal_id: int):
    deal = services.get_deal(deal_id)
    services.require_view(current_user, deal)
    form = NoteForm()
    if not form.validate_on_submit():
        flash(_form_errors(form), "danger")
        return redirect(url_for("deals.detail", deal_id=deal.id))
    return _run(deal, lambda: services.add_note(current_user, deal, form.note.data), "跟进记录已保存")


@bp.route("/deals/<int:deal_id>/follow-up", methods=["POST"])
@login_required
def follow_up(deal_id: int):
    deal = services.get_deal(deal_id)
    services.require_view(current_user, deal)
    form = FollowUpForm()
    if not form.validate_on_submit():
        flash(_form_errors(form), "danger")
        return redirect(url_for("deals.detail", deal_id=deal.id))
    return _run(deal, lambda: services.set_follow_up(current_user, deal, form.next_follow_up.data, form.note.data),
                "下次跟进日期已设定")


@bp.route("/deals/<int:deal_id>/assign", methods=["POST"])
@login_required
def assign(deal_id: int):
    deal = services.get_deal(deal_id)
    services.require_view(current_user, deal)
    perm.require_bureau(current_user)
    broker_id = request.form.get("broker_id", type=int)
    if not ActionForm().validate_on_submit() or broker_id is None:
        flash("请选择经纪人", "danger")
        return redirect(url_for("deals.detail", deal_id=deal.id))
    broker = db.session.get(User, broker_id)  # the service accepts certified brokers only
    return _run(deal, lambda: services.assign_broker(current_user, deal, broker), "已指派经纪人")


@bp.route("/deals/<int:deal_id>/claim", methods=["POST"])
@login_required
def claim(deal_id: int):
    deal = services.get_deal(deal_id)
    services.require_view(current_user, deal)
    if not ActionForm().validate_on_submit():
        flash("请求已过期，请刷新页面后重试", "danger")
        return redirect(url_for("deals.detail", deal_id=deal.id))
    return _run(deal, lambda: services.claim(current_user, deal), "已认领该项目")
