"""Alembic environment: runs on the synchronous URL of GEONEWS_DATABASE_URL (or the one passed in)."""

from __future__ import annotations

from alembic import context

from app.config import Settings, get_settings
from app.db import make_sync_engine
from app.models import Base

config = context.config
target_metadata = Base.metadata


def run_migrations_online() -> None:
    connection = config.attributes.get("connection")
    if connection is not None:
        _run(connection)
        return
    # A URL passed in (app.migrate) is used as it is: get_settings() would cache the environment's URL for
    # the rest of the process (a benchmark that migrates a temporary database, then points
    # GEONEWS_DATABASE_URL at it, would otherwise write to the default database).
    url = config.get_main_option("sqlalchemy.url")
    settings = Settings(database_url=url) if url else get_settings()
    engine = make_sync_engine(settings)
    with engine.connect() as conn:
        _run(conn)
    engine.dispose()


def _run(connection) -> None:  # type: ignore[no-untyped-def]
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_offline() -> None:
    context.configure(url=get_settings().sync_url, target_metadata=target_metadata, literal_binds=True)
    with context.begin_transaction():
        context.run_migrations()


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
