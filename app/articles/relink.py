"""`geonews relink`: run the actor linker again over stored articles, after actors or aliases changed.

Articles are read in id order in batches, each batch in its own short write transaction: the mentions of an
article whose links differ from what the current gazetteer finds are replaced, and an `updated` change is
recorded for it (so the change feed, webhooks and the search index follow). It is resumable: `--after-id`
starts after an article id (the command prints where it stopped), and a run that finds nothing to change
writes nothing.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import delete, func, insert, select
from sqlalchemy.orm import Session

from .. import outbox
from ..actors.gazetteer import load_entries
from ..dialect import immediate_writes, in_list
from ..ingestion.linker import Gazetteer
from ..ingestion.pipeline import mention_rows
from ..models import Article, Mention


@dataclass
class RelinkReport:
    scanned: int = 0
    changed: int = 0
    added: int = 0
    removed: int = 0
    last_id: int = 0


def count(engine: Any, since: datetime | None, after_id: int) -> int:
    with Session(engine) as session:
        stmt = select(func.count()).select_from(Article).where(Article.id > after_id)
        if since is not None:
            stmt = stmt.where(Article.published_at >= since)
        return int(session.scalar(stmt) or 0)


def relink(
    engine: Any,
    *,
    since: datetime | None = None,
    after_id: int = 0,
    batch: int = 500,
    advance: Callable[[int], None] = lambda n: None,
) -> RelinkReport:
    with Session(engine) as session:
        gazetteer = Gazetteer(load_entries(session))
    report = RelinkReport(last_id=after_id)
    writer = immediate_writes(engine)
    while True:
        with Session(writer) as session, session.begin():
            stmt = (
                select(Article.id, Article.body, Article.source, Article.published_at)
                .where(Article.id > report.last_id)
                .order_by(Article.id)
                .limit(batch)
            )
            if since is not None:
                stmt = stmt.where(Article.published_at >= since)
            rows = session.execute(stmt).all()
            if not rows:
                return report
            ids = [r.id for r in rows]
            stored: dict[int, list[tuple[int, int, int]]] = defaultdict(list)
            for aid, actor, start, end in session.execute(
                select(Mention.article_id, Mention.actor_id, Mention.start_offset, Mention.end_offset).where(
                    in_list(Mention.article_id, ids)
                )
            ):
                stored[aid].append((actor, start, end))
            fresh_rows, changes, changed_ids = [], [], []
            for r in rows:
                matches = gazetteer.find(r.body or "")
                now = sorted((m.actor_id, m.start, m.end) for m in matches)
                before = sorted(stored.get(r.id, []))
                if now == before:
                    continue
                changed_ids.append(r.id)
                report.added += len(set(now) - set(before))
                report.removed += len(set(before) - set(now))
                fresh_rows += mention_rows(matches, article_id=r.id)
                actors = sorted({a for a, _, _ in now} | {a for a, _, _ in before})
                changes.append(
                    outbox.PendingChange(
                        "article",
                        "updated",
                        r.id,
                        {"relinked": True, "actors": sorted({a for a, _, _ in now})},
                        tuple(actors),
                        source=r.source,
                        published_at=r.published_at,
                    )
                )
            if changed_ids:
                session.execute(delete(Mention).where(in_list(Mention.article_id, changed_ids)))
                if fresh_rows:
                    session.execute(insert(Mention), fresh_rows)
                outbox.write(session.connection(), changes)
            report.scanned += len(rows)
            report.changed += len(changed_ids)
            report.last_id = ids[-1]
        advance(len(rows))
