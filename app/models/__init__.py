"""All tables, imported in one place so metadata (and Alembic) sees every one."""

from .actors import ACTOR_KINDS, ALIAS_KINDS, Actor, ActorAlias, ActorKind, AliasKind, ExternalId
from .articles import Article, Mention, Story
from .base import Base, JSONType, to_utc_naive, utcnow
from .changes import (
    CHANGE_ENTITIES,
    CHANGE_OPS,
    Change,
    ChangeActor,
    ChangeEntity,
    ChangeOp,
    Webhook,
    WebhookDelivery,
)
from .claims import STANCES, Claim, ClaimAbout, Proposition, Stance
from .events import EVENT_STATUSES, Event, EventArticle, EventParticipant, EventStatus, EventType
from .keys import SCOPES, ApiKey, Scope
from .places import ArticlePlace, Place
from .relations import RELATION_TYPES, Relation, RelationEvidence
from .state import AppState, IdempotencyKey, SearchSnapshot

__all__ = [
    "ArticlePlace",
    "Place",
    "CHANGE_ENTITIES",
    "CHANGE_OPS",
    "Change",
    "ChangeActor",
    "ChangeEntity",
    "ChangeOp",
    "Webhook",
    "WebhookDelivery",
    "ACTOR_KINDS",
    "ALIAS_KINDS",
    "EVENT_STATUSES",
    "RELATION_TYPES",
    "SCOPES",
    "STANCES",
    "Actor",
    "ActorKind",
    "AliasKind",
    "EventStatus",
    "JSONType",
    "Scope",
    "Stance",
    "ActorAlias",
    "ApiKey",
    "AppState",
    "IdempotencyKey",
    "SearchSnapshot",
    "Article",
    "Base",
    "Claim",
    "ClaimAbout",
    "Event",
    "EventArticle",
    "EventParticipant",
    "EventType",
    "ExternalId",
    "Mention",
    "Story",
    "Proposition",
    "Relation",
    "RelationEvidence",
    "to_utc_naive",
    "utcnow",
]
