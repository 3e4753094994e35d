from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Any

from pydantic import BaseModel, Field, StringConstraints, model_validator

from ..models import EventStatus
from ..schemas import MAX_ID, ActorBrief, ActorRef, Iso3, JSONObject, Strict

Status = EventStatus
Role = Annotated[str, StringConstraints(pattern=r"^[a-z][a-z_]{1,31}$")]
TypeRef = Annotated[str, StringConstraints(min_length=1, max_length=255, strip_whitespace=True)]
SourceName = Annotated[str, StringConstraints(pattern=r"^[a-z][a-z0-9_-]{0,31}$")]


class Location(Strict):
    name: Annotated[str, StringConstraints(min_length=1, max_length=512)]
    country: Iso3 | None = None
    lat: float | None = Field(default=None, ge=-90, le=90)
    lon: float | None = Field(default=None, ge=-180, le=180)


class ParticipantIn(Strict):
    actor: ActorRef
    role: Role = "participant"


def _check_dates(start: date | None, end: date | None) -> None:
    if start and end and end < start:
        raise ValueError("end_date must not be before start_date")


class EventCreate(Strict):
    type: TypeRef = Field(description="A CAMEO code (`057`) or its name.")
    title: Annotated[str, StringConstraints(min_length=1, max_length=2000)]
    description: Annotated[str, StringConstraints(max_length=50000)] | None = None
    start_date: date
    end_date: date | None = None
    location: Location | None = None
    participants: list[ParticipantIn] = Field(default_factory=list, max_length=500)
    articles: list[Annotated[int, Field(ge=1, le=MAX_ID)]] = Field(default_factory=list, max_length=1000)
    parent_id: int | None = Field(default=None, ge=1, le=MAX_ID)
    status: Status = "reported"
    source: SourceName = "manual"
    external_id: Annotated[str, StringConstraints(min_length=1, max_length=64)] | None = None
    attributes: JSONObject | None = None

    @model_validator(mode="after")
    def _dates(self) -> EventCreate:
        _check_dates(self.start_date, self.end_date)
        return self


class EventUpdate(Strict):
    type: TypeRef | None = None
    title: Annotated[str, StringConstraints(min_length=1, max_length=2000)] | None = None
    description: Annotated[str, StringConstraints(max_length=50000)] | None = None
    start_date: date | None = None
    end_date: date | None = None
    location: Location | None = None
    participants: list[ParticipantIn] | None = Field(default=None, max_length=500)
    articles: list[Annotated[int, Field(ge=1, le=MAX_ID)]] | None = Field(default=None, max_length=1000)
    parent_id: int | None = Field(
        default=None,
        ge=1,
        le=MAX_ID,
        description="The event this one is part of; null detaches it. Events form a tree: the event itself "
        "or one below it is a 422.",
    )
    status: Status | None = None
    attributes: JSONObject | None = None

    @model_validator(mode="after")
    def _dates(self) -> EventUpdate:
        _check_dates(self.start_date, self.end_date)
        return self


class EventTypeRead(BaseModel):
    code: str
    name: str
    root_code: str
    parent_code: str | None
    quad_class: int | None
    goldstein: float | None


class LocationRead(BaseModel):
    name: str | None
    country: str | None
    lat: float | None
    lon: float | None
    inherited: bool = Field(
        default=False, description="True: the event has no coordinates; these are its article's main place."
    )
    place_id: str | None = Field(default=None, description="The inherited place (see /v1/places/{id}).")


class EventSummary(BaseModel):
    id: int
    type: str | None
    type_name: str | None
    title: str
    start_date: date
    end_date: date | None
    status: str
    source: str
    external_id: str | None
    location: LocationRead | None


class ParticipantRead(BaseModel):
    actor: ActorBrief
    role: str


class ArticleRef(BaseModel):
    id: int
    title: str
    url: str
    published_at: datetime


class EventRead(EventSummary):
    description: str | None
    parent_id: int | None
    attributes: dict[str, Any] | None
    participants: list[ParticipantRead]
    articles: list[ArticleRef]
    claims: list[dict[str, Any]]
    children: list[int]
    created_at: datetime
    updated_at: datetime
