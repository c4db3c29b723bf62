"""notify(users, kind, message, url): the one way any domain tells people that something needs their action.

Call it inside the request's transaction (it only adds rows; the caller commits). `users` may be User objects or
user ids, in any iterable (duplicates and None are dropped); inactive users are skipped.
"""
from collections.abc import Iterable

from sqlalchemy import func, select, update

from app import pagecache
from app.accounts.models import User
from app.errors import NotFound, PermissionDenied
from app.extensions import db
from app.models_base import utcnow
from app.notifications.models import Notification

MESSAGE_MAX = 500


def _user_ids(users) -> list[int]:
    if users is None:
        return []
    if isinstance(users, (User, int)):
        users = [users]
    ids: list[int] = []
    for u in users:
        uid = u if isinstance(u, int) else getattr(u, "id", None)
        if uid is not None and uid not in ids:
            ids.append(uid)
    return ids


def notify(users: Iterable | User | int | None, kind: str, message: str, url: str = "",
           exclude: Iterable | User | int | None = None) -> list[Notification]:
    """Add one unread notification per (active) user. `exclude`: e.g. the actor, who needs no message about it."""
    skip = set(_user_ids(exclude))
    ids = [i for i in _user_ids(users) if i not in skip]
    if not ids:
        return []
    active = set(db.session.scalars(select(User.id).where(User.id.in_(ids), User.active.is_(True))))
    message = (message or "").strip()[:MESSAGE_MAX]
    out = []
    for uid in ids:
        if uid in active:
            n = Notification(user_id=uid, kind=kind[:32], message=message, url=(url or "")[:500], created_at=utcnow())
            db.session.add(n)
            out.append(n)
    return out


def org_members(org_id: int | None) -> list[User]:
    """Active users of an organization (the people who act for it)."""
    if org_id is None:
        return []
    return list(db.session.scalars(select(User).where(User.organization_id == org_id, User.active.is_(True))
                                   .order_by(User.id)))


def bureau_staff() -> list[User]:
    """Bureau reviewers; administrators only when there is no reviewer."""
    staff = list(db.session.scalars(select(User).where(User.role == "bureau", User.active.is_(True)).order_by(User.id)))
    if not staff:
        staff = list(db.session.scalars(select(User).where(User.role == "admin", User.active.is_(True))
                                        .order_by(User.id)))
    return staff


def unread_count(user) -> int:
    """The menu's badge on every page: kept per user while no notification changes anywhere (the "notifications"
    generation, read afresh each request: a new or read message shows on the next page)."""
    if user is None or not getattr(user, "is_authenticated", False):
        return 0
    generation = pagecache.generation_now("notifications")
    kept = pagecache.kept("unread_notifications", 10_000) if generation is not None else None
    if kept is not None and (n := kept.get(generation, user.id)) is not None:
        return n
    n = db.session.scalar(select(func.count()).select_from(Notification)
                          .where(Notification.user_id == user.id, Notification.read_at.is_(None))) or 0
    if kept is not None:
        kept.put(generation, user.id, n)
    return n


def for_user(user, only_unread: bool = False, limit: int = 200) -> list[Notification]:
    stmt = select(Notification).where(Notification.user_id == user.id)
    if only_unread:
        stmt = stmt.where(Notification.read_at.is_(None))
    return list(db.session.scalars(stmt.order_by(Notification.created_at.desc(), Notification.id.desc()).limit(limit)))


def get_own(user, notification_id: int) -> Notification:
    n = db.session.get(Notification, notification_id)
    if n is None:
        raise NotFound("未找到该通知")
    if n.user_id != user.id:
        raise PermissionDenied("只能查看发给自己的通知")
    return n


def mark_read(user, notification: Notification) -> None:
    if notification.user_id != user.id:
        raise PermissionDenied("只能查看发给自己的通知")
    if notification.read_at is None:
        notification.read_at = utcnow()


def mark_all_read(user) -> int:
    result = db.session.execute(update(Notification)
                                .where(Notification.user_id == user.id, Notification.read_at.is_(None))
                                .values(read_at=utcnow()))
    return result.rowcount or 0
