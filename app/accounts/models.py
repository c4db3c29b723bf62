import hmac
from datetime import datetime

from flask import current_app
from flask_login import UserMixin
from sqlalchemy import Boolean, CheckConstraint, DateTime, ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.extensions import db
from app.models_base import TimestampMixin
from app.reference import ORG_KINDS, codes

ROLES = [
    ("enterprise", "企业用户"),
    ("university", "高校用户"),
    ("institute", "科研院所用户"),
    ("service_agency", "科技服务机构用户"),
    ("broker", "技术经纪人"),
    ("bureau", "科技局"),
    ("admin", "系统管理员"),
]
# The role a self-registered user gets from the kind of the organization they register.
ROLE_FOR_ORG_KIND = {"enterprise": "enterprise", "university": "university", "institute": "institute",
                     "service_agency": "service_agency"}


def _in(col: str, values: list[str]) -> str:
    return f"{col} IN ({', '.join(repr(v) for v in values)})"


class Organization(TimestampMixin, db.Model):
    __tablename__ = "organizations"
    __table_args__ = (CheckConstraint(_in("kind", codes(ORG_KINDS)), name="kind"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(100), unique=True)
    kind: Mapped[str] = mapped_column(String(20), index=True)
    # 统一社会信用代码: 18 characters, unique per legal entity
    credit_code: Mapped[str] = mapped_column(String(18), unique=True)
    town_code: Mapped[str | None] = mapped_column(ForeignKey("towns.code"), index=True)
    region: Mapped[str] = mapped_column(String(100), default="浙江省温州市永嘉县")
    industry_code: Mapped[str | None] = mapped_column(ForeignKey("industries.code"), index=True)
    contact_person: Mapped[str] = mapped_column(String(50), default="")
    contact_phone: Mapped[str] = mapped_column(String(30), default="")
    description: Mapped[str] = mapped_column(Text, default="")
    verified_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    verified_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", use_alter=True))

    town = relationship("Town")
    industry = relationship("Industry")
    users: Mapped[list["User"]] = relationship(back_populates="organization", foreign_keys="User.organization_id")

    @property
    def verified(self) -> bool:
        return self.verified_at is not None

    @property
    def kind_label(self) -> str:
        return dict(ORG_KINDS).get(self.kind, self.kind)


class User(UserMixin, TimestampMixin, db.Model):
    __tablename__ = "users"
    __table_args__ = (CheckConstraint(_in("role", [r for r, _ in ROLES]), name="role"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(120), unique=True)
    name: Mapped[str] = mapped_column(String(50))
    phone: Mapped[str] = mapped_column(String(30), default="")
    password_hash: Mapped[str] = mapped_column(String(256))
    role: Mapped[str] = mapped_column(String(20), index=True)
    organization_id: Mapped[int | None] = mapped_column(ForeignKey("organizations.id"), index=True)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    last_login_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))

    organization: Mapped[Organization | None] = relationship(back_populates="users", foreign_keys=[organization_id])

    @property
    def is_active(self) -> bool:  # Flask-Login: deactivated users cannot log in
        return bool(self.active)

    def get_id(self) -> str:
        """What Flask-Login keeps in the session and the remember-me cookie: the id and a stamp of the password, so
        that a new password signs out every other session and browser (app/__init__._load_user)."""
        return f"{self.id}:{self.session_stamp()}"

    def session_stamp(self) -> str:
        # keyed with SECRET_KEY: the cookie (signed, not encrypted) reveals nothing about the password hash
        key = current_app.secret_key.encode("utf-8")
        return hmac.new(key, (self.password_hash or "").encode("utf-8"), "sha256").hexdigest()[:20]

    @property
    def role_label(self) -> str:
        return dict(ROLES).get(self.role, self.role)

    @property
    def is_bureau(self) -> bool:
        return self.role in ("bureau", "admin")
