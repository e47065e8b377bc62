"""`POST /v1/phone-streams/{token}/status`: the telephony provider's call status callbacks (Twilio's
`statusCallback`), on the token of the stream URL that `GET /v1/sessions/{id}/phone-stream` issued. A call
that never reached its stream (busy, not answered, failed) is logged as a call attempt from them
(engine.services.phone.record_status); everything else changes nothing.

The token in the path is the credential, as for the stream. With IE_PHONE__TWILIO_AUTH_TOKEN set, the
request must also carry a valid `X-Twilio-Signature`: base64 of the HMAC-SHA1, keyed by the auth token, of
the URL Twilio called followed by each form field's name and value in name order (Twilio's documented
scheme). It is checked here in a few lines rather than with Twilio's SDK, which would bring an HTTP
client stack of its own for one hash.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import logging
import re
from typing import Annotated
from urllib.parse import parse_qsl, urlsplit, urlunsplit

from fastapi import APIRouter, Path, Request
from fastapi.responses import Response

from config.settings import Settings
from engine.api.context import Services
from engine.api.openapi import error_responses
from engine.errors import BadRequest, Forbidden, NotFound, PayloadTooLarge
from engine.services import phone

__all__ = ["router", "twilio_signature"]

logger = logging.getLogger(__name__)

router = APIRouter(prefix="/v1/phone-streams", tags=["phone"])

MAX_BODY = 16_384  # Twilio's callbacks are a few hundred bytes
FORM = "application/x-www-form-urlencoded"
CALL_SID = re.compile(r"[A-Za-z0-9_-]{1,64}")
MAX_DURATION_S = 7 * 24 * 3600


def twilio_signature(auth_token: str, url: str, fields: list[tuple[str, str]]) -> str:
    """What Twilio puts in X-Twilio-Signature for a form POST of `fields` to `url`."""
    payload = url + "".join(name + value for name, value in sorted(fields))
    digest = hmac.new(auth_token.encode(), payload.encode(), hashlib.sha1).digest()
    return base64.b64encode(digest).decode()


def _called_urls(settings: Settings, request: Request) -> list[str]:
    """The URL Twilio signed: the public address's (behind a proxy, the one it was given), else the one
    this request came to."""
    urls = [str(request.url)]
    if settings.public_base_url:
        base = urlsplit(settings.public_base_url.rstrip("/"))
        path = base.path.rstrip("/") + request.url.path
        urls.insert(0, urlunsplit((base.scheme, base.netloc, path, request.url.query, "")))
    return urls


def _check_signature(settings: Settings, request: Request, fields: list[tuple[str, str]]) -> None:
    secret = settings.phone.twilio_auth_token
    if secret is None:
        return
    given = request.headers.get("x-twilio-signature", "")
    token = secret.get_secret_value()
    if not given or not any(
        hmac.compare_digest(given, twilio_signature(token, url, fields))
        for url in _called_urls(settings, request)
    ):
        raise Forbidden("X-Twilio-Signature is missing or does not match this request")


def _field(fields: dict[str, str], name: str) -> str:
    value = fields.get(name, "")
    if not value:
        raise BadRequest(f"{name} is required", {"fields": [{"path": name, "message": "required"}]})
    return value


def _duration(fields: dict[str, str]) -> int | None:
    raw = fields.get("CallDuration")
    if raw is None or raw == "":
        return None
    if not raw.isdigit() or int(raw) > MAX_DURATION_S:
        raise BadRequest(
            "CallDuration must be whole seconds",
            {"fields": [{"path": "CallDuration", "message": "not a number of seconds"}]},
        )
    return int(raw)


@router.post(
    "/{token}/status",
    status_code=204,
    summary="The telephony provider's call status callback for a stream URL (Twilio statusCallback)",
    description="Form-encoded, as Twilio sends it: `CallSid`, `CallStatus` (queued, initiated, ringing, "
    "in-progress, completed, busy, no-answer, failed, canceled) and optionally `CallDuration`. A call that "
    "ended without its stream ever starting is logged as a call attempt (busy, no_answer, or failed); a "
    "call the stream logged is left as it logged it; repeats change nothing. The path's token is the "
    "`status_callback_url` of `GET /v1/sessions/{id}/phone-stream`; with IE_PHONE__TWILIO_AUTH_TOKEN set, "
    "X-Twilio-Signature must match. See docs/phone.md.",
    responses=error_responses(
        _403="X-Twilio-Signature missing or wrong (only with IE_PHONE__TWILIO_AUTH_TOKEN).",
        _404="No stream URL with this token is kept.",
        _413="The body is over 16 KiB.",
    ),
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {
                FORM: {
                    "schema": {
                        "type": "object",
                        "required": ["CallSid", "CallStatus"],
                        "properties": {
                            "CallSid": {
                                "type": "string",
                                "maxLength": 64,
                                "description": "The provider's id of the call (Twilio's CallSid).",
                            },
                            "CallStatus": {
                                "type": "string",
                                "enum": list(phone.PROVIDER_STATUSES),
                                "description": "The call's status now; only final ones are logged.",
                            },
                            "CallDuration": {
                                "type": "string",
                                "pattern": "^[0-9]+$",
                                "description": "Seconds the call lasted, on its final status (optional).",
                            },
                        },
                    }
                }
            },
        }
    },
)
async def call_status(
    token: Annotated[
        str, Path(description="The token of the stream URL (`status_callback_url` carries it).")
    ],
    request: Request,
) -> Response:
    services: Services = request.app.state.services
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > MAX_BODY:
        raise PayloadTooLarge(f"the body is over {MAX_BODY} bytes")
    media_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if media_type != FORM:
        raise BadRequest(
            f"send the callback as {FORM}",
            {"fields": [{"path": "content-type", "message": f"expected {FORM}"}]},
        )
    body = await request.body()
    if len(body) > MAX_BODY:
        raise PayloadTooLarge(f"the body is over {MAX_BODY} bytes")
    try:
        pairs = parse_qsl(body.decode(), keep_blank_values=True, strict_parsing=False)
    except UnicodeDecodeError:
        raise BadRequest(
            "the form is not UTF-8", {"fields": [{"path": "body", "message": "not UTF-8"}]}
        ) from None
    _check_signature(services.settings, request, pairs)
    fields = dict(pairs)
    call_sid = _field(fields, "CallSid")
    if not CALL_SID.fullmatch(call_sid):
        raise BadRequest(
            "CallSid is not a call id", {"fields": [{"path": "CallSid", "message": "malformed"}]}
        )
    status = _field(fields, "CallStatus")
    if status not in phone.PROVIDER_STATUSES:
        raise BadRequest(
            f"CallStatus must be one of {', '.join(phone.PROVIDER_STATUSES)}",
            {"fields": [{"path": "CallStatus", "message": "unknown status"}]},
        )
    duration = _duration(fields)
    try:
        async with services.database.transaction() as db:
            logged = await phone.record_status(db, token, call_sid, status, duration, services.clock.now())
    except phone.InvalidToken:
        raise NotFound("unknown stream token") from None
    if logged is not None:
        logger.info("phone call %s to session %s: %s", call_sid, logged.session_id, logged.outcome)
    return Response(status_code=204)
