from flask import Blueprint, render_template
from flask_login import current_user, login_required

from app.accounts.permissions import require_bureau
from app.mail import services
from app.mail.models import MAIL_STATUSES

bp = Blueprint("mail", __name__)


@bp.route("/bureau/outbox")
@login_required
def outbox():
    """The development outbox: every e-mail the platform sent or would have sent."""
    require_bureau(current_user)
    return render_template("mail/outbox.html", emails=services.outbox(), labels=dict(MAIL_STATUSES))
