"""BrokerProfile (技术经纪人档案), its industries of expertise, and training records."""
from datetime import date, datetime

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    Column,
    Date,
    DateTime,
    ForeignKey,
    Integer,
    String,
    Table,
    Text,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.accounts.models import _in
from app.extensions import db
from app.models_base import TimestampMixin, utcnow

PROFILE_STATUSES: list[tuple[str, str]] = [
    ("pending", "待认证"),
    ("certified", "已认证"),
    ("declined", "未通过"),
]
LEVELS: list[tuple[str, str]] = [
    ("junior", "初级"),
    ("intermediate", "中级"),
    ("senior", "高级"),
]
LEVEL_RANK = {"junior": 1, "intermediate": 2, "senior": 3}

broker_industries = Table(
    "broker_industries",
    db.metadata,
    Column("broker_profile_id", ForeignKey("broker_profiles.id"), primary_key=True),
    Column("industry_code", ForeignKey("industries.code"), primary_key=True, index=True),
)


class BrokerProfile(TimestampMixin, db.Model):
    __tablename__ = "broker_profiles"
    __table_args__ = (
        CheckConstraint(_in("status", [s for s, _ in PROFILE_STATUSES]), name="status"),
        CheckConstraint(f"level IS NULL OR {_in('level', [v for v, _ in LEVELS])}", name="level"),
        CheckConstraint("years_experience >= 0 AND years_experience <= 60", name="years_range"),
        CheckConstraint("status <> 'certified' OR (certificate_no IS NOT NULL AND level IS NOT NULL)",
                        name="certified_has_certificate"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), unique=True)
    organization_id: Mapped[int | None] = mapped_column(ForeignKey("organizations.id"), index=True)
    years_experience: Mapped[int] = mapped_column(Integer, default=0)
    introduction: Mapped[str] = mapped_column(Text, default="")
    status: Mapped[str] = mapped_column(String(16), default="pending", index=True)
    certificate_no: Mapped[str | None] = mapped_column(String(32), unique=True)
    level: Mapped[str | None] = mapped_column(String(16))
    decline_reason: Mapped[str] = mapped_column(Text, default="")
    submitted_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    reviewed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    reviewed_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))

    user = relationship("User", foreign_keys=[user_id])
    organization = relationship("Organization")
    reviewed_by = relationship("User", foreign_keys=[reviewed_by_id])
    industries = relationship("Industry", secondary=broker_industries, order_by="Industry.sort_order")
    trainings: Mapped[list["BrokerTraining"]] = relationship(
        back_populates="profile", order_by="(BrokerTraining.training_date.desc(), BrokerTraining.id.desc())")

    @property
    def status_label(self) -> str:
        return dict(PROFILE_STATUSES).get(self.status, self.status)

    @property
    def level_label(self) -> str:
        return dict(LEVELS).get(self.level or "", "")

    @property
    def certified(self) -> bool:
        return self.status == "certified"

    @property
    def industry_codes(self) -> list[str]:
        return [i.code for i in self.industries]

    @property
    def trained(self) -> bool:
        return any(t.passed for t in self.trainings)

    @property
    def training_hours(self) -> int:
        return sum(t.hours for t in self.trainings if t.passed)


class BrokerTraining(db.Model):
    """A course the bureau records for a broker; a certified broker with a passed course counts toward the target."""

    __tablename__ = "broker_trainings"
    __table_args__ = (
        CheckConstraint("hours > 0 AND hours <= 1000", name="hours_range"),
        CheckConstraint("length(course) > 0", name="course_not_empty"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    profile_id: Mapped[int] = mapped_column(ForeignKey("broker_profiles.id"), index=True)
    course: Mapped[str] = mapped_column(String(100))
    hours: Mapped[int] = mapped_column(Integer)  # 学时
    training_date: Mapped[date] = mapped_column(Date)
    passed: Mapped[bool] = mapped_column(Boolean, default=False, index=True)
    recorded_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)

    profile: Mapped[BrokerProfile] = relationship(back_populates="trainings")
    recorded_by = relationship("User")
