"""E-mail for notifications: queued in the outbox, sent by SMTP when MAIL_SERVER is set, otherwise kept in the
outbox (status 'outbox') where the bureau can read it — the development default."""
import smtplib
from datetime import timedelta
from email.message import EmailMessage

from flask import current_app, has_request_context, request
from sqlalchemy import select

from app.accounts.models import User
from app.extensions import db
from app.mail.models import OutboxEmail
from app.models_base import utcnow
from app.notifications.models import Notification

MAX_ATTEMPTS = 5
LOOKBACK = timedelta(days=7)  # notifications older than this are not mailed (e.g. after a long outage)


def queue_notification_emails() -> int:
    """One outbox e-mail per new notification (unique per notification: safe to run again)."""
    rows = db.session.execute(
        select(Notification, User.email).join(User, User.id == Notification.user_id)
        .outerjoin(OutboxEmail, OutboxEmail.notification_id == Notification.id)
        .where(OutboxEmail.id.is_(None), Notification.created_at >= utcnow() - LOOKBACK,
               Notification.read_at.is_(None))
        .order_by(Notification.id).limit(500)).all()
    for n, email in rows:
        link = _absolute(n.url)
        db.session.add(OutboxEmail(
            to_address=email, subject="【永嘉科技大市场】" + n.message[:60], notification_id=n.id,
            body=f"{n.message}\n\n{link}\n\n——永嘉科技大市场（此邮件由系统自动发送）"))
    db.session.commit()
    return len(rows)


def _absolute(path: str) -> str:
    base = current_app.config.get("SITE_URL") or (request.host_url.rstrip("/") if has_request_context() else "")
    return f"{base}{path}" if path.startswith("/") else path


def send_pending() -> dict:
    queued = queue_notification_emails()
    out = {"queued": queued, "sent": 0, "outbox": 0, "failed": 0}
    server = current_app.config.get("MAIL_SERVER")
    pending = db.session.scalars(select(OutboxEmail).where(OutboxEmail.status == "queued")
                                 .order_by(OutboxEmail.id).limit(200)).all()
    if not pending:
        return out
    if not server:
        for m in pending:
            m.status = "outbox"
            out["outbox"] += 1
        db.session.commit()
        return out
    cfg = current_app.config
    with smtplib.SMTP(server, cfg["MAIL_PORT"], timeout=20) as smtp:
        if cfg.get("MAIL_USE_TLS"):
            smtp.starttls()
        if cfg.get("MAIL_USERNAME"):
            smtp.login(cfg["MAIL_USERNAME"], cfg["MAIL_PASSWORD"] or "")
        for m in pending:
            msg = EmailMessage()
            msg["From"], msg["To"], msg["Subject"] = cfg["MAIL_SENDER"], m.to_address, m.subject
            msg.set_content(m.body)
            m.attempts += 1
            try:
                smtp.send_message(msg)
            except smtplib.SMTPException as err:
                m.error = str(err)[:1000]
                m.status = "failed" if m.attempts >= MAX_ATTEMPTS else "queued"
                out["failed"] += 1
            else:
                m.status, m.sent_at, m.error = "sent", utcnow(), ""
                out["sent"] += 1
            db.session.commit()  # each message once, even if a later one fails
    return out


def outbox(limit: int = 200):
    return db.session.scalars(select(OutboxEmail).order_by(OutboxEmail.id.desc()).limit(limit)).all()



