"""Schema pieces shared by several domains, and the rules every request body obeys.

Every request body model derives from `Strict`, which, before field validation, rejects what no database
should be asked to store or no client means to send (422, and per line in a bulk request):
- a NUL character or a lone surrogate in any string or key, at any depth (PostgreSQL cannot store NUL;
  nothing can encode a lone surrogate as UTF-8): rejected, never silently stripped;
- JSON nested deeper than `MAX_BODY_DEPTH`;
- `true`/`false` where the field is not a boolean (pydantic would read `true` as the id 1);
- a number, or a string of digits, where the field is a date (pydantic would read 0 as 1970-01-01).
Free-form JSON fields use `JSONObject`, which caps depth and size.
"""

from __future__ import annotations

import ipaddress
import re
import types
from datetime import date, datetime
from typing import Annotated, Any, Literal, Union, get_args, get_origin
from urllib.parse import urlsplit

import orjson
from fastapi import Request
from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    StringConstraints,
    model_validator,
)

from .errors import BadRequest

MAX_ID = 2_147_483_647
Id = Annotated[int, Field(ge=1, le=MAX_ID)]

ActorRef = Annotated[
    Annotated[int, Field(ge=1, le=MAX_ID)]
    | Annotated[str, StringConstraints(min_length=1, max_length=255, strip_whitespace=True)],
    Field(description="An actor's id or slug."),
]
Iso3 = Annotated[str, StringConstraints(pattern=r"^[A-Z]{3}$"), Field(description="ISO 3166-1 alpha-3")]
Slug = Annotated[str, StringConstraints(pattern=r"^[a-z0-9]+(?:-[a-z0-9]+)*$", max_length=200)]
TypeName = Annotated[str, StringConstraints(pattern=r"^[a-z][a-z_]{1,30}$")]

MAX_BODY_DEPTH = 64
MAX_JSON_DEPTH = 32
MAX_JSON_VALUES = 10_000
MAX_JSON_BYTES = 256 * 1024

_UNSTORABLE = re.compile("[\x00\ud800-\udfff]")
_NUMERIC = re.compile(r"^\s*[+-]?\d+(\.\d*)?([eE][+-]?\d+)?\s*$")


def text_problem(value: str) -> str | None:
    """Why a string cannot be accepted (NUL, lone surrogate), or None.

    Most strings have neither: a NUL is looked for with `in` (a memchr), and an ASCII string (a flag
    Python keeps) or one that encodes to UTF-8 (which fails on a lone surrogate only) holds no
    surrogate. The regex, ~7 ns a character (12 µs for an article's body), only says which comes first."""
    if "\x00" not in value:
        if value.isascii():
            return None
        try:
            value.encode()
        except UnicodeEncodeError:
            pass
        else:
            return None
    m = _UNSTORABLE.search(value)
    if m is None:
        return None
    return "contains a NUL character" if m.group() == "\x00" else "contains a lone surrogate"


def _path(parts: tuple[Any, ...]) -> str:
    return ".".join(str(p) for p in parts) or "body"


def check_json_tree(value: Any, max_depth: int, max_values: int | None = None) -> None:
    """Walk a decoded JSON value without recursion; raise ValueError on bad text or excess depth/size."""
    stack: list[tuple[Any, int, tuple[Any, ...]]] = [(value, 1, ())]
    count = 0
    while stack:
        node, depth, where = stack.pop()
        count += 1
        if max_values is not None and count > max_values:
            raise ValueError(f"holds more than {max_values} values")
        if isinstance(node, str):
            why = text_problem(node)
            if why:
                raise ValueError(f"{_path(where)}: {why}")
        elif isinstance(node, dict | list):
            if depth > max_depth:
                raise ValueError(f"{_path(where)}: nested deeper than {max_depth} levels")
            items = node.items() if isinstance(node, dict) else enumerate(node)
            for k, v in items:
                if isinstance(k, str):
                    why = text_problem(k)
                    if why:
                        raise ValueError(f"{_path(where)}: a key {why}")
                stack.append((v, depth + 1, (*where, k)))


