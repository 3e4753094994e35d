"""One Settings object for the whole service, read from the environment (prefix GEONEWS_)."""

from __future__ import annotations

from functools import lru_cache

from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict


def async_database_url(url: str) -> str:
    """Map a plain SQLAlchemy URL to the async driver geonews runs on."""
    if url.startswith("sqlite:"):
        return "sqlite+aiosqlite:" + url[len("sqlite:") :]
    if url.startswith(("postgres://", "postgresql://")):
        return "postgresql+asyncpg://" + url.split("://", 1)[1]
    if url.startswith("postgresql+psycopg://") or url.startswith("postgresql+psycopg2://"):
        return "postgresql+asyncpg://" + url.split("://", 1)[1]
    return url


def sync_database_url(url: str) -> str:
    """The synchronous URL for the same database (migrations, bulk CLI loads)."""
    if url.startswith("sqlite+aiosqlite:"):
        return "sqlite:" + url[len("sqlite+aiosqlite:") :]
    if url.startswith("postgresql+asyncpg://") or url.startswith("postgres://"):
        return "postgresql+psycopg://" + url.split("://", 1)[1]
    if url.startswith("postgresql://"):
        return "postgresql+psycopg://" + url.split("://", 1)[1]
    return url


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="GEONEWS_", env_file=".env", extra="ignore")

    database_url: str = Field(
        default="sqlite:///./geonews.db",
        description="SQLAlchemy URL. sqlite:///path or postgresql://user@host/db.",
    )
    read_api_key_required: bool = Field(default=False, description="Require a read-scoped key for GETs.")
    cors_origins: list[str] = Field(default=["*"], description="Origins allowed by CORS (JSON list or '*').")
    max_body_bytes: int = Field(default=10 * 1024 * 1024, description="Largest request body accepted.")
    cursor_secret: str = Field(
        default="geonews-dev-cursor-secret", description="Key that signs pagination cursors."
    )
    seed_on_start: bool = Field(default=True, description="`geonews serve` seeds an empty database.")
    db_pool_size: int = Field(default=10, description="Connections per worker (PostgreSQL).")
    sqlite_busy_timeout_ms: int = Field(default=10000, description="How long SQLite waits for a lock.")
    log_level: str = Field(default="info", description="uvicorn log level.")
    seed_dir: str | None = Field(default=None, description="Directory of seed files (default: seed_data/).")
    changes_poll_interval: float = Field(
        default=0.1,
        description="How often each worker looks for new changes (SQLite; PostgreSQL is woken by NOTIFY).",
    )
    changes_stream_buffer: int = Field(
        default=1000, description="Changes buffered per SSE subscriber before it is told to reconnect."
    )
    changes_retention_days: float = Field(
        default=30, description="`geonews changes prune` drops older changes."
    )
    changes_prune_interval_s: float = Field(
        default=0, description="Prune old changes on a timer every this many seconds (0: only by command)."
    )
    webhooks_enabled: bool = Field(default=True, description="Deliver webhooks from this process.")
    webhooks_allow_private: bool = Field(
        default=False,
        description="Allow webhook targets on loopback and private networks (never link-local).",
    )
    webhooks_max_failures: int = Field(
        default=10, description="Pause a subscription after this many failures."
    )
    webhooks_backoff_base_s: float = Field(default=2.0, description="First retry delay; doubles per failure.")
    webhooks_backoff_max_s: float = Field(default=600.0, description="Longest retry delay.")
    webhooks_batch: int = Field(default=100, description="Changes per webhook delivery.")
    webhooks_timeout_s: float = Field(default=10.0, description="How long a receiver may take to answer.")

    @field_validator("cors_origins", mode="before")
    @classmethod
    def _split_origins(cls, v: object) -> object:
        if isinstance(v, str) and not v.strip().startswith("["):
            return [o.strip() for o in v.split(",") if o.strip()]
        return v

    @property
    def async_url(self) -> str:
        return async_database_url(self.database_url)

    @property
    def sync_url(self) -> str:
        return sync_database_url(async_database_url(self.database_url))

    @property
    def is_sqlite(self) -> bool:
        return self.async_url.startswith("sqlite")


@lru_cache
def get_settings() -> Settings:
    return Settings()
