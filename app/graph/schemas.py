from __future__ import annotations

from datetime import date

from pydantic import BaseModel, ConfigDict, Field

from ..relations.schemas import EvidenceRead
from ..schemas import ActorBrief


class NetworkNode(ActorBrief):
    depth: int = Field(description="Hops from the actor asked about (0 is the actor itself).")


class NetworkEdge(BaseModel):
    source: int = Field(description="Actor id; the end nearer the centre (then the lower id).")
    target: int = Field(description="Actor id.")
    weight: int = Field(description="Articles mentioning both (in `since`–`until` when given); 0 if none.")
    kinds: list[str] = Field(description="Relation types between the two, either direction.")


class Network(BaseModel):
    nodes: list[NetworkNode]
    edges: list[NetworkEdge]
    truncated: bool = Field(
        description="True when an actor had more articles than one hop reads (its most recently stored "
        "ones are counted; with `since`/`until`, those in the window among a bounded number of its most "
        "recent ones), so some weights are lower bounds and some neighbours may be missing."
    )


class PathEdge(BaseModel):
    relation_id: int
    source: int = Field(description="The relation's subject (actor id): edges keep their true direction.")
    target: int = Field(description="The relation's object (actor id).")
    type: str
    title: str | None
    valid_from: date | None
    valid_to: date | None
    evidence: list[EvidenceRead]


class Path(BaseModel):
    nodes: list[ActorBrief] = Field(description="From `from` to `to`, in order; empty when no path exists.")
    edges: list[PathEdge] = Field(description="edges[i] links nodes[i] and nodes[i+1], in either direction.")
    found: bool = Field(description="Whether a path was found within `max_depth`.")
    reason: str | None = Field(
        description="When none was found, why: no path at any depth (one end's relations were all "
        "followed), none within `max_depth`, or the search limit reached."
    )


class TimelineBucket(BaseModel):
    start: date = Field(description="First day of the bucket (weeks start on Monday).")
    count: int


class Timeline(BaseModel):
    model_config = ConfigDict(populate_by_name=True)

    items: list[TimelineBucket]
    interval: str
    from_: date = Field(alias="from", description="First day counted.")
    to: date = Field(description="Last day counted.")
