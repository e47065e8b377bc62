"""The OpenAPI `webhooks` section: one operation per event type, with its payload model, an example and
the Standard Webhooks signature headers, so an integrator can generate a typed receiver.

These routes are never served: FastAPI lists `app.webhooks` in the document only.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable
from typing import Annotated, Any

from fastapi import APIRouter, Body, Header

from config.events import EVENTS, PAYLOADS

__all__ = ["SIGNATURE_HEADERS", "router"]

router = APIRouter(tags=["webhook events"])

# engine/webhooks/signing.py makes these; every delivery carries all three.
SIGNATURE_HEADERS: dict[str, str] = {
    "webhook-id": "The event id (`evt_...`): the same on every retry and redelivery, so drop duplicates by it.",
    "webhook-timestamp": "Unix seconds of this attempt; reject one far from your clock (replays).",
    "webhook-signature": "`v1,<base64 HMAC-SHA256>` of `{webhook-id}.{webhook-timestamp}.{raw body}`, keyed "
    "with the bytes of your secret (the base64 after `whsec_`); after a secret rotation two, "
    "space-separated: accept the request when either matches. Any Standard Webhooks library verifies it.",
}

DESCRIPTION = (
    "POSTed as JSON to every enabled endpoint subscribed to this type (or to every type), signed per "
    "the Standard Webhooks specification. Answer 2xx within the timeout (15 s by default) and do the work "
    "afterwards; anything else is retried on a schedule, so the same `webhook-id` may arrive more than once, "
    "and deliveries may arrive out of order (order by `timestamp`)."
)


def _receiver(payload: type[Any]) -> Callable[..., Any]:
    """A stand-in receiver whose signature FastAPI documents: the payload body and the three headers."""

    async def receive(**_: Any) -> None:  # pragma: no cover - never served
        return None

    params = [
        inspect.Parameter("body", inspect.Parameter.KEYWORD_ONLY, annotation=Annotated[payload, Body()]),
        *(
            inspect.Parameter(
                name.replace("-", "_"),
                inspect.Parameter.KEYWORD_ONLY,
                annotation=Annotated[str, Header(alias=name, description=text)],
            )
            for name, text in SIGNATURE_HEADERS.items()
        ),
    ]
    receive.__signature__ = inspect.Signature(params)  # type: ignore[attr-defined]
    return receive


for _spec in EVENTS:
    router.add_api_route(
        _spec.name,
        _receiver(PAYLOADS[_spec.name]),
        methods=["POST"],
        summary=_spec.summary,
        description=DESCRIPTION,
        operation_id=f"webhook_{_spec.name.replace('.', '_')}",
    )
