"""Load the curated knowledge in seed_data/ into the database, idempotently.

Every record has a natural key (actor slug, article canonical URL, event key, relation
subject/type/object/valid_from/title, proposition key, claim speaker/article/text), so loading twice
changes nothing and editing a seed file and loading again updates what changed.
"""

from __future__ import annotations

import csv
import json
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, delete, select
from sqlalchemy.orm import Session

from ..ingestion.fingerprint import fingerprints
from ..ingestion.urls import canonicalize_url
from ..models import (
    Actor,
    ActorAlias,
    Article,
    Claim,
    ClaimAbout,
    Event,
    EventArticle,
    EventParticipant,
    EventType,
    ExternalId,
    Mention,
    Proposition,
    Relation,
    RelationEvidence,
)
from ..text import fold

SEED_DIR = Path(__file__).resolve().parents[2] / "seed_data"
SEED_SOURCE = "seed"
QUAD_CLASS = {**dict.fromkeys(range(1, 6), 1), **dict.fromkeys(range(6, 10), 2)}
QUAD_CLASS.update({**dict.fromkeys(range(10, 15), 3), **dict.fromkeys(range(15, 21), 4)})


@dataclass
class SeedReport:
    created: Counter[str] = field(default_factory=Counter)
    updated: Counter[str] = field(default_factory=Counter)

    @property
    def changed(self) -> bool:
        return bool(sum(self.created.values()) or sum(self.updated.values()))

    def summary(self) -> str:
        kinds = sorted(set(self.created) | set(self.updated))
        if not kinds:
            return "seed: nothing to change"
        return "seed: " + ", ".join(f"{k} +{self.created[k]} ~{self.updated[k]}" for k in kinds)


def _read_json(path: Path) -> list[dict[str, Any]]:
    if not path.exists():
        return []
    return json.loads(path.read_text(encoding="utf-8"))


def _d(value: str | None) -> date | None:
    return date.fromisoformat(value) if value else None


def _dt(value: str) -> datetime:
    parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    return parsed if parsed.tzinfo is None else parsed.astimezone(UTC).replace(tzinfo=None)


def _set(obj: Any, values: dict[str, Any]) -> bool:
    changed = False
    for key, value in values.items():
        if getattr(obj, key) != value:
            setattr(obj, key, value)
            changed = True
    return changed


def cameo_types(path: Path) -> list[dict[str, Any]]:
    """The CAMEO table as event types: code, name, root, parent, quad class, Goldstein score."""
    rows = []
    with path.open(encoding="utf-8") as fh:
        reader = csv.reader(fh, delimiter="\t")
        next(reader)
        for rec in reader:
            if len(rec) < 2 or not rec[0].strip().isdigit():
                continue
            code = rec[0].strip()
            name = rec[1].strip()
            name = name.capitalize() if name.isupper() else name
            gold = float(rec[2]) if len(rec) > 2 and rec[2].strip() else None
            parent = None if len(code) == 2 else (code[:2] if len(code) == 3 else code[:3])
            rows.append(
                {
                    "code": code,
                    "name": name,
                    "root_code": code[:2],
                    "parent_code": parent,
                    "quad_class": QUAD_CLASS.get(int(code[:2])),
                    "goldstein": gold,
                }
            )
    return rows


