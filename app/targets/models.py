"""Records behind the plan's 专栏13 targets that are not contracts or brokers.

- PatentIndustrialization: an invention patent put into production (产业化), with evidence and date → 200 by 2025.
- ServiceAgencyCertification: a service agency certified 优秀科技服务机构 in a year → 5 by 2025.
- MajorPatentSelection: an invention patent selected as 重大贡献发明专利 in a year → 10 by 2025.
Each is recorded by the bureau; nothing is typed in as a count.
"""
from datetime import date, datetime

from sqlalchemy import CheckConstraint, Date, DateTime, ForeignKey, Integer, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.extensions import db
from app.models_base import utcnow

YEAR_CHECK = "year >= 2000 AND year <= 2100"


class PatentIndustrialization(db.Model):
    __tablename__ = "patent_industrializations"
    __table_args__ = (CheckConstraint("length(evidence) > 0", name="evidence_not_empty"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    patent_id: Mapped[int] = mapped_column(ForeignKey("patents.id"), unique=True)
    industrialized_on: Mapped[date] = mapped_column(Date, index=True)
    evidence: Mapped[str] = mapped_column(Text)
    recorded_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)

    patent = relationship("Patent")
    recorded_by = relationship("User")


class ServiceAgencyCertification(db.Model):
    __tablename__ = "service_agency_certifications"
    __table_args__ = (
        UniqueConstraint("organization_id", "year", name="uq_service_agency_certifications_org_year"),
        CheckConstraint(YEAR_CHECK, name="year_range"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    organization_id: Mapped[int] = mapped_column(ForeignKey("organizations.id"), index=True)
    year: Mapped[int] = mapped_column(Integer, index=True)
    note: Mapped[str] = mapped_column(Text, default="")
    certified_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)

    organization = relationship("Organization")
    certified_by = relationship("User")


class MajorPatentSelection(db.Model):
    __tablename__ = "major_patent_selections"
    __table_args__ = (CheckConstraint(YEAR_CHECK, name="year_range"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    patent_id: Mapped[int] = mapped_column(ForeignKey("patents.id"), unique=True)
    year: Mapped[int] = mapped_column(Integer, index=True)
    citation: Mapped[str] = mapped_column(Text, default="")  # 评选理由
    selected_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)

    patent = relationship("Patent")
    selected_by = relationship("User")
