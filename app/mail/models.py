from datetime import datetime

from sqlalchemy import CheckConstraint, DateTime, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from app.accounts.models import _in
from app.extensions import db
from app.models_base import utcnow

MAIL_STATUSES = [("queued", "待发送"), ("sent", "已发送"), ("outbox", "已存入开发发件箱"), ("failed", "发送失败")]


class OutboxEmail(db.Model):
    __tablename__ = "outbox_emails"
    __table_args__ = (CheckConstraint(_in("status", [s for s, _ in MAIL_STATUSES]), name="status"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    to_address: Mapped[str] = mapped_column(String(120), index=True)
    subject: Mapped[str] = mapped_column(String(200))
    body: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(16), default="queued", index=True)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    error: Mapped[str] = mapped_column(Text, default="")
    notification_id: Mapped[int | None] = mapped_column(ForeignKey("notifications.id"), unique=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow, index=True)
    sent_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
