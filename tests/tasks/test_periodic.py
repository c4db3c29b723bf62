"""Periodic upkeep run through the Celery tasks (eager here; the integration tests use a real worker)."""
from datetime import timedelta

from sqlalchemy import select

from app.extensions import db
from app.mail.models import OutboxEmail
from app.models_base import utcnow
from app.notifications.models import Notification
from app.notifications.services import notify
from tests.conftest import csrf_token, login, make_listing, make_user


def _run(app, name):
    return app.extensions["celery"].tasks[name].apply().get()


def test_stale_listing_reminded_then_hidden_then_confirmed(app, client):
    owner = make_user("enterprise")
    need = make_listing("need", owner, "approved", title="很久没确认的需求")
    need.published_at = utcnow() - timedelta(days=160)  # past the reminder (5 months), not yet 6
    db.session.flush()
    assert _run(app, "listings.expire_stale") == {"reminded": 1, "hidden": 0}
    assert _run(app, "listings.expire_stale") == {"reminded": 0, "hidden": 0}  # one reminder per spell
    assert db.session.scalar(select(Notification).where(Notification.user_id == owner.id,
                                                        Notification.kind == "listing_stale"))
    need.published_at = utcnow() - timedelta(days=200)
    db.session.flush()
    assert _run(app, "listings.expire_stale") == {"reminded": 0, "hidden": 1}
    assert app.test_client().get(f"/needs/{need.id}").status_code == 404
    assert "很久没确认的需求" not in app.test_client().get("/needs").get_data(as_text=True)
    # the owner confirms: public again, clock restarted
    login(client, owner)
    resp = client.post(f"/needs/{need.id}/confirm", data={"csrf_token": csrf_token(client, "/")})
    assert resp.status_code == 302
    db.session.refresh(need)
    assert need.hidden_stale_at is None and need.confirmed_at is not None
    assert app.test_client().get(f"/needs/{need.id}").status_code == 200
    assert _run(app, "listings.expire_stale") == {"reminded": 0, "hidden": 0}


def test_only_owner_confirms(client):
    need = make_listing("need", status="approved")
    login(client, make_user("enterprise"))
    assert client.post(f"/needs/{need.id}/confirm", data={"csrf_token": csrf_token(client, "/")}).status_code == 403


def test_notification_mail_goes_to_the_dev_outbox_once(app, client):
    user = make_user("enterprise", email="boss@ouyue.cn")
    notify(user, "test", "您的需求有新的询价", "/needs/1")
    db.session.flush()
    first = _run(app, "mail.send_pending")
    assert first["queued"] == 1 and first["outbox"] == 1
    again = _run(app, "mail.send_pending")
    assert again["queued"] == 0 and again["outbox"] == 0
    mail = db.session.scalar(select(OutboxEmail).where(OutboxEmail.to_address == "boss@ouyue.cn"))
    assert mail.status == "outbox" and "您的需求有新的询价" in mail.body
    login(client, make_user("bureau"))
    assert "boss@ouyue.cn" in client.get("/bureau/outbox").get_data(as_text=True)


def test_mail_sent_by_smtp_when_configured(app, monkeypatch):
    sent = []

    class FakeSMTP:  # the SMTP server is outside the platform; its protocol is smtplib's business
        def __init__(self, host, port, timeout):
            self.host = host

        def __enter__(self):
            return self

        def __exit__(self, *exc):
            return False

        def send_message(self, msg):
            sent.append((msg["To"], msg["Subject"], msg.get_content()))

    monkeypatch.setattr("smtplib.SMTP", FakeSMTP)
    monkeypatch.setitem(app.config, "MAIL_SERVER", "smtp.example.cn")
    user = make_user("university", email="prof@wzu.edu.cn")
    notify(user, "test", "询价已被接受", "/inquiries/3")
    db.session.flush()
    out = _run(app, "mail.send_pending")
    assert out["sent"] == 1 and sent[0][0] == "prof@wzu.edu.cn" and "询价已被接受" in sent[0][2]
    assert db.session.scalar(select(OutboxEmail).where(OutboxEmail.to_address == "prof@wzu.edu.cn")).status == "sent"


def test_periodic_tasks_registered_in_beat(app):
    celery = app.extensions["celery"]
    names = {e["task"] for e in celery.conf.beat_schedule.values()}
    assert {"stats.recompute", "auctions.close_due", "deals.mark_overdue", "listings.expire_stale",
            "mail.send_pending", "matching.rebuild_index"} <= names
    assert names <= set(celery.tasks)
