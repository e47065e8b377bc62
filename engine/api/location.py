"""`Location` on every 201: the URL path of the resource just created.

One middleware instead of a line in each create route, so a new create route gets it too (a test checks
every 201 the document declares). A 201 body carries the new resource's `id`; the resource lives at
`<request path>/<id>` unless `ELSEWHERE` names the route. Inside the idempotency middleware, so a
replayed 201 carries it as well.
"""

from __future__ import annotations

import json
import logging
from typing import Any

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from engine.api.access_log import route_template

__all__ = ["ELSEWHERE", "CreatedLocation", "location_of"]

logger = logging.getLogger(__name__)

# Route template -> where its new resource lives ({id} or another field of the 201 body).
ELSEWHERE = {
    "/v1/templates/{template_id}/stages": "/v1/stages/{id}",
    "/v1/sessions/{session_id}/retake": "/v1/sessions/{id}",
    # The candidate's new (or resumed) session is theirs through its join link.
    "/public/{token}/sessions": "{join_url}",
}
_LOCATION = b"location"


def location_of(route: str | None, path: str, body: Any) -> str | None:
    if not isinstance(body, dict):
        return None
    fields = {k: v for k, v in body.items() if isinstance(v, str)}
    target = ELSEWHERE.get(route or "")
    try:
        if target is not None:
            return target.format(**fields)
        return f"{path.rstrip('/')}/{fields['id']}" if "id" in fields else None
    except KeyError:
        return None


class CreatedLocation:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] != "POST":
            await self.app(scope, receive, send)
            return
        held: Message | None = None  # a 201's start, kept until its body says where the resource is
        chunks: list[bytes] = []

        async def locating_send(message: Message) -> None:
            nonlocal held
            if message["type"] == "http.response.start":
                headers = message.get("headers", ())
                if message["status"] == 201 and not any(bytes(k).lower() == _LOCATION for k, _ in headers):
                    held = message
                    return
            elif message["type"] == "http.response.body" and held is not None:
                chunks.append(bytes(message.get("body", b"")))
                if message.get("more_body", False):
                    return
                body = b"".join(chunks)
                start, held = held, None
                await send(_with_location(start, scope, body))
                message = {"type": "http.response.body", "body": body, "more_body": False}
            await send(message)

        await self.app(scope, receive, locating_send)


def _with_location(start: Message, scope: Scope, body: bytes) -> Message:
    try:
        parsed = json.loads(body)
    except ValueError:
        parsed = None
    location = location_of(route_template(scope), str(scope.get("path", "")), parsed)
    if location is None or not location.isascii():
        logger.warning("201 from %s without an id to point Location at", route_template(scope))
        return start
    return {**start, "headers": [*start.get("headers", ()), (_LOCATION, location.encode("latin-1"))]}
