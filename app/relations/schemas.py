from __future__ import annotations

from datetime import date
from typing import Annotated, Any

from pydantic import BaseModel, Field, StringConstraints, model_validator

from ..schemas import MAX_ID, ActorBrief, ActorRef, JSONObject, Strict, TypeName


class EvidenceIn(Strict):
    article_id: int = Field(ge=1, le=MAX_ID)
    quote: Annotated[str, StringConstraints(max_length=5000)] | None = None


class EvidenceRead(BaseModel):
    article_id: int
    quote: str | None


def _check_dates(valid_from: date | None, valid_to: date | None) -> None:
    if valid_from and valid_to and valid_to <= valid_from:
        raise ValueError(
            "valid_to must be after valid_from (it is the first day the relation no longer holds)"
        )


class RelationCreate(Strict):
    subject: ActorRef
    type: TypeName
    object: Annotated[ActorRef, Field(description="An actor's id or slug, not the subject's (422).")]
    title: Annotated[str, StringConstraints(max_length=512)] | None = None
    valid_from: date | None = None
    valid_to: date | None = None
    confidence: float = Field(default=1.0, ge=0, le=1)
    source: Annotated[str, StringConstraints(max_length=5000)] | None = Field(
        default=None, description="Where the relation and its dates come from."
    )
    attributes: JSONObject | None = None
    evidence: list[EvidenceIn] = Field(default_factory=list, max_length=100)

    @model_validator(mode="after")
    def _dates(self) -> RelationCreate:
        _check_dates(self.valid_from, self.valid_to)
        return self


class RelationUpdate(Strict):
    type: TypeName | None = None
    title: Annotated[str, StringConstraints(max_length=512)] | None = None
    valid_from: date | None = None
    valid_to: date | None = None
    confidence: float | None = Field(default=None, ge=0, le=1)
    source: Annotated[str, StringConstraints(max_length=5000)] | None = None
    attributes: JSONObject | None = None
    evidence: list[EvidenceIn] | None = Field(default=None, max_length=100)

    @model_validator(mode="after")
    def _dates(self) -> RelationUpdate:
        _check_dates(self.valid_from, self.valid_to)
        return self


class RelationRead(BaseModel):
    id: int
    subject: ActorBrief
    type: str
    object: ActorBrief
    title: str | None
    valid_from: date | None
    valid_to: date | None
    confidence: float
    source: str | None
    attributes: dict[str, Any] | None
    evidence: list[EvidenceRead]
