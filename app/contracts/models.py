"""技术合同 and their 认定登记.

A contract is recorded (待登记), then the bureau registers it (已登记, with a registration number) or returns it
with a reason (已退回) for the recorder to fix and resubmit. A registered version is never edited: a correction is a
new row (version + 1, `supersedes_id`) that goes through registration again; when it is registered the version it
corrects becomes 已更正 (superseded). So at any time each contract family has at most one `registered` row, and
totals read exactly those rows.

Each party is kept as it was on the contract (name, credit code, region, in the county or not), linked to a platform
organization when it has one: a party from outside the platform is entered by name, credit code and region.
"""
from datetime import date, datetime

from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    Column,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    String,
    Table,
    Text,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.accounts.models import _in
from app.extensions import db
from app.listings.models import MAX_MONEY_YUAN
from app.models_base import TimestampMixin, utcnow
from app.reference import codes, label

CONTRACT_TYPES = [
    ("development", "技术开发"),
    ("transfer", "技术转让"),
    ("license", "技术许可"),
    ("consulting", "技术咨询"),
    ("service", "技术服务"),
]
CONTRACT_STATUSES = [
    ("submitted", "待登记"),
    ("returned", "已退回"),
    ("registered", "已登记"),
    ("superseded", "已更正"),
]
EDITABLE_STATUSES = ("submitted", "returned")
REGION_PREFIX = "330324"  # 永嘉县 administrative division code
COUNTY_NAME = "永嘉"

contract_patents = Table(
    "contract_patents",
    db.metadata,
    Column("contract_id", ForeignKey("contracts.id"), primary_key=True),
    Column("patent_id", ForeignKey("patents.id"), primary_key=True, index=True),
)


class Contract(TimestampMixin, db.Model):
    __tablename__ = "contracts"
    __table_args__ = (
        CheckConstraint(_in("contract_type", codes(CONTRACT_TYPES)), name="contract_type"),
        CheckConstraint(_in("status", codes(CONTRACT_STATUSES)), name="status"),
        CheckConstraint(f"contract_amount_yuan > 0 AND contract_amount_yuan <= {MAX_MONEY_YUAN}",
                        name="contract_amount_range"),
        CheckConstraint("tech_amount_yuan > 0 AND tech_amount_yuan <= contract_amount_yuan", name="tech_amount_range"),
        CheckConstraint("version >= 1", name="version_positive"),
        CheckConstraint("(version = 1 AND supersedes_id IS NULL) OR (version > 1 AND supersedes_id IS NOT NULL)",
                        name="version_chain"),
        CheckConstraint("status NOT IN ('registered', 'superseded') OR "
                        "(registration_number IS NOT NULL AND registered_on IS NOT NULL AND counted_on IS NOT NULL)",
                        name="registered_has_number"),
        CheckConstraint("status != 'returned' OR length(return_reason) > 0", name="returned_has_reason"),
        CheckConstraint("length(buyer_name) > 0 AND length(seller_name) > 0", name="parties_named"),
        # totals filter and group by these
        Index("ix_contracts_status_counted_on", "status", "counted_on"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    # the first version of this contract (NULL on the first version itself) and the version this one corrects
    root_id: Mapped[int | None] = mapped_column(ForeignKey("contracts.id"), index=True)
    supersedes_id: Mapped[int | None] = mapped_column(ForeignKey("contracts.id"), unique=True)
    version: Mapped[int] = mapped_column(Integer, default=1)
    status: Mapped[str] = mapped_column(String(16), default="submitted", index=True)

    title: Mapped[str] = mapped_column(String(200))
    contract_type: Mapped[str] = mapped_column(String(16), index=True)

    buyer_org_id: Mapped[int | None] = mapped_column(ForeignKey("organizations.id"), index=True)
    buyer_name: Mapped[str] = mapped_column(String(100))
    buyer_credit_code: Mapped[str] = mapped_column(String(18), default="")
    buyer_region: Mapped[str] = mapped_column(String(100), default="")
    buyer_in_county: Mapped[bool] = mapped_column(Boolean, default=False, index=True)
    seller_org_id: Mapped[int | None] = mapped_column(ForeignKey("organizations.id"), index=True)
    seller_name: Mapped[str] = mapped_column(String(100))
    seller_credit_code: Mapped[str] = mapped_column(String(18), default="")
    seller_region: Mapped[str] = mapped_column(String(100), default="")
    seller_in_county: Mapped[bool] = mapped_column(Boolean, default=False, index=True)

    contract_amount_yuan: Mapped[int] = mapped_column(BigInteger)
    tech_amount_yuan: Mapped[int] = mapped_column(BigInteger)  # 技术交易额 (the part that is technology)
    signed_on: Mapped[date] = mapped_column(Date)

    deal_id: Mapped[int | None] = mapped_column(ForeignKey("deals.id"), index=True)
    achievement_id: Mapped[int | None] = mapped_column(ForeignKey("achievements.id"), index=True)
    broker_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), index=True)
    recorded_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    correction_reason: Mapped[str] = mapped_column(Text, default="")

    submitted_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    return_reason: Mapped[str] = mapped_column(Text, default="")
    registration_number: Mapped[str | None] = mapped_column(String(20), unique=True)
    registered_on: Mapped[date | None] = mapped_column(Date)  # the date this version was registered
    # the date the contract counts on: its first registration; a corrected version keeps it, so a correction
    # changes the amounts of the year the contract was registered in and never moves it to another year
    counted_on: Mapped[date | None] = mapped_column(Date, index=True)
    registered_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))

    buyer_org = relationship("Organization", foreign_keys=[buyer_org_id])
    seller_org = relationship("Organization", foreign_keys=[seller_org_id])
    deal = relationship("Deal")
    achievement = relationship("Achievement")
    broker = relationship("User", foreign_keys=[broker_id])
    recorded_by = relationship("User", foreign_keys=[recorded_by_id])
    registered_by = relationship("User", foreign_keys=[registered_by_id])
    patents = relationship("Patent", secondary=contract_patents, order_by="Patent.number")
    supersedes = relationship("Contract", remote_side=[id], foreign_keys=[supersedes_id])

    @property
    def family_id(self) -> int:
        return self.root_id or self.id

    @property
    def type_label(self) -> str:
        return label(CONTRACT_TYPES, self.contract_type)

    @property
    def status_label(self) -> str:
        return label(CONTRACT_STATUSES, self.status)

    @property
    def editable(self) -> bool:
        return self.status in EDITABLE_STATUSES


class ContractEvent(db.Model):
    """The audit trail of a contract family: record, edit, resubmit, return, register, correct, supersede."""

    __tablename__ = "contract_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    contract_id: Mapped[int] = mapped_column(ForeignKey("contracts.id"), index=True)
    action: Mapped[str] = mapped_column(String(32))
    note: Mapped[str] = mapped_column(Text, default="")
    actor_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)

    contract = relationship("Contract")
    actor = relationship("User")


CONTRACT_ACTION_LABELS = {
    "record": "登记录入", "edit": "修改", "resubmit": "修改后重新提交", "return": "退回", "register": "认定登记",
    "correct": "提交更正", "superseded": "被新版本更正",
}
