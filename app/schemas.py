"""Schema pieces shared by several domains."""

from __future__ import annotations

from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

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


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class ActorBrief(BaseModel):
    id: int
    slug: str
    name: str
    kind: str
