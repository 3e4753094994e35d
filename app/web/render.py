"""Turning API documents into safe HTML pieces: highlighted mentions, snippets, query strings, SVG spans."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from datetime import date, datetime, timedelta
from typing import Any
from urllib.parse import urlencode

from markupsafe import Markup, escape

# The snippet marks that the API puts around matched words; everything else in a snippet is plain text.
_MARK = re.compile(r"&lt;(/?)mark&gt;")
_PARAGRAPH = re.compile(r"\n\s*\n")
QUAD_CLASSES = {
    1: "Verbal cooperation",
    2: "Material cooperation",
    3: "Verbal conflict",
    4: "Material conflict",
}


def snippet(text: str | None) -> Markup:
    """The API's snippet with only its <mark> tags kept: the text around them is escaped."""
    if not text:
        return Markup("")
    return Markup(_MARK.sub(lambda m: f"<{m.group(1)}mark>", str(escape(text))))


def _text(segment: str) -> str:
    escaped = str(escape(segment))
    return _PARAGRAPH.sub("</p><p>", escaped).replace("\n", "<br>")


def highlight(body: str, mentions: Iterable[Mapping[str, Any]]) -> Markup:
    """The article body as paragraphs with every linked mention a link to its actor, from the offsets.

    Overlapping mentions keep the first (then longest) one; offsets outside the body are ignored."""
    parts = ["<p>"]
    pos = 0
    ordered = sorted(mentions, key=lambda m: (m["start"], -m["end"]))
    for i, m in enumerate(ordered):
        start, end = int(m["start"]), int(m["end"])
        if start < pos or end > len(body) or start >= end:
            continue
        actor = m["actor"]
        confidence = m.get("confidence")
        tip = actor["kind"].replace("_", " ")
        if confidence is not None:
            tip += f" · confidence {float(confidence):.2f}"
        parts.append(_text(body[pos:start]))
        parts.append(
            f'<a class="mention kind-{escape(actor["kind"])}" href="/actors/{escape(actor["slug"])}" '
            f'data-actor="{escape(actor["slug"])}" aria-describedby="tip-{i}">'
            f"{escape(body[start:end])}"
            f'<span class="tip" role="tooltip" id="tip-{i}">{escape(actor["name"])}: {escape(tip)}</span></a>'
        )
        pos = end
    parts.append(_text(body[pos:]))
    parts.append("</p>")
    return Markup("".join(parts))


def query(params: Mapping[str, Any] | Sequence[tuple[str, Any]]) -> str:
    """A query string from a mapping of values or lists (empty values left out)."""
    pairs: list[tuple[str, str]] = []
    items = params.items() if isinstance(params, Mapping) else params
    for key, value in items:
        values = value if isinstance(value, (list, tuple)) else [value]
        pairs.extend((key, str(v)) for v in values if v not in (None, ""))
    return urlencode(pairs)


class State:
    """The search page's state as it stands in the URL; each link is the state with one change."""

    MULTI = ("actor", "source", "language", "actor_kind")
    SINGLE = ("q", "member_of", "published_after", "published_before", "sort")

    def __init__(self, params: Mapping[str, list[str]]) -> None:
        self.values: dict[str, list[str]] = {}
        for key in self.MULTI:
            seen: list[str] = []
            for v in params.get(key, []):
                v = v.strip()
                if v and v not in seen:
                    seen.append(v)
            self.values[key] = seen
        for key in self.SINGLE:
            v = (params.get(key) or [""])[-1].strip()
            self.values[key] = [v] if v else []

    def get(self, key: str) -> str:
        return self.values[key][0] if self.values.get(key) else ""

    def has(self, key: str, value: str) -> bool:
        return value in self.values.get(key, [])

    @property
    def api_params(self) -> dict[str, Any]:
        return {k: v for k, v in self.values.items() if v}

    @property
    def empty(self) -> bool:
        return not any(self.values.values())

    def href(self, path: str = "/", **changes: Any) -> str:
        """This state with changes: `key=value` sets, `key=None` clears, `toggle=(key, value)` flips."""
        values = {k: list(v) for k, v in self.values.items()}
        toggle = changes.pop("toggle", None)
        if toggle:
            key, value = toggle
            current = values.setdefault(key, [])
            if value in current:
                current.remove(value)
            elif key in self.MULTI:
                current.append(value)
            else:
                values[key] = [value]
        for key, value in changes.items():
            values[key] = [] if value in (None, "") else [value]
        q = query(values)
        return f"{path}?{q}" if q else path

    def swap(self, key: str, old: str, new: str) -> str:
        """This state with one value of `key` replaced (a suggestion for an unknown actor)."""
        values = {k: [new if (k == key and v == old) else v for v in vs] for k, vs in self.values.items()}
        q = query(values)
        return f"/?{q}" if q else "/"

    def export(self, fmt: str) -> str:
        return f"/v1/articles?{query({**self.api_params, 'format': fmt})}"


