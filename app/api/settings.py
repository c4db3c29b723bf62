"""The settings page where a user creates and revokes personal API tokens (/account/tokens)."""
from flask import Blueprint, flash, make_response, redirect, render_template, url_for
from flask_login import current_user, login_required
from wtforms import StringField
from wtforms.validators import DataRequired, Length

from app.api import tokens
from app.errors import DomainError
from app.extensions import db
from app.forms_common import ActionForm, Form, no_control_chars
from app.web import field_errors_to_form

bp = Blueprint("api_tokens", __name__)


class TokenForm(Form):
    name = StringField("令牌名称", validators=[DataRequired(message="请填写令牌名称"),
                                           Length(max=tokens.NAME_MAX, message="名称不能超过50个字"), no_control_chars],
                       description="用途，例如“高校成果同步”“统计分析脚本”")


def _page(form, secret=None, new_token=None, status=200):
    resp = make_response(render_template("accounts/tokens.html", form=form, tokens=tokens.active_tokens(current_user),
                                         secret=secret, new_token=new_token, action_form=ActionForm()), status)
    resp.headers["Cache-Control"] = "no-store"  # the page may carry a secret shown once
    return resp


@bp.route("/account/tokens", methods=["GET", "POST"])
@login_required
def index():
    form = TokenForm()
    if form.validate_on_submit():
        try:
            token, secret = tokens.create(current_user, form.name.data)
            db.session.commit()
        except DomainError as err:
            db.session.rollback()
            field_errors_to_form(form, err)
        else:
            # rendered, not redirected: a flash would carry the secret in the session cookie
            return _page(TokenForm(formdata=None), secret=secret, new_token=token)
    return _page(form)


@bp.route("/account/tokens/<int:token_id>/revoke", methods=["POST"])
@login_required
def revoke(token_id: int):
    if ActionForm().validate_on_submit():
        try:
            token = tokens.revoke(current_user, token_id)
            db.session.commit()
            flash(f"已吊销令牌“{token.name}”，使用它的程序将无法再访问", "success")
        except DomainError as err:
            db.session.rollback()
            flash(err.message, "warning")
    return redirect(url_for("api_tokens.index"))
