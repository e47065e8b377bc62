"""Retention settings (IE_RETENTION__*): the background job that erases participants whose
gdpr_expiry_date has come or whose company's retention period has run out (engine.services.retention,
docs/privacy.md). A group of `config.settings.Settings`."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

__all__ = ["RetentionSettings"]


class RetentionSettings(BaseModel):
    """Env: IE_RETENTION__ENABLED, IE_RETENTION__POLL_S, IE_RETENTION__BATCH, IE_RETENTION__FILE_GRACE_S."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    enabled: bool = Field(
        default=True,
        description="Run the retention job in the engine. Off: nothing expires (erasure on request and "
        "the deletion of an erased participant's files on request still work).",
    )
    poll_s: float = Field(
        default=3600.0,
        gt=0,
        le=86_400,
        description="Seconds between the job's passes; each pass also finishes file deletions that an "
        "erasure left pending (a store that was down, a process that died midway).",
    )
    batch: int = Field(
        default=50, ge=1, le=1000, description="Participants erased per pass at most (the next pass goes on)."
    )
    file_grace_s: float = Field(
        default=600.0,
        ge=0,
        le=86_400,
        description="How long an erased recording's files are looked for again after the erasure: a "
        "transcode or upload that was midway may still write one (then deleted on the next pass).",
    )
