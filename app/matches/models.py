from datetime import datetime

from sqlalchemy import (
    JSON,
    Boolean,
    CheckConstraint,
    DateTime,
    Float,
    ForeignKey,
    Index,
    String,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.accounts.models import _in
from app.extensions import db
from app.models_base import TimestampMixin, utcnow

MATCH_STATUSES = ["suggested", "pursued"]
VERDICTS = [("useful", "有用"), ("dismissed", "不相关")]


class Match(TimestampMixin, db.Model):
    """A scored pair kept current by the matching task; the same row serves both directions."""

    __tablename__ = "matches"
    __table_args__ = (
        UniqueConstraint("need_id", "achievement_id", name="uq_matches_pair"),
        CheckConstraint(_in("status", MATCH_STATUSES), name="status"),
        CheckConstraint("score >= 0", name="score_nonnegative"),
        Index("ix_matches_need_score", "need_id", "score"),
        Index("ix_matches_achievement_score", "achievement_id", "score"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    need_id: Mapped[int] = mapped_column(ForeignKey("needs.id"))
    achievement_id: Mapped[int] = mapped_column(ForeignKey("achievements.id"))
    # cosine similarity, not money: a float is the right type here
    score: Mapped[float] = mapped_column(Float)
    terms: Mapped[list] = mapped_column(JSON, default=list)
    expanded_terms: Mapped[list] = mapped_column(JSON, default=list)
    status: Mapped[str] = mapped_column(String(16), default="suggested")
    # Is the pair in the need's own top list, in the achievement's own top list? A pair in neither is kept
    # (feedback and deals may refer to it) but no longer shown.
    in_need_top: Mapped[bool] = mapped_column(Boolean, default=False)
    in_achievement_top: Mapped[bool] = mapped_column(Boolean, default=False)

    need = relationship("Need")
    achievement = relationship("Achievement")
    feedback: Mapped[list["MatchFeedback"]] = relationship(back_populates="match", order_by="MatchFeedback.id")


class MatchFeedback(db.Model):
    """One organization's verdict on a suggestion (the need's side, the achievement's side, or a broker)."""

    __tablename__ = "match_feedback"
    __table_args__ = (
        UniqueConstraint("match_id", "user_id", name="uq_match_feedback_match_user"),
        CheckConstraint(_in("verdict", [v for v, _ in VERDICTS]), name="verdict"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    match_id: Mapped[int] = mapped_column(ForeignKey("matches.id"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    organization_id: Mapped[int | None] = mapped_column(ForeignKey("organizations.id"), index=True)
    verdict: Mapped[str] = mapped_column(String(16), index=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow, onupdate=utcnow)

    match: Mapped[Match] = relationship(back_populates="feedback")
    user = relationship("User")
