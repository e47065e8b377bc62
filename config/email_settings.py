"""Email settings: the SMTP server (IE_SMTP__*) and the email outbox (IE_EMAIL__*). Groups of
`config.settings.Settings`, kept here so the mail concerns stay together."""

from __future__ import annotations

from email.utils import parseaddr
from typing import Literal, Self

from pydantic import BaseModel, ConfigDict, Field, SecretStr, field_validator, model_validator

__all__ = ["EmailSettings", "SmtpSettings"]

DEFAULT_PORTS = {"starttls": 587, "tls": 465, "none": 25}


class SmtpSettings(BaseModel):
    """Where emails are sent. Env: IE_SMTP__HOST, IE_SMTP__PORT, IE_SMTP__SECURITY, IE_SMTP__USERNAME,
    IE_SMTP__PASSWORD, IE_SMTP__FROM_ADDRESS, IE_SMTP__TIMEOUT_S, IE_SMTP__VALIDATE_CERTS. An empty host
    means no SMTP: emails are still recorded, as not sent ("SMTP is not configured")."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    host: str = Field(default="", description="SMTP server name or address; empty: no SMTP, nothing is sent.")
    port: int | None = Field(
        default=None, ge=1, le=65535, description="Default: 587 for starttls, 465 for tls, 25 for none."
    )
    security: Literal["starttls", "tls", "none"] = Field(
        default="starttls",
        description="starttls: plain connection upgraded with STARTTLS (required, not opportunistic); "
        "tls: implicit TLS from the first byte (SMTPS); none: no encryption (a relay on the same host).",
    )
    username: str | None = Field(default=None, description="Login, if the server wants one.")
    password: SecretStr | None = Field(default=None, description="Password; never logged or shown.")
    from_address: str = Field(
        default="",
        description="The From header, e.g. 'Acme Interviews <interviews@acme.example>'; required with a host.",
    )
    timeout_s: float = Field(
        default=30.0, gt=0, le=600, description="Per SMTP step (connect, each command, the message)."
    )
    validate_certs: bool = Field(
        default=True, description="Check the server's TLS certificate (leave on outside tests)."
    )

    @field_validator("host", "from_address")
    @classmethod
    def _strip(cls, value: str) -> str:
        return value.strip()

    @model_validator(mode="after")
    def _from_needed(self) -> Self:
        if self.host and not self.from_address:
            raise ValueError("IE_SMTP__FROM_ADDRESS is required when IE_SMTP__HOST is set")
        if self.from_address and "@" not in parseaddr(self.from_address)[1]:
            raise ValueError(f"IE_SMTP__FROM_ADDRESS is not an email address: {self.from_address!r}")
        if self.password is not None and not self.username:
            raise ValueError("IE_SMTP__PASSWORD is set without IE_SMTP__USERNAME")
        return self

    @property
    def configured(self) -> bool:
        return bool(self.host)

    @property
    def resolved_port(self) -> int:
        return self.port or DEFAULT_PORTS[self.security]

    @property
    def send_deadline_s(self) -> float:
        """The longest one message may take, every step included."""
        return 4 * self.timeout_s

    @property
    def lease_s(self) -> float:
        """How long an email being sent stays claimed by one worker: past the send deadline, with room."""
        return self.send_deadline_s + 60


class EmailSettings(BaseModel):
    """The email outbox. Env: IE_EMAIL__REMINDER_BEFORE_S, IE_EMAIL__RETRY_SCHEDULE_S='[0, 60, 300]',
    IE_EMAIL__POLL_S, IE_EMAIL__MAX_CONCURRENCY, IE_EMAIL__VERIFICATION_TTL_S,
    IE_EMAIL__VERIFICATION_MAX_PER_HOUR."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    reminder_before_s: float = Field(
        default=86_400,
        ge=0,
        le=30 * 86_400,
        description="A reminder goes out this long before a session's scheduled time, when the invitation "
        "(or the reschedule notice) went out earlier than that; 0: no reminders.",
    )
    retry_schedule_s: list[float] = Field(
        default_factory=lambda: [0.0, 60.0, 300.0, 1800.0, 7200.0, 21600.0],
        min_length=1,
        max_length=30,
        description="Wait before each attempt (the first is usually 0); after the last, the email fails.",
    )
    poll_s: float = Field(default=1.0, gt=0, le=60, description="How often the outbox looks for work.")
    max_concurrency: int = Field(default=4, ge=1, le=100, description="Emails being sent at once.")
    verification_ttl_s: float = Field(
        default=86_400,
        ge=60,
        le=30 * 86_400,
        description="How long the one-time link in a public-link sign-up's verification email books the "
        "session (templates with email verification on).",
    )
    verification_max_per_hour: int = Field(
        default=3,
        ge=1,
        le=100,
        description="Verification emails to one address through one public link per hour; past it the "
        "sign-up is answered as usual but nothing more is sent (an address cannot be flooded).",
    )

    @field_validator("retry_schedule_s")
    @classmethod
    def _non_negative(cls, schedule: list[float]) -> list[float]:
        if any(not 0 <= s <= 7 * 86_400 for s in schedule):
            raise ValueError("each wait must be between 0 and 604800 seconds")
        return schedule
