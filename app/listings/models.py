from datetime import date, datetime

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    CheckConstraint,
    Date,
    DateTime,
    ForeignKey,
    Index,
    String,
    Text,
)
from sqlalchemy.orm import Mapped, declared_attr, mapped_column, relationship

from app.accounts.models import _in
from app.extensions import db
from app.models_base import TimestampMixin
from app.reference import (
    COOPERATION_MODES,
    MATURITIES,
    PATENT_STATUSES,
    PATENT_TYPES,
    TRANSFER_MODES,
    codes,
    label,
)

# Listing workflow (design.md §3): draft → pending → approved / rejected → archived; withdrawn = taken back by owner.
STATUSES = [
    ("draft", "草稿"),
    ("pending", "待审核"),
    ("approved", "已发布"),
    ("rejected", "已退回"),
    ("withdrawn", "已撤回"),
    ("archived", "已归档"),
]
REVISION_STATUSES = [("pending", "修改待审核"), ("rejected", "修改被退回")]

MAX_MONEY_YUAN = 10_000_000_000  # 100亿元: anything above is a typing error, not a listing


class ListingMixin(TimestampMixin):
    """Columns and behaviour shared by needs and achievements."""

    # Fields an owner edits; an edit of an approved listing is held in `revision` until the bureau approves it.
    EDITABLE: tuple[str, ...] = ()

    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(String(100))
    keywords: Mapped[str] = mapped_column(String(200), default="")
    status: Mapped[str] = mapped_column(String(16), default="draft", index=True)
    reject_reason: Mapped[str] = mapped_column(Text, default="")
    revision: Mapped[dict | None] = mapped_column(JSON)
    revision_status: Mapped[str | None] = mapped_column(String(16))
    submitted_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    published_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), index=True)
    archived_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    # Lower-cased title + keywords + text + organization name, searched with LIKE per jieba token.
    search_text: Mapped[str] = mapped_column(Text, default="")
    # Staleness: an approved listing its owner has not confirmed for LISTING_STALE_MONTHS is hidden until confirmed
    # (a reminder goes out a month before).
    confirmed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    stale_reminded_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    hidden_stale_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), index=True)
    # A repeated form post (double click, retry) carries the same key and creates nothing new.
    submission_key: Mapped[str | None] = mapped_column(String(64), unique=True)

    @declared_attr
    def organization_id(cls) -> Mapped[int]:
        return mapped_column(ForeignKey("organizations.id"), index=True)

    @declared_attr
    def created_by_id(cls) -> Mapped[int]:
        return mapped_column(ForeignKey("users.id"))

    @declared_attr
    def reviewed_by_id(cls) -> Mapped[int | None]:
        return mapped_column(ForeignKey("users.id"))

    @declared_attr
    def industry_code(cls) -> Mapped[str]:
        return mapped_column(ForeignKey("industries.code"), index=True)

    @declared_attr
    def organization(cls):
        return relationship("Organization")

    @declared_attr
    def industry(cls):
        return relationship("Industry")

    @property
    def keyword_list(self) -> list[str]:
        return [k for k in self.keywords.split("、") if k]

    @property
    def status_label(self) -> str:
        return label(STATUSES, self.status)

    @property
    def is_public(self) -> bool:
        return self.status == "approved" and self.hidden_stale_at is None

    @property
    def in_review(self) -> bool:
        return self.status == "pending" or self.revision_status == "pending"

    def current_values(self) -> dict:
        """What the owner sees in the edit form: the held revision if any, else the live fields."""
        values = {f: getattr(self, f) for f in self.EDITABLE}
        if self.revision:
            values.update(self.revision_values())
        return values

    def revision_values(self) -> dict:
        values = dict(self.revision or {})
        for f, v in values.items():
            if f == "deadline" and v:
                values[f] = date.fromisoformat(v)
        return values


class Need(ListingMixin, db.Model):
    __tablename__ = "needs"
    __table_args__ = (
        CheckConstraint(_in("status", codes(STATUSES)), name="status"),
        CheckConstraint(f"revision_status IS NULL OR {_in('revision_status', codes(REVISION_STATUSES))}",
                        name="revision_status"),
        CheckConstraint(_in("cooperation_mode", codes(COOPERATION_MODES)), name="cooperation_mode"),
        CheckConstraint(f"budget_yuan IS NULL OR (budget_yuan >= 0 AND budget_yuan <= {MAX_MONEY_YUAN})",
                        name="budget_range"),
        CheckConstraint("length(title) > 0", name="title_not_empty"),
        Index("ix_needs_public_sort", "status", "published_at"),
    )
    EDITABLE = ("title", "description", "industry_code", "town_code", "budget_yuan", "deadline",
                "cooperation_mode", "keywords")

    description: Mapped[str] = mapped_column(Text)
    town_code: Mapped[str | None] = mapped_column(ForeignKey("towns.code"), index=True)
    budget_yuan: Mapped[int | None] = mapped_column(BigInteger, index=True)  # None = 面议
    deadline: Mapped[date | None] = mapped_column(Date, index=True)
    cooperation_mode: Mapped[str] = mapped_column(String(20), index=True)

    town = relationship("Town")

    kind = "need"
    kind_label = "技术需求"

    @property
    def cooperation_label(self) -> str:
        return label(COOPERATION_MODES, self.cooperation_mode)


