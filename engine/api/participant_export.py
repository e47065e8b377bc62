"""/v1/participants/{id}/export: everything held about one participant, as one ZIP archive."""

from __future__ import annotations

import logging

from fastapi import APIRouter
from fastapi.responses import StreamingResponse

from engine.api import audit
from engine.api.context import Ctx
from engine.api.params import IdPath
from engine.services import participant_archive, participant_export

__all__ = ["router"]

logger = logging.getLogger(__name__)

router = APIRouter(prefix="/v1/participants", tags=["participants"])

_ERROR = {"application/json": {"schema": {"$ref": "#/components/schemas/ErrorResponse"}}}
EXPORT_RESPONSES: dict[int | str, dict[str, object]] = {
    200: {
        "content": {"application/zip": {"schema": {"type": "string", "format": "binary"}}},
        "description": "The archive, as an attachment, streamed as it is written (no Content-Length).",
    },
    403: {
        "description": "The key lacks `read:participants` or `read:sessions`, or the participant "
        "belongs to another company.",
        "content": _ERROR,
    },
    404: {"description": "No such participant (or it was deleted).", "content": _ERROR},
    503: {"description": "The object store holding a file cannot be reached.", "content": _ERROR},
}

DESCRIPTION = """Everything held about the participant, for a data subject's access request: one ZIP
archive with `README.txt` (what each file is), `participant.json` (the profile as GET
/v1/participants/{id} returns it, the result of each stage, the emails sent to them), the resume file
if one was uploaded, and per session a folder `sessions/NN-<session id>/` with `session.json` (the
session as GET /v1/sessions/{id} returns it, without its join link, plus template, stage and
interviewer names and the recommendation), `transcript.json` and a readable `transcript.txt`,
`analysis.json` (every analysis version) and the recording (`recording.wav` or `recording.ogg`).

Needs `read:participants` and `read:sessions` (the archive holds recordings and scorecards); each
recording and scorecard it holds is recorded in the audit trail as viewed."""


@router.get(
    "/{participant_id}/export",
    summary="Download everything held about a participant as one ZIP archive",
    description=DESCRIPTION,
    response_class=StreamingResponse,
    responses=EXPORT_RESPONSES,
)
async def export_participant(participant_id: IdPath, ctx: Ctx) -> StreamingResponse:
    ctx.principal.require("read:participants", "read:sessions")
    now = ctx.clock.now()
    export = await participant_export.gather(ctx.db, ctx.company_id, participant_id, ctx.settings.base_url)
    await audit.record(ctx, "participant.exported", "participant", participant_id)
    for part in export.sessions:
        session_id = part.transcript.session_id
        if part.recording_path is not None:
            await audit.record(ctx, "recording.viewed", "session", session_id, {"via": "export"})
        if part.analyses:
            await audit.record(ctx, "scorecard.viewed", "session", session_id, {"via": "export"})
    # Files may take a while (a bucket): end the transaction first (SQLite's write lock).
    await ctx.db.commit()
    await participant_export.locate(export, ctx.settings)
    logger.info(
        "participant %s exported by %s: %s session(s)",
        export.participant_id,
        ctx.principal.actor,
        len(export.sessions),
    )
    # The id was checked against IdPath's pattern and found: the file name holds no user text.
    filename = f"participant-{export.participant_id}.zip"
    return StreamingResponse(
        participant_archive.stream(export, now),
        media_type="application/zip",
        headers={
            "Content-Disposition": f'attachment; filename="{filename}"',
            "Cache-Control": "private, no-store",
            "X-Content-Type-Options": "nosniff",
        },
    )
