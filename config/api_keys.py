"""API keys, as the API takes and shows them. The secret is in the create response only."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from pydantic import Field, StringConstraints

from config.base import ApiModel, InputModel, Name

__all__ = ["ApiKey", "ApiKeyCreate", "ApiKeyWithSecret"]

# Known scopes are checked by the service (engine.auth.validate_scopes), which names the field.
Scope = Annotated[str, StringConstraints(min_length=1, max_length=64)]


class ApiKeyCreate(InputModel):
    name: Name = Field(description="What the key is for, e.g. `ATS integration`; shown in the list.")
    scopes: list[Scope] = Field(
        min_length=1,
        max_length=64,
        description="What the key may do: `read:`, `write:` or `delete:` followed by one of "
        "`agent_profiles`, `templates`, `stages`, `participants`, `sessions`, `events`, `webhooks`, "
        "`recruiters`, `api_keys`. You can grant only scopes you hold yourself.",
    )


class ApiKey(ApiModel):
    id: str = Field(description="The key's id: the 16 hex characters after `ie_` in the key.")
    name: str = Field(description="What the key is for.")
    prefix: str = Field(description="How the key starts (`ie_<id>_`), to recognise it; never the secret.")
    scopes: list[str] = Field(description="What the key may do.")
    created_at: datetime = Field(description="When the key was created (UTC, ISO 8601).")
    created_by: str | None = Field(
        description="Who created it: `recruiter:<id>`, `api_key:<id>`, `cli` or `first-run`; null for "
        "keys made before this was recorded."
    )
    last_used_at: datetime | None = Field(
        description="Last request made with the key, to the minute; null if never used."
    )
    revoked_at: datetime | None = Field(
        description="When the key was revoked; it is refused from then on. Null while it works."
    )


class ApiKeyWithSecret(ApiKey):
    key: str = Field(
        description="The API key itself (`ie_<id>_<secret>`). Shown only in this response: only a hash "
        "of it is stored, so copy it now."
    )
