"""Forwarding a join offer to the engine that holds (or, while this one drains, will hold) the live
interview, and passing its answer back: the join page's signalling is proxied, not redirected.

Why not a 307 to the owner's URL: the page POSTs JSON with fetch(); redirected to another origin that
becomes a CORS request with a preflight, which every engine would have to answer for the page's origin;
behind a load balancer or reverse proxy the engines' own addresses (IE_NODE__URL) are usually private
and unreachable from the candidate's browser, and an https page may not fetch an http address. One
hop between engines avoids all three. Only the offer's exchange goes through: the SDP answer carries
the owner's ICE candidates, so the audio and the data channel then run between the browser and the
owner directly.

A forwarded request carries ROUTED_HEADER; an engine that receives one never forwards it again (two
engines whose views of the registry briefly differ answer 503 instead of passing it back and forth).
"""

from __future__ import annotations

import logging
from typing import Any

import httpx
from fastapi.responses import Response

from engine.live.node import EngineNode, LiveElsewhere
from engine.observability.context import REQUEST_ID_HEADER, current_request_id

__all__ = ["ROUTED_HEADER", "forward_offer"]

logger = logging.getLogger(__name__)

ROUTED_HEADER = "X-IE-Routed-From"
# What of the owner's answer goes back to the page besides the body.
PASSED_HEADERS = ("retry-after", "cache-control")


async def forward_offer(
    node: EngineNode, target: LiveElsewhere, token: str, body: dict[str, Any]
) -> Response:
    """The owner's answer to the offer, as it gave it (an SDP answer, or its error); RetryLater when it
    cannot be reached."""
    headers = {ROUTED_HEADER: node.id}
    request_id = current_request_id()
    if request_id:
        headers[REQUEST_ID_HEADER] = request_id
    try:
        reply = await node.http.post(f"{target.node_url}/join/{token}/offer", json=body, headers=headers)
    except httpx.HTTPError:
        raise node.unreachable(target) from None
    # The token stays out of the log: it is the link's credential.
    logger.info(
        "join offer forwarded to engine %s (%s): %d", target.node_id or "-", target.reason, reply.status_code
    )
    passed = {name: reply.headers[name] for name in PASSED_HEADERS if name in reply.headers}
    return Response(
        content=reply.content,
        status_code=reply.status_code,
        headers=passed,
        media_type=reply.headers.get("content-type", "application/json"),
    )
