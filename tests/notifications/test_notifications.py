"""notify(), the /notifications page (mark read, mark all read) and the unread badge in the layout."""
import re

from sqlalchemy import func, select

from app.extensions import db
from app.notifications import services
from app.notifications.models import Notification
from tests.conftest import csrf_token, login, make_user


def _unread(user) -> int:
    return db.session.scalar(select(func.count()).select_from(Notification).where(
        Notification.user_id == user.id, Notification.read_at.is_(None)))


def _badge(html: str) -> str | None:
    m = re.search(r'unread-badge">(\d+)<', html)
    return m.group(1) if m else None


def test_notify_accepts_users_and_ids_and_skips_duplicates_inactive_and_excluded():
    a, b, c = make_user("enterprise"), make_user("enterprise"), make_user("enterprise")
    c.active = False
    out = services.notify([a, a.id, b, None, c], "test_kind", "  有新的询价  ", "/inquiries/1", exclude=b)
    assert [n.user_id for n in out] == [a.id]
    assert out[0].message == "有新的询价" and out[0].url == "/inquiries/1" and out[0].read_at is None
    assert services.notify([], "x", "y") == [] and services.notify(None, "x", "y") == []
    assert len(services.notify(a, "single", "一个用户")) == 1


def test_badge_page_mark_read_and_mark_all(client):
    user = make_user("enterprise")
    other = make_user("enterprise")
    services.notify(user, "inquiry_reply", "询价「球阀」有新留言", "/inquiries/1")
    services.notify(user, "deal_stage", "对接项目进入洽谈", "/deals/1")
    services.notify(user, "deal_stage", "对接项目进入签约", "")
    services.notify(other, "deal_stage", "别人的通知", "/deals/2")
    db.session.flush()
    login(client, user)
    html = client.get("/").get_data(as_text=True)
    assert _badge(html) == "3"
    page = client.get("/notifications").get_data(as_text=True)
    assert "询价「球阀」有新留言" in page and "别人的通知" not in page
    first = db.session.scalars(select(Notification).where(Notification.user_id == user.id)
                               .order_by(Notification.id)).first()
    resp = client.post(f"/notifications/{first.id}/read", data={"csrf_token": csrf_token(client, "/login"), "go": "1"})
    assert resp.status_code == 302 and resp.headers["Location"].endswith("/inquiries/1")
    assert _unread(user) == 2
    assert _badge(client.get("/notifications").get_data(as_text=True)) == "2"
    assert "别人的通知" not in client.get("/notifications?show=unread").get_data(as_text=True)
    client.post("/notifications/read-all", data={"csrf_token": csrf_token(client, "/login")})
    assert _unread(user) == 0 and _unread(other) == 1
    assert _badge(client.get("/").get_data(as_text=True)) is None


def test_cannot_read_someone_elses_notification(client):
    user, other = make_user("enterprise"), make_user("enterprise")
    (n,) = services.notify(other, "deal_stage", "别人的通知", "/deals/2")
    db.session.flush()
    login(client, user)
    resp = client.post(f"/notifications/{n.id}/read", data={"csrf_token": csrf_token(client, "/login")})
    assert resp.status_code == 403
    assert _unread(other) == 1
    assert client.post("/notifications/999999/read", data={"csrf_token": csrf_token(client, "/login")}).status_code == 404


def test_anonymous_is_sent_to_login(client):
    resp = client.get("/notifications")
    assert resp.status_code == 302 and "/login" in resp.headers["Location"]


def test_open_redirect_refused(client):
    user = make_user("enterprise")
    (n,) = services.notify(user, "x", "外部链接", "//evil.example.com/")
    db.session.flush()
    login(client, user)
    resp = client.post(f"/notifications/{n.id}/read", data={"csrf_token": csrf_token(client, "/login"), "go": "1"})
    assert resp.status_code == 302 and "evil" not in resp.headers["Location"]