class SeedLoader:
    def __init__(self, session: Session, seed_dir: Path = SEED_DIR) -> None:
        self.s = session
        self.dir = seed_dir
        self.report = SeedReport()
        self.actor_ids: dict[str, int] = {}
        self.article_ids: dict[str, int] = {}
        self.event_ids: dict[str, int] = {}
        self.proposition_ids: dict[str, int] = {}

    def load_all(self) -> SeedReport:
        self.event_types()
        self.actors(_read_json(self.dir / "countries.json") + _read_json(self.dir / "actors.json"))
        self.articles(_read_json(self.dir / "articles.json"))
        self.relations(_read_json(self.dir / "relations.json"))
        self.events(_read_json(self.dir / "events.json"))
        self.propositions(_read_json(self.dir / "propositions.json"))
        self.claims(_read_json(self.dir / "claims.json"))
        self.s.flush()
        return self.report

    # -- taxonomy ---------------------------------------------------------------------------------
    def event_types(self) -> None:
        path = self.dir / "cameo-event-codes.tsv"
        if not path.exists():
            return
        existing = {t.code: t for t in self.s.scalars(select(EventType))}
        for row in cameo_types(path):
            current = existing.get(row["code"])
            if current is None:
                self.s.add(EventType(**row))
                self.report.created["event_types"] += 1
            elif _set(current, row):
                self.report.updated["event_types"] += 1
        self.s.flush()

    # -- actors -----------------------------------------------------------------------------------
    def actors(self, records: list[dict[str, Any]]) -> None:
        existing = {a.slug: a for a in self.s.scalars(select(Actor))}
        aliases: dict[int, set[tuple[Any, ...]]] = {}
        for a in self.s.scalars(select(ActorAlias)):
            aliases.setdefault(a.actor_id, set()).add(
                (a.alias, a.normalized, a.kind, a.ambiguous, a.case_sensitive)
            )
        ext: dict[int, dict[str, str]] = {}
        for e in self.s.scalars(select(ExternalId)):
            ext.setdefault(e.actor_id, {})[e.scheme] = e.value
        for rec in records:
            values = {
                "kind": rec["kind"],
                "name": rec["name"],
                "country": rec.get("country"),
                "description": rec.get("description"),
            }
            actor = existing.get(rec["slug"])
            if actor is None:
                actor = Actor(slug=rec["slug"], **values)
                self.s.add(actor)
                self.s.flush()
                self.report.created["actors"] += 1
            elif _set(actor, values):
                self.report.updated["actors"] += 1
            self.actor_ids[actor.slug] = actor.id
            wanted = self._alias_rows(rec)
            if {tuple(r.values()) for r in wanted} != aliases.get(actor.id, set()):
                self.s.execute(delete(ActorAlias).where(ActorAlias.actor_id == actor.id))
                self.s.add_all(ActorAlias(actor_id=actor.id, **r) for r in wanted)
                self.report.updated["aliases"] += 1
            wanted_ext = {k: str(v) for k, v in (rec.get("external_ids") or {}).items() if v}
            if wanted_ext != ext.get(actor.id, {}):
                self.s.execute(delete(ExternalId).where(ExternalId.actor_id == actor.id))
                self.s.flush()
                self.s.add_all(
                    ExternalId(actor_id=actor.id, scheme=k, value=v) for k, v in wanted_ext.items()
                )
                self.report.updated["external_ids"] += 1
        self.s.flush()

    @staticmethod
    def _alias_rows(rec: dict[str, Any]) -> list[dict[str, Any]]:
        seen = {fold(rec["name"])}
        rows = []
        for item in rec.get("aliases") or []:
            item = {"alias": item} if isinstance(item, str) else item
            norm = fold(item["alias"])
            if not norm or norm in seen:
                continue
            seen.add(norm)
            rows.append(
                {
                    "alias": item["alias"],
                    "normalized": norm,
                    "kind": item.get("kind", "name"),
                    "ambiguous": bool(item.get("ambiguous", False)),
                    "case_sensitive": bool(item.get("case_sensitive", False)),
                }
            )
        return rows

    def _actor(self, slug: str) -> int:
        if slug not in self.actor_ids:
            found = self.s.scalar(select(Actor.id).where(Actor.slug == slug))
            if found is None:
                raise ValueError(f"seed data refers to unknown actor {slug!r}")
            self.actor_ids[slug] = found
        return self.actor_ids[slug]

    # -- articles ---------------------------------------------------------------------------------
    def articles(self, records: list[dict[str, Any]]) -> None:
        for rec in records:
            canonical = canonicalize_url(rec["url"])
            article = self.s.scalar(select(Article).where(Article.canonical_url == canonical))
            values = {
                "url": rec["url"],
                "title": rec["title"],
                "body": rec["body"],
                "summary": rec.get("summary"),
                "source": rec.get("source") or SEED_SOURCE,
                "language": rec.get("language"),
                "published_at": _dt(rec["published_at"]),
                "tags": rec.get("tags"),
                **fingerprints(rec["title"], rec["body"]),
            }
            if article is None:
                article = Article(canonical_url=canonical, **values)
                self.s.add(article)
                self.s.flush()
                self.report.created["articles"] += 1
            elif _set(article, values):
                self.report.updated["articles"] += 1
            self.article_ids[rec["key"]] = article.id
            if "mentions" in rec:
                self._mentions(article.id, rec["body"], rec["mentions"])
        self.s.flush()

    def _mentions(self, article_id: int, body: str, mentions: list[dict[str, Any]]) -> None:
        wanted = set()
        for m in mentions:
            if body[m["start"] : m["end"]] != m["text"]:
                raise ValueError(f"seed mention {m} does not match the article body")
            wanted.add(
                (self._actor(m["actor"]), m["start"], m["end"], m["text"], float(m.get("confidence", 1.0)))
            )
        have = {
            (r.actor_id, r.start_offset, r.end_offset, r.text, r.confidence)
            for r in self.s.scalars(select(Mention).where(Mention.article_id == article_id))
        }
        if wanted != have:
            self.s.execute(delete(Mention).where(Mention.article_id == article_id))
            self.s.add_all(
                Mention(article_id=article_id, actor_id=a, start_offset=s, end_offset=e, text=t, confidence=c)
                for a, s, e, t, c in sorted(wanted, key=lambda w: w[1])
            )
            self.report.updated["mentions"] += 1

    def _article(self, key: str) -> int:
        if key not in self.article_ids:
            raise ValueError(f"seed data refers to unknown article {key!r}")
        return self.article_ids[key]

    # -- relations --------------------------------------------------------------------------------
    def relations(self, records: list[dict[str, Any]]) -> None:
        existing = {
            (r.subject_id, r.type, r.object_id, r.valid_from, r.title): r
            for r in self.s.scalars(select(Relation))
        }
        evidence: dict[int, set[tuple[int, str | None]]] = {}
        for ev in self.s.scalars(select(RelationEvidence)):
            evidence.setdefault(ev.relation_id, set()).add((ev.article_id, ev.quote))
        for rec in records:
            key = (
                self._actor(rec["subject"]),
                rec["type"],
                self._actor(rec["object"]),
                _d(rec.get("valid_from")),
                rec.get("title"),
            )
            values = {
                "valid_to": _d(rec.get("valid_to")),
                "confidence": float(rec.get("confidence", 1.0)),
                "source_note": rec.get("source"),
                "attributes": rec.get("attributes"),
            }
            rel = existing.get(key)
            if rel is None:
                rel = Relation(
                    subject_id=key[0],
                    type=key[1],
                    object_id=key[2],
                    valid_from=key[3],
                    title=key[4],
                    **values,
                )
                self.s.add(rel)
                self.s.flush()
                existing[key] = rel
                self.report.created["relations"] += 1
            elif _set(rel, values):
                self.report.updated["relations"] += 1
            wanted = {(self._article(e["article"]), e.get("quote")) for e in rec.get("evidence") or []}
            if wanted != evidence.get(rel.id, set()):
                self.s.execute(delete(RelationEvidence).where(RelationEvidence.relation_id == rel.id))
                self.s.add_all(
                    RelationEvidence(relation_id=rel.id, article_id=a, quote=q)
                    for a, q in sorted(wanted, key=str)
                )
                self.report.updated["evidence"] += 1
        self.s.flush()

    # -- events -----------------------------------------------------------------------------------
    def events(self, records: list[dict[str, Any]]) -> None:
        existing = {
            e.external_id: e for e in self.s.scalars(select(Event).where(Event.source == SEED_SOURCE))
        }
        # Parents first, so children can point at them.
        pending = list(records)
        ordered: list[dict[str, Any]] = []
        keys: set[str] = set()
        while pending:
            progressed = False
            for rec in list(pending):
                if not rec.get("parent") or rec["parent"] in keys:
                    ordered.append(rec)
                    keys.add(rec["key"])
                    pending.remove(rec)
                    progressed = True
            if not progressed:
                raise ValueError(f"seed events with unknown parents: {[r['key'] for r in pending]}")
        for rec in ordered:
            loc = rec.get("location") or {}
            values = {
                "type_code": rec["type"],
                "title": rec["title"],
                "description": rec.get("description"),
                "start_date": _d(rec["start_date"]),
                "end_date": _d(rec.get("end_date")),
                "location_name": loc.get("name"),
                "location_country": loc.get("country"),
                "lat": loc.get("lat"),
                "lon": loc.get("lon"),
                "status": rec.get("status", "reported"),
                "parent_id": self.event_ids[rec["parent"]] if rec.get("parent") else None,
                "attributes": rec.get("attributes"),
            }
            event = existing.get(rec["key"])
            if event is None:
                event = Event(source=SEED_SOURCE, external_id=rec["key"], **values)
                self.s.add(event)
                self.s.flush()
                self.report.created["events"] += 1
            elif _set(event, values):
                self.report.updated["events"] += 1
            self.event_ids[rec["key"]] = event.id
            wanted_p = {
                (self._actor(p["actor"]), p.get("role", "participant")) for p in rec.get("participants", [])
            }
            have_p = {
                (p.actor_id, p.role)
                for p in self.s.scalars(select(EventParticipant).where(EventParticipant.event_id == event.id))
            }
            if wanted_p != have_p:
                self.s.execute(delete(EventParticipant).where(EventParticipant.event_id == event.id))
                self.s.add_all(EventParticipant(event_id=event.id, actor_id=a, role=r) for a, r in wanted_p)
                self.report.updated["participants"] += 1
            wanted_a = {self._article(k) for k in rec.get("articles", [])}
            have_a = set(
                self.s.scalars(select(EventArticle.article_id).where(EventArticle.event_id == event.id))
            )
            if wanted_a != have_a:
                self.s.execute(delete(EventArticle).where(EventArticle.event_id == event.id))
                self.s.add_all(EventArticle(event_id=event.id, article_id=a) for a in wanted_a)
                self.report.updated["event_articles"] += 1
        self.s.flush()

    # -- propositions and claims ------------------------------------------------------------------
    def propositions(self, records: list[dict[str, Any]]) -> None:
        existing = {p.key: p for p in self.s.scalars(select(Proposition).where(Proposition.key.is_not(None)))}
        for rec in records:
            values = {"text": rec["text"], "description": rec.get("description")}
            prop = existing.get(rec["key"])
            if prop is None:
                prop = Proposition(key=rec["key"], **values)
                self.s.add(prop)
                self.s.flush()
                self.report.created["propositions"] += 1
            elif _set(prop, values):
                self.report.updated["propositions"] += 1
            self.proposition_ids[rec["key"]] = prop.id
        self.s.flush()

    def claims(self, records: list[dict[str, Any]]) -> None:
        existing = {(c.speaker_id, c.article_id, c.text): c for c in self.s.scalars(select(Claim))}
        about: dict[int, set[int]] = {}
        for ca in self.s.scalars(select(ClaimAbout)):
            about.setdefault(ca.claim_id, set()).add(ca.actor_id)
        for rec in records:
            key = (self._actor(rec["speaker"]), self._article(rec["article"]), rec["text"])
            values = {
                "stance": rec["stance"],
                "event_id": self.event_ids[rec["event"]] if rec.get("event") else None,
                "said_on": _d(rec.get("said_on")),
                "proposition_id": self.proposition_ids[rec["proposition"]]
                if rec.get("proposition")
                else None,
            }
            claim = existing.get(key)
            if claim is None:
                claim = Claim(speaker_id=key[0], article_id=key[1], text=key[2], **values)
                self.s.add(claim)
                self.s.flush()
                existing[key] = claim
                self.report.created["claims"] += 1
            elif _set(claim, values):
                self.report.updated["claims"] += 1
            wanted = {self._actor(a) for a in rec.get("about", [])}
            if wanted != about.get(claim.id, set()):
                self.s.execute(delete(ClaimAbout).where(ClaimAbout.claim_id == claim.id))
                self.s.add_all(ClaimAbout(claim_id=claim.id, actor_id=a) for a in wanted)
                self.report.updated["claim_about"] += 1
        self.s.flush()


