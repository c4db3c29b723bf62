from datetime import datetime
from decimal import Decimal

from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    Numeric,
    String,
    Text,
)
from sqlalchemy.orm import Mapped, mapped_column

from app.extensions import db
from app.models_base import utcnow


class ContractStat(db.Model):
    """Registered contracts summed per (month, industry, town, type, seller kind, flow, deal source).

    Rebuilt as a whole by `stats.recompute` from the registered contracts; the cockpit reads only this table."""

    __tablename__ = "contract_stats"
    __table_args__ = (
        Index("ix_contract_stats_period", "year", "month"),
        CheckConstraint("month BETWEEN 1 AND 12", name="month"),
        CheckConstraint("contract_count >= 0 AND contract_amount_yuan >= 0 AND tech_amount_yuan >= 0", name="sums"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    year: Mapped[int] = mapped_column(Integer)
    month: Mapped[int] = mapped_column(Integer)
    industry_code: Mapped[str] = mapped_column(String(32), default="", index=True)  # "" = unknown
    town_code: Mapped[str] = mapped_column(String(32), default="", index=True)
    contract_type: Mapped[str] = mapped_column(String(16), index=True)
    seller_kind: Mapped[str] = mapped_column(String(20), default="", index=True)  # university/institute/enterprise/…
    buyer_in_county: Mapped[bool] = mapped_column(Boolean, default=False)
    seller_in_county: Mapped[bool] = mapped_column(Boolean, default=False)
    source: Mapped[str] = mapped_column(String(16), default="", index=True)  # deal source; "" = no deal
    contract_count: Mapped[int] = mapped_column(Integer, default=0)
    contract_amount_yuan: Mapped[int] = mapped_column(BigInteger, default=0)
    tech_amount_yuan: Mapped[int] = mapped_column(BigInteger, default=0)


class BrokerStat(db.Model):
    """One broker's performance, rebuilt by `stats.recompute_brokers`."""

    __tablename__ = "broker_stats"

    broker_id: Mapped[int] = mapped_column(ForeignKey("users.id"), primary_key=True)
    deals_opened: Mapped[int] = mapped_column(Integer, default=0)
    deals_negotiating: Mapped[int] = mapped_column(Integer, default=0)  # reached 洽谈 or later
    deals_signed: Mapped[int] = mapped_column(Integer, default=0)  # reached 签约 or later
    deals_terminated: Mapped[int] = mapped_column(Integer, default=0)
    contracts_registered: Mapped[int] = mapped_column(Integer, default=0)
    contract_amount_yuan: Mapped[int] = mapped_column(BigInteger, default=0)
    median_days_to_sign: Mapped[Decimal | None] = mapped_column(Numeric(8, 1))
    median_response_hours: Mapped[Decimal | None] = mapped_column(Numeric(8, 1))
    overdue_followups: Mapped[int] = mapped_column(Integer, default=0)
    score: Mapped[Decimal] = mapped_column(Numeric(8, 2), default=0)
    computed_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class YearlyTarget(db.Model):
    """The year's target for registered technology-contract volume (the plan: 20亿元 in 2025)."""

    __tablename__ = "yearly_targets"
    __table_args__ = (CheckConstraint("contract_volume_yuan > 0", name="positive"),)

    year: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    contract_volume_yuan: Mapped[int] = mapped_column(BigInteger)
    note: Mapped[str] = mapped_column(String(200), default="")
    updated_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow, onupdate=utcnow)


class Indicator(db.Model):
    """A row of the plan's 附件1 indicator table (seeded by migration 0006)."""

    __tablename__ = "indicators"

    code: Mapped[str] = mapped_column(String(40), primary_key=True)
    name: Mapped[str] = mapped_column(String(100), unique=True)
    unit: Mapped[str] = mapped_column(String(20), default="")
    value_2015: Mapped[Decimal | None] = mapped_column(Numeric(14, 4))
    value_2019: Mapped[Decimal | None] = mapped_column(Numeric(14, 4))
    value_2020: Mapped[Decimal | None] = mapped_column(Numeric(14, 4))  # 2020年预计数
    target_2025: Mapped[Decimal | None] = mapped_column(Numeric(14, 4))
    note: Mapped[str] = mapped_column(String(50), default="")
    sort_order: Mapped[int] = mapped_column(Integer, default=0)


class IndicatorValue(db.Model):
    """The value of an indicator for a year, entered by the bureau."""

    __tablename__ = "indicator_values"
    __table_args__ = (
        db.UniqueConstraint("indicator_code", "year", name="uq_indicator_values_code_year"),
        CheckConstraint("year BETWEEN 2000 AND 2100", name="year"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    indicator_code: Mapped[str] = mapped_column(ForeignKey("indicators.code"), index=True)
    year: Mapped[int] = mapped_column(Integer)
    value: Mapped[Decimal] = mapped_column(Numeric(14, 4))
    note: Mapped[str] = mapped_column(Text, default="")
    entered_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    entered_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow, onupdate=utcnow)


class ContractRollup(db.Model):
    """ContractStat summed once more, per (year, month, one dimension): the few hundred rows a year the cockpit
    reads, so the page stays fast with millions of contracts. Filled by the same recompute."""

    __tablename__ = "contract_rollups"
    __table_args__ = (
        Index("ix_contract_rollups_year_dim", "year", "dim", "month"),
        CheckConstraint("month BETWEEN 1 AND 12", name="month"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    year: Mapped[int] = mapped_column(Integer)
    month: Mapped[int] = mapped_column(Integer)
    dim: Mapped[str] = mapped_column(String(20))  # contract_type (every contract once), industry_code, …, flow
    key: Mapped[str] = mapped_column(String(32), default="")
    contract_count: Mapped[int] = mapped_column(Integer, default=0)
    contract_amount_yuan: Mapped[int] = mapped_column(BigInteger, default=0)
    tech_amount_yuan: Mapped[int] = mapped_column(BigInteger, default=0)
