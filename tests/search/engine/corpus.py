"""A few hundred generated articles written straight into a seeded test database (SQLAlchemy Core, so the
SQL full-text triggers / generated column index them as the app's own inserts would).

The text comes from the benchmark's generator (bench/corpus.py: English news bodies with the seed's actors
named at known offsets), and the rows add what the generator does not vary: languages (including none),
duplicates, events, a group of articles sharing one timestamp (keyset ties) and membership spans that end
or start inside the corpus (member_of as of each article's date), and places named by a third of the
articles (bbox= and near=).
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from sqlalchemy import Engine, func, insert, select, text

from app.models import Actor, ActorAlias, Article, ArticlePlace, Event, EventArticle, Mention, Place, Relation
from bench.corpus import ActorInfo, Corpus, actor_surfaces

N_ARTICLES = 360
TIE_GROUP = 13  # articles sharing one published_at: more than a small page
TIE_AT = datetime(2023, 6, 15, 12, 0, 0, 250_000)
LANGUAGES = ["en"] * 6 + ["fr", "de", None]


@dataclass
class Built:
    ids: list[int]
    event_ids: list[int]
    tie_ids: list[int]
    actors: dict[str, int]  # slug -> id
    spans: dict[str, tuple[date | None, date | None]] = field(default_factory=dict)


def _actors(conn: Any) -> list[ActorInfo]:
    aliases: dict[int, list[str]] = {}
    rows = conn.execute(
        select(ActorAlias.actor_id, ActorAlias.alias)
        .where(ActorAlias.kind.in_(("name", "abbreviation")), ActorAlias.ambiguous.is_(False))
        .order_by(ActorAlias.id)
    )
    for actor_id, alias in rows:
        aliases.setdefault(actor_id, []).append(alias)
    return [
        ActorInfo(id=r.id, slug=r.slug, kind=r.kind, surfaces=actor_surfaces(r.name, aliases.get(r.id, [])))
        for r in conn.execute(select(Actor.id, Actor.slug, Actor.kind, Actor.name).order_by(Actor.id))
    ]


def build(engine: Engine, n: int = N_ARTICLES, seed: int = 11) -> Built:
    rng = random.Random(seed)
    with engine.begin() as conn:
        infos = _actors(conn)
        slugs = {a.slug: a.id for a in infos}
        first = int(conn.execute(select(func.max(Article.id))).scalar() or 0) + 1
        articles, mentions = [], []
        tie_ids = []
        for i, art in enumerate(Corpus(infos, n, seed=seed)):
            aid = first + i
            published = art.published_at.replace(microsecond=rng.randrange(1_000_000))
            if i % 27 == 5:
                tie_ids.append(aid)
                published = TIE_AT
            articles.append(
                {
                    "id": aid,
                    "url": art.url,
                    "canonical_url": art.url,
                    "content_hash": art.content_hash,
                    "title": art.title,
                    "body": art.body,
                    "summary": art.summary,
                    "source": art.source,
                    "language": rng.choice(LANGUAGES),
                    "published_at": published,
                    "duplicate_of_id": first + rng.randrange(i) if i > 10 and i % 23 == 0 else None,
                    "tags": art.tags,
                }
            )
            for actor_id, start, end, name in art.mentions:
                mentions.append(
                    {
                        "article_id": aid,
                        "actor_id": actor_id,
                        "start_offset": start,
                        "end_offset": end,
                        "text": name,
                    }
                )
        while len(tie_ids) < TIE_GROUP:  # top up the tie group from the end of the corpus
            row = articles[-1 - len(tie_ids)]
            row["published_at"] = TIE_AT
            tie_ids.append(row["id"])
        conn.execute(insert(Article), articles)
        conn.execute(insert(Mention), mentions)
        ids = [a["id"] for a in articles]
        # The 40 largest places of the seeded gazetteer, on every continent.
        places = list(
            conn.execute(select(Place.id).order_by(Place.population.desc(), Place.id).limit(40)).scalars()
        )
        named = [
            {"article_id": aid, "start_offset": k, "end_offset": k + 1, "place_id": pid, "text": pid}
            for aid in ids
            if rng.random() < 0.35
            for k, pid in enumerate(rng.sample(places, rng.randint(1, 3)))
        ]
        conn.execute(insert(ArticlePlace), named)

        event_ids = []
        for k in range(4):
            eid = conn.execute(
                insert(Event)
                .values(title=f"Engine test event {k}", start_date=date(2022 + k, 3, 1), source="test")
                .returning(Event.id)
            ).scalar_one()
            event_ids.append(eid)
            linked = sorted(rng.sample(ids, 6 + 5 * k))
            conn.execute(insert(EventArticle), [{"event_id": eid, "article_id": a} for a in linked])

        # Memberships that change inside the corpus' five years.
        nato = slugs["nato"]
        spans = {"india": (None, date(2023, 6, 1)), "brazil": (date(2022, 3, 1), date(2024, 1, 1))}
        for slug, (valid_from, valid_to) in spans.items():
            conn.execute(
                insert(Relation).values(
                    subject_id=slugs[slug],
                    type="member_of",
                    object_id=nato,
                    valid_from=valid_from,
                    valid_to=valid_to,
                )
            )
        if engine.dialect.name == "postgresql":
            for table in ("articles", "mentions", "events"):
                conn.execute(
                    text(
                        f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), (SELECT max(id) FROM {table}))"
                    )
                )
    all_ids = sorted(ids + [i for i in _seeded_ids(engine) if i not in ids])
    return Built(all_ids, event_ids, sorted(tie_ids), slugs, spans)


def _seeded_ids(engine: Engine) -> list[int]:
    with engine.connect() as conn:
        return list(conn.execute(select(Article.id).order_by(Article.id)).scalars())
