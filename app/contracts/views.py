"""Contract pages: my contracts, record, detail with version history, edit/resubmit, correct, and the bureau's
registration queue (register / return). Thin: load → check access → service → one commit."""
from flask import Blueprint, flash, jsonify, redirect, render_template, request, url_for
from flask_login import current_user, login_required
from sqlalchemy import or_, select
from sqlalchemy.orm import selectinload

from app.accounts import permissions as perm
from app.contracts import lookup, services
from app.contracts.forms import ContractForm, CorrectionForm, ReturnForm
from app.contracts.models import CONTRACT_ACTION_LABELS, CONTRACT_STATUSES, Contract
from app.errors import DomainError
from app.extensions import db
from app.forms_common import ActionForm
from app.web import field_errors_to_form, paginate

bp = Blueprint("contracts", __name__)

# the states a current version can be in (a superseded one is never the latest)
LIST_STATUSES = {code: label for code, label in CONTRACT_STATUSES if code != "superseded"}


def _choices(form: ContractForm, user, contract: Contract | None = None) -> None:
    """The short lists (the user's open deals, certified brokers); parties and achievement are pickers backed by
    the lookups below, since a county market holds thousands of units and 100,000 listings."""
    from app.deals.models import OPEN_STAGES, Deal
    # a deal's label is its need's and achievement's titles, or its parties' names: loaded with the deals
    stmt = select(Deal).order_by(Deal.id.desc()).limit(300).options(
        selectinload(Deal.need), selectinload(Deal.achievement), selectinload(Deal.buyer_org),
        selectinload(Deal.seller_org))
    if not perm.is_bureau(user):
        conds = [Deal.broker_id == user.id]
        if user.organization_id is not None:
            conds += [Deal.buyer_org_id == user.organization_id, Deal.seller_org_id == user.organization_id]
        stmt = stmt.where(or_(*conds))
    keep = contract.deal_id if contract is not None else None
    deals = [d for d in db.session.scalars(stmt) if d.stage in OPEN_STAGES or d.id == keep]
    form.deal_id.choices = [("", "不关联")] + [(d.id, f"#{d.id} {d.title}（{d.stage_label}）") for d in deals]

    from app.brokers.services import certified_profiles
    brokers = sorted((p.user for p in certified_profiles() if p.user.active), key=lambda u: u.name)
    form.broker_id.choices = [("", "无")] + [(b.id, b.name) for b in brokers]


def _values(c: Contract) -> dict:
    values = {f: getattr(c, f) for f in (
        "title", "contract_type", "contract_amount_yuan", "tech_amount_yuan", "signed_on", "deal_id",
        "achievement_id", "broker_id")}
    for side in ("buyer", "seller"):
        values[f"{side}_org_id"] = getattr(c, f"{side}_org_id")
        if values[f"{side}_org_id"] is None:
            for f in ("name", "credit_code", "region"):
                values[f"{side}_{f}"] = getattr(c, f"{side}_{f}")
    values["patent_numbers"] = "、".join(p.number for p in c.patents)
    return values


def _prefill_from_deal(form: ContractForm, deal_id) -> None:
    from app.deals.models import Deal
    deal = db.session.get(Deal, deal_id) if isinstance(deal_id, int) else None
    if deal is None or not services.can_link_deal(current_user, deal):
        return
    form.deal_id.data = deal.id
    form.buyer_org_id.data, form.seller_org_id.data = deal.buyer_org_id, deal.seller_org_id
    form.achievement_id.data = deal.achievement_id
    form.broker_id.data = deal.broker_id
    form.title.data = f"{deal.title} 技术合同"[:200]


@bp.route("/contracts")
@login_required
def index():
    # filter by state (an unknown value shows everything rather than an empty list)
    status = request.args.get("status", "")
    status = status if status in LIST_STATUSES else ""
    page = paginate(services.contracts_query(current_user, status))
    return render_template("contracts/index.html", page=page, status=status, statuses=LIST_STATUSES,
                           can_record=services.can_record(current_user))


@bp.route("/contracts/new", methods=["GET", "POST"])
@login_required
def create():
    perm.require(services.can_record(current_user), "只有合同当事方、技术经纪人或科技局可以录入技术合同")
    form = ContractForm()
    _choices(form, current_user)
    if request.method == "GET" and request.args.get("deal_id", "").isdigit():
        _prefill_from_deal(form, int(request.args["deal_id"]))
    if form.validate_on_submit():
        try:
            c = services.record(current_user, form.data)
            db.session.commit()
        except DomainError as err:
            db.session.rollback()
            field_errors_to_form(form, err)
        else:
            flash("合同已录入，等待科技局认定登记", "success")
            return redirect(url_for("contracts.detail", contract_id=c.id))
    return render_template("contracts/form.html", form=form, contract=None, mode="new")


def _lookup(items):
    """JSON for the form's pickers (static/js/picker.js): up to lookup.LIMIT {id, label} matching ?q=."""
    if not perm.is_authenticated(current_user):
        return jsonify(error="请先登录"), 401
    if not services.can_record(current_user):
        return jsonify(error="只有合同当事方、技术经纪人或科技局可以录入技术合同"), 403
    resp = jsonify(items=items(request.args.get("q", "")))
    resp.headers["Cache-Control"] = "no-store"
    return resp


@bp.route("/contracts/lookup/achievements")
def lookup_achievements():
    return _lookup(lookup.achievement_items)


