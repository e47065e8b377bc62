"""/v1/api-keys: the company's API keys. The secret is shown once, at creation; revoking is immediate."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Response

from config.api_keys import ApiKey, ApiKeyCreate, ApiKeyWithSecret
from engine.api import audit
from engine.api.context import Ctx, ListResponse
from engine.api.params import Cursor, KeyIdPath, Limit
from engine.services import api_keys

router = APIRouter(prefix="/v1/api-keys", tags=["api-keys"])

CREATED: dict[int | str, dict[str, Any]] = {
    201: {
        "description": "The key, with its secret in `key`: shown only now.",
        "headers": {
            "Location": {"description": "The new key's URL.", "schema": {"type": "string"}},
        },
    }
}


@router.post(
    "",
    status_code=201,
    responses=CREATED,
    summary="Create an API key (the secret is shown only now; only scopes you hold can be granted)",
)
async def create_api_key(body: ApiKeyCreate, ctx: Ctx, response: Response) -> ApiKeyWithSecret:
    ctx.principal.require("write:api_keys")
    created = await api_keys.create(ctx.db, ctx.principal, body, ctx.clock)
    await audit.record(ctx, "api_key.created", "api_key", created.id, {"scopes": created.scopes})
    response.headers["Location"] = f"{router.prefix}/{created.id}"
    return created


@router.get("", summary="List the company's API keys, revoked ones included (never their secrets)")
async def list_api_keys(ctx: Ctx, limit: Limit = None, cursor: Cursor = None) -> ListResponse[ApiKey]:
    ctx.principal.require("read:api_keys")
    page = await api_keys.list_page(ctx.db, ctx.company_id, ctx.limit(limit), cursor)
    return ListResponse(data=[api_keys.to_model(r) for r in page.items], next_cursor=page.next_cursor)


@router.get("/{key_id}", summary="Get an API key (never its secret)")
async def get_api_key(key_id: KeyIdPath, ctx: Ctx) -> ApiKey:
    ctx.principal.require("read:api_keys")
    return api_keys.to_model(await api_keys.get(ctx.db, ctx.company_id, key_id))


@router.delete(
    "/{key_id}",
    status_code=204,
    summary="Revoke an API key: refused (401) from now on, kept in the list; 409 for the calling key itself",
)
async def revoke_api_key(key_id: KeyIdPath, ctx: Ctx) -> Response:
    ctx.principal.require("delete:api_keys")
    await api_keys.revoke(ctx.db, ctx.principal, key_id, ctx.clock)
    await audit.record(ctx, "api_key.revoked", "api_key", key_id)
    return Response(status_code=204)
