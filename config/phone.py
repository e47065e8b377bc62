"""Phone interviews in the API: the stream URL a telephony provider connects to, and the call attempts
logged on a session (seed 003: "call attempt logs ... present for phone interviews")."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import Field

from config.base import ApiModel

__all__ = ["CallAttempt", "CallAttempts", "CallOutcome", "PhoneStream"]

# answered: the call reached the interview and is still on it, or ended without finishing it (the engine
# stopped, the candidate went silent, the session continued on another connection). no_answer and busy
# come from the provider's call status callbacks (POST .../status; docs/phone.md).
CallOutcome = Literal["answered", "no_answer", "busy", "failed", "hung_up", "completed"]


class PhoneStream(ApiModel):
    url: str = Field(
        description="The WebSocket URL to give the telephony provider (TwiML `<Connect><Stream url=...>`); "
        "its token connects one call to this session, once."
    )
    expires_at: datetime = Field(
        description="Until when a call may start on this URL (IE_PHONE__TOKEN_TTL_S)."
    )
    status_callback_url: str = Field(
        description="Where the provider reports the call's progress (Twilio: the call's `statusCallback`, "
        "with `statusCallbackEvent` including `completed`): a call that was busy, not answered or failed "
        "before its stream started is logged as a call attempt from it. Same token as `url`."
    )


class CallAttempt(ApiModel):
    id: str = Field(description="The attempt's id.")
    session_id: str = Field(description="The session the call was for.")
    call_sid: str = Field(description="The provider's id of the call (Twilio's CallSid).")
    started_at: datetime = Field(
        description="When the call's media stream started; for a call whose stream never started (busy, "
        "no answer), when the provider reported it, less the call's duration if it gave one."
    )
    ended_at: datetime | None = Field(description="When it ended; null while the call goes on.")
    duration_seconds: int | None = Field(
        description="Whole seconds from start to end; null while it goes on."
    )
    outcome: CallOutcome = Field(
        description="completed: the interview finished on this call; hung_up: the caller hung up before "
        "it finished; failed: the call could not join the interview or its stream was lost or broke the "
        "protocol; answered: it reached the interview (and is still on it, or ended otherwise, e.g. a "
        "later call took over); no_answer/busy: reported by the provider's status callback (as is failed for a "
        "call whose stream never started)."
    )


class CallAttempts(ApiModel):
    session_id: str = Field(description="The session.")
    call_attempts: list[CallAttempt] = Field(description="Every call to the session, oldest first.")
