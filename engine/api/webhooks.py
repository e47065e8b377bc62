"""/v1/webhook-endpoints and /v1/webhook-deliveries: where events go, and what happened to each one."""

from __future__ import annotations

from datetime import timedelta
from typing import Annotated

from fastapi import APIRouter, BackgroundTasks, Query, Request, Response

from config.webhooks import (
    WebhookDelivery,
    WebhookEndpoint,
    WebhookEndpointCreate,
    WebhookEndpointUpdate,
    WebhookEndpointWithSecret,
)
from engine.api import audit
from engine.api.context import Ctx, ListResponse, Services
from engine.api.params import Cursor, IdPath, Limit
from engine.services import webhooks
from engine.store.tables import WebhookEndpointRow

router = APIRouter(tags=["webhooks"])
EventIdQuery = Annotated[
    str | None, Query(pattern=r"^evt_[0-9a-f]{28}$", description="Only this event's deliveries.")
]


def _with_secret(row: WebhookEndpointRow, ctx: Ctx) -> WebhookEndpointWithSecret:
    return WebhookEndpointWithSecret(
        **webhooks.to_model(row, ctx.clock.now()).model_dump(), secret=row.secret
    )


def _wake(request: Request, background: BackgroundTasks) -> None:
    """After the response, so after the commit: the dispatcher reads committed rows only."""
    services: Services = request.app.state.services
    background.add_task(services.webhooks.wake)


@router.post(
    "/v1/webhook-endpoints",
    status_code=201,
    summary="Register a webhook endpoint (the secret is shown only now)",
)
async def create_endpoint(body: WebhookEndpointCreate, ctx: Ctx) -> WebhookEndpointWithSecret:
    ctx.principal.require("write:webhooks")
    row = await webhooks.create(ctx.db, ctx.company_id, body, ctx.clock)
    await audit.record(ctx, "webhook_endpoint.created", "webhook_endpoint", row.id)
    return _with_secret(row, ctx)


@router.get("/v1/webhook-endpoints", summary="List webhook endpoints")
async def list_endpoints(
    ctx: Ctx, limit: Limit = None, cursor: Cursor = None
) -> ListResponse[WebhookEndpoint]:
    ctx.principal.require("read:webhooks")
    page = await webhooks.list_endpoints(ctx.db, ctx.company_id, ctx.limit(limit), cursor)
    now = ctx.clock.now()
    return ListResponse(data=[webhooks.to_model(r, now) for r in page.items], next_cursor=page.next_cursor)


@router.get("/v1/webhook-endpoints/{endpoint_id}", summary="Get a webhook endpoint")
async def get_endpoint(endpoint_id: IdPath, ctx: Ctx) -> WebhookEndpoint:
    ctx.principal.require("read:webhooks")
    return webhooks.to_model(await webhooks.get(ctx.db, ctx.company_id, endpoint_id), ctx.clock.now())


@router.patch(
    "/v1/webhook-endpoints/{endpoint_id}", summary="Change the URL, the subscription, or enable/disable"
)
async def update_endpoint(endpoint_id: IdPath, body: WebhookEndpointUpdate, ctx: Ctx) -> WebhookEndpoint:
    ctx.principal.require("write:webhooks")
    row = await webhooks.update(ctx.db, ctx.company_id, endpoint_id, body, ctx.clock)
    await audit.record(ctx, "webhook_endpoint.updated", "webhook_endpoint", row.id, audit.changed(body))
    return webhooks.to_model(row, ctx.clock.now())


@router.delete(
    "/v1/webhook-endpoints/{endpoint_id}",
    status_code=204,
    summary="Delete an endpoint; its pending deliveries stop",
)
async def delete_endpoint(endpoint_id: IdPath, ctx: Ctx) -> Response:
    ctx.principal.require("delete:webhooks")
    await webhooks.delete(ctx.db, ctx.company_id, endpoint_id, ctx.clock)
    await audit.record(ctx, "webhook_endpoint.deleted", "webhook_endpoint", endpoint_id)
    return Response(status_code=204)


@router.post(
    "/v1/webhook-endpoints/{endpoint_id}/rotate-secret",
    summary="New secret (shown only now); the old one keeps signing too for IE_WEBHOOKS__ROTATION_OVERLAP_S",
)
async def rotate_secret(endpoint_id: IdPath, ctx: Ctx, request: Request) -> WebhookEndpointWithSecret:
    ctx.principal.require("write:webhooks")
    services: Services = request.app.state.services
    overlap = timedelta(seconds=services.settings.webhooks.rotation_overlap_s)
    row = await webhooks.rotate(ctx.db, ctx.company_id, endpoint_id, ctx.clock, overlap)
    await audit.record(ctx, "webhook_endpoint.secret_rotated", "webhook_endpoint", row.id)
    return _with_secret(row, ctx)


@router.post(
    "/v1/webhook-endpoints/{endpoint_id}/test",
    status_code=202,
    summary="Send a signed webhook.test event to this endpoint; follow it in its deliveries",
)
async def send_test(
    endpoint_id: IdPath, ctx: Ctx, request: Request, background: BackgroundTasks
) -> WebhookDelivery:
    ctx.principal.require("write:webhooks")
    delivery = await webhooks.send_test(ctx.db, ctx.company_id, endpoint_id, ctx.clock)
    await ctx.db.flush()
    _wake(request, background)
    return await webhooks.delivery_model(ctx.db, delivery)


@router.get(
    "/v1/webhook-endpoints/{endpoint_id}/deliveries",
    summary="The endpoint's deliveries with every attempt, newest first",
)
async def endpoint_deliveries(
    endpoint_id: IdPath, ctx: Ctx, event_id: EventIdQuery = None, limit: Limit = None
) -> ListResponse[WebhookDelivery]:
    ctx.principal.require("read:webhooks")
    endpoint = await webhooks.get(ctx.db, ctx.company_id, endpoint_id)
    rows = await webhooks.list_deliveries(
        ctx.db, ctx.company_id, endpoint_id=endpoint.id, event_id=event_id, limit=ctx.limit(limit)
    )
    return ListResponse(data=[await webhooks.delivery_model(ctx.db, r) for r in rows], next_cursor=None)


@router.get("/v1/webhook-deliveries", summary="Deliveries of one event (or the latest), to every endpoint")
async def deliveries(
    ctx: Ctx, event_id: EventIdQuery = None, limit: Limit = None
) -> ListResponse[WebhookDelivery]:
    ctx.principal.require("read:webhooks")
    rows = await webhooks.list_deliveries(ctx.db, ctx.company_id, event_id=event_id, limit=ctx.limit(limit))
    return ListResponse(data=[await webhooks.delivery_model(ctx.db, r) for r in rows], next_cursor=None)


@router.post(
    "/v1/webhook-deliveries/{delivery_id}/redeliver",
    status_code=202,
    summary="Send a delivery again now (same webhook-id), whatever its status",
)
async def redeliver(
    delivery_id: IdPath, ctx: Ctx, request: Request, background: BackgroundTasks
) -> WebhookDelivery:
    ctx.principal.require("write:webhooks")
    row = await webhooks.redeliver(ctx.db, ctx.company_id, delivery_id, ctx.clock)
    _wake(request, background)
    return await webhooks.delivery_model(ctx.db, row)
