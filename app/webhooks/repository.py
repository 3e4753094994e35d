"""Every query on webhook subscriptions and their deliveries, including the lease that lets one worker
at a time deliver a subscription's next batch."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import bindparam, delete, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from ..db import fetch
from ..models import Webhook, WebhookDelivery
from ..pagination import SortKey

READ_COLUMNS = (
    Webhook.id,
    Webhook.url,
    Webhook.filters,
    Webhook.status,
    Webhook.paused_reason,
    Webhook.position,
    Webhook.failures,
    Webhook.next_attempt_at,
    Webhook.delivered,
    Webhook.created_at,
    Webhook.updated_at,
)
SORT = SortKey("id", ((Webhook.id, False),), ("int",))
DELIVERY_SORT = SortKey("-id", ((WebhookDelivery.id, True),), ("int",))
LIST = select(*READ_COLUMNS)
_GET = select(*READ_COLUMNS).where(Webhook.id == bindparam("id"))


async def get(session: AsyncSession, webhook_id: int) -> dict[str, Any] | None:
    row = (await fetch(session, _GET, {"id": webhook_id})).mappings().first()
    return dict(row) if row else None


async def get_orm(session: AsyncSession, webhook_id: int) -> Webhook | None:
    return await session.get(Webhook, webhook_id)


async def delete_webhook(session: AsyncSession, webhook_id: int) -> None:
    await session.execute(delete(Webhook).where(Webhook.id == webhook_id))


def deliveries_statement(webhook_id: int) -> Any:
    return select(
        WebhookDelivery.id,
        WebhookDelivery.message_id,
        WebhookDelivery.first_seq,
        WebhookDelivery.last_seq,
        WebhookDelivery.count,
        WebhookDelivery.attempt,
        WebhookDelivery.ok,
        WebhookDelivery.status_code,
        WebhookDelivery.error,
        WebhookDelivery.response,
        WebhookDelivery.duration_ms,
        WebhookDelivery.at,
    ).where(WebhookDelivery.webhook_id == webhook_id)


# -- the delivery worker ---------------------------------------------------------------------------------


async def claim_due(
    session: AsyncSession, worker: str, now: datetime, until: datetime, head: int, n: int
) -> list[Any]:
    """Lease up to `n` active subscriptions that are due and behind the head; a lease that ran out (its
    worker died) may be taken over. Returns (id, url, secret, filters, position, failures) rows."""
    free = or_(Webhook.lease_until.is_(None), Webhook.lease_until < now)
    due = (
        select(Webhook.id)
        .where(Webhook.status == "active", Webhook.next_attempt_at <= now, Webhook.position < head, free)
        .order_by(Webhook.next_attempt_at, Webhook.id)
        .limit(n)
    )
    stmt = (
        update(Webhook)
        .where(Webhook.id.in_(due), free)
        .values(leased_by=worker, lease_until=until)
        .returning(
            Webhook.id, Webhook.url, Webhook.secret, Webhook.filters, Webhook.position, Webhook.failures
        )
    )
    return list((await session.execute(stmt)).all())


async def finish(session: AsyncSession, webhook_id: int, worker: str, **values: Any) -> None:
    """Record the outcome and release the lease — only if this worker still holds it."""
    await session.execute(
        update(Webhook)
        .where(Webhook.id == webhook_id, Webhook.leased_by == worker)
        .values(leased_by=None, lease_until=None, **values)
    )


async def add_delivery(session: AsyncSession, **values: Any) -> None:
    session.add(WebhookDelivery(**values))


async def prune_deliveries(session: AsyncSession, before: datetime) -> None:
    await session.execute(delete(WebhookDelivery).where(WebhookDelivery.at < before))
