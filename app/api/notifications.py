"""The caller's notifications (app/notifications/services.py)."""
from marshmallow import fields

from app.api import schemas as s
from app.api.auth import require_token, user
from app.api.blueprint import Blueprint
from app.api.fields import UtcDateTime
from app.extensions import db
from app.notifications import services

blp = Blueprint("api_notifications", __name__, url_prefix="/api/v1/notifications", description="我的消息通知")


class NotificationOut(s.Schema):
    id = fields.Integer(required=True)
    kind = fields.String(required=True)
    message = fields.String(required=True)
    url = fields.String(required=True, metadata={"description": "相关网页的路径"})
    read_at = UtcDateTime(required=True, allow_none=True)
    created_at = UtcDateTime(required=True)


class NotificationPage(s.PageMeta):
    items = fields.List(fields.Nested(NotificationOut), required=True)
    unread = fields.Integer(required=True)


class NotificationArgs(s.PageArgs):
    unread = fields.Boolean(load_default=False, metadata={"description": "true：只看未读"})


class MarkedOut(s.Schema):
    marked = fields.Integer(required=True)


@blp.route("", endpoint="list", methods=["GET"])
@blp.doc(summary="我的通知，新的在前")
@require_token
@blp.arguments(NotificationArgs, location="query", as_kwargs=True)
@blp.response(200, NotificationPage)
def list_(page, per_page, unread):
    from sqlalchemy import select

    from app.notifications.models import Notification
    stmt = select(Notification).where(Notification.user_id == user().id)
    if unread:
        stmt = stmt.where(Notification.read_at.is_(None))
    stmt = stmt.order_by(Notification.created_at.desc(), Notification.id.desc())  # as services.for_user
    return {**s.paginate(stmt, page, per_page), "unread": services.unread_count(user())}


@blp.route("/<int(max=2147483647):notification_id>/read", endpoint="read", methods=["POST"])
@blp.doc(summary="标为已读")
@require_token
@blp.response(200, NotificationOut)
def read(notification_id):
    n = services.get_own(user(), notification_id)
    services.mark_read(user(), n)
    db.session.commit()
    return n


@blp.route("/read-all", endpoint="read_all", methods=["POST"])
@blp.doc(summary="全部标为已读")
@require_token
@blp.response(200, MarkedOut)
def read_all():
    n = services.mark_all_read(user())
    db.session.commit()
    return {"marked": n}


def blueprints():
    return [blp]
