"""Broker pages: apply / my profile (with open deals and next follow-ups); the bureau's review and training records."""
from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required
from sqlalchemy import select

from app.accounts import permissions as perm
from app.brokers import services
from app.brokers.forms import BrokerApplyForm, CertifyForm, DeclineForm, TrainingForm
from app.brokers.models import PROFILE_STATUSES
from app.deals import services as deals
from app.extensions import db
from app.reference import Industry
from app.web import commit_or_show

bp = Blueprint("brokers", __name__)


def _apply_form(**kw) -> BrokerApplyForm:
    form = BrokerApplyForm(**kw)
    form.industry_codes.choices = [(i.code, i.name) for i in db.session.scalars(
        select(Industry).order_by(Industry.sort_order))]
    return form


@bp.route("/broker/apply", methods=["GET", "POST"])
@login_required
def apply():
    profile = services.profile_of(current_user)
    if not services.can_apply(current_user):
        abort(403)
    editing = profile is not None and profile.certified
    data = None
    if request.method == "GET" and profile is not None:
        data = {"industry_codes": profile.industry_codes, "years_experience": profile.years_experience,
                "introduction": profile.introduction}
    form = _apply_form(data=data) if data else _apply_form()
    if form.validate_on_submit():
        save = services.update_profile if editing else services.apply
        if commit_or_show(form, lambda: save(current_user, form.data))[1]:
            flash("档案已更新" if editing else "申请已提交，等待科技局认证", "success")
            return redirect(url_for("brokers.profile"))
    return render_template("brokers/apply.html", form=form, profile=profile, editing=editing)


@bp.route("/broker/profile")
@login_required
def profile():
    p = services.profile_of(current_user)
    if p is None:
        if services.can_apply(current_user):
            return redirect(url_for("brokers.apply"))
        abort(404)
    open_deals = deals.open_deals_of_broker(current_user.id) if p.certified else []
    today = deals.local_today()
    follow_ups = [d for d in open_deals if d.next_follow_up is not None]
    return render_template("brokers/profile.html", p=p, open_deals=open_deals, follow_ups=follow_ups, today=today,
                           claimable=db.session.scalars(deals.deals_query(current_user, scope="claimable").limit(5)).all()
                           if p.certified else [])


@bp.route("/bureau/brokers")
@login_required
def review():
    perm.require_bureau(current_user)
    status = request.args.get("status", "pending")
    if status not in dict(PROFILE_STATUSES) and status != "all":
        status = "pending"
    profiles = services.profiles_for_review(None if status == "all" else status)
    return render_template("brokers/review.html", profiles=profiles, status=status, statuses=PROFILE_STATUSES,
                           trained=services.trained_broker_count(), target=services.TRAINED_BROKER_TARGET,
                           loads=deals.open_loads())


@bp.route("/bureau/brokers/<int:profile_id>", methods=["GET"])
@login_required
def review_detail(profile_id: int):
    perm.require_bureau(current_user)
    p = services.get_profile(profile_id)
    return render_template("brokers/review_detail.html", p=p, certify_form=CertifyForm(), decline_form=DeclineForm(),
                           training_form=TrainingForm(), open_deals=deals.open_deals_of_broker(p.user_id),
                           today=deals.local_today())


def _render_detail(p, **forms):
    kw = {"certify_form": CertifyForm(), "decline_form": DeclineForm(), "training_form": TrainingForm()}
    kw.update(forms)
    return render_template("brokers/review_detail.html", p=p, open_deals=deals.open_deals_of_broker(p.user_id),
                           today=deals.local_today(), **kw), 400


@bp.route("/bureau/brokers/<int:profile_id>/certify", methods=["POST"])
@login_required
def certify(profile_id: int):
    perm.require_bureau(current_user)
    p = services.get_profile(profile_id)
    form = CertifyForm()
    if not form.validate_on_submit():
        return _render_detail(p, certify_form=form)
    if not commit_or_show(form, lambda: services.certify(current_user, p, form.certificate_no.data, form.level.data))[1]:
        return _render_detail(p, certify_form=form)
    flash(f"已认证：{p.user.name}（证书编号{p.certificate_no}）", "success")
    return redirect(url_for("brokers.review_detail", profile_id=p.id))


@bp.route("/bureau/brokers/<int:profile_id>/decline", methods=["POST"])
@login_required
def decline(profile_id: int):
    perm.require_bureau(current_user)
    p = services.get_profile(profile_id)
    form = DeclineForm()
    if not form.validate_on_submit():
        return _render_detail(p, decline_form=form)
    if not commit_or_show(form, lambda: services.decline(current_user, p, form.reason.data))[1]:
        return _render_detail(p, decline_form=form)
    flash(f"已不予认证：{p.user.name}", "success")
    return redirect(url_for("brokers.review"))


@bp.route("/bureau/brokers/<int:profile_id>/trainings", methods=["POST"])
@login_required
def add_training(profile_id: int):
    perm.require_bureau(current_user)
    p = services.get_profile(profile_id)
    form = TrainingForm()
    if not form.validate_on_submit():
        return _render_detail(p, training_form=form)
    if not commit_or_show(form, lambda: services.add_training(current_user, p, form.data))[1]:
        return _render_detail(p, training_form=form)
    flash("培训记录已添加", "success")
    return redirect(url_for("brokers.review_detail", profile_id=p.id))
