"""Phone interviews over a telephony media stream (IE_PHONE__*; docs/phone.md). A group of
`config.settings.Settings`, kept here so the phone path's limits stay together."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field, SecretStr

__all__ = ["PhoneSettings"]


class PhoneSettings(BaseModel):
    """Env: IE_PHONE__TOKEN_TTL_S, IE_PHONE__MAX_MESSAGE_BYTES, ... Defaults fit Twilio Media Streams, which
    sends one 20 ms `media` message (about 300 bytes) 50 times a second."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    token_ttl_s: int = Field(
        default=900,
        ge=30,
        le=86_400,
        description="How long a stream URL from GET /v1/sessions/{id}/phone-stream may be used (once).",
    )
    twilio_auth_token: SecretStr | None = Field(
        default=None,
        description="Twilio's auth token: when set, call status callbacks must carry a valid "
        "X-Twilio-Signature (their URL's token is checked either way). Keep it in the environment.",
    )
    max_message_bytes: int = Field(
        default=16_384,
        ge=1024,
        le=1_048_576,
        description="A larger WebSocket message closes the stream (1009).",
    )
    max_messages_per_s: float = Field(
        default=100.0,
        gt=0,
        le=10_000,
        description="Sustained messages per second a stream may send (twice Twilio's pace); beyond it and "
        "the burst the stream is closed (1008).",
    )
    message_burst: int = Field(
        default=250,
        ge=1,
        le=100_000,
        description="Messages a stream may send at once above the sustained rate: a backlog after a "
        "network stall (250 are 5 s of audio).",
    )
    start_timeout_s: float = Field(
        default=10.0,
        gt=0,
        le=300,
        description="Time a new connection has to send its `start` message (its first messages must be "
        "`connected` and `start`); no audio is accepted before it.",
    )
    idle_timeout_s: float = Field(
        default=10.0,
        gt=0,
        le=600,
        description="A stream that sends nothing for this long is taken as lost (the session stays "
        "resumable).",
    )
    max_queued_frames: int = Field(
        default=250,
        ge=10,
        le=10_000,
        description="The caller's 20 ms frames held while the session is behind (5 s); beyond it the oldest "
        "are dropped, so a stalled session cannot grow memory.",
    )
