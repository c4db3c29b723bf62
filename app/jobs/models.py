from datetime import datetime

from sqlalchemy import CheckConstraint, DateTime, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from app.accounts.models import _in
from app.extensions import db
from app.models_base import TimestampMixin

JOB_STATUSES = [("queued", "排队中"), ("running", "进行中"), ("done", "已完成"), ("failed", "失败")]


class Job(TimestampMixin, db.Model):
    __tablename__ = "jobs"
    __table_args__ = (
        CheckConstraint(_in("status", [s for s, _ in JOB_STATUSES]), name="status"),
        CheckConstraint("progress >= 0 AND total >= 0", name="progress"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(40), index=True)
    params: Mapped[str] = mapped_column(Text, default="{}")  # JSON text
    status: Mapped[str] = mapped_column(String(16), default="queued", index=True)
    progress: Mapped[int] = mapped_column(Integer, default=0)
    total: Mapped[int] = mapped_column(Integer, default=0)
    message: Mapped[str] = mapped_column(Text, default="")
    result_path: Mapped[str] = mapped_column(String(500), default="")
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), index=True)
    finished_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))

    @property
    def percent(self) -> int:
        if self.status == "done":
            return 100
        return int(100 * self.progress / self.total) if self.total else 0
