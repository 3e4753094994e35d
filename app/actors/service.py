"""Rules for actors: slugs, alias normalisation, external-id ownership, the detail view."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import Any

import anyio
from sqlalchemy.ext.asyncio import AsyncSession

from .. import outbox
from ..errors import BadRequest, Conflict, Unprocessable, still_there
from ..models import Actor
from ..pagination import Export, PageParams, PageResult, keyset_page
from ..relations import repository as relations_repo
from ..text import fold, slugify
from . import repository
from .fuzzy import fuzzy_ids
from .gazetteer import current_gazetteer
from .schemas import ActorCreate, ActorUpdate, AliasIn

POSITION_TYPES = ("holds_position", "leader_of", "spokesperson_for")
MEMBERSHIP_TYPES = ("member_of", "partner_of", "part_of")
GROUP_KINDS = ("alliance", "organization", "government_body")


def alias_rows(name: str, aliases: list[AliasIn | str]) -> list[dict[str, Any]]:
    """Normalised, de-duplicated alias rows; the actor's own name is not repeated as an alias."""
    seen = {fold(name)}
    rows = []
    for a in aliases:
        item = a if isinstance(a, AliasIn) else AliasIn(alias=a)
        norm = fold(item.alias)
        if not norm or norm in seen:
            continue
        seen.add(norm)
        rows.append(
            {
                "alias": item.alias,
                "normalized": norm,
                "kind": item.kind,
                "ambiguous": item.ambiguous,
                "case_sensitive": item.case_sensitive,
            }
        )
    return rows


async def unique_slug(session: AsyncSession, name: str) -> str:
    base = slugify(name)
    taken = await repository.slugs_like(session, base)
    if base not in taken:
        return base
    n = 2
    while f"{base}-{n}" in taken:
        n += 1
    return f"{base}-{n}"


async def _check_external_ids(session: AsyncSession, ids: dict[str, str], actor_id: int | None) -> None:
    for scheme, value in ids.items():
        owner = await repository.external_id_owner(session, scheme, value)
        if owner is not None and owner != actor_id:
            raise Conflict(f"External id {scheme}={value} already belongs to actor {owner}.")


EXPORT_COLUMNS = ("id", "kind", "name", "slug", "country", "description")


async def list_actors(
    session: AsyncSession,
    page: PageParams,
    fmt: str = "json",
    *,
    kind: Sequence[str] | None = None,
    country: str | None = None,
    q: str | None = None,
    member_of: str | None = None,
    as_of: date | None = None,
) -> PageResult | Export:
    """Actors by kind, country, name (prefix, alias, code, then typo-tolerant) and membership on a date;
    by name, or with `q` direct matches first."""
    member_ids = None
    org_id = await filter_id(session, member_of, "member_of")
    if org_id is not None:
        member_ids = relations_repo.member_ids_subquery(org_id, as_of or date.today())
    q_folded = fold(q) if q else None
    fuzzy = await session.run_sync(fuzzy_ids, q) if q else None
    stmt = repository.list_statement(
        kind=kind, country=country, q_folded=q_folded, member_ids=member_ids, fuzzy_ids=fuzzy
    )
    key = repository.match_sort(q_folded) if q_folded else repository.SORT_BY_NAME
    if q_folded:
        stmt = stmt.add_columns(key.columns[0][0].label("match_rank"))
    if fmt != "json":
        return Export(stmt, key, fmt, EXPORT_COLUMNS, _export_item, "actors")
    filters = {"kind": kind, "country": country, "q": q_folded, "m": member_of, "as_of": as_of}
    result = await keyset_page(session, stmt, key, page, filters)
    for r in result.items:
        r.pop("match_rank", None)
    return result


def _export_item(row: Any) -> dict[str, Any]:
    return {c: row[c] for c in EXPORT_COLUMNS}


