"""/notifications: list, mark one read (and follow its link), mark all read (the unread badge in the layout: app/pageshell.py)."""
from flask import Blueprint, redirect, render_template, request, url_for
from flask_login import current_user, login_required

from app.extensions import db
from app.forms_common import ActionForm
from app.notifications import services
from app.web import safe_next

bp = Blueprint("notifications", __name__)


@bp.route("/notifications")
@login_required
def index():
    only_unread = request.args.get("show") == "unread"
    items = services.for_user(current_user, only_unread=only_unread)
    return render_template("notifications/index.html", items=items, only_unread=only_unread, form=ActionForm(),
                           unread=services.unread_count(current_user))


@bp.route("/notifications/<int:notification_id>/read", methods=["POST"])
@login_required
def read(notification_id: int):
    n = services.get_own(current_user, notification_id)
    if ActionForm().validate_on_submit():
        services.mark_read(current_user, n)
        db.session.commit()
        if request.form.get("go") and n.url.startswith("/") and not n.url.startswith("//"):
            return redirect(n.url)
    return redirect(safe_next("notifications.index"))


@bp.route("/notifications/read-all", methods=["POST"])
@login_required
def read_all():
    if ActionForm().validate_on_submit():
        services.mark_all_read(current_user)
        db.session.commit()
    return redirect(url_for("notifications.index"))
