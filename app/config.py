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


DEV_CURSOR_SECRET = "geonews-dev-cursor-secret"


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="GEONEWS_", env_file=".env", extra="ignore")

    database_url: str = Field(
        default="sqlite:///./geonews.db",
        description="SQLAlchemy URL. sqlite:///path or postgresql://user@host/db.",
    )
    dev_mode: bool = Field(
        default=False,
        description="Development mode: `geonews serve` accepts the built-in development secrets.",
    )
    read_api_key_required: bool = Field(default=False, description="Require a read-scoped key for GETs.")
    public_url: str | None = Field(
        default=None,
        description="The API's public base URL, named in /openapi.json's `servers` (default: `/`, the "
        "server the document is read from).",
    )
    contact_url: str = Field(
        default="https://geonews.dev", description="Where users of this server ask for help (/openapi.json)."
    )
    contact_email: str | None = Field(default=None, description="Whom to write to (/openapi.json).")
    cors_origins: list[str] = Field(
        default=["*"], description="Origins allowed by CORS (JSON list or comma list; '*' for any)."
    )
    cors_allow_credentials: bool = Field(
        default=False,
        description="Let browsers send cookies/credentials cross-origin (needs explicit origins, never '*').",
    )
    max_body_bytes: int = Field(default=10 * 1024 * 1024, description="Largest request body accepted.")
    cursor_secret: str = Field(default=DEV_CURSOR_SECRET, description="Key that signs pagination cursors.")
    api_key_secret: str | None = Field(
        default=None,
        description="Key of the HMAC that stores API keys (default: the cursor secret). Changing it "
        "invalidates every stored key.",
    )
    seed_on_start: bool = Field(default=True, description="`geonews serve` seeds an empty database.")
    db_pool_size: int = Field(default=10, description="Connections per worker (PostgreSQL).")
    db_connect_timeout: float = Field(default=1.5, gt=0, description="Seconds to open a connection.")
    db_pool_timeout: float = Field(
        default=2.0, gt=0, description="Seconds a request waits for a pooled connection before a 503."
    )
    db_ping_timeout: float = Field(
        default=1.0, gt=0, description="Seconds a pooled connection has to answer its check-out ping."
    )
    db_statement_timeout_ms: int = Field(
        default=15_000,
        ge=0,
        description="Longest a statement may run (PostgreSQL statement_timeout; a progress-handler "
        "deadline on SQLite); 0 disables. Past it the request is a 503.",
    )
    readiness_timeout: float = Field(default=1.5, gt=0, description="Seconds /readyz waits for the database.")
    sqlite_busy_timeout_ms: int = Field(default=10000, description="How long one SQLite lock attempt waits.")
    sqlite_write_budget: float = Field(
        default=60.0,
        gt=0,
        description="Seconds a SQLite write may queue (in-worker lock plus BEGIN IMMEDIATE retries) "
        "before a 503 'busy'.",
    )
    sqlite_write_cache_mb: int = Field(
        default=64,
        ge=0,
        description="SQLite page cache of a connection while it stores a batch of articles (given back "
        "after; `geonews ingest` keeps it for its whole run); other work keeps 2 MiB a connection. 0: no "
        "change.",
    )
    rate_limit_enabled: bool = Field(default=True, description="Apply the rate limits below.")
    rate_limit_default: str = Field(
        default="1200/minute", description="Budget per API key (else per client address) for any request."
    )
    rate_limit_resolve: str = Field(default="60/minute", description="Budget for POST /v1/resolve.")
    rate_limit_export: str = Field(default="30/minute", description="Budget for exports (ndjson, csv…).")
    rate_limit_graph: str = Field(default="120/minute", description="Budget for network and path queries.")
    rate_limit_facets: str = Field(default="120/minute", description="Budget for lists with facets.")
    rate_limit_bulk: str = Field(default="120/minute", description="Budget for POST /v1/articles/bulk.")
    redis_url: str | None = Field(
        default=None,
        description="redis://host:port/db: share rate-limit counters across workers and instances.",
    )
    redis_prefix: str = Field(default="geonews", description="Prefix of the rate-limit keys in Redis.")
    resolve_max_bytes: int = Field(default=200_000, description="Largest POST /v1/resolve body.")
    header_timeout: float = Field(
        default=10.0, gt=0, description="Seconds a client has to send a request's headers."
    )
    body_timeout: float = Field(
        default=30.0, gt=0, description="Seconds the server waits for each piece of a request body."
    )
    keep_alive_timeout: int = Field(
        default=5, ge=1, description="Seconds an idle keep-alive connection stays."
    )
    max_connections: int = Field(
        default=1000, ge=1, description="Connections plus in-flight requests per worker; past it, 503."
    )
    export_chunk_rows: int = Field(
        default=1000, ge=1, description="Rows an export reads per chunk, each in a short session of its own."
    )
    export_send_timeout: float = Field(
        default=30.0,
        gt=0,
        description="Seconds an export waits for its client to take more bytes before dropping it.",
    )
    export_max_per_client: int = Field(
        default=4, ge=0, description="Exports one client address may run at once per worker (0: no bound)."
    )
    idempotency_wait: float = Field(
        default=30.0,
        gt=0,
        description="Seconds a retry waits for the request that holds its Idempotency-Key before a 409.",
    )
    idempotency_stale_after: float = Field(
        default=120.0,
        gt=0,
        description="Seconds after which an Idempotency-Key still in progress counts as abandoned.",
    )
    metrics_public: bool = Field(
        default=False, description="Serve /metrics without a key (else it needs an admin key)."
    )
    log_level: str = Field(default="info", description="uvicorn log level.")
    seed_dir: str | None = Field(default=None, description="Directory of seed files (default: seed_data/).")
    changes_poll_interval: float = Field(
        default=0.1,
        description="How often each worker looks for new changes (SQLite; PostgreSQL is woken by NOTIFY).",
    )
    changes_stream_buffer: int = Field(
        default=1000, description="Changes buffered per SSE subscriber before it is told to reconnect."
    )
    changes_heartbeat: float = Field(
        default=15,
        gt=0,
        description="Seconds between the comments that keep an idle SSE stream open through proxies.",
    )
    changes_retention_days: float = Field(
        default=30, description="`geonews changes prune` drops older changes."
    )
    changes_prune_interval_s: float = Field(
        default=0, description="Prune old changes on a timer every this many seconds (0: only by command)."
    )
    search_engine: bool = Field(
        default=True, description="Answer full text, facets, member_of and timelines from the search index."
    )
    index_dir: str | None = Field(
        default=None,
        description="The search index's directory (default: beside the SQLite file, or ./geonews-index/).",
    )
    ingest_processes: int = Field(
        default=0,
        ge=0,
        description="Processes per worker that decode, validate and prepare the articles of large bulk "
        "bodies (cleaning, fingerprints, language, linking; each holds the linkers and the language model, "
        "~150 MiB) and encode the search index's documents while they run; 0: all in the worker. For "
        "ingestion nodes (2 on 2 cores: 1,217 → 1,738 articles/s over HTTP bulk one request at a time, 2,047 "
        "with two in flight, `bench/bulk_cpu.py --processes N`, 2026-12-05): they start "
        "with the worker (`/readyz` shows `ingest_pool.started`), a burst of CPU.",
    )
    ingest_nice: int = Field(
        default=19,
        ge=0,
        le=19,
        description="Niceness of the preparing processes (GEONEWS_INGEST_PROCESSES, and `geonews ingest`'s): "
        "the process that stores, and the server's reads, keep the CPU first; nothing slows them when a "
        "core is free (2 cores, 0 → 19: `geonews ingest` 1,939–2,162 → 2,286–2,319 articles/s, HTTP bulk "
        "with two requests in flight 1,792–1,892 → 1,932–1,964); 0: the server's own.",
    )
    ingest_pool_min_items: int = Field(
        default=64,
        ge=1,
        description="Bulk bodies with fewer articles (and single POSTs) are prepared in the request's thread.",
    )
    index_commit_interval: float = Field(
        default=1.0, description="The indexer commits what it applied at least this often (seconds)."
    )
    index_rebuild_nice: int = Field(
        default=10,
        ge=0,
        le=19,
        description="Niceness of the process in which a server rebuilds an index of 50,000 articles or more "
        "(a schema upgrade, a missing index): the previous index keeps answering searches, which keep "
        "the CPU first (at 1M, ranked q at 4 connections during a rebuild: 269–277 → 443–451 req/s with "
        "10, `python bench/rebuild_reads.py`); 0: the server's own.",
    )
    search_consistency: str = Field(
        default="eventual",
        description="Default of `consistency=`: `eventual` reads the index as it is (about a second behind "
        "writes); `strong` waits for it to catch up, else SQL answers.",
    )
    search_strong_wait_s: float = Field(
        default=2.0,
        description="How long a `consistency=strong` read waits for the index to catch up before SQL answers.",
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

    @property
    def key_secret(self) -> str:
        return self.api_key_secret or self.cursor_secret

    def production_problems(self) -> list[str]:
        """Why this configuration must not serve outside development mode (empty when it may)."""
        problems = []
        if self.cursor_secret == DEV_CURSOR_SECRET:
            problems.append("GEONEWS_CURSOR_SECRET is the built-in development value")
        return problems


@lru_cache
def get_settings() -> Settings:
    return Settings()


def settings_table() -> str:
    """The README's configuration table, from the fields above (a test keeps the README in step)."""
    rows = ["| variable | default | meaning |", "| --- | --- | --- |"]
    for name, field in Settings.model_fields.items():
        default = field.default
        if default is None:
            shown = "unset"
        elif name.endswith("secret"):
            shown = "development value"
        elif isinstance(default, list):
            shown = ",".join(str(v) for v in default) or "(none)"
        else:
            shown = str(default).lower() if isinstance(default, bool) else str(default)
        meaning = (field.description or "").replace("|", "\\|").replace("\n", " ")
        rows.append(f"| `GEONEWS_{name.upper()}` | `{shown}` | {meaning} |")
    return "\n".join(rows)


if __name__ == "__main__":
    print(settings_table())
