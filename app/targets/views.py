"""/bureau/targets: progress toward each 专栏13 target, and the bureau's records behind three of them."""
from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from app.accounts import permissions as perm
from app.accounts.models import Organization
from app.extensions import db
from app.listings.models import Patent
from app.targets import services
from app.targets.forms import AgencyForm, IndustrializationForm, MajorPatentForm
from app.targets.models import MajorPatentSelection, PatentIndustrialization, ServiceAgencyCertification
from app.timeutil import local_today
from app.web import commit_or_show

bp = Blueprint("targets", __name__)


def _agency_choices(form: AgencyForm) -> None:
    orgs = db.session.scalars(select(Organization).where(Organization.kind == "service_agency",
                                                         Organization.verified_at.is_not(None))
                              .order_by(Organization.name)).all()
    form.organization_id.choices = [("", "请选择")] + [(o.id, o.name) for o in orgs]


def _page(ind_form=None, agency_form=None, major_form=None, status=200):
    year = request.args.get("year", type=int) or local_today().year
    agency_form = agency_form or AgencyForm(year=local_today().year)
    _agency_choices(agency_form)
    return render_template(
        "targets/index.html", rows=services.progress(year), year=year,
        ind_form=ind_form or IndustrializationForm(), agency_form=agency_form,
        major_form=major_form or MajorPatentForm(year=local_today().year),
        # each record with its patent and organization in the same round (the lists grow toward the plan's 200)
        industrialized=db.session.scalars(
            select(PatentIndustrialization).order_by(PatentIndustrialization.industrialized_on.desc())
            .options(selectinload(PatentIndustrialization.patent).selectinload(Patent.organization))).all(),
        agencies=db.session.scalars(
            select(ServiceAgencyCertification).order_by(ServiceAgencyCertification.year.desc())
            .options(selectinload(ServiceAgencyCertification.organization))).all(),
        majors=db.session.scalars(
            select(MajorPatentSelection).order_by(MajorPatentSelection.year.desc())
            .options(selectinload(MajorPatentSelection.patent).selectinload(Patent.organization))).all(),
        claims=services.unverified_claims()), status


@bp.route("/bureau/targets")
@login_required
def index():
    perm.require_bureau(current_user)
    return _page()


@bp.route("/bureau/targets/industrialized", methods=["POST"])
@login_required
def industrialized():
    perm.require_bureau(current_user)
    form = IndustrializationForm()
    if form.validate_on_submit():
        rec, ok = commit_or_show(form, lambda: services.record_industrialization(
            current_user, form.patent_number.data, form.evidence.data, form.industrialized_on.data))
        if ok:
            flash(f"已登记专利 {rec.patent.number} 产业化", "success")
            return redirect(url_for("targets.index"))
    return _page(ind_form=form, status=200)


@bp.route("/bureau/targets/agencies", methods=["POST"])
@login_required
def agencies():
    perm.require_bureau(current_user)
    form = AgencyForm()
    _agency_choices(form)
    if form.validate_on_submit():
        rec, ok = commit_or_show(form, lambda: services.certify_agency(
            current_user, form.organization_id.data, form.year.data, form.note.data))
        if ok:
            flash(f"已认定 {rec.organization.name} 为{rec.year}年度优秀科技服务机构", "success")
            return redirect(url_for("targets.index"))
    return _page(agency_form=form, status=200)


@bp.route("/bureau/targets/major-patents", methods=["POST"])
@login_required
def major_patents():
    perm.require_bureau(current_user)
    form = MajorPatentForm()
    if form.validate_on_submit():
        rec, ok = commit_or_show(form, lambda: services.select_major_patent(
            current_user, form.patent_number.data, form.year.data, form.citation.data))
        if ok:
            flash(f"专利 {rec.patent.number} 已入选{rec.year}年度重大贡献发明专利", "success")
            return redirect(url_for("targets.index"))
    return _page(major_form=form, status=200)
