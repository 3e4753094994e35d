"""Facet counts over the whole match of a list query, computed in SQL (top values per facet)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import desc, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from ..models import Actor, Article, Mention

ARTICLE_FACETS = ("source", "language", "actor", "actor_kind")
TOP = 20


async def article_facets(
    session: AsyncSession, ids: Any, names: list[str]
) -> dict[str, list[dict[str, Any]]]:
    """`ids` is a subquery of matching article ids."""
    out: dict[str, list[dict[str, Any]]] = {}
    n = func.count().label("count")
    for name in names:
        if name in ("source", "language"):
            col = getattr(Article, name)
            stmt = (
                select(col.label("value"), n)
                .where(Article.id.in_(ids))
                .group_by(col)
                .order_by(desc("count"), col)
                .limit(TOP)
            )
            out[name] = [{"value": v, "count": c} for v, c in (await session.execute(stmt)).all()]
        elif name == "actor":
            articles = func.count(func.distinct(Mention.article_id)).label("count")
            top = (
                select(Mention.actor_id, articles)
                .where(Mention.article_id.in_(ids))
                .group_by(Mention.actor_id)
                .order_by(desc("count"), Mention.actor_id)
                .limit(TOP)
                .subquery()
            )
            stmt = select(Actor.id, Actor.slug, Actor.name, Actor.kind, top.c.count).join(
                top, top.c.actor_id == Actor.id
            )
            rows = sorted((await session.execute(stmt)).all(), key=lambda r: (-r.count, r.id))
            out[name] = [
                {"value": r.slug, "id": r.id, "name": r.name, "kind": r.kind, "count": r.count} for r in rows
            ]
        elif name == "actor_kind":
            articles = func.count(func.distinct(Mention.article_id)).label("count")
            stmt = (
                select(Actor.kind.label("value"), articles)
                .join(Actor, Actor.id == Mention.actor_id)
                .where(Mention.article_id.in_(ids))
                .group_by(Actor.kind)
                .order_by(desc("count"), Actor.kind)
            )
            out[name] = [{"value": v, "count": c} for v, c in (await session.execute(stmt)).all()]
    return out
