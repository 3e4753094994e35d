"""The seed's data access: every statement the seed loaders run, on a sync ORM ``Session``.

The domain repositories hold the same look-ups and ``replace_*`` writes for HTTP, but on an
``AsyncSession``; the seed runs from the command line on a sync session, so its own small functions live
here, named like theirs. Loaders read a whole table once (the seed is small, the tables it fills are
small) and compare in Python, so a second run writes nothing.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from ..models import (
    Actor,
    ActorAlias,
    Article,
    ArticlePlace,
    Claim,
    ClaimAbout,
    Event,
    EventArticle,
    EventParticipant,
    EventType,
    ExternalId,
    Mention,
    Place,
    Proposition,
    Relation,
    RelationEvidence,
)

ALIAS_FIELDS = ("alias", "normalized", "kind", "ambiguous", "case_sensitive")


# -- event types ------------------------------------------------------------------------------------------
def event_types_by_code(s: Session) -> dict[str, EventType]:
    return {t.code: t for t in s.scalars(select(EventType))}


# -- actors -------------------------------------------------------------------------------------------------
def any_actor(s: Session) -> bool:
    return s.scalar(select(Actor.id).limit(1)) is not None


def actors_by_slug(s: Session) -> dict[str, Actor]:
    return {a.slug: a for a in s.scalars(select(Actor))}


def actor_id(s: Session, slug: str) -> int | None:
    return s.scalar(select(Actor.id).where(Actor.slug == slug))


def alias_rows_by_actor(s: Session) -> dict[int, set[tuple[Any, ...]]]:
    """actor id -> its aliases as tuples of ALIAS_FIELDS."""
    out: dict[int, set[tuple[Any, ...]]] = {}
    for a in s.scalars(select(ActorAlias)):
        out.setdefault(a.actor_id, set()).add(tuple(getattr(a, f) for f in ALIAS_FIELDS))
    return out


def replace_aliases(s: Session, actor_id: int, rows: list[dict[str, Any]]) -> None:
    s.execute(delete(ActorAlias).where(ActorAlias.actor_id == actor_id))
    s.add_all(ActorAlias(actor_id=actor_id, **r) for r in rows)


def external_ids_by_actor(s: Session) -> dict[int, dict[str, str]]:
    """actor id -> {scheme: value}."""
    out: dict[int, dict[str, str]] = {}
    for e in s.scalars(select(ExternalId)):
        out.setdefault(e.actor_id, {})[e.scheme] = e.value
    return out


def replace_external_ids(s: Session, actor_id: int, ids: dict[str, str]) -> None:
    s.execute(delete(ExternalId).where(ExternalId.actor_id == actor_id))
    s.flush()
    s.add_all(ExternalId(actor_id=actor_id, scheme=k, value=v) for k, v in ids.items())


# -- articles and mentions ----------------------------------------------------------------------------------
def article_by_canonical_url(s: Session, canonical_url: str) -> Article | None:
    return s.scalar(select(Article).where(Article.canonical_url == canonical_url))


def mentions_of(s: Session, article_id: int) -> set[tuple[int, int, int, str, float]]:
    """(actor_id, start, end, text, confidence) of the article's mentions."""
    return {
        (r.actor_id, r.start_offset, r.end_offset, r.text, r.confidence)
        for r in s.scalars(select(Mention).where(Mention.article_id == article_id))
    }


def replace_mentions(s: Session, article_id: int, rows: Iterable[tuple[int, int, int, str, float]]) -> None:
    s.execute(delete(Mention).where(Mention.article_id == article_id))
    s.add_all(
        Mention(article_id=article_id, actor_id=a, start_offset=st, end_offset=e, text=t, confidence=c)
        for a, st, e, t, c in rows
    )


# -- relations ----------------------------------------------------------------------------------------------
def relations_by_key(s: Session) -> dict[tuple[Any, ...], Relation]:
    """(subject_id, type, object_id, valid_from, title) -> relation."""
    return {
        (r.subject_id, r.type, r.object_id, r.valid_from, r.title): r for r in s.scalars(select(Relation))
    }


