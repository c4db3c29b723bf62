"""竞价拍卖: an auction of an approved achievement and its bids.

States (design.md §3): scheduled → open → closed_sold / closed_unsold; cancelled before the first bid.
Money is integer 元. `version` is bumped by every accepted bid: the guard that keeps concurrent bids in order.
"""
from datetime import datetime

from sqlalchemy import (
    BigInteger,
    CheckConstraint,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.accounts.models import _in
from app.extensions import db
from app.listings.models import MAX_MONEY_YUAN
from app.models_base import TimestampMixin, utcnow
from app.reference import codes, label
from app.timeutil import as_utc

AUCTION_STATUSES = [
    ("scheduled", "待开拍"),
    ("open", "竞价中"),
    ("closed_sold", "已成交"),
    ("closed_unsold", "流拍"),
    ("cancelled", "已取消"),
]
ACTIVE_STATUSES = ("scheduled", "open")
CLOSED_STATUSES = ("closed_sold", "closed_unsold", "cancelled")
MAX_EXTENSION_MINUTES = 120


class Auction(TimestampMixin, db.Model):
    __tablename__ = "auctions"
    __table_args__ = (
        CheckConstraint(_in("status", codes(AUCTION_STATUSES)), name="status"),
        CheckConstraint(f"start_price_yuan > 0 AND start_price_yuan <= {MAX_MONEY_YUAN}", name="start_price_range"),
        CheckConstraint(f"reserve_price_yuan >= start_price_yuan AND reserve_price_yuan <= {MAX_MONEY_YUAN}",
                        name="reserve_price_range"),
        CheckConstraint("increment_yuan > 0", name="increment_positive"),
        CheckConstraint(f"extension_minutes >= 0 AND extension_minutes <= {MAX_EXTENSION_MINUTES}",
                        name="extension_range"),
        CheckConstraint("ends_at > starts_at", name="ends_after_start"),
        CheckConstraint("bid_count >= 0", name="bid_count_nonnegative"),
        CheckConstraint("(bid_count = 0 AND current_price_yuan IS NULL AND leader_org_id IS NULL) OR "
                        "(bid_count > 0 AND current_price_yuan >= start_price_yuan AND leader_org_id IS NOT NULL)",
                        name="leader_consistent"),
        CheckConstraint("status != 'closed_sold' OR (current_price_yuan IS NOT NULL AND current_price_yuan >= reserve_price_yuan)", name="sold_at_reserve"),
        # one running auction per achievement
        Index("uq_auctions_active_achievement", "achievement_id", unique=True,
              postgresql_where=text("status IN ('scheduled', 'open')"),
              sqlite_where=text("status IN ('scheduled', 'open')")),
        Index("ix_auctions_status_ends_at", "status", "ends_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    achievement_id: Mapped[int] = mapped_column(ForeignKey("achievements.id"), index=True)
    # the seller: the achievement's organization, kept here so it survives a later change of the listing
    organization_id: Mapped[int] = mapped_column(ForeignKey("organizations.id"), index=True)
    created_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    status: Mapped[str] = mapped_column(String(16), default="scheduled", index=True)
    start_price_yuan: Mapped[int] = mapped_column(BigInteger)
    reserve_price_yuan: Mapped[int] = mapped_column(BigInteger)
    increment_yuan: Mapped[int] = mapped_column(BigInteger)
    starts_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    ends_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    scheduled_end_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))  # before any extension
    extension_minutes: Mapped[int] = mapped_column(Integer, default=5)
    description: Mapped[str] = mapped_column(Text, default="")
    current_price_yuan: Mapped[int | None] = mapped_column(BigInteger)
    bid_count: Mapped[int] = mapped_column(Integer, default=0)
    leader_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    leader_org_id: Mapped[int | None] = mapped_column(ForeignKey("organizations.id"))
    version: Mapped[int] = mapped_column(Integer, default=0)
    closed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    cancelled_reason: Mapped[str] = mapped_column(Text, default="")
    deal_id: Mapped[int | None] = mapped_column(ForeignKey("deals.id"), unique=True)

    achievement = relationship("Achievement")
    organization = relationship("Organization", foreign_keys=[organization_id])
    created_by = relationship("User", foreign_keys=[created_by_id])
    leader_org = relationship("Organization", foreign_keys=[leader_org_id])
    leader_user = relationship("User", foreign_keys=[leader_user_id])
    bids: Mapped[list["Bid"]] = relationship(back_populates="auction", order_by="Bid.seq")

    @property
    def status_label(self) -> str:
        return label(AUCTION_STATUSES, self.status)

    @property
    def title(self) -> str:
        return self.achievement.title if self.achievement else f"拍卖 #{self.id}"

    def phase(self, now: datetime | None = None) -> str:
        """The state as time has it, before the periodic task has caught up: scheduled/open/due/closed."""
        now = as_utc(now or utcnow())
        if self.status in CLOSED_STATUSES:
            return self.status
        if now < as_utc(self.starts_at):
            return "scheduled"
        if now < as_utc(self.ends_at):
            return "open"
        return "due"  # ended, waiting to be closed

    def phase_label(self, now: datetime | None = None) -> str:
        p = self.phase(now)
        return "已结束，待结算" if p == "due" else label(AUCTION_STATUSES, p)

    def min_next_bid(self) -> int:
        if self.current_price_yuan is None:
            return self.start_price_yuan
        return self.current_price_yuan + self.increment_yuan

    @property
    def reserve_met(self) -> bool:
        return self.current_price_yuan is not None and self.current_price_yuan >= self.reserve_price_yuan


class Bid(db.Model):
    """One accepted bid. Refused bids are never stored. `seq` numbers the bids of an auction 1, 2, 3 …"""

    __tablename__ = "bids"
    __table_args__ = (
        UniqueConstraint("auction_id", "seq", name="uq_bids_auction_seq"),
        UniqueConstraint("auction_id", "amount_yuan", name="uq_bids_auction_amount"),
        CheckConstraint("amount_yuan > 0", name="amount_positive"),
        CheckConstraint("seq > 0", name="seq_positive"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    auction_id: Mapped[int] = mapped_column(ForeignKey("auctions.id"), index=True)
    seq: Mapped[int] = mapped_column(Integer)
    bidder_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    organization_id: Mapped[int] = mapped_column(ForeignKey("organizations.id"), index=True)
    amount_yuan: Mapped[int] = mapped_column(BigInteger)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    extended_end: Mapped[bool] = mapped_column(default=False)  # this bid moved the end time

    auction: Mapped[Auction] = relationship(back_populates="bids")
    bidder = relationship("User")
    organization = relationship("Organization")


class AuctionEvent(db.Model):
    """Who did what to an auction, besides bids: schedule, open, cancel, close."""

    __tablename__ = "auction_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    auction_id: Mapped[int] = mapped_column(ForeignKey("auctions.id"), index=True)
    action: Mapped[str] = mapped_column(String(32))
    note: Mapped[str] = mapped_column(Text, default="")
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))  # None: the periodic task
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)

    actor = relationship("User")


AUCTION_ACTION_LABELS = {"schedule": "发起拍卖", "open": "开始竞价", "cancel": "取消拍卖", "close_sold": "成交",
                         "close_unsold": "流拍（未达保留价）"}
