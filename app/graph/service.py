"""Rules for relationship lookups: how the network around an actor grows hop by hop, the shortest relation
path between two actors, and timelines with their empty buckets filled in."""

from __future__ import annotations

import calendar
import heapq
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any

import anyio
from sqlalchemy.ext.asyncio import AsyncSession

from ..actors import repository as actors_repo
from ..actors.service import filter_id
from ..errors import BadRequest, NotFound
from ..events.service import filter_types
from ..inline import heavy
from ..models import to_utc_naive
from ..relations import repository as relations_repo
from ..search.engine import Filters as EngineFilters
from ..search.index import answers
from . import repository

# The work of one network hop is bounded whatever the corpus size: the first hop reads at most
# ROOT_ARTICLES articles of the actor asked about, every later hop at most HOP_ARTICLES (the most recently
# stored ones of each actor it expands, shared evenly, at least MIN_ARTICLES_PER_ACTOR each), and a hop
# expands at most FRONTIER_MAX actors found by the previous one. About 1 µs per mention row on SQLite: these
# keep depth 2 near 50 ms at 1M mentions.
ROOT_ARTICLES = 2_000
HOP_ARTICLES = 1_500
MIN_ARTICLES_PER_ACTOR = 50
FRONTIER_MAX = 25
MIN_NEIGHBOURS_PER_ACTOR = 10
# With `since`/`until`, an actor's articles in the window are looked for among its WINDOW_SCAN_FACTOR times
# as many most recently stored ones (an old window around a frequent actor may find few: `truncated`).
WINDOW_SCAN_FACTOR = 10
# A hop samples on the search index (when it may answer) if it reads at least this many articles of each
# actor. On SQLite a terms aggregation costs ~1.5 ms an actor plus ~1 µs an article at 1M, SQL ~15 µs an
# article (8 mention rows each): the first hop's 2,000 articles take 4 ms against 39 ms, a second hop's
# 25 x 60 about the same either way. On PostgreSQL the statement is slower (292 ms for 2,000 articles,
# 93 ms for 25 x 60, against 3 and 34 ms on the index), so every hop uses the index there.
INDEX_SAMPLE_MIN = {"sqlite": 200, "postgresql": 0}

# A shortest-path search gives up (no path) after visiting this many actors.
PATH_MAX_VISITED = 50_000
PATH_QUERY_CHUNK = 5_000

MAX_BUCKETS = 1_000
DEFAULT_BUCKETS = 12


# -- network ---------------------------------------------------------------------------------------------


@dataclass
class _Edge:
    weight: int = 0
    kinds: set[str] = field(default_factory=set)

    def score(self) -> tuple[int, int]:
        return (self.weight, 1 if self.kinds else 0)


def _strongest(
    found: dict[int, Any], *, min_weight: int, top_k: int, keep_pairs: set[tuple[int, int]]
) -> repository.CoMentions:
    """The index's samples (Reader.co_mentions per actor) cut as the SQL statement cuts them: each
    actor's top_k co-mentioned actors by weight (then id) with weight >= min_weight, and the related
    pairs whatever their weight."""
    out = repository.CoMentions([], {}, {})
    for src, sample in found.items():
        if sample.sampled:
            out.sampled[src] = sample.sampled
        if sample.scanned:
            out.scanned[src] = sample.scanned
        ranked = sorted(sample.weights.items(), key=lambda kv: (-kv[1], kv[0]))
        for position, (dst, weight) in enumerate(ranked, 1):
            if (position <= top_k and weight >= min_weight) or (src, dst) in keep_pairs:
                out.edges.append((src, dst, weight))
    return out


def _pair(a: int, b: int) -> tuple[int, int]:
    return (a, b) if a < b else (b, a)


