from flask import Blueprint, render_template, request
from flask_login import current_user, login_required

from app.accounts.permissions import require_bureau
from app.audit import services

bp = Blueprint("audit", __name__)


@bp.route("/bureau/audit")
@login_required
def index():
    require_bureau(current_user)
    action = request.args.get("action") or None
    if action not in services.ACTION_LABELS:
        action = None
    return render_template("audit/index.html", events=services.recent(action), action=action,
                           labels=services.ACTION_LABELS)