def parse_date(value: str | None) -> date | None:
    if not value:
        return None
    try:
        return date.fromisoformat(value[:10])
    except ValueError:
        return None


def pick_interval(first: date, last: date) -> str:
    days = (last - first).days
    if days <= 90:
        return "day"
    if days <= 3 * 365:
        return "week"
    return "month"


def spans_svg(
    rows: Sequence[Mapping[str, Any]],
    as_of: date,
    *,
    label: str,
    width: int = 640,
    row_height: int = 22,
) -> Markup:
    """A small server-rendered Gantt chart of time-bounded relations (`name`, `href`, `from`, `to`),
    with a line at `as_of`. Readable without JavaScript; each bar is a link."""
    if not rows:
        return Markup("")
    today = date.today()
    starts = [parse_date(r.get("from")) or as_of for r in rows]
    ends = [parse_date(r.get("to")) or today for r in rows]
    lo = min([*starts, as_of])
    hi = max([*ends, as_of, today])
    lo = lo - timedelta(days=30)
    hi = hi + timedelta(days=30)
    span = max(1, (hi - lo).days)
    gutter = 170
    plot = width - gutter - 10

    def x(d: date) -> float:
        return gutter + plot * (d - lo).days / span

    height = row_height * len(rows) + 30
    out = [
        f'<svg class="spans" viewBox="0 0 {width} {height}" role="img" aria-label="{escape(label)}" '
        f'preserveAspectRatio="xMinYMin meet" data-lo="{lo.isoformat()}" data-days="{span}" '
        f'data-x0="{gutter}" data-plot="{plot}">'
    ]
    for i, (row, s, e) in enumerate(zip(rows, starts, ends, strict=True)):
        y = 4 + i * row_height
        active = s <= as_of and (row.get("to") is None or as_of < e)
        name = str(escape(row["name"]))
        short = str(escape(row["name"] if len(row["name"]) <= 26 else row["name"][:25] + "…"))
        out.append(
            f'<text x="{gutter - 6}" y="{y + 13}" '
            f'text-anchor="end" class="spans-label">{short}</text>'
            f'<rect x="{x(s):.1f}" y="{y + 2}" width="{max(2.0, x(e) - x(s)):.1f}" height="{row_height - 8}" '
            f'rx="3" class="{"span-on" if active else "span-off"}" '
            f'data-range="{s.isoformat()}/{row.get("to") or ""}"><title>{name}: {s.isoformat()} – '
            f"{row.get('to') or 'now'}</title></rect>"
        )
    y = height - 22
    out.append(f'<line x1="{gutter}" x2="{width - 10}" y1="{y}" y2="{y}" class="spans-axis"/>')
    for year in _years(lo, hi):
        xx = x(date(year, 1, 1))
        out.append(f'<text x="{xx:.1f}" y="{y + 15}" text-anchor="middle" class="spans-tick">{year}</text>')
    xa = x(as_of)
    anchor = "end" if xa > width - 90 else "start"
    out.append(
        f'<line x1="{xa:.1f}" x2="{xa:.1f}" y1="0" y2="{y}" class="spans-now"/>'
        f'<text x="{xa + (-4 if anchor == "end" else 4):.1f}" y="{y - 4}" text-anchor="{anchor}" '
        f'class="spans-now-label">{as_of.isoformat()}</text>'
    )
    out.append("</svg>")
    return Markup("".join(out))


def _years(lo: date, hi: date) -> list[int]:
    years = list(range(lo.year + 1, hi.year + 1))
    step = max(1, len(years) // 8)
    return years[::step]


def when(value: str | None) -> str:
    """'2024-10-18T00:00:00Z' -> '2024-10-18 00:00 UTC'; dates stay dates."""
    if not value:
        return ""
    if "T" not in value:
        return value
    try:
        dt = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return value
    return dt.strftime("%Y-%m-%d %H:%M UTC")