async def network(
    session: AsyncSession,
    root: int,
    *,
    depth: int,
    since: datetime | date | None,
    until: datetime | date | None,
    min_weight: int,
    limit: int,
    as_of: date | None,
    types: Sequence[str] | None,
    index: Any = None,
    consistency: str = "strong",
) -> dict[str, Any]:
    """Co-mention and relation edges around `root`, expanded `depth` hops from the frontier.

    Hop h expands the actors first found at hop h-1 (the FRONTIER_MAX strongest): their relations (one
    query) and their co-mentions (one GROUP BY query, the strongest neighbours of each). Then at most
    `limit` actors are kept, grown from the root along the strongest edges first, with every kept edge
    between them."""
    since = to_utc_naive(since) if since is not None else None
    until = to_utc_naive(until) if until is not None else None
    if since is not None and until is not None and since >= until:
        raise BadRequest(
            "`since` must be before `until`.", errors=[{"loc": ["query", "since"], "msg": "not before until"}]
        )
    found_at: dict[int, int] = {root: 0}
    edges: dict[tuple[int, int], _Edge] = {}
    truncated = False
    frontier = [root]
    least = INDEX_SAMPLE_MIN.get(session.get_bind().dialect.name, 0)
    indexed: bool | None = None  # whether the index may answer (asked at most once)
    for hop in range(1, depth + 1):
        relations = await repository.relation_ends(session, frontier, as_of, types)
        in_frontier = set(frontier)
        related: set[tuple[int, int]] = set()
        for a, b, kind in relations:
            if a == b:
                continue
            edges.setdefault(_pair(a, b), _Edge()).kinds.add(kind)
            related.update((x, y) for x, y in ((a, b), (b, a)) if x in in_frontier)
        budget = ROOT_ARTICLES if hop == 1 else HOP_ARTICLES
        per_actor = max(MIN_ARTICLES_PER_ACTOR, budget // len(frontier))
        top_k = limit if hop == 1 else max(MIN_NEIGHBOURS_PER_ACTOR, -(-limit // len(frontier)))
        scan_cap = per_actor * WINDOW_SCAN_FACTOR
        sample = {"per_actor": per_actor, "scan_cap": scan_cap, "since": since, "until": until}
        if per_actor >= least and indexed is None:  # asked once, when a hop first could use it
            indexed = await answers(session, index, consistency)
        if per_actor >= least and indexed:
            found = await anyio.to_thread.run_sync(
                lambda: index.reader.co_mentions(frontier, **sample)  # noqa: B023
            )
            co = _strongest(found, min_weight=min_weight, top_k=top_k, keep_pairs=related)
        else:
            async with heavy(session):  # tens of milliseconds at 1M: off the event loop (SQLite)
                co = await repository.co_mentions(
                    session, frontier, **sample, min_weight=min_weight, top_k=top_k, keep_pairs=related
                )
        truncated = (
            truncated
            or any(n >= per_actor for n in co.sampled.values())
            or any(n >= scan_cap for n in co.scanned.values())
        )
        for src, dst, weight in co.edges:
            edge = edges.setdefault(_pair(src, dst), _Edge())
            edge.weight = max(edge.weight, weight)  # each side's count is a lower bound; exact if unsampled
        fresh: dict[int, tuple[int, int]] = {}
        for (a, b), edge in edges.items():
            if not _kept(edge, min_weight):
                continue
            for x, y in ((a, b), (b, a)):
                if x in in_frontier and y not in found_at:
                    fresh[y] = max(fresh.get(y, (-1, 0)), edge.score())
        for actor_id in fresh:
            found_at[actor_id] = hop
        frontier = sorted(fresh, key=lambda a: (fresh[a], -a), reverse=True)[:FRONTIER_MAX]
        if not frontier:
            break

    kept = _grow(root, edges, min_weight, limit)
    briefs = await actors_repo.briefs(session, kept)
    strength: dict[int, tuple[int, int]] = {}
    out_edges: list[dict[str, Any]] = []
    for (a, b), edge in edges.items():
        if a in kept and b in kept and _kept(edge, min_weight):
            source, target = sorted((a, b), key=lambda x: (found_at[x], x))
            out_edges.append(
                {"source": source, "target": target, "weight": edge.weight, "kinds": sorted(edge.kinds)}
            )
            for x in (a, b):
                strength[x] = max(strength.get(x, (0, 0)), edge.score())
    out_edges.sort(key=lambda e: (-e["weight"], e["source"], e["target"]))
    nodes = sorted(kept, key=lambda x: (found_at[x], tuple(-v for v in strength.get(x, (0, 0))), x))
    return {
        "nodes": [{**briefs[x], "depth": found_at[x]} for x in nodes if x in briefs],
        "edges": out_edges,
        "truncated": truncated,
    }


def _kept(edge: _Edge, min_weight: int) -> bool:
    return bool(edge.kinds) or edge.weight >= min_weight


def _grow(root: int, edges: dict[tuple[int, int], _Edge], min_weight: int, limit: int) -> set[int]:
    """Up to `limit` actors connected to the root, added strongest edge first (Prim's order)."""
    adjacency: dict[int, list[tuple[int, _Edge]]] = {}
    for (a, b), edge in edges.items():
        if _kept(edge, min_weight):
            adjacency.setdefault(a, []).append((b, edge))
            adjacency.setdefault(b, []).append((a, edge))
    kept = {root}
    heap: list[tuple[int, int, int, int]] = []

    def push(x: int) -> None:
        for y, edge in adjacency.get(x, ()):
            if y not in kept:
                w, rel = edge.score()
                heapq.heappush(heap, (-w, -rel, y, x))

    push(root)
    while heap and len(kept) < limit:
        *_, y, _x = heapq.heappop(heap)
        if y in kept:
            continue
        kept.add(y)
        push(y)
    return kept


# -- shortest relation path ------------------------------------------------------------------------------


async def _hop_relations(
    session: AsyncSession, frontier: list[int], as_of: date | None, types: Sequence[str] | None
) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = []
    for i in range(0, len(frontier), PATH_QUERY_CHUNK):
        rows.extend(
            await repository.relations_touching(session, frontier[i : i + PATH_QUERY_CHUNK], as_of, types)
        )
    if len(frontier) > PATH_QUERY_CHUNK:
        rows.sort(key=lambda r: r["id"])
    return rows


async def path_between(
    session: AsyncSession,
    from_ref: str,
    to_ref: str,
    *,
    max_depth: int,
    as_of: date | None,
    types: Sequence[str] | None,
) -> dict[str, Any]:
    """The shortest relation path between two actors named by id or slug (an unknown one is a 404)."""
    ids = await actors_repo.resolve_refs(session, [from_ref, to_ref])
    for ref in (from_ref, to_ref):
        if str(ref) not in ids:
            raise NotFound(f"No actor with id or slug {ref!r}.")
    return await shortest_path(
        session, ids[from_ref], ids[to_ref], max_depth=max_depth, as_of=as_of, types=types
    )


async def shortest_path(
    session: AsyncSession,
    source: int,
    target: int,
    *,
    max_depth: int,
    as_of: date | None,
    types: Sequence[str] | None,
) -> dict[str, Any]:
    """Bidirectional breadth-first search over relations, either direction, one query per layer (the
    smaller side grows). Ties go to the lowest relation ids, so answers are stable."""
    if source == target:
        briefs = await actors_repo.briefs(session, [source])
        return {"nodes": [briefs[source]], "edges": [], "found": True, "reason": None}
    # node -> (relation row, the neighbour it was reached from), per side; and distances
    came_from: list[dict[int, tuple[dict[str, Any], int] | None]] = [{source: None}, {target: None}]
    dist: list[dict[int, int]] = [{source: 0}, {target: 0}]
    frontiers: list[list[int]] = [[source], [target]]
    radius = [0, 0]
    meeting: int | None = None
    while radius[0] + radius[1] < max_depth and frontiers[0] and frontiers[1]:
        side = 0 if len(frontiers[0]) <= len(frontiers[1]) else 1
        current = set(frontiers[side])
        grown: list[int] = []
        for rel in await _hop_relations(session, frontiers[side], as_of, types):
            for a, b in ((rel["subject_id"], rel["object_id"]), (rel["object_id"], rel["subject_id"])):
                if a in current and b not in came_from[side]:
                    came_from[side][b] = (rel, a)
                    dist[side][b] = radius[side] + 1
                    grown.append(b)
        radius[side] += 1
        frontiers[side] = grown
        meets = [(dist[1 - side][n], i, n) for i, n in enumerate(grown) if n in dist[1 - side]]
        if meets:
            meeting = min(meets)[2]
            break
        if len(came_from[0]) + len(came_from[1]) > PATH_MAX_VISITED:
            break
    if meeting is None:
        visited = len(came_from[0]) + len(came_from[1])
        reason = _no_path_reason(frontiers, visited, max_depth, as_of, types)
        return {"nodes": [], "edges": [], "found": False, "reason": reason}

    steps: list[tuple[dict[str, Any], int, int]] = []  # (relation, from, to) in path order
    node = meeting
    while (prev := came_from[0][node]) is not None:
        rel, before = prev
        steps.append((rel, before, node))
        node = before
    steps.reverse()
    node = meeting
    while (prev := came_from[1][node]) is not None:
        rel, after = prev
        steps.append((rel, node, after))
        node = after
    order = [source] + [to for _, _, to in steps]
    briefs = await actors_repo.briefs(session, order)
    evidence = await relations_repo.evidence_for(session, [rel["id"] for rel, _, _ in steps])
    return {
        "nodes": [briefs[n] for n in order],
        "edges": [
            {
                "relation_id": rel["id"],
                "source": rel["subject_id"],
                "target": rel["object_id"],
                "type": rel["type"],
                "title": rel["title"],
                "valid_from": rel["valid_from"],
                "valid_to": rel["valid_to"],
                "evidence": evidence[rel["id"]],
            }
            for rel, _, _ in steps
        ],
        "found": True,
        "reason": None,
    }


def _no_path_reason(
    frontiers: list[list[int]],
    visited: int,
    max_depth: int,
    as_of: date | None,
    types: Sequence[str] | None,
) -> str:
    """Why the search ended without a path, in words a client can show."""
    which = (
        "relations"
        + (f" of type {', '.join(types)}" if types else "")
        + (f" valid on {as_of}" if as_of else "")
    )
    if not frontiers[0] or not frontiers[1]:
        end = "`from`" if not frontiers[0] else "`to`"
        return (
            f"No path at any depth: every actor that {which} link to {end} was reached, and none of them "
            "leads to the other end."
        )
    if visited > PATH_MAX_VISITED:
        return (
            f"No path found among the {PATH_MAX_VISITED:,} actors the server searches at most; narrow the "
            "search with `types` or `as_of`."
        )
    longer = "ask with a larger `max_depth` (at most 6)" if max_depth < 6 else "6 is the largest depth served"
    return f"No chain of at most {max_depth} {which}; a longer one may exist: {longer}."


# -- timelines -------------------------------------------------------------------------------------------


def bucket_of(day: date, interval: str) -> date:
    if interval == "week":
        return day - timedelta(days=day.weekday())
    if interval == "month":
        return day.replace(day=1)
    return day


def _add_months(day: date, months: int) -> date:
    index = day.year * 12 + day.month - 1 + months
    year, month = divmod(index, 12)
    return date(year, month + 1, min(day.day, calendar.monthrange(year, month + 1)[1]))


def step(day: date, interval: str, n: int = 1) -> date:
    if interval == "month":
        return _add_months(day, n)
    return day + timedelta(days=n * (7 if interval == "week" else 1))


def bucket_count(start: date, end: date, interval: str) -> int:
    a, b = bucket_of(start, interval), bucket_of(end, interval)
    if interval == "month":
        return (b.year - a.year) * 12 + b.month - a.month + 1
    return (b - a).days // (7 if interval == "week" else 1) + 1


def timeline_range(interval: str, start: date | None, end: date | None) -> tuple[date, date]:
    """The days counted, both inclusive: `to` defaults to today (UTC), `from` to `to` minus 12 intervals."""
    try:
        end = end or datetime.now(UTC).date()
        start = start or step(end, interval, -DEFAULT_BUCKETS)
        if end == date.max:
            raise OverflowError("no day after `to`")  # the exclusive bound of the query
    except (OverflowError, ValueError) as exc:
        raise BadRequest(
            "The date range is out of bounds.", errors=[{"loc": ["query", "from"], "msg": "out of range"}]
        ) from exc
    if start > end:
        raise BadRequest(
            "`from` is after `to`.", errors=[{"loc": ["query", "from"], "msg": "must not be after `to`"}]
        )
    if bucket_count(start, end, interval) > MAX_BUCKETS:
        raise BadRequest(
            f"That range has more than {MAX_BUCKETS} {interval} buckets; narrow it or use a longer interval.",
            errors=[{"loc": ["query", "interval"], "msg": f"more than {MAX_BUCKETS} buckets"}],
        )
    return start, end


def fill(counts: dict[date, int], start: date, end: date, interval: str) -> list[dict[str, Any]]:
    first, last = bucket_of(start, interval), bucket_of(end, interval)
    items = []
    n = 0
    day = first
    while day <= last:
        items.append({"start": day, "count": counts.get(day, 0)})
        n += 1
        day = step(first, interval, n)
    return items


async def timeline(
    session: AsyncSession,
    actor_id: int,
    *,
    interval: str,
    start: date | None,
    end: date | None,
    with_: str | None = None,
    event_type: str | None = None,
    index: Any = None,
    consistency: str = "strong",
) -> dict[str, Any]:
    """Articles mentioning the actor (with `with_`: both actors) per bucket, or with `event_type` the
    events of that type it takes part in, by start date; empty buckets included. Article counts come
    from the search index's date histogram when it is ready (a range aggregation, the same buckets)."""
    with_id = await filter_id(session, with_, "with")
    codes = await filter_types(session, [event_type] if event_type else None, "event_type")
    type_code = codes[0] if codes else None
    start, end = timeline_range(interval, start, end)
    if type_code is None and await answers(session, index, consistency):
        assert index.reader is not None
        reader = index.reader
        flt = EngineFilters(actors_all=[actor_id] + ([with_id] if with_id is not None else []))
        items = await anyio.to_thread.run_sync(lambda: reader.histogram(None, flt, interval, start, end))
        return {"items": items, "interval": interval, "from": start, "to": end}
    if type_code is not None:
        stmt = repository.event_timeline_statement(actor_id, interval, start, end, type_code, with_id)
    else:
        stmt = repository.mention_timeline_statement(
            actor_id, interval, to_utc_naive(start), to_utc_naive(end + timedelta(days=1)), with_id
        )
    counts = await repository.counts_by_bucket(session, stmt)
    return {"items": fill(counts, start, end, interval), "interval": interval, "from": start, "to": end}
