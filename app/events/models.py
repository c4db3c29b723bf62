"""供需对接会 / 专场: a matchmaking event run by the bureau, the listings it puts on stage, the pairs it puts in one room,
the organizations that register, and the event's log.

States: scheduled (published, registration open until the deadline) → finished (held; attendance recorded) or
cancelled (with a reason). `registered_count` is the capacity guard: it only moves through one conditional UPDATE
(`registered_count < capacity`), and a CHECK keeps it within capacity, so concurrent registrations cannot overbook.
Pairs: pending → no_interest / intent; → deal_opened only by opening a deal (source "event", source_id = pair id).
"""
from datetime import datetime

from sqlalchemy import (
    JSON,
    Boolean,
    CheckConstraint,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.accounts.models import _in
from app.extensions import db
from app.models_base import TimestampMixin, utcnow
from app.reference import codes, label

EVENT_STATUSES = [("scheduled", "报名中"), ("finished", "已举办"), ("cancelled", "已取消")]
PAIR_OUTCOMES = [("pending", "待记录"), ("no_interest", "无意向"), ("intent", "有合作意向"), ("deal_opened", "已建立对接项目")]
REGISTRATION_STATUSES = [("registered", "已报名")]
LISTING_KINDS = [("need", "技术需求"), ("achievement", "科技成果")]
MAX_CAPACITY = 2000

EVENT_ACTIONS = {
    "create": "创建活动", "invite": "邀请参会", "pair": "加入对接组合", "register": "单位报名",
    "outcome": "记录对接结果", "deal": "建立对接项目", "finish": "活动结束并记录出席", "cancel": "取消活动",
}


class MatchmakingEvent(TimestampMixin, db.Model):
    __tablename__ = "matchmaking_events"
    __table_args__ = (
        CheckConstraint(_in("status", codes(EVENT_STATUSES)), name="status"),
        CheckConstraint("ends_at > starts_at", name="ends_after_start"),
        CheckConstraint("registration_deadline <= starts_at", name="deadline_before_start"),
        CheckConstraint(f"capacity > 0 AND capacity <= {MAX_CAPACITY}", name="capacity_range"),
        CheckConstraint("registered_count >= 0 AND registered_count <= capacity", name="registered_within_capacity"),
        CheckConstraint("length(venue) > 0 OR length(online_url) > 0", name="has_place"),
        CheckConstraint("status <> 'cancelled' OR length(cancel_reason) > 0", name="cancel_reason"),
        CheckConstraint("length(title) > 0", name="title_not_empty"),
        Index("ix_matchmaking_events_status_starts_at", "status", "starts_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(String(100))
    industry_code: Mapped[str] = mapped_column(ForeignKey("industries.code"), index=True)
    # words that narrow the focus inside the industry (e.g. 阀门、密封、泵); used to rank the proposals
    focus_keywords: Mapped[str] = mapped_column(String(200), default="")
    description: Mapped[str] = mapped_column(Text, default="")
    starts_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    ends_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    venue: Mapped[str] = mapped_column(String(200), default="")
    online_url: Mapped[str] = mapped_column(String(300), default="")
    capacity: Mapped[int] = mapped_column(Integer)
    registration_deadline: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    registered_count: Mapped[int] = mapped_column(Integer, default=0)
    status: Mapped[str] = mapped_column(String(16), default="scheduled", index=True)
    cancel_reason: Mapped[str] = mapped_column(Text, default="")
    finished_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    created_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))

    industry = relationship("Industry")
    created_by = relationship("User")
    items: Mapped[list["EventListing"]] = relationship(back_populates="event", order_by="EventListing.roadshow_order")
    pairs: Mapped[list["EventPair"]] = relationship(back_populates="event", order_by="EventPair.id")
    registrations: Mapped[list["EventRegistration"]] = relationship(back_populates="event",
                                                                    order_by="EventRegistration.id")

    @property
    def status_label(self) -> str:
        return label(EVENT_STATUSES, self.status)

    @property
    def seats_left(self) -> int:
        return max(self.capacity - self.registered_count, 0)

    @property
    def keyword_list(self) -> list[str]:
        return [k for k in self.focus_keywords.split("、") if k]


class EventListing(db.Model):
    """A need or achievement the bureau put on the event's programme (路演/发布), in roadshow order."""

    __tablename__ = "event_listings"
    __table_args__ = (
        CheckConstraint(_in("listing_kind", codes(LISTING_KINDS)), name="listing_kind"),
        CheckConstraint("(listing_kind = 'need' AND need_id IS NOT NULL AND achievement_id IS NULL) OR "
                        "(listing_kind = 'achievement' AND achievement_id IS NOT NULL AND need_id IS NULL)",
                        name="one_listing"),
        CheckConstraint("roadshow_order > 0", name="order_positive"),
        UniqueConstraint("event_id", "need_id", name="uq_event_listings_need"),
        UniqueConstraint("event_id", "achievement_id", name="uq_event_listings_achievement"),
        UniqueConstraint("event_id", "roadshow_order", name="uq_event_listings_order"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("matchmaking_events.id"), index=True)
    listing_kind: Mapped[str] = mapped_column(String(16))
    need_id: Mapped[int | None] = mapped_column(ForeignKey("needs.id"), index=True)
    achievement_id: Mapped[int | None] = mapped_column(ForeignKey("achievements.id"), index=True)
    organization_id: Mapped[int] = mapped_column(ForeignKey("organizations.id"), index=True)
    roadshow_order: Mapped[int] = mapped_column(Integer)
    invited_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    invited_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))

    event: Mapped[MatchmakingEvent] = relationship(back_populates="items")
    need = relationship("Need")
    achievement = relationship("Achievement")
    organization = relationship("Organization")

    @property
    def listing(self):
        return self.need if self.listing_kind == "need" else self.achievement

    @property
    def kind_label(self) -> str:
        return label(LISTING_KINDS, self.listing_kind)


