"""Recruiter accounts and browser sign-in, as the API takes and shows them."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from pydantic import EmailStr, Field, StrictBool, StringConstraints, field_validator, model_validator

from config.base import ApiModel, InputModel, Name, ResourceOut

__all__ = [
    "REVIEWER_SCOPES",
    "CompanyRef",
    "LoginRequest",
    "Recruiter",
    "RecruiterCreate",
    "RecruiterRef",
    "RecruiterUpdate",
    "SignedIn",
]

# What a recruiter may do by default: read everything the review pages show, and act on sessions
# (approve, reject, retake, copy a link). Configuration stays with API keys unless granted.
REVIEWER_SCOPES = (
    "read:agent_profiles",
    "read:templates",
    "read:stages",
    "read:participants",
    "read:sessions",
    "write:sessions",
)

# Checked against the password policy by the service (engine.passwords), which names the field; the
# bound here only keeps absurd bodies out. Never echoed back: error bodies carry no input values.
Password = Annotated[str, StringConstraints(min_length=1, max_length=1024)]
Scopes = Annotated[list[Annotated[str, StringConstraints(max_length=64)]], Field(max_length=64)]


class RecruiterCreate(InputModel):
    email: EmailStr = Field(description="Sign-in email; unique across the engine.")
    name: Name = Field(description="Full name, shown in the review pages and approval records.")
    password: Password = Field(description="At least 12 characters. Stored only as an Argon2id hash.")
    scopes: Scopes | None = Field(
        default=None,
        description="What the recruiter may do; default: read everything, and act on sessions. "
        "You can grant only scopes your own key holds.",
    )

    @field_validator("email")
    @classmethod
    def _lower(cls, email: str) -> str:
        return email.lower()


class RecruiterUpdate(InputModel):
    name: Name | None = Field(default=None, description="New name.")
    password: Password | None = Field(
        default=None, description="New password; ends every browser sign-in of this recruiter."
    )
    scopes: Scopes | None = Field(default=None, description="New scopes; apply to open sign-ins at once.")
    unlock: StrictBool | None = Field(
        default=None, description="true: lift a lock left by too many failed sign-ins."
    )


class Recruiter(ResourceOut):
    email: str = Field(description="Sign-in email, lower-cased.")
    name: str = Field(description="Full name.")
    scopes: list[str] = Field(description="What the recruiter may do.")
    last_login_at: datetime | None = Field(description="Last successful sign-in.")
    locked_until: datetime | None = Field(description="Locked after failed sign-ins until then; null if not.")


class LoginRequest(InputModel):
    email: EmailStr | None = Field(default=None, description="A recruiter's email (with password).")
    password: Password | None = Field(default=None, description="The recruiter's password.")
    api_key: Annotated[str, StringConstraints(min_length=1, max_length=300)] | None = Field(
        default=None, description="Or: an API key, exchanged for a browser sign-in with the key's scopes."
    )

    @model_validator(mode="after")
    def _one_way(self) -> LoginRequest:
        with_password = self.email is not None or self.password is not None
        if with_password and self.api_key is not None:
            raise ValueError("send either email and password, or api_key, not both")
        if not with_password and self.api_key is None:
            raise ValueError("send email and password, or api_key")
        if with_password and (self.email is None or self.password is None):
            raise ValueError("email and password go together")
        if self.email is not None:
            self.email = self.email.lower()
        return self


class CompanyRef(ApiModel):
    id: str = Field(description="The company.")
    name: str = Field(description="Its name.")


class RecruiterRef(ApiModel):
    id: str = Field(description="The recruiter.")
    name: str = Field(description="Full name.")
    email: str = Field(description="Sign-in email.")


class SignedIn(ApiModel):
    csrf_token: str = Field(
        description="Send as `X-CSRF-Token` on every POST, PATCH and DELETE made with the sign-in cookie."
    )
    expires_at: datetime = Field(description="The sign-in ends then at the latest (sooner if left idle).")
    company: CompanyRef = Field(description="The company signed in to.")
    recruiter: RecruiterRef | None = Field(description="The recruiter; null for a sign-in by API key.")
    scopes: list[str] = Field(description="What this sign-in may do.")
