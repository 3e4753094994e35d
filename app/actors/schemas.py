from __future__ import annotations

from datetime import date, datetime
from typing import Annotated

from pydantic import BaseModel, Field, StringConstraints, WithJsonSchema

from ..models import ActorKind, AliasKind
from ..schemas import ActorBrief, Iso3, Slug, Strict

Name = Annotated[str, StringConstraints(min_length=1, max_length=512, strip_whitespace=True)]


class AliasIn(Strict):
    alias: Name
    kind: AliasKind = "name"
    ambiguous: bool = False
    case_sensitive: bool = False


class AliasRead(BaseModel):
    alias: str
    kind: str
    ambiguous: bool
    case_sensitive: bool


SCHEME_PATTERN = r"^[a-z][a-z0-9_]{0,31}$"
ExternalIds = Annotated[
    dict[
        Annotated[str, StringConstraints(pattern=SCHEME_PATTERN)],
        Annotated[str, StringConstraints(min_length=1, max_length=255)],
    ],
    # Every key a scheme, every value a string (pydantic states only the first, as patternProperties).
    WithJsonSchema(
        {
            "type": "object",
            "propertyNames": {"pattern": SCHEME_PATTERN},
            "additionalProperties": {"type": "string", "minLength": 1, "maxLength": 255},
            "description": 'Identifiers in other datasets by scheme, e.g. {"wikidata": "Q423"}.',
        }
    ),
]


class ActorCreate(Strict):
    kind: ActorKind
    name: Name
    slug: Slug | None = None
    aliases: list[AliasIn | Name] = Field(default_factory=list, max_length=500)
    country: Iso3 | None = None
    description: Annotated[str, StringConstraints(max_length=20000)] | None = None
    external_ids: ExternalIds = Field(default_factory=dict)


class ActorUpdate(Strict):
    kind: ActorKind | None = None
    name: Name | None = None
    slug: Slug | None = None
    aliases: list[AliasIn | Name] | None = Field(default=None, max_length=500)
    country: Iso3 | None = None
    description: Annotated[str, StringConstraints(max_length=20000)] | None = None
    external_ids: ExternalIds | None = None


class ActorSummary(BaseModel):
    id: int
    kind: str
    name: str
    slug: str
    country: str | None
    description: str | None


class Tie(BaseModel):
    """A current position or membership shown on an actor."""

    relation_id: int
    type: str
    title: str | None
    actor: ActorBrief
    valid_from: date | None
    valid_to: date | None


class ActorRead(ActorSummary):
    aliases: list[AliasRead]
    external_ids: dict[str, str]
    positions: list[Tie] = Field(description="Positions held on the date asked (default today).")
    memberships: list[Tie] = Field(description="Memberships and partnerships that hold on that date.")
    former_positions: list[Tie] = Field(description="Positions that ended before that date.")
    former_memberships: list[Tie]
    leaders: list[Tie] = Field(description="Who leads or holds a post in this actor on that date.")
    members_count: int | None = None
    created_at: datetime
    updated_at: datetime


class MemberRead(BaseModel):
    actor: ActorSummary
    relation_id: int
    valid_from: date | None
    valid_to: date | None


class ResolveRequest(Strict):
    text: Annotated[str, StringConstraints(max_length=1_000_000)]
    min_confidence: float = Field(default=0.5, ge=0, le=1)


class ResolvedMention(BaseModel):
    actor: ActorBrief
    start: int
    end: int
    text: str
    confidence: float
    alias_kind: str


class ResolveResponse(BaseModel):
    mentions: list[ResolvedMention]
    actors: list[ActorBrief]
