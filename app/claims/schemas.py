from __future__ import annotations

from datetime import date, datetime
from typing import Annotated

from pydantic import BaseModel, Field, StringConstraints

from ..models import Stance
from ..schemas import MAX_ID, ActorBrief, ActorRef, Strict

Text = Annotated[str, StringConstraints(min_length=1, max_length=20000)]


class PropositionCreate(Strict):
    text: Text
    key: Annotated[str, StringConstraints(pattern=r"^[a-z0-9]+(?:-[a-z0-9]+)*$", max_length=128)] | None = (
        None
    )
    description: Annotated[str, StringConstraints(max_length=20000)] | None = None


class ClaimCreate(Strict):
    speaker: ActorRef
    text: Text
    stance: Stance
    about: list[ActorRef] = Field(default_factory=list, max_length=100)
    event_id: int | None = Field(default=None, ge=1, le=MAX_ID)
    article_id: int = Field(ge=1, le=MAX_ID)
    said_on: date | None = None
    proposition: Annotated[int, Field(ge=1, le=MAX_ID)] | Text | None = Field(
        default=None, description="A proposition id, its key, or the text of a (new) proposition."
    )


class ClaimUpdate(Strict):
    text: Text | None = None
    stance: Stance | None = None
    about: list[ActorRef] | None = Field(default=None, max_length=100)
    event_id: int | None = Field(default=None, ge=1, le=MAX_ID)
    said_on: date | None = None
    proposition: Annotated[int, Field(ge=1, le=MAX_ID)] | Text | None = None


class ClaimRead(BaseModel):
    id: int
    speaker: ActorBrief
    text: str
    stance: str
    about: list[ActorBrief]
    article_id: int
    event_id: int | None
    said_on: date | None
    proposition_id: int | None
    created_at: datetime


class PropositionSummary(BaseModel):
    id: int
    key: str | None
    text: str
    description: str | None


class PropositionRead(PropositionSummary):
    claims: list[ClaimRead]
    by_stance: dict[str, list[ClaimRead]]
    stance_counts: dict[str, int]
