from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, Field

from ..articles.schemas import ArticleSummary
from ..schemas import ActorBrief


class StoryActor(ActorBrief):
    count: int = Field(description="How many of the story's articles mention it.")


class StorySummary(BaseModel):
    id: int
    title: str = Field(description="The title of the article that started the story.")
    first_seen: datetime = Field(description="The publication time of its earliest article.")
    last_seen: datetime = Field(description="The publication time of its latest article.")
    article_count: int
    source_count: int = Field(description="How many distinct sources published its articles.")
    top_actors: list[StoryActor]


class StoryArticles(BaseModel):
    items: list[ArticleSummary]
    next_cursor: str | None = None


class StoryRead(StorySummary):
    merged_into: None = None
    articles: StoryArticles = Field(description="Its articles, oldest first, paged by limit and cursor.")