@bp.route("/contracts/lookup/organizations")
def lookup_organizations():
    return _lookup(lookup.organization_items)


@bp.route("/contracts/<int:contract_id>")
@login_required
def detail(contract_id: int):
    c = services.get_contract(contract_id)
    services.require_view(current_user, c)
    versions = services.family(c)
    return render_template(
        "contracts/detail.html", c=c, versions=versions, events=services.family_events(c),
        latest=versions[-1], pending=services.pending_correction(c), action_labels=CONTRACT_ACTION_LABELS,
        can_manage=services.can_manage(current_user, c), is_bureau=perm.is_bureau(current_user),
        action_form=ActionForm(), return_form=ReturnForm())


@bp.route("/contracts/<int:contract_id>/edit", methods=["GET", "POST"])
@login_required
def edit(contract_id: int):
    c = services.get_contract(contract_id)
    services.require_view(current_user, c)
    perm.require(services.can_manage(current_user, c), "只有录入人、技术经纪人或合同当事方可以修改该合同")
    if not c.editable:
        flash("已登记的合同不能修改；如需更正，请提交更正版本" if c.status == "registered"
              else "该版本已被更正，不能修改", "warning")
        return redirect(url_for("contracts.detail", contract_id=c.id))
    form = ContractForm(data=_values(c)) if request.method == "GET" else ContractForm()
    _choices(form, current_user, c)
    if form.validate_on_submit():
        try:
            action = services.update(current_user, c, form.data)
            db.session.commit()
        except DomainError as err:
            db.session.rollback()
            field_errors_to_form(form, err)
        else:
            flash("已修改并重新提交登记" if action == "resubmit" else "已保存", "success")
            return redirect(url_for("contracts.detail", contract_id=c.id))
    return render_template("contracts/form.html", form=form, contract=c, mode="edit")


@bp.route("/contracts/<int:contract_id>/correct", methods=["GET", "POST"])
@login_required
def correct(contract_id: int):
    c = services.get_contract(contract_id)
    services.require_view(current_user, c)
    perm.require(services.can_manage(current_user, c), "只有录入人、技术经纪人或合同当事方可以提交更正")
    if c.status != "registered":
        flash("只有当前有效的已登记版本可以提交更正", "warning")
        return redirect(url_for("contracts.detail", contract_id=c.id))
    form = CorrectionForm(data=_values(c)) if request.method == "GET" else CorrectionForm()
    _choices(form, current_user, c)
    if form.validate_on_submit():
        try:
            new = services.correct(current_user, c, form.data, form.correction_reason.data)
            db.session.commit()
        except DomainError as err:
            db.session.rollback()
            field_errors_to_form(form, err)
        else:
            flash(f"更正已提交（第{new.version}版），登记前原登记版本仍然有效", "success")
            return redirect(url_for("contracts.detail", contract_id=new.id))
    return render_template("contracts/form.html", form=form, contract=c, mode="correct")


@bp.route("/contracts/<int:contract_id>/register", methods=["POST"])
@login_required
def register(contract_id: int):
    c = services.get_contract(contract_id)
    perm.require_bureau(current_user)
    if not ActionForm().validate_on_submit():
        flash("请求已过期，请刷新页面后重试", "danger")
        return redirect(url_for("contracts.detail", contract_id=c.id))
    try:
        services.register(current_user, c)
        db.session.commit()
    except DomainError as err:
        db.session.rollback()
        flash(err.message, "warning")
    else:
        flash(f"已登记，登记号 {c.registration_number}", "success")
        from app import signals
        signals.contract_registered.send(c.id, actor_id=current_user.id)
    return redirect(url_for("contracts.queue") if request.form.get("from") == "queue"
                    else url_for("contracts.detail", contract_id=c.id))


@bp.route("/contracts/<int:contract_id>/return", methods=["POST"])
@login_required
def return_(contract_id: int):
    c = services.get_contract(contract_id)
    perm.require_bureau(current_user)
    form = ReturnForm()
    if not form.validate_on_submit():
        flash(form.reason.errors[0] if form.reason.errors else "请求已过期，请刷新页面后重试", "danger")
        return redirect(url_for("contracts.detail", contract_id=c.id))
    try:
        services.return_(current_user, c, form.reason.data)
        db.session.commit()
    except DomainError as err:
        db.session.rollback()
        flash(err.message, "warning")
    else:
        flash("已退回", "success")
    return redirect(url_for("contracts.queue") if request.form.get("from") == "queue"
                    else url_for("contracts.detail", contract_id=c.id))


@bp.route("/bureau/contracts")
@login_required
def queue():
    perm.require_bureau(current_user)
    from app.timeutil import local_today
    year = request.args.get("year", type=int) or local_today().year
    return render_template("contracts/queue.html", items=services.registration_queue(),
                           totals=services.contract_totals(year), year=year, action_form=ActionForm())


@bp.app_context_processor
def _deal_contracts():
    """For the deal page's contract box (templates/contracts/_deal_box.html, included by the deals domain)."""
    def deal_contracts(deal) -> list[Contract]:
        rows = db.session.scalars(select(Contract).where(Contract.deal_id == deal.id).order_by(Contract.id)).all()
        corrected = {r.supersedes_id for r in rows if r.supersedes_id}
        return [r for r in rows if r.id not in corrected and services.can_view(current_user, r)]
    return {"deal_contracts": deal_contracts}
