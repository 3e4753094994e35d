"""/v1/webhooks: subscriptions to the change feed (admin scope)."""

from __future__ import annotations

from fastapi import APIRouter, Request, Response

from ..auth import admin_access
from ..db import SessionDep
from ..errors import ERROR_RESPONSES
from ..pagination import Page, PageDep, list_response
from ..responses import JSON
from . import service
from .dependencies import WebhookDep
from .schemas import DeliveryRead, WebhookCreate, WebhookCreated, WebhookRead, WebhookUpdate

router = APIRouter(
    prefix="/v1/webhooks", tags=["changes"], responses=ERROR_RESPONSES, dependencies=[admin_access]
)


def _allow_private(request: Request) -> bool:
    return bool(request.app.state.settings.webhooks_allow_private)


@router.post("", status_code=201, response_model=WebhookCreated)
async def create_webhook(request: Request, session: SessionDep, body: WebhookCreate) -> Response:
    """Subscribe a URL to the changes matching the filters. The secret is shown this once; deliveries
    carry `webhook-id`, `webhook-timestamp` and `webhook-signature` (Standard Webhooks)."""
    out = await service.create_webhook(session, body, _allow_private(request))
    return JSON(out, status_code=201, headers={"Location": f"/v1/webhooks/{out['id']}"})


@router.get("", response_model=Page[WebhookRead])
async def list_webhooks(request: Request, session: SessionDep, page: PageDep) -> Response:
    return list_response(request, await service.list_webhooks(session, page))


@router.get("/{webhook_id}", response_model=WebhookRead)
async def get_webhook(session: SessionDep, webhook_id: WebhookDep) -> Response:
    return JSON(await service.get_webhook(session, webhook_id))


@router.patch("/{webhook_id}", response_model=WebhookRead)
async def update_webhook(
    request: Request, session: SessionDep, webhook_id: WebhookDep, body: WebhookUpdate
) -> Response:
    """Change the URL, pause, or resume (`{"status": "active"}`) a subscription."""
    return JSON(await service.update_webhook(session, webhook_id, body, _allow_private(request)))


@router.delete("/{webhook_id}", status_code=204)
async def delete_webhook(session: SessionDep, webhook_id: WebhookDep) -> Response:
    await service.delete_webhook(session, webhook_id)
    return Response(status_code=204)


@router.get("/{webhook_id}/deliveries", response_model=Page[DeliveryRead])
async def list_deliveries(
    request: Request, session: SessionDep, webhook_id: WebhookDep, page: PageDep
) -> Response:
    """Delivery attempts, newest first: the batch's seqs, the receiver's status and answer."""
    return list_response(request, await service.list_deliveries(session, webhook_id, page))
