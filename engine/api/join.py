"""The candidate's side of an invite-only link: the join page, its state, and WebRTC signalling.

Signalling is one HTTP exchange: the page gathers all its ICE candidates, POSTs the offer to
`/join/{token}/offer` and gets the complete answer back (no trickle ICE). The join token in the
path is the credential; no API key is involved.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Request
from fastapi.responses import FileResponse, Response
from pydantic import Field, StrictBool

from config.base import ApiModel, InputModel
from config.enums import SessionStatus
from config.settings import IceServer
from engine.api.context import Services
from engine.api.openapi import error_responses
from engine.errors import Forbidden, ValidationFailed
from engine.live.dialogue import expected_minutes
from engine.live.forward import ROUTED_HEADER, forward_offer
from engine.live.node import LiveElsewhere
from engine.live.webrtc import WebRtcTransport
from engine.services import join
from engine.web import static_file
from media.signalling import MAX_SDP_BYTES, OfferError, check_offer

__all__ = ["Answer", "JoinState", "Offer", "router"]

router = APIRouter(tags=["candidate"])

Token = Annotated[str, Path(min_length=1, max_length=128, description="The join token from the link.")]

RECORDING_NOTICE = (
    "This interview is recorded (audio) and transcribed so that the hiring team can review it. "
    "Nothing is captured until you agree and start."
)


class JoinState(ApiModel):
    session_id: str = Field(description="The session this link opens.")
    status: SessionStatus = Field(description="The session's status.")
    joinable: bool = Field(description="Whether starting (or continuing) the interview is possible.")
    resume: bool = Field(description="The interview was started before; joining continues it.")
    message: str = Field(description="Why the link cannot be used, for the candidate; empty when joinable.")
    candidate_name: str = Field(description="The participant's name, for the greeting.")
    interview_title: str = Field(
        description="The template's name (the profile's for template-less sessions)."
    )
    interviewer_name: str = Field(description="The agent profile's name.")
    duration_minutes: int | None = Field(
        description="Expected length: the stage's or template's duration, or less when the interview "
        "plan has fewer questions than fill it; null without a template."
    )
    recording_notice: str = Field(description="What the candidate consents to; show before capturing.")
    privacy_policy_url: str | None = Field(
        default=None,
        description="The company's privacy policy (http or https), to link next to the recording notice; "
        "null when none is set (IE_PRIVACY__POLICY_URL).",
    )
    ice_servers: list[IceServer] = Field(description="Pass to RTCPeerConnection as iceServers.")


class Offer(InputModel):
    sdp: str = Field(max_length=MAX_SDP_BYTES, description="The page's SDP offer, ICE gathering complete.")
    type: str = Field(max_length=16, description="Always 'offer'.")
    consent: StrictBool = Field(description="The candidate agreed to be recorded; must be true.")


class Answer(ApiModel):
    sdp: str = Field(description="The engine's SDP answer, with all its ICE candidates.")
    type: str = Field(description="Always 'answer'.")


def _services(request: Request) -> Services:
    services: Services = request.app.state.services
    return services


@router.get("/join/{token}", include_in_schema=False)
async def join_page(token: Token) -> FileResponse:
    return FileResponse(static_file("join.html"), media_type="text/html", headers=_NO_STORE)


@router.get(
    "/join/{token}/state",
    summary="What the join link opens (no API key: the token is the credential)",
    responses=error_responses(_404="Unknown link.", _422="The token is malformed."),
)
async def join_state(token: Token, request: Request) -> JoinState:
    services = _services(request)
    async with services.database.transaction() as db:
        row = await join.by_token(db, token)
        interview = await join.interview_of(db, row)
    status = interview.status
    template = interview.template
    return JoinState(
        session_id=row.id,
        status=status,
        joinable=not status.is_terminal,
        resume=status is SessionStatus.IN_PROGRESS or bool(interview.progress),
        message=join.status_message(status),
        candidate_name=interview.candidate_name,
        interview_title=template.name if template is not None else interview.profile.name,
        interviewer_name=interview.profile.name,
        # The plan's own length, which is shorter than the template's when its questions run out.
        duration_minutes=expected_minutes(interview) if template is not None else None,
        recording_notice=RECORDING_NOTICE,
        privacy_policy_url=services.settings.privacy.policy_url,
        ice_servers=services.settings.media.ice_servers,
    )


@router.post(
    "/join/{token}/offer",
    response_model=Answer,
    summary="Start or resume the interview: send the SDP offer, get the SDP answer",
    description="Any engine takes the offer: one that does not hold the session's live interview "
    "forwards it to the engine that does (or, while draining, to one taking new interviews) and passes "
    "its answer back.",
    responses=error_responses(
        _400="Malformed JSON body.",
        _403="Consent to the recording was not given.",
        _404="Unknown link.",
        _409="The session is completed, cancelled or failed.",
        _413="Request body larger than the server's limit.",
        _415="Request body is not `application/json`.",
        _422="The SDP offer is malformed or unusable; `details.fields` says which field.",
        _503="No capacity for another live session, or the engine is shutting down or draining "
        "(`Retry-After` says when to try again).",
    ),
)
async def join_offer(token: Token, body: Offer, request: Request) -> Answer | Response:
    services = _services(request)
    if not body.consent:
        raise Forbidden(
            "the candidate must agree to the recording before the interview starts",
            {"fields": [{"path": "consent", "message": "must be true", "type": "consent_required"}]},
        )
    try:
        offer = check_offer(body.sdp, body.type)
    except OfferError as exc:
        raise ValidationFailed(
            f"{exc.field}: {exc.message}",
            {"fields": [{"path": exc.field, "message": exc.message, "type": "invalid_offer"}]},
        ) from None
    try:
        transport = WebRtcTransport(offer, services.settings.media.ice_servers)
        await services.live.connect(token, transport, routed=request.headers.get(ROUTED_HEADER) is not None)
        answer = transport.answer
        assert answer is not None  # set by a transport that started
    except LiveElsewhere as elsewhere:
        node = services.live.node
        assert node is not None  # only the node registry sends an offer elsewhere
        return await forward_offer(node, elsewhere, token, body.model_dump(mode="json"))
    except OfferError as exc:
        raise ValidationFailed(
            f"{exc.field}: {exc.message}",
            {"fields": [{"path": exc.field, "message": exc.message, "type": "invalid_offer"}]},
        ) from None
    return Answer(sdp=answer.sdp, type=answer.type)


_NO_STORE = {"Cache-Control": "no-store", "Referrer-Policy": "no-referrer"}
