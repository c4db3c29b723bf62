"""Inquiry (询价) about an approved achievement and its message thread."""
from datetime import datetime

from sqlalchemy import BigInteger, CheckConstraint, DateTime, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.accounts.models import _in
from app.extensions import db
from app.listings.models import MAX_MONEY_YUAN
from app.models_base import TimestampMixin, utcnow

INQUIRY_STATUSES: list[tuple[str, str]] = [
    ("open", "待答复"),
    ("accepted", "已接受"),
    ("declined", "已婉拒"),
]


class Inquiry(TimestampMixin, db.Model):
    __tablename__ = "inquiries"
    __table_args__ = (
        CheckConstraint(_in("status", [s for s, _ in INQUIRY_STATUSES]), name="status"),
        CheckConstraint(f"offered_price_yuan IS NULL OR (offered_price_yuan >= 0 AND offered_price_yuan <= {MAX_MONEY_YUAN})",
                        name="price_range"),
        CheckConstraint("length(message) > 0", name="message_not_empty"),
        Index("ix_inquiries_achievement_org", "achievement_id", "enterprise_org_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    achievement_id: Mapped[int] = mapped_column(ForeignKey("achievements.id"), index=True)
    enterprise_org_id: Mapped[int] = mapped_column(ForeignKey("organizations.id"), index=True)
    created_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    message: Mapped[str] = mapped_column(Text)
    offered_price_yuan: Mapped[int | None] = mapped_column(BigInteger)  # None = 面议
    status: Mapped[str] = mapped_column(String(16), default="open", index=True)
    decline_reason: Mapped[str] = mapped_column(Text, default="")
    decided_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    # either side may ask the bureau for a broker; the flag shows in the bureau's list
    broker_requested_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), index=True)
    broker_requested_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))

    achievement = relationship("Achievement")
    enterprise_org = relationship("Organization")
    created_by = relationship("User", foreign_keys=[created_by_id])
    decided_by = relationship("User", foreign_keys=[decided_by_id])
    broker_requested_by = relationship("User", foreign_keys=[broker_requested_by_id])
    messages: Mapped[list["InquiryMessage"]] = relationship(back_populates="inquiry", order_by="InquiryMessage.id")

    @property
    def status_label(self) -> str:
        return dict(INQUIRY_STATUSES).get(self.status, self.status)

    @property
    def owner_org_id(self) -> int:
        return self.achievement.organization_id


class InquiryMessage(db.Model):
    __tablename__ = "inquiry_messages"
    __table_args__ = (CheckConstraint("length(body) > 0", name="body_not_empty"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    inquiry_id: Mapped[int] = mapped_column(ForeignKey("inquiries.id"), index=True)
    author_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    body: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)

    inquiry: Mapped[Inquiry] = relationship(back_populates="messages")
    author = relationship("User")