class Achievement(ListingMixin, db.Model):
    __tablename__ = "achievements"
    __table_args__ = (
        CheckConstraint(_in("status", codes(STATUSES)), name="status"),
        CheckConstraint(f"revision_status IS NULL OR {_in('revision_status', codes(REVISION_STATUSES))}",
                        name="revision_status"),
        CheckConstraint(_in("maturity", codes(MATURITIES)), name="maturity"),
        CheckConstraint(_in("transfer_mode", codes(TRANSFER_MODES)), name="transfer_mode"),
        CheckConstraint(f"price_yuan IS NULL OR (price_yuan >= 0 AND price_yuan <= {MAX_MONEY_YUAN})",
                        name="price_range"),
        CheckConstraint("length(title) > 0", name="title_not_empty"),
        Index("ix_achievements_public_sort", "status", "published_at"),
    )
    EDITABLE = ("title", "abstract", "industry_code", "maturity", "transfer_mode", "price_yuan", "keywords",
                "leader", "application", "confidential")

    abstract: Mapped[str] = mapped_column(Text)
    maturity: Mapped[str] = mapped_column(String(20), index=True)
    transfer_mode: Mapped[str] = mapped_column(String(20), index=True)
    price_yuan: Mapped[int | None] = mapped_column(BigInteger, index=True)  # None = 面议
    leader: Mapped[str] = mapped_column(String(50), default="")
    application: Mapped[str] = mapped_column(Text, default="")
    # Shown only to the owner and the bureau here; inside an accepted inquiry once inquiries exist.
    confidential: Mapped[str] = mapped_column(Text, default="")

    patents: Mapped[list["Patent"]] = relationship(back_populates="achievement", order_by="Patent.id")

    kind = "achievement"
    kind_label = "科技成果"

    @property
    def maturity_label(self) -> str:
        return label(MATURITIES, self.maturity)

    @property
    def transfer_label(self) -> str:
        return label(TRANSFER_MODES, self.transfer_mode)

    @property
    def description(self) -> str:
        return self.abstract


class Patent(TimestampMixin, db.Model):
    __tablename__ = "patents"
    __table_args__ = (
        CheckConstraint(_in("patent_type", codes(PATENT_TYPES)), name="patent_type"),
        CheckConstraint(_in("status", codes(PATENT_STATUSES)), name="status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    number: Mapped[str] = mapped_column(String(32), unique=True)
    title: Mapped[str] = mapped_column(String(200))
    patent_type: Mapped[str] = mapped_column(String(16), index=True)
    status: Mapped[str] = mapped_column(String(16), index=True)
    organization_id: Mapped[int] = mapped_column(ForeignKey("organizations.id"), index=True)
    achievement_id: Mapped[int | None] = mapped_column(ForeignKey("achievements.id"), index=True)
    # 专利产业化: feeds the plan's target of 200 invention patents put into production
    industrialized: Mapped[bool] = mapped_column(Boolean, default=False, index=True)
    active: Mapped[bool] = mapped_column(Boolean, default=True)  # unlinked instead of deleted

    achievement: Mapped[Achievement | None] = relationship(back_populates="patents")
    organization = relationship("Organization")

    @property
    def type_label(self) -> str:
        return label(PATENT_TYPES, self.patent_type)

    @property
    def status_label(self) -> str:
        return label(PATENT_STATUSES, self.status)


class ReviewEvent(db.Model):
    """Every workflow step of a listing: who, when, what, why."""

    __tablename__ = "review_events"
    __table_args__ = (
        CheckConstraint(_in("listing_kind", ["need", "achievement"]), name="listing_kind"),
        Index("ix_review_events_listing", "listing_kind", "listing_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    listing_kind: Mapped[str] = mapped_column(String(16))
    listing_id: Mapped[int] = mapped_column()
    action: Mapped[str] = mapped_column(String(32))
    note: Mapped[str] = mapped_column(Text, default="")
    actor_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))

    actor = relationship("User")

ACTION_LABELS = {
    "create": "创建", "edit": "修改", "submit": "提交审核", "approve": "审核通过", "reject": "退回",
    "withdraw": "撤回", "archive": "归档", "edit_approved": "修改已发布内容（待审核）",
    "approve_revision": "修改审核通过", "reject_revision": "修改被退回", "confirm": "确认仍然有效",
}