def evidence_by_relation(s: Session) -> dict[int, set[tuple[int, str | None]]]:
    """relation id -> its (article_id, quote) pairs."""
    out: dict[int, set[tuple[int, str | None]]] = {}
    for ev in s.scalars(select(RelationEvidence)):
        out.setdefault(ev.relation_id, set()).add((ev.article_id, ev.quote))
    return out


def replace_evidence(s: Session, relation_id: int, rows: Iterable[tuple[int, str | None]]) -> None:
    s.execute(delete(RelationEvidence).where(RelationEvidence.relation_id == relation_id))
    s.add_all(RelationEvidence(relation_id=relation_id, article_id=a, quote=q) for a, q in rows)


# -- events -------------------------------------------------------------------------------------------------
def events_by_external_id(s: Session, source: str) -> dict[str | None, Event]:
    return {e.external_id: e for e in s.scalars(select(Event).where(Event.source == source))}


def participants_of(s: Session, event_id: int) -> set[tuple[int, str]]:
    """(actor_id, role) of the event's participants."""
    return {
        (p.actor_id, p.role)
        for p in s.scalars(select(EventParticipant).where(EventParticipant.event_id == event_id))
    }


def replace_participants(s: Session, event_id: int, rows: Iterable[tuple[int, str]]) -> None:
    s.execute(delete(EventParticipant).where(EventParticipant.event_id == event_id))
    s.add_all(EventParticipant(event_id=event_id, actor_id=a, role=r) for a, r in rows)


def article_ids_of_event(s: Session, event_id: int) -> set[int]:
    return set(s.scalars(select(EventArticle.article_id).where(EventArticle.event_id == event_id)))


def replace_articles(s: Session, event_id: int, article_ids: Iterable[int]) -> None:
    s.execute(delete(EventArticle).where(EventArticle.event_id == event_id))
    s.add_all(EventArticle(event_id=event_id, article_id=a) for a in article_ids)


# -- propositions and claims --------------------------------------------------------------------------------
def propositions_by_key(s: Session) -> dict[str | None, Proposition]:
    return {p.key: p for p in s.scalars(select(Proposition).where(Proposition.key.is_not(None)))}


def claims_by_key(s: Session) -> dict[tuple[int, int, str], Claim]:
    """(speaker_id, article_id, text) -> claim."""
    return {(c.speaker_id, c.article_id, c.text): c for c in s.scalars(select(Claim))}


def about_by_claim(s: Session) -> dict[int, set[int]]:
    """claim id -> the actors it is about."""
    out: dict[int, set[int]] = {}
    for ca in s.scalars(select(ClaimAbout)):
        out.setdefault(ca.claim_id, set()).add(ca.actor_id)
    return out


def replace_about(s: Session, claim_id: int, actor_ids: Iterable[int]) -> None:
    s.execute(delete(ClaimAbout).where(ClaimAbout.claim_id == claim_id))
    s.add_all(ClaimAbout(claim_id=claim_id, actor_id=a) for a in actor_ids)


def places_of(s: Session, article_id: int) -> set[tuple[str, int, int, str]]:
    rows = s.execute(
        select(
            ArticlePlace.place_id, ArticlePlace.start_offset, ArticlePlace.end_offset, ArticlePlace.text
        ).where(ArticlePlace.article_id == article_id)
    )
    return {tuple(r) for r in rows}  # type: ignore[misc]


def replace_places(s: Session, article_id: int, rows: list[tuple[str, int, int, str]]) -> None:
    s.execute(delete(ArticlePlace).where(ArticlePlace.article_id == article_id))
    known = set(s.scalars(select(Place.id).where(Place.id.in_({r[0] for r in rows}))))
    values = [
        {"article_id": article_id, "place_id": p, "start_offset": a, "end_offset": b, "text": t[:255]}
        for p, a, b, t in rows
        if p in known
    ]
    if values:
        s.execute(ArticlePlace.__table__.insert(), values)
