"""Relational schema. Configuration bodies live in a JSON `spec` column; what queries filter on,
join on or must keep unique is a real column. Rows are soft-deleted so nothing referenced is lost.

One module per part of the domain; this package is the one place to import rows from."""

from __future__ import annotations

from engine.store.tables.accounts import (
    ApiKeyRow,
    BrowserSessionRow,
    CompanyRow,
    PartnerGrantRow,
    PartnerKeyRow,
    RecruiterRow,
)
from engine.store.tables.base import NOT_DELETED, Base, JsonType, UTCDateTime
from engine.store.tables.configuration import EmailTemplateRow, ProfileRow, StageRow, TemplateRow
from engine.store.tables.delivery import (
    EmailRow,
    OutboxEventRow,
    WebhookAttemptRow,
    WebhookDeliveryRow,
    WebhookEndpointRow,
)
from engine.store.tables.operations import (
    AuditEventRow,
    CallAttemptRow,
    EngineNodeRow,
    ErasureFileRow,
    IdempotencyRow,
    LiveOwnerRow,
    PhoneStreamTokenRow,
)
from engine.store.tables.participants import (
    ParticipantRow,
    ParticipantTagRow,
    PublicLinkSignUpRow,
    ResumeFileRow,
)
from engine.store.tables.sessions import AnalysisRow, RecordingRow, SessionRow, TranscriptSegmentRow

__all__ = [
    "NOT_DELETED",
    "AnalysisRow",
    "ApiKeyRow",
    "AuditEventRow",
    "Base",
    "BrowserSessionRow",
    "CallAttemptRow",
    "CompanyRow",
    "EmailRow",
    "EmailTemplateRow",
    "EngineNodeRow",
    "ErasureFileRow",
    "IdempotencyRow",
    "JsonType",
    "LiveOwnerRow",
    "OutboxEventRow",
    "ParticipantRow",
    "ParticipantTagRow",
    "PartnerGrantRow",
    "PartnerKeyRow",
    "PhoneStreamTokenRow",
    "ProfileRow",
    "PublicLinkSignUpRow",
    "RecordingRow",
    "RecruiterRow",
    "ResumeFileRow",
    "SessionRow",
    "StageRow",
    "TemplateRow",
    "TranscriptSegmentRow",
    "UTCDateTime",
    "WebhookAttemptRow",
    "WebhookDeliveryRow",
    "WebhookEndpointRow",
]
