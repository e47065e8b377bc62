"""/v1/sessions/{id}/transcript and /v1/sessions/{id}/recording."""

from __future__ import annotations

import asyncio
import re
from pathlib import Path

from fastapi import APIRouter, Request
from fastapi.responses import FileResponse

from config.transcripts import Transcript
from engine.api.context import Ctx
from engine.api.params import IdPath
from engine.errors import BadRequest, NotFound, RangeNotSatisfiable
from engine.services import sessions, transcripts

__all__ = ["recording_file", "router"]

router = APIRouter(prefix="/v1/sessions", tags=["sessions"])

_ERROR = {"application/json": {"schema": {"$ref": "#/components/schemas/ErrorResponse"}}}
RANGE = re.compile(r"bytes=\s*(\d*)\s*-\s*(\d*)\s*")

RECORDING_RESPONSES: dict[int | str, dict[str, object]] = {
    200: {"content": {"audio/wav": {}}, "description": "The whole recording."},
    206: {"content": {"audio/wav": {}}, "description": "The byte range asked for with `Range`."},
    400: {"description": "A malformed `Range` header.", "content": _ERROR},
    416: {
        "description": "The `Range` lies outside the file; `Content-Range: bytes */<size>` gives the size.",
        "content": _ERROR,
        "headers": {"Content-Range": {"schema": {"type": "string"}, "description": "bytes */<size>"}},
    },
}


def check_range(header: str | None, size: int) -> None:
    """Refuse, in the API's error shape, the ranges Starlette would answer in plain text; serving the
    well-formed ones is left to FileResponse."""
    if header is None:
        return
    parts = header.removeprefix("bytes=").split(",") if header.startswith("bytes=") else []
    spans = [RANGE.fullmatch(f"bytes={part}") for part in parts]
    if not parts or any(m is None or not (m.group(1) or m.group(2)) for m in spans):
        raise BadRequest(
            "Range must look like 'bytes=start-end', 'bytes=start-' or 'bytes=-suffix'",
            {"fields": [{"path": "Range", "message": "malformed", "in": "header"}]},
        )
    for match in spans:
        assert match is not None
        start, end = match.group(1), match.group(2)
        if start and end and int(start) > int(end):
            raise BadRequest(
                "Range start must not be after its end",
                {"fields": [{"path": "Range", "message": "start after end", "in": "header"}]},
            )
    if all(m is not None and m.group(1) and int(m.group(1)) >= size for m in spans):
        raise RangeNotSatisfiable(size)


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
async def get_recording(session_id: IdPath, ctx: Ctx, request: Request) -> FileResponse:
    ctx.principal.require("read:sessions")
    row = await sessions.get(ctx.db, ctx.company_id, session_id)
    recording = await transcripts.get_recording(ctx.db, ctx.company_id, row.id)
    if recording is None:
        raise NotFound("this session has no recording (yet)")
    path = await asyncio.to_thread(recording_file, ctx.settings.recordings_dir, recording.path)
    try:
        size = (await asyncio.to_thread(path.stat)).st_size
    except FileNotFoundError:
        raise NotFound("the recording file is missing from the recordings directory") from None
    check_range(request.headers.get("range"), size)
    return FileResponse(
        path,
        media_type=recording.content_type,
        filename=f"session-{row.id}.wav",
        content_disposition_type="inline",
        headers={"Cache-Control": "private, no-store"},
    )
