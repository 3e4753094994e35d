from __future__ import annotations

from datetime import datetime
from typing import Literal, get_args

from sqlalchemy import DateTime, String
from sqlalchemy.orm import Mapped, mapped_column

from .base import Base, IdMixin, utcnow

Scope = Literal["read", "write", "admin"]
SCOPES: tuple[str, ...] = get_args(Scope)


class ApiKey(IdMixin, Base):
    """Only the SHA-256 of a key is stored; `prefix` lets a human tell keys apart."""

    __tablename__ = "api_keys"

    name: Mapped[str] = mapped_column(String(255))
    prefix: Mapped[str] = mapped_column(String(16))
    key_hash: Mapped[str] = mapped_column(String(64), unique=True)
    scope: Mapped[str] = mapped_column(String(16))
    created_at: Mapped[datetime] = mapped_column(DateTime(), default=utcnow)
    last_used_at: Mapped[datetime | None] = mapped_column(DateTime())
    revoked_at: Mapped[datetime | None] = mapped_column(DateTime())
