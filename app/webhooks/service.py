"""Rules for webhook subscriptions: targets must be public http(s) URLs (app/webhooks/targets.py),
filters are those of the change feed with actors resolved, a subscription starts at the head unless told
otherwise, and resuming a paused one forgets its failures."""

from __future__ import annotations

from typing import Any

import anyio
from sqlalchemy.ext.asyncio import AsyncSession

from ..changes import repository as changes_repo
from ..changes.service import check_position, resolve_filter
from ..errors import Unprocessable, still_there
from ..models import Webhook, utcnow
from ..pagination import PageParams, PageResult, keyset_page
from . import repository, signing
from .schemas import WebhookCreate, WebhookUpdate
from .targets import TargetRefused, check_target


async def _check_target(url: str, allow_private: bool) -> None:
    try:
        await anyio.to_thread.run_sync(check_target, url, allow_private)
    except TargetRefused as exc:
        raise Unprocessable(
            f"This URL cannot receive webhooks: {exc}.", errors=[{"loc": ["body", "url"], "msg": str(exc)}]
        ) from exc


async def list_webhooks(session: AsyncSession, page: PageParams) -> PageResult:
    return await keyset_page(session, repository.LIST, repository.SORT, page, {})


async def get_webhook(session: AsyncSession, webhook_id: int) -> dict[str, Any]:
    out = await repository.get(session, webhook_id)
    assert out is not None
    return out


async def create_webhook(session: AsyncSession, data: WebhookCreate, allow_private: bool) -> dict[str, Any]:
    await _check_target(data.url, allow_private)
    secret = data.secret or signing.new_secret()
    try:
        signing.secret_bytes(secret)
    except ValueError as exc:
        raise Unprocessable(str(exc), errors=[{"loc": ["body", "secret"], "msg": str(exc)}]) from exc
    flt = await resolve_filter(
        session, entities=data.entity, actors=data.actor, member_of=data.member_of, sources=data.source
    )
    if data.after is not None:
        await check_position(session, data.after)
    position = data.after if data.after is not None else await changes_repo.head(session)
    hook = Webhook(
        url=data.url,
        secret=secret,
        filters=flt.as_json(),
        status="active",
        position=position,
        failures=0,
        next_attempt_at=utcnow(),
        delivered=0,
    )
    session.add(hook)
    await session.flush()
    return {**await get_webhook(session, hook.id), "secret": secret}


async def update_webhook(
    session: AsyncSession, webhook_id: int, data: WebhookUpdate, allow_private: bool
) -> dict[str, Any]:
    hook = still_there(await repository.get_orm(session, webhook_id), f"Webhook {webhook_id}")
    if data.url is not None:
        await _check_target(data.url, allow_private)
        hook.url = data.url
    if data.status == "active" and hook.status != "active":
        hook.status, hook.failures, hook.paused_reason, hook.next_attempt_at = "active", 0, None, utcnow()
    elif data.status == "paused":
        hook.status, hook.paused_reason = "paused", "paused by a client"
    await session.flush()
    return await get_webhook(session, webhook_id)


async def delete_webhook(session: AsyncSession, webhook_id: int) -> None:
    await repository.delete_webhook(session, webhook_id)


async def list_deliveries(session: AsyncSession, webhook_id: int, page: PageParams) -> PageResult:
    stmt = repository.deliveries_statement(webhook_id)
    return await keyset_page(session, stmt, repository.DELIVERY_SORT, page, {"webhook": webhook_id})
