from __future__ import annotations

from typing import Annotated

import anyio
from fastapi import APIRouter, Response
from pydantic import BaseModel, Field, StringConstraints

from ..actors import repository as actors_repo
from ..auth import read_access
from ..db import SessionDep
from ..errors import ERROR_RESPONSES
from ..responses import JSON
from ..schemas import ActorBrief, Strict
from .service import GAZETTEERS

router = APIRouter(prefix="/v1", tags=["utilities"], responses=ERROR_RESPONSES)


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


@router.post("/resolve", response_model=ResolveResponse, dependencies=[read_access])
async def resolve(session: SessionDep, body: ResolveRequest) -> Response:
    """The actors the linker finds in any text, with character offsets; nothing is stored."""
    gazetteer = await session.run_sync(GAZETTEERS.get)
    found = await anyio.to_thread.run_sync(
        lambda: gazetteer.find(body.text, min_confidence=body.min_confidence)
    )
    briefs = await actors_repo.briefs(session, [m.actor_id for m in found])
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
    actors = list({m.actor_id: briefs[m.actor_id] for m in found}.values())
    return JSON({"mentions": mentions, "actors": actors})
