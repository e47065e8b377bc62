"""/v1/sessions/{id}/transcript and /v1/sessions/{id}/recording."""

from __future__ import annotations

import asyncio
from pathlib import Path

from fastapi import APIRouter
from fastapi.responses import FileResponse

from config.transcripts import Transcript
from engine.api.context import Ctx
from engine.api.params import IdPath
from engine.errors import NotFound
from engine.services import sessions, transcripts

__all__ = ["recording_file", "router"]

router = APIRouter(prefix="/v1/sessions", tags=["sessions"])

RECORDING_RESPONSES: dict[int | str, dict[str, object]] = {
    200: {"content": {"audio/wav": {}}, "description": "The whole recording."},
    206: {"content": {"audio/wav": {}}, "description": "The byte range asked for with `Range`."},
    416: {
        "description": "The `Range` lies outside the file.",
        "content": {"application/json": {"schema": {"$ref": "#/components/schemas/ErrorResponse"}}},
    },
}


def recording_file(recordings_dir: Path, relative: str) -> Path:
    root = recordings_dir.resolve()
    path = (root / relative).resolve()
    if not path.is_relative_to(root):
        # The stored path is ours, but a moved or hand-edited database must not open files elsewhere.
        raise NotFound("recording not found")
    return path


@router.get("/{session_id}/transcript", summary="Final transcript segments, in time order")
async def get_transcript(session_id: IdPath, ctx: Ctx) -> Transcript:
    ctx.principal.require("read:sessions")
    row = await sessions.get(ctx.db, ctx.company_id, session_id)
    segments = await transcripts.list_segments(ctx.db, ctx.company_id, row.id)
    return Transcript(session_id=row.id, segments=[transcripts.to_model(s) for s in segments])


@router.get(
    "/{session_id}/recording",
    summary="The stereo WAV recording (candidate left, interviewer right); supports Range for seeking",
    response_class=FileResponse,
    responses=RECORDING_RESPONSES,
)
async def get_recording(session_id: IdPath, ctx: Ctx) -> FileResponse:
    ctx.principal.require("read:sessions")
    row = await sessions.get(ctx.db, ctx.company_id, session_id)
    recording = await transcripts.get_recording(ctx.db, ctx.company_id, row.id)
    if recording is None:
        raise NotFound("this session has no recording (yet)")
    path = await asyncio.to_thread(recording_file, ctx.settings.recordings_dir, recording.path)
    if not await asyncio.to_thread(path.is_file):
        raise NotFound("the recording file is missing from the recordings directory")
    return FileResponse(
        path,
        media_type=recording.content_type,
        filename=f"session-{row.id}.wav",
        content_disposition_type="inline",
        headers={"Cache-Control": "private, no-store"},
    )
