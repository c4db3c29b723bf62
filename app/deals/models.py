"""Deal (对接项目) and its log (DealEvent)."""
from datetime import date, datetime

from sqlalchemy import CheckConstraint, Date, DateTime, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.accounts.models import _in
from app.extensions import db
from app.models_base import TimestampMixin, utcnow

# design.md §3: intent → negotiating → signed → registered → completed; terminated from any open stage.
DEAL_STAGES: list[tuple[str, str]] = [
    ("intent", "意向"),
    ("negotiating", "洽谈"),
    ("signed", "签约"),
    ("registered", "登记"),
    ("completed", "完成"),
    ("terminated", "终止"),
]
STAGE_LABELS = dict(DEAL_STAGES)
PIPELINE = ["intent", "negotiating", "signed", "registered", "completed"]
OPEN_STAGES = ("intent", "negotiating", "signed", "registered")
CLOSED_STAGES = ("completed", "terminated")

DEAL_SOURCES: list[tuple[str, str]] = [
    ("match", "智能匹配"),
    ("inquiry", "询价"),
    ("auction", "竞价拍卖"),
    ("event", "对接活动"),
    ("call", "揭榜挂帅"),
    ("direct", "直接登记"),
]
SOURCE_LABELS = dict(DEAL_SOURCES)

EVENT_KINDS: list[tuple[str, str]] = [
    ("open", "创建项目"),
    ("stage", "阶段变更"),
    ("note", "跟进记录"),
    ("assign", "指派经纪人"),
    ("claim", "经纪人认领"),
    ("follow_up", "设定下次跟进"),
    ("overdue", "跟进逾期"),
]
EVENT_LABELS = dict(EVENT_KINDS)


class Deal(TimestampMixin, db.Model):
    __tablename__ = "deals"
    __table_args__ = (
        CheckConstraint(_in("stage", [s for s, _ in DEAL_STAGES]), name="stage"),
        CheckConstraint(_in("source", [s for s, _ in DEAL_SOURCES]), name="source"),
        CheckConstraint("buyer_org_id <> seller_org_id", name="parties_differ"),
        CheckConstraint("stage <> 'terminated' OR length(terminate_reason) > 0", name="terminate_reason"),
        # one deal per match / inquiry / auction: opening twice (e.g. closing an auction twice) cannot duplicate
        UniqueConstraint("source", "source_id", name="uq_deals_source"),
        Index("ix_deals_stage_follow_up", "stage", "next_follow_up"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    need_id: Mapped[int | None] = mapped_column(ForeignKey("needs.id"), index=True)
    achievement_id: Mapped[int | None] = mapped_column(ForeignKey("achievements.id"), index=True)
    buyer_org_id: Mapped[int] = mapped_column(ForeignKey("organizations.id"), index=True)
    seller_org_id: Mapped[int] = mapped_column(ForeignKey("organizations.id"), index=True)
    broker_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), index=True)
    source: Mapped[str] = mapped_column(String(16), index=True)
    source_id: Mapped[int | None] = mapped_column()
    stage: Mapped[str] = mapped_column(String(16), default="intent", index=True)
    terminate_reason: Mapped[str] = mapped_column(Text, default="")
    next_follow_up: Mapped[date | None] = mapped_column(Date, index=True)
    # the follow-up date whose lapse was already notified: one notification per deal per overdue spell
    overdue_notified_for: Mapped[date | None] = mapped_column(Date)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    closed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))

    need = relationship("Need")
    achievement = relationship("Achievement")
    buyer_org = relationship("Organization", foreign_keys=[buyer_org_id])
    seller_org = relationship("Organization", foreign_keys=[seller_org_id])
    broker = relationship("User", foreign_keys=[broker_id])
    created_by = relationship("User", foreign_keys=[created_by_id])
    events: Mapped[list["DealEvent"]] = relationship(back_populates="deal", order_by="DealEvent.id")

    @property
    def title(self) -> str:
        if self.achievement is not None and self.need is not None:
            return f"{self.need.title} × {self.achievement.title}"
        if self.achievement is not None:
            return self.achievement.title
        if self.need is not None:
            return self.need.title
        return f"{self.buyer_org.name} × {self.seller_org.name}"

    @property
    def industry_code(self) -> str | None:
        listing = self.achievement or self.need
        return listing.industry_code if listing is not None else None

    @property
    def stage_label(self) -> str:
        return STAGE_LABELS.get(self.stage, self.stage)

    @property
    def source_label(self) -> str:
        return SOURCE_LABELS.get(self.source, self.source)

    @property
    def is_open(self) -> bool:
        return self.stage in OPEN_STAGES

    def is_overdue(self, today: date | None = None) -> bool:
        from app.deals.services import local_today
        today = today or local_today()
        return self.is_open and self.next_follow_up is not None and self.next_follow_up < today


class DealEvent(db.Model):
    """One line of a deal's log: who, when, what (stage from → to, or a note)."""

    __tablename__ = "deal_events"
    __table_args__ = (
        CheckConstraint(_in("kind", [k for k, _ in EVENT_KINDS]), name="kind"),
        CheckConstraint(f"from_stage IS NULL OR {_in('from_stage', [s for s, _ in DEAL_STAGES])}", name="from_stage"),
        CheckConstraint(f"to_stage IS NULL OR {_in('to_stage', [s for s, _ in DEAL_STAGES])}", name="to_stage"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    deal_id: Mapped[int] = mapped_column(ForeignKey("deals.id"), index=True)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))  # None: the platform (a periodic task)
    kind: Mapped[str] = mapped_column(String(16))
    from_stage: Mapped[str | None] = mapped_column(String(16))
    to_stage: Mapped[str | None] = mapped_column(String(16))
    note: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)

    deal: Mapped[Deal] = relationship(back_populates="events")
    actor = relationship("User")

    @property
    def kind_label(self) -> str:
        return EVENT_LABELS.get(self.kind, self.kind)

    @property
    def from_label(self) -> str:
        return STAGE_LABELS.get(self.from_stage or "", "")

    @property
    def to_label(self) -> str:
        return STAGE_LABELS.get(self.to_stage or "", "")
