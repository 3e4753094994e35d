"""Seed articles (articles.json): the curated article and its actor mentions, keyed by canonical URL.

A mention's offsets must select its text in the body, so a seed edit that shifts the body fails loudly
instead of storing mentions that point at the wrong words.
"""

from __future__ import annotations

from typing import Any

from ..ingestion.fingerprint import fingerprints
from ..ingestion.linker import Match
from ..ingestion.places import place_linker
from ..ingestion.urls import canonicalize_url
from ..models import Article
from . import repository
from .context import SEED_SOURCE, SeedContext, assign, to_datetime


def load_articles(ctx: SeedContext, records: list[dict[str, Any]]) -> None:
    s, report = ctx.session, ctx.report
    for rec in records:
        canonical = canonicalize_url(rec["url"])
        article = repository.article_by_canonical_url(s, canonical)
        values = {
            "url": rec["url"],
            "title": rec["title"],
            "body": rec["body"],
            "summary": rec.get("summary"),
            "source": rec.get("source") or SEED_SOURCE,
            "language": rec.get("language"),
            "published_at": to_datetime(rec["published_at"]),
            "tags": rec.get("tags"),
            **fingerprints(rec["title"], rec["body"]),
        }
        if article is None:
            article = Article(canonical_url=canonical, **values)
            s.add(article)
            s.flush()
            report.created["articles"] += 1
        elif assign(article, values):
            report.updated["articles"] += 1
        ctx.article_ids[rec["key"]] = article.id
        if "mentions" in rec:
            _load_mentions(ctx, article.id, rec["body"], rec["mentions"])
        _load_places(ctx, article.id, rec["body"], rec.get("mentions", []))
    s.flush()


def _load_places(ctx: SeedContext, article_id: int, body: str, mentions: list[dict[str, Any]]) -> None:
    """The places the place linker finds in the body, the curated actor mentions winning over them."""
    actors = [Match(0, m["start"], m["end"], m["text"], 1.0, "curated") for m in mentions]
    found = place_linker().find(body, actors)
    wanted = {(p.place_id, p.start, p.end, p.text) for p in found}
    if wanted != repository.places_of(ctx.session, article_id):
        repository.replace_places(ctx.session, article_id, sorted(wanted, key=lambda w: w[1]))
        ctx.report.updated["article places"] += 1


def _load_mentions(ctx: SeedContext, article_id: int, body: str, mentions: list[dict[str, Any]]) -> None:
    wanted = set()
    for m in mentions:
        if body[m["start"] : m["end"]] != m["text"]:
            raise ValueError(f"seed mention {m} does not match the article body")
        wanted.add((ctx.actor(m["actor"]), m["start"], m["end"], m["text"], float(m.get("confidence", 1.0))))
    if wanted != repository.mentions_of(ctx.session, article_id):
        repository.replace_mentions(ctx.session, article_id, sorted(wanted, key=lambda w: w[1]))
        ctx.report.updated["mentions"] += 1
