"""`GET /metrics`: the engine's metrics in Prometheus' text format, for a Prometheus server to scrape
(docs/operations.md). Unauthenticated like `/metrics/json` and `/healthz`: the numbers carry no ids and
nothing per company; keep the path off the public internet at the reverse proxy if its load figures
should stay private."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request, Response

from engine.api.context import Services
from engine.observability.prometheus import Telemetry

__all__ = ["router"]

router = APIRouter(tags=["health"])

_TEXT: dict[str, Any] = {"schema": {"type": "string"}}


@router.get(
    "/metrics",
    response_class=Response,
    summary="Metrics in Prometheus' text format (no authentication)",
    description="Per-turn latency histograms, live sessions, speech recognition counters and queues, "
    "model and worker states, analysis and outbox backlogs, HTTP requests by route template and status "
    "class. OpenMetrics when the Accept header asks for `application/openmetrics-text`.",
    responses={
        200: {
            "description": "The exposition.",
            "content": {"text/plain": _TEXT, "application/openmetrics-text": _TEXT},
        }
    },
)
async def prometheus_metrics(request: Request) -> Response:
    telemetry: Telemetry = request.app.state.telemetry
    services: Services = request.app.state.services
    body, content_type = await telemetry.scrape(services, request.headers.get("accept"))
    return Response(body, headers={"Content-Type": content_type})
