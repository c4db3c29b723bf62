"""揭榜挂帅: a challenge call (发榜) for a problem, the applications (揭榜) and the call's history.

States of a call: open (applications accepted until the deadline) → awarded (one application selected, one deal
opened with source "call", source_id = call id) or closed (no application selected, with a reason).
Applications: submitted → selected / not_selected. One application per organization and call (unique).
"""
from datetime import datetime

from sqlalchemy import (
    BigInteger,
    Boolean,
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
from app.reference import ORG_KINDS, codes, label

CALL_STATUSES = [("open", "揭榜中"), ("awarded", "已揭榜"), ("closed", "未揭榜关闭")]
APPLICATION_STATUSES = [("submitted", "已提交"), ("selected", "入选"), ("not_selected", "未入选")]
# who may apply, and the column that says so
ELIGIBLE_KINDS = [("enterprise", "allow_enterprise"), ("university", "allow_university"),
                  ("institute", "allow_institute")]
MAX_DURATION_MONTHS = 120

CALL_ACTIONS = {
    "publish": "发布榜单", "apply": "提交揭榜申请", "select": "选定揭榜方", "close": "关闭（不选定）",
    "deal": "建立对接项目",
}


class ChallengeCall(TimestampMixin, db.Model):
    __tablename__ = "challenge_calls"
    __table_args__ = (
        CheckConstraint(_in("status", codes(CALL_STATUSES)), name="status"),
        CheckConstraint(f"reward_yuan >= 0 AND reward_yuan <= {MAX_MONEY_YUAN}", name="reward_range"),
        CheckConstraint("allow_enterprise OR allow_university OR allow_institute", name="someone_eligible"),
        CheckConstraint("status <> 'closed' OR length(close_reason) > 0", name="close_reason"),
        # selection opens the deal in the same transaction: awarded exactly when there is a deal
        CheckConstraint("(status = 'awarded') = (deal_id IS NOT NULL)", name="awarded_has_deal"),
        CheckConstraint("length(title) > 0", name="title_not_empty"),
        Index("ix_challenge_calls_status_deadline", "status", "deadline"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(String(100))
    # the unsolved need it came from (None: written from scratch); the owner (发榜单位) is the need's organization
    need_id: Mapped[int | None] = mapped_column(ForeignKey("needs.id"), index=True)
    owner_org_id: Mapped[int] = mapped_column(ForeignKey("organizations.id"), index=True)
    industry_code: Mapped[str] = mapped_column(ForeignKey("industries.code"), index=True)
    problem: Mapped[str] = mapped_column(Text)
    indicators: Mapped[str] = mapped_column(Text)  # 技术指标 the solution must reach
    reward_yuan: Mapped[int] = mapped_column(BigInteger)  # budget or reward (榜额)
    deadline: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    allow_enterprise: Mapped[bool] = mapped_column(Boolean, default=True)
    allow_university: Mapped[bool] = mapped_column(Boolean, default=True)
    allow_institute: Mapped[bool] = mapped_column(Boolean, default=True)
    status: Mapped[str] = mapped_column(String(16), default="open", index=True)
    close_reason: Mapped[str] = mapped_column(Text, default="")
    deal_id: Mapped[int | None] = mapped_column(ForeignKey("deals.id"), unique=True)
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    decided_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    created_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))

    need = relationship("Need")
    owner_org = relationship("Organization")
    industry = relationship("Industry")
    deal = relationship("Deal")
    applications: Mapped[list["CallApplication"]] = relationship(
        back_populates="call", order_by="CallApplication.id")

    @property
    def status_label(self) -> str:
        return label(CALL_STATUSES, self.status)

    @property
    def selected_application(self) -> "CallApplication | None":
        return next((a for a in self.applications if a.status == "selected"), None)

    @property
    def eligible_kinds(self) -> list[str]:
        return [kind for kind, col in ELIGIBLE_KINDS if getattr(self, col)]

    @property
    def eligible_label(self) -> str:
        return "、".join(label(ORG_KINDS, k) for k in self.eligible_kinds)


class CallApplication(TimestampMixin, db.Model):
    __tablename__ = "call_applications"
    __table_args__ = (
        CheckConstraint(_in("status", codes(APPLICATION_STATUSES)), name="status"),
        CheckConstraint(f"price_yuan >= 0 AND price_yuan <= {MAX_MONEY_YUAN}", name="price_range"),
        CheckConstraint(f"duration_months > 0 AND duration_months <= {MAX_DURATION_MONTHS}", name="duration_range"),
        UniqueConstraint("call_id", "organization_id", name="uq_call_applications_org"),
        # at most one selected application per call
        Index("uq_call_applications_selected", "call_id", unique=True,
              postgresql_where=text("status = 'selected'"), sqlite_where=text("status = 'selected'")),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    call_id: Mapped[int] = mapped_column(ForeignKey("challenge_calls.id"), index=True)
    organization_id: Mapped[int] = mapped_column(ForeignKey("organizations.id"), index=True)
    applicant_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    plan: Mapped[str] = mapped_column(Text)  # 技术方案
    team: Mapped[str] = mapped_column(Text)  # 团队
    price_yuan: Mapped[int] = mapped_column(BigInteger)  # 报价
    duration_months: Mapped[int] = mapped_column(Integer)  # 完成周期
    status: Mapped[str] = mapped_column(String(16), default="submitted", index=True)

    call: Mapped[ChallengeCall] = relationship(back_populates="applications")
    organization = relationship("Organization")
    applicant = relationship("User")

    @property
    def status_label(self) -> str:
        return label(APPLICATION_STATUSES, self.status)


class CallLog(db.Model):
    """The call's history, kept for good: publication, applications, the decision."""

    __tablename__ = "call_logs"

    id: Mapped[int] = mapped_column(primary_key=True)
    call_id: Mapped[int] = mapped_column(ForeignKey("challenge_calls.id"), index=True)
    action: Mapped[str] = mapped_column(String(16))
    note: Mapped[str] = mapped_column(Text, default="")
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)

    actor = relationship("User")

    @property
    def action_label(self) -> str:
        return CALL_ACTIONS.get(self.action, self.action)