# --- what a field admits, for the bool and number-as-date rules -------------------------------------

_DATES = frozenset({"date", "datetime"})


def _admits(tp: Any) -> frozenset[str]:
    """The base kinds a type annotation admits: bool, int, float, str, date, datetime, list:<kind>…"""
    origin = get_origin(tp)
    if origin is Annotated:
        return _admits(get_args(tp)[0])
    if origin in (Union, types.UnionType):
        return frozenset().union(*(_admits(a) for a in get_args(tp)))
    if origin in (list, set, frozenset, tuple):
        args = [a for a in get_args(tp) if a is not Ellipsis]
        inner = frozenset().union(*(_admits(a) for a in args)) if args else frozenset({"any"})
        return frozenset(f"list:{k}" for k in inner)
    if origin is Literal:
        return frozenset(type(v).__name__ for v in get_args(tp))
    if tp is Any:
        return frozenset({"any"})
    if tp is type(None):
        return frozenset({"none"})
    for kind in (bool, datetime, date, int, float, str, dict):  # bool before int, datetime before date
        if isinstance(tp, type) and issubclass(tp, kind):
            return frozenset({kind.__name__})
    return frozenset({"other"})


def _scalar_problem(value: Any, kinds: frozenset[str]) -> str | None:
    if "any" in kinds:
        return None
    if isinstance(value, bool):
        return None if "bool" in kinds else "a boolean is not allowed here"
    if value is not None and "bool" in kinds and kinds <= {"bool", "none"}:
        return "is true or false (a JSON boolean), not a number or a string"
    wants_date = bool(kinds & _DATES) and not kinds & {"int", "float"}
    if wants_date and (isinstance(value, int | float) or (isinstance(value, str) and _NUMERIC.match(value))):
        return "a date is written YYYY-MM-DD (or an ISO 8601 timestamp), not a number"
    return None


def value_problem(value: Any, kinds: frozenset[str]) -> str | None:
    why = _scalar_problem(value, kinds)
    if why is None and isinstance(value, list):
        inner = frozenset(k[5:] for k in kinds if k.startswith("list:"))
        if inner:
            for item in value:
                why = _scalar_problem(item, inner)
                if why:
                    break
    return why


_ADMITTED: dict[type, dict[str, frozenset[str]]] = {}


def _admitted(cls: type[BaseModel]) -> dict[str, frozenset[str]]:
    found = _ADMITTED.get(cls)
    if found is None:
        found = _ADMITTED[cls] = {(f.alias or n): _admits(f.annotation) for n, f in cls.model_fields.items()}
    return found


def _query_date_names(dependant: Any) -> set[str]:
    names = set()
    for field in dependant.query_params:
        kinds = _admits(field.field_info.annotation)
        if kinds & _DATES and not kinds & {"int", "float", "any"}:
            names.add(field.alias)
    for sub in dependant.dependencies:
        names |= _query_date_names(sub)
    return names


_ROUTE_DATES: dict[int, frozenset[str]] = {}


def is_numeric(value: str) -> bool:
    """A number written as text ("0", " 1.7e9 "): what a date parameter refuses."""
    return _NUMERIC.match(value) is not None


async def no_numeric_query_dates(request: Request) -> None:
    """The date rule for query parameters (400): `?published_after=0` is not 1970-01-01. Installed once
    for the whole app; each route's date parameters are found from its declaration and remembered."""
    route = request.scope.get("route")
    dependant = getattr(route, "dependant", None)
    if dependant is None or not request.query_params:
        return
    names = _ROUTE_DATES.get(id(route))
    if names is None:
        names = _ROUTE_DATES[id(route)] = frozenset(_query_date_names(dependant))
    for name in names:
        for value in request.query_params.getlist(name):
            if is_numeric(value):
                raise BadRequest(
                    "A request parameter is invalid.",
                    errors=[{"loc": ["query", name], "msg": "a date is written YYYY-MM-DD, not a number"}],
                )


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")

    @model_validator(mode="before")
    @classmethod
    def _edge_rules(cls, data: Any) -> Any:
        if isinstance(data, dict):
            check_json_tree(data, MAX_BODY_DEPTH)
            admitted = _admitted(cls)
            for key, value in data.items():
                kinds = admitted.get(key)
                if kinds is not None:
                    why = value_problem(value, kinds)
                    if why:
                        raise ValueError(f"{key}: {why}")
        return data