async def list_members(
    session: AsyncSession, org_id: int, page: PageParams, as_of: date | None = None
) -> PageResult:
    """Members of an alliance or organisation on a date (default today), by name."""
    day = as_of or date.today()

    async def render(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
        return [
            {
                "actor": {k: r[k] for k in EXPORT_COLUMNS},
                "relation_id": r["relation_id"],
                "valid_from": r["valid_from"],
                "valid_to": r["valid_to"],
            }
            for r in rows
        ]

    stmt = relations_repo.members_statement(org_id, day)
    return await keyset_page(
        session, stmt, relations_repo.MEMBER_SORT, page, {"org": org_id, "as_of": day}, render
    )


async def create_actor(
    session: AsyncSession, data: ActorCreate, allow_duplicate: bool = False
) -> dict[str, Any]:
    if not allow_duplicate:
        same = await repository.same_actor(session, data.kind, data.name, data.country)
        if same is not None:
            where = f"/v1/actors/{same}"
            raise Conflict(
                f"An actor of this name, kind and country exists: {where}. Send allow_duplicate=true to "
                "create another (a second actor of the same name lowers linking confidence for both).",
                headers={"Location": where},
                extra={"existing": where},
            )
    if data.slug:
        if data.slug.isdigit():
            raise BadRequest("A slug cannot be all digits (it would read as an id).")
        if await repository.slug_taken(session, data.slug):
            raise Conflict(f"The slug {data.slug!r} is taken.")
        slug = data.slug
    else:
        slug = await unique_slug(session, data.name)
    await _check_external_ids(session, data.external_ids, None)
    actor = Actor(
        kind=data.kind, name=data.name, slug=slug, country=data.country, description=data.description
    )
    session.add(actor)
    await session.flush()
    await repository.replace_aliases(session, actor.id, alias_rows(data.name, data.aliases))
    await repository.replace_external_ids(session, actor.id, data.external_ids)
    await session.flush()
    out = await get_actor(session, actor.id)
    _record(session, "created", out)
    return out


async def update_actor(session: AsyncSession, actor_id: int, data: ActorUpdate) -> dict[str, Any]:
    actor = still_there(await repository.get_orm(session, actor_id), f"Actor {actor_id}")
    changes = data.model_dump(exclude_unset=True)
    if changes.get("slug") and changes["slug"] != actor.slug:
        if changes["slug"].isdigit():
            raise BadRequest("A slug cannot be all digits (it would read as an id).")
        if await repository.slug_taken(session, changes["slug"], except_id=actor_id):
            raise Conflict(f"The slug {changes['slug']!r} is taken.")
    for field in ("kind", "name", "slug", "country", "description"):
        if field in changes and (changes[field] is not None or field in ("country", "description")):
            setattr(actor, field, changes[field])
    if data.aliases is not None:
        await repository.replace_aliases(session, actor_id, alias_rows(actor.name, data.aliases))
    if data.external_ids is not None:
        await _check_external_ids(session, data.external_ids, actor_id)
        await repository.replace_external_ids(session, actor_id, data.external_ids)
    await session.flush()
    out = await get_actor(session, actor_id)
    _record(session, "updated", out)
    return out


async def delete_actor(session: AsyncSession, actor_id: int) -> None:
    row = still_there(await repository.get_summary(session, actor_id), f"Actor {actor_id}")
    await repository.delete_actor(session, actor_id)
    _record(session, "deleted", row)


def _holds(row: dict[str, Any], day: date) -> bool:
    return (row["valid_from"] is None or row["valid_from"] <= day) and (
        row["valid_to"] is None or row["valid_to"] > day
    )


def _tie(row: dict[str, Any]) -> dict[str, Any]:
    return {
        "relation_id": row["relation_id"],
        "type": row["type"],
        "title": row["title"],
        "actor": {"id": row["actor_id"], "slug": row["slug"], "name": row["name"], "kind": row["kind"]},
        "valid_from": row["valid_from"],
        "valid_to": row["valid_to"],
    }


async def get_actor(session: AsyncSession, actor_id: int, as_of: date | None = None) -> dict[str, Any]:
    day = as_of or date.today()
    out = await repository.get_summary(session, actor_id)
    assert out is not None
    out["aliases"] = await repository.aliases(session, actor_id)
    out["external_ids"] = await repository.external_ids(session, actor_id)
    ties = await relations_repo.ties(session, actor_id, POSITION_TYPES + MEMBERSHIP_TYPES, None)
    current = [t for t in ties if _holds(t, day)]
    former = [t for t in ties if t["valid_to"] is not None and t["valid_to"] <= day]
    out["positions"] = [_tie(t) for t in current if t["type"] in POSITION_TYPES]
    out["memberships"] = [_tie(t) for t in current if t["type"] in MEMBERSHIP_TYPES]
    out["former_positions"] = [_tie(t) for t in former if t["type"] in POSITION_TYPES]
    out["former_memberships"] = [_tie(t) for t in former if t["type"] in MEMBERSHIP_TYPES]
    leaders = await relations_repo.ties(
        session, actor_id, ("leader_of", "holds_position"), day, incoming=True
    )
    out["leaders"] = [_tie(t) for t in leaders]
    out["members_count"] = (
        await relations_repo.count_members(session, actor_id, day) if out["kind"] in GROUP_KINDS else None
    )
    return out


async def filter_id(session: AsyncSession, ref: str | None, param: str) -> int | None:
    """One actor named in a query parameter; an unknown actor is the client's error (400)."""
    found = await filter_ids(session, [ref] if ref is not None else None, param)
    return found[0] if found else None


async def filter_ids(session: AsyncSession, refs: list[str] | None, param: str) -> list[int] | None:
    """Resolve actor filters from a query string; an unknown actor is the client's error (400)."""
    if not refs:
        return None
    found = await repository.resolve_refs(session, refs)
    missing = [r for r in refs if str(r) not in found]
    if missing:
        raise BadRequest(
            f"Unknown actor {missing[0]!r}.",
            errors=[{"loc": ["query", param], "msg": f"unknown actor {m!r}"} for m in missing],
        )
    return list(dict.fromkeys(found[str(r)] for r in refs))


async def resolve_text(session: AsyncSession, text: str, min_confidence: float) -> dict[str, Any]:
    """The actors the linker finds in `text`, with character offsets; nothing is stored."""
    gazetteer = await session.run_sync(current_gazetteer)
    found = await anyio.to_thread.run_sync(lambda: gazetteer.find(text, min_confidence=min_confidence))
    briefs = await repository.briefs(session, [m.actor_id for m in found])
    mentions = [
        {
            "actor": briefs[m.actor_id],
            "start": m.start,
            "end": m.end,
            "text": m.text,
            "confidence": m.confidence,
            "alias_kind": m.alias_kind,
        }
        for m in found
    ]
    return {"mentions": mentions, "actors": list({m.actor_id: briefs[m.actor_id] for m in found}.values())}


async def body_actor_ids(
    session: AsyncSession, refs: list[tuple[list[str | int], Any]], title: str = "Unknown actor."
) -> list[int]:
    """Resolve actor references of a request body, given as (error location, id or slug); any unknown
    one is a 422 listing every unknown reference."""
    found = await repository.resolve_refs(session, [r for _, r in refs])
    errors = [{"loc": loc, "msg": f"unknown actor {r!r}"} for loc, r in refs if str(r) not in found]
    if errors:
        raise Unprocessable(title, errors=errors)
    return [found[str(r)] for _, r in refs]


def _record(session: AsyncSession, op: str, actor: dict[str, Any]) -> None:
    data = {k: actor.get(k) for k in ("slug", "name", "kind", "country")}
    outbox.record(session, "actor", op, actor["id"], data, actor_ids=[actor["id"]])
