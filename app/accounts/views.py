from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required, login_user, logout_user
from sqlalchemy import or_, select
from sqlalchemy.orm import selectinload

from app.accounts import services
from app.accounts.forms import LoginForm, PasswordChangeForm, RegisterForm
from app.accounts.models import Organization
from app.accounts.permissions import require_bureau
from app.errors import DomainError
from app.extensions import db
from app.forms_common import ActionForm
from app.reference import Industry, Town
from app.web import field_errors_to_form, paginate, safe_next

bp = Blueprint("accounts", __name__)


@bp.route("/login", methods=["GET", "POST"])
def login():
    form = LoginForm()
    if form.validate_on_submit():
        try:
            user = services.authenticate(form.email.data, form.password.data)
        except services.LockedOut as err:
            db.session.commit()  # keep the audit record
            flash(err.message, "danger")
            return render_template("accounts/login.html", form=form), 429
        if user is None:
            db.session.commit()  # the failed attempt is recorded: it counts toward the lockout
            flash("邮箱或密码不正确", "danger")
        else:
            db.session.commit()
            login_user(user, remember=form.remember.data)
            flash(f"欢迎回来，{user.name}", "success")
            return redirect(safe_next("listings.mine" if not user.is_bureau else "listings.review_queue"))
    return render_template("accounts/login.html", form=form)


@bp.route("/logout", methods=["POST"])
def logout():
    ActionForm().validate_on_submit()  # CSRF only; logging out twice is harmless
    if current_user.is_authenticated:
        from app.audit import services as audit
        audit.record("logout", actor=current_user, subject=current_user.email)
        db.session.commit()
    logout_user()
    flash("您已退出登录", "info")
    return redirect(url_for("home.index"))


def _ref_choices(model, blank: str):
    return [("", blank)] + [(r.code, r.name) for r in db.session.scalars(select(model).order_by(model.sort_order))]


@bp.route("/register", methods=["GET", "POST"])
def register():
    form = RegisterForm()
    form.town_code.choices = _ref_choices(Town, "县外单位 / 不适用")
    form.industry_code.choices = _ref_choices(Industry, "请选择")
    if form.validate_on_submit():
        try:
            user = services.register(form.data)
            db.session.commit()
        except DomainError as err:
            db.session.rollback()
            field_errors_to_form(form, err)
        else:
            login_user(user)
            flash("注册成功。单位信息须经科技局认证后，发布的信息才能公开。", "success")
            return redirect(url_for("listings.mine"))
    return render_template("accounts/register.html", form=form)


@bp.route("/account/password", methods=["GET", "POST"])
@login_required
def password():
    form = PasswordChangeForm()
    if form.validate_on_submit():
        try:
            services.change_password(current_user, form.current.data, form.password.data)
            db.session.commit()
        except DomainError as err:
            db.session.rollback()
            field_errors_to_form(form, err)
        else:
            # the new password's stamp: this session stays signed in, every other one is signed out
            login_user(current_user._get_current_object())
            flash("密码已修改，其他设备上的登录已失效", "success")
            return redirect(url_for("listings.mine"))
    return render_template("accounts/password.html", form=form)


@bp.route("/bureau/organizations")
@login_required
def organizations():
    require_bureau(current_user)
    show = request.args.get("show", "unverified")
    q = (request.args.get("q") or "").strip()[:100]
    stmt = (select(Organization).where(Organization.kind != "government")
            .order_by(Organization.created_at.desc(), Organization.id.desc())
            .options(selectinload(Organization.town)))
    if show == "unverified":
        stmt = stmt.where(Organization.verified_at.is_(None))
    if q:  # the county's units by name or credit code, a page at a time (% and _ typed are plain characters)
        stmt = stmt.where(or_(Organization.name.icontains(q, autoescape=True),
                              Organization.credit_code.icontains(q, autoescape=True)))
    page = paginate(stmt)
    return render_template("accounts/organizations.html", page=page, show=show, q=q, form=ActionForm())


@bp.route("/bureau/organizations/<int:org_id>/verify", methods=["POST"])
@login_required
def verify(org_id: int):
    require_bureau(current_user)
    form = ActionForm()
    org = db.get_or_404(Organization, org_id)
    if form.validate_on_submit():
        try:
            services.verify_organization(current_user, org)
            db.session.commit()
            flash(f"已认证：{org.name}", "success")
        except DomainError as err:
            db.session.rollback()
            flash(err.message, "warning")
    return redirect(url_for("accounts.organizations"))
