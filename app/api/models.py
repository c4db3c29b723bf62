"""Personal API tokens: a user's key for /api/v1. Only a hash of the secret is stored; it acts with its user's role."""
from datetime import datetime

from sqlalchemy import CheckConstraint, DateTime, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.extensions import db
from app.models_base import utcnow


class ApiToken(db.Model):
    __tablename__ = "api_tokens"
    __table_args__ = (CheckConstraint("length(name) > 0", name="name_not_empty"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    name: Mapped[str] = mapped_column(String(50))
    # sha256 hex of the secret: a stolen database does not give working tokens
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    # the first characters of the secret, so people can tell their tokens apart in the list
    prefix: Mapped[str] = mapped_column(String(16))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    last_used_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    revoked_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))

    user = relationship("User")

    @property
    def active(self) -> bool:
        return self.revoked_at is None