def seed_dir_of(settings: Any) -> Path:
    """GEONEWS_SEED_DIR when set, else the seed_data/ beside the code."""
    return Path(settings.seed_dir) if settings.seed_dir else SEED_DIR


def seed(engine: Engine, seed_dir: Path = SEED_DIR) -> SeedReport:
    with Session(engine) as session, session.begin():
        return SeedLoader(session, seed_dir).load_all()


def is_empty(engine: Engine) -> bool:
    with Session(engine) as session:
        return session.scalar(select(Actor.id).limit(1)) is None


def prepare_database(settings: Any, *, seed_if_empty: bool, say: Any = print) -> None:
    """What the commands do before touching the database: make the SQLite file's folder, migrate to
    head, and seed an empty database."""
    from .. import migrate
    from ..db import make_sync_engine

    if settings.is_sqlite:
        path = settings.sync_url.split("///", 1)[-1]
        if path and path != ":memory:":
            Path(path).parent.mkdir(parents=True, exist_ok=True)
    migrate.upgrade(settings)
    if not seed_if_empty:
        return
    engine = make_sync_engine(settings)
    try:
        if is_empty(engine):
            say("seeding an empty database from seed_data/ …")
            say(seed(engine, seed_dir_of(settings)).summary())
    finally:
        engine.dispose()