# --- free-form JSON -----------------------------------------------------------------------------------


def _check_free_json(value: Any) -> Any:
    if value is None:
        return value
    check_json_tree(value, MAX_JSON_DEPTH, MAX_JSON_VALUES)
    try:
        size = len(orjson.dumps(value))
    except (TypeError, orjson.JSONEncodeError) as exc:
        raise ValueError(f"is not storable JSON: {exc}") from None
    if size > MAX_JSON_BYTES:
        raise ValueError(f"is larger than {MAX_JSON_BYTES} bytes as JSON")
    return value


# A free-form JSON object: at most MAX_JSON_DEPTH levels deep, MAX_JSON_VALUES values, MAX_JSON_BYTES.
JSONObject = Annotated[dict[str, Any], BeforeValidator(_check_free_json)]


# --- web addresses ------------------------------------------------------------------------------------

_LABEL = re.compile(r"^(?!-)[a-z0-9_-]{1,63}(?<!-)$")
# What str.isspace() calls a space (re's \s is the same predicate), control characters, DEL: one regex
# scan instead of a generator over each character (~10 µs less to validate an article of a bulk body).
_SPACE_OR_CONTROL = re.compile(r"[\s\x00-\x1f\x7f]")


def _check_web_url(value: str) -> str:
    if _SPACE_OR_CONTROL.search(value):
        raise ValueError("must not contain spaces or control characters")
    try:
        parts = urlsplit(value)
        parts.port  # noqa: B018 - raises ValueError for a port out of range
    except ValueError as exc:
        raise ValueError(f"is not a valid URL: {exc}") from None
    if parts.scheme.lower() not in ("http", "https") or not parts.hostname:
        raise ValueError("must be an absolute http(s) URL")
    if parts.username is not None or parts.password is not None or "@" in parts.netloc:
        raise ValueError("must not carry credentials (user:password@)")
    host = parts.hostname
    # An IP address ends in a digit (v4) or holds a colon (v6); a name's failed parse raised (~4 µs).
    if host[-1:].isdigit() or ":" in host:
        try:
            ipaddress.ip_address(host.strip("[]"))
            return value
        except ValueError:
            pass
    try:
        ascii_host = host.rstrip(".").encode("idna").decode("ascii").lower()
    except UnicodeError:
        raise ValueError("has an invalid host name") from None
    labels = ascii_host.split(".")
    if len(ascii_host) > 253 or len(labels) < 2 or not all(_LABEL.match(label) for label in labels):
        raise ValueError("has an invalid host name")
    if labels[-1].isdigit():
        raise ValueError("has an invalid host name")
    return value


# What _check_web_url accepts, as far as a schema can say it (clients and fuzzers read it): an http(s) URL
# with a host name of letters, digits and hyphens and a top-level domain, no credentials, no spaces.
WEB_URL_PATTERN = (
    r"^[Hh][Tt][Tt][Pp][Ss]?://([A-Za-z0-9]([A-Za-z0-9-]{0,30}[A-Za-z0-9])?\.){1,4}[A-Za-z]{2,24}"
    r"(:[1-9][0-9]{0,3})?([/?#][!-~]*)?$"
)

WebUrl = Annotated[
    str,
    StringConstraints(min_length=8, max_length=2048, strip_whitespace=True),
    AfterValidator(_check_web_url),
    Field(json_schema_extra={"pattern": WEB_URL_PATTERN}),
]


class ActorBrief(BaseModel):
    id: int
    slug: str
    name: str
    kind: str
