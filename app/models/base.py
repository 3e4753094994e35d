from __future__ import annotations

from datetime import UTC, date, datetime, time
from typing import TYPE_CHECKING, ClassVar

from sqlalchemy import JSON, DateTime, Integer, MetaData, Table, func
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


# Free-form JSON columns: JSONB on PostgreSQL, JSON text on SQLite.
JSONType = JSON().with_variant(JSONB(), "postgresql")


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


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)

    if TYPE_CHECKING:
        # Every model here is declared with __tablename__, so it is mapped to a Table (SQLAlchemy types
        # __table__ as any FromClause, which has no insert()/update() and is refused by insert()).
        __table__: ClassVar[Table]


class IdMixin:
    id: Mapped[int] = mapped_column(Integer, primary_key=True)


class TimestampMixin:
    created_at: Mapped[datetime] = mapped_column(
        DateTime(), default=utcnow, server_default=func.current_timestamp()
    )
    updated_at: Mapped[datetime] = mapped_column(
        DateTime(), default=utcnow, onupdate=utcnow, server_default=func.current_timestamp()
    )
