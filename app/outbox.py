"""The change log's write side: every write records its changes in the SAME transaction (an outbox).

Services call `record(session, ...)`; the changes wait in the session and are inserted by a
`before_commit` hook, so they commit or roll back with the write they describe. Core loaders that work on
a Connection (the GDELT importer) call `write(conn, changes)` inside their transaction.

Ordering without holes: on PostgreSQL concurrent transactions commit in any order, so a sequence value
alone would let a reader see seq 11 committed while seq 10 is still in flight and later skip it. Here
`seq` is taken only at the very end of a transaction, under a transaction-scoped advisory lock that is
held until commit: whoever takes a seq commits before anyone else can take a larger one, so `seq` order is
commit order. SQLite has one writer at a time (BEGIN IMMEDIATE), which gives the same guarantee. The lock
is held only for the insert and the commit itself. Rolled-back transactions leave gaps, never holes.

On PostgreSQL the commit also sends a NOTIFY so that followers (app/changes/hub.py) wake at once.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from sqlalchemy import Connection, event, insert, text
from sqlalchemy.orm import Session

from .dialect import insert_rows
from .models import Change, ChangeActor, utcnow

NOTIFY_CHANNEL = "geonews_changes"
# Any constant: the advisory lock that serialises the assignment of change seqs.
SEQ_LOCK = 7_311_001
_PENDING = "geonews_pending_changes"
_DERIVED = "geonews_derived_changes"


@dataclass
class PendingChange:
    entity: str
    op: str
    entity_id: int
    data: dict[str, Any] | None = None
    actor_ids: Sequence[int] = field(default_factory=tuple)
    source: str | None = None
    published_at: datetime | None = None


def jsonable(value: Any) -> Any:
    """Dates and datetimes (naive UTC) as ISO text, for the change's JSON `data`."""
    if isinstance(value, datetime):
        return value.isoformat(timespec="seconds") + ("Z" if value.tzinfo is None else "")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, dict):
        return {k: jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [jsonable(v) for v in value]
    return value


def record(
    session: Any,
    entity: str,
    op: str,
    entity_id: int,
    data: dict[str, Any] | None = None,
    *,
    actor_ids: Iterable[int] = (),
    source: str | None = None,
    published_at: datetime | None = None,
) -> None:
    """Queue a change to be written when `session` (sync or async) commits."""
    session.info.setdefault(_PENDING, []).append(
        PendingChange(
            entity, op, entity_id, jsonable(data), tuple(dict.fromkeys(actor_ids)), source, published_at
        )
    )


def record_many(session: Any, changes: Iterable[PendingChange]) -> None:
    session.info.setdefault(_PENDING, []).extend(changes)


def record_derived(session: Any, changes: Iterable[PendingChange]) -> None:
    """Queue changes that follow from the others of this transaction (a story from its articles'): they
    are written after every change recorded with `record`/`record_many`, whenever those are recorded."""
    session.info.setdefault(_DERIVED, []).extend(changes)


def pending(session: Any) -> list[PendingChange]:
    return [*session.info.get(_PENDING, ()), *session.info.get(_DERIVED, ())]


def write(conn: Connection, changes: Sequence[PendingChange]) -> list[int]:
    """Insert changes on this connection's transaction, taking the seq lock first; returns their seqs."""
    if not changes:
        return []
    postgres = conn.dialect.name == "postgresql"
    if postgres:
        conn.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": SEQ_LOCK})
    now = utcnow()
    rows = [
        {
            "at": now,
            "entity": c.entity,
            "entity_id": c.entity_id,
            "op": c.op,
            "data": c.data,
            "source": c.source,
            "published_at": c.published_at,
        }
        for c in changes
    ]
    seqs = _insert_changes(conn, rows, postgres)
    links = [
        {"seq": s, "actor_id": a}
        for s, c in zip(seqs, changes, strict=True)
        for a in dict.fromkeys(c.actor_ids)
    ]
    insert_rows(conn, ChangeActor.__table__, links)
    if postgres:
        conn.execute(
            text("SELECT pg_notify(:channel, :seq)"), {"channel": NOTIFY_CHANNEL, "seq": str(seqs[-1])}
        )
    return seqs


_INSERT = insert(Change.__table__)
_NEXT_SEQS = text("SELECT nextval(pg_get_serial_sequence('changes', 'seq')) FROM generate_series(1, :n)")
_LAST_ROWID = text("SELECT last_insert_rowid()")


def _insert_changes(conn: Connection, rows: list[dict[str, Any]], postgres: bool) -> list[int]:
    """Insert the rows with one plain executemany (no RETURNING, which made SQLAlchemy insert them in
    batches and sort what came back: ~10 % of storing an ingested batch); returns their seqs in order.
    PostgreSQL: the seqs are drawn first, under the seq lock. SQLite: one writer at a time and
    AUTOINCREMENT give the rows of one executemany consecutive rowids, ending at last_insert_rowid()."""
    if postgres:
        seqs: list[int] = sorted(conn.execute(_NEXT_SEQS, {"n": len(rows)}).scalars())
        conn.execute(_INSERT, [{**r, "seq": s} for r, s in zip(rows, seqs, strict=True)])
        return seqs
    insert_rows(conn, Change.__table__, rows)
    last = int(conn.execute(_LAST_ROWID).scalar_one())
    return list(range(last - len(rows) + 1, last + 1))


@event.listens_for(Session, "before_commit")
def _write_pending(session: Session) -> None:
    changes = [*session.info.pop(_PENDING, ()), *session.info.pop(_DERIVED, ())]
    if changes:
        write(session.connection(), changes)


@event.listens_for(Session, "after_rollback")
def _drop_pending(session: Session) -> None:
    session.info.pop(_PENDING, None)
    session.info.pop(_DERIVED, None)