class EventPair(db.Model):
    """A need × achievement the bureau puts in the same room, and what came of it."""

    __tablename__ = "event_pairs"
    __table_args__ = (
        CheckConstraint(_in("outcome", codes(PAIR_OUTCOMES)), name="outcome"),
        CheckConstraint("(outcome = 'deal_opened') = (deal_id IS NOT NULL)", name="deal_iff_opened"),
        UniqueConstraint("event_id", "need_id", "achievement_id", name="uq_event_pairs_pair"),
        Index("ix_event_pairs_event_outcome", "event_id", "outcome"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("matchmaking_events.id"), index=True)
    need_id: Mapped[int] = mapped_column(ForeignKey("needs.id"), index=True)
    achievement_id: Mapped[int] = mapped_column(ForeignKey("achievements.id"), index=True)
    score: Mapped[float | None] = mapped_column(Float)  # the matcher's score when it proposed the pair
    terms: Mapped[list] = mapped_column(JSON, default=list)
    outcome: Mapped[str] = mapped_column(String(16), default="pending")
    outcome_note: Mapped[str] = mapped_column(Text, default="")
    recorded_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    recorded_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    deal_id: Mapped[int | None] = mapped_column(ForeignKey("deals.id"), unique=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)

    event: Mapped[MatchmakingEvent] = relationship(back_populates="pairs")
    need = relationship("Need")
    achievement = relationship("Achievement")
    deal = relationship("Deal")
    recorded_by = relationship("User")

    @property
    def outcome_label(self) -> str:
        return label(PAIR_OUTCOMES, self.outcome)


class EventRegistration(db.Model):
    """One organization's registration: once per event (unique), counted in `registered_count`."""

    __tablename__ = "event_registrations"
    __table_args__ = (
        CheckConstraint(_in("status", codes(REGISTRATION_STATUSES)), name="status"),
        UniqueConstraint("event_id", "organization_id", name="uq_event_registrations_org"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("matchmaking_events.id"), index=True)
    organization_id: Mapped[int] = mapped_column(ForeignKey("organizations.id"), index=True)
    registered_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    status: Mapped[str] = mapped_column(String(16), default="registered")
    attendees: Mapped[int] = mapped_column(Integer, default=1)  # people the organization sends
    contact: Mapped[str] = mapped_column(String(100), default="")
    attended: Mapped[bool | None] = mapped_column(Boolean)  # None until the bureau records attendance
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)

    event: Mapped[MatchmakingEvent] = relationship(back_populates="registrations")
    organization = relationship("Organization")
    registered_by = relationship("User")


class EventLog(db.Model):
    """The event's history: who did what, when."""

    __tablename__ = "event_logs"

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("matchmaking_events.id"), index=True)
    action: Mapped[str] = mapped_column(String(16))
    note: Mapped[str] = mapped_column(Text, default="")
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)

    actor = relationship("User")

    @property
    def action_label(self) -> str:
        return EVENT_ACTIONS.get(self.action, self.action)

