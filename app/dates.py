"""How dates are stored: naive UTC on both engines. Kept apart from app.models so that the preparing
processes, which validate and convert articles, need no SQLAlchemy."""

from __future__ import annotations

from datetime import UTC, date, datetime, time


def utcnow() -> datetime:
    """Naive UTC: both engines store it the same way and it sorts as text on SQLite."""
    return datetime.now(UTC).replace(tzinfo=None)


def to_utc_naive(value: datetime | date) -> datetime:
    """How a client's date or datetime is stored: naive UTC (a date is its midnight)."""
    if not isinstance(value, datetime):
        return datetime.combine(value, time())
    if value.tzinfo is not None:
        value = value.astimezone(UTC).replace(tzinfo=None)
    return value
