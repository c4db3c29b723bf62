"""Time as people in Yongjia read it (北京时间, UTC+8, no daylight saving) and as the database keeps it (UTC).

SQLite gives timezone-aware columns back naive; `as_utc` makes every value comparable again.
"""
from datetime import UTC, date, datetime, timedelta, timezone

BEIJING = timezone(timedelta(hours=8), "北京时间")


def as_utc(value: datetime | None) -> datetime | None:
    if value is None:
        return None
    if value.tzinfo is None:
        return value.replace(tzinfo=UTC)
    return value.astimezone(UTC)


def from_local(value: datetime) -> datetime:
    """A naive date-time typed in a form (Beijing time) → aware UTC."""
    if value.tzinfo is None:
        value = value.replace(tzinfo=BEIJING)
    return value.astimezone(UTC)


def to_local(value: datetime | None) -> datetime | None:
    value = as_utc(value)
    return value.astimezone(BEIJING) if value else None


def local_today(now: datetime | None = None) -> date:
    return (as_utc(now) or datetime.now(UTC)).astimezone(BEIJING).date()


def fmt_local(value: datetime | None, pattern: str = "%Y-%m-%d %H:%M") -> str:
    value = to_local(value)
    return value.strftime(pattern) if value else ""
