"""/v1/sessions/{id}/transcript and /v1/sessions/{id}/recording."""

from __future__ import annotations

import asyncio
import logging
import re
from collections.abc import AsyncIterator
from pathlib import Path

from fastapi import APIRouter, Request
from fastapi.responses import FileResponse, RedirectResponse, Response, StreamingResponse

from config.transcripts import Transcript
from engine.api import audit
from engine.api.context import Ctx
from engine.api.params import IdPath
from engine.api.snapshot_file import SnapshotFileResponse
from engine.errors import BadRequest, NotFound, RangeNotSatisfiable, ServiceUnavailable
from engine.services import sessions, transcripts
from engine.storage.object_store import ObjectStore, ObjectStoreUnavailable, object_store

__all__ = ["recording_file", "router", "single_range"]

logger = logging.getLogger(__name__)

# Bytes per request to the object store while proxying: bounds the memory a download holds.
PROXY_CHUNK = 1024 * 1024

router = APIRouter(prefix="/v1/sessions", tags=["sessions"])

_ERROR = {"application/json": {"schema": {"$ref": "#/components/schemas/ErrorResponse"}}}
RANGE = re.compile(r"bytes=\s*(\d*)\s*-\s*(\d*)\s*")

RECORDING_RESPONSES: dict[int | str, dict[str, object]] = {
    200: {
        "content": {"audio/wav": {}, "audio/ogg": {}},
        "description": "The whole recording: WAV until it is transcoded to Ogg Opus (IE_RECORDINGS__OPUS).",
    },
    206: {
        "content": {"audio/wav": {}, "audio/ogg": {}},
        "description": "The byte range asked for with `Range`.",
    },
    400: {"description": "A malformed `Range` header.", "content": _ERROR},
    307: {"description": "With IE_OBJECT_STORE__PRESIGN: a presigned URL of the uploaded recording."},
    416: {
        "description": "The `Range` lies outside the file; `Content-Range: bytes */<size>` gives the size.",
        "content": _ERROR,
        "headers": {"Content-Range": {"schema": {"type": "string"}, "description": "bytes */<size>"}},
    },
    503: {"description": "The object store holding the recording cannot be reached.", "content": _ERROR},
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


def single_range(header: str | None, size: int) -> tuple[int, int] | None:
    """The inclusive (start, end) of a single-range `Range` header already accepted by `check_range`,
    clamped to the file; None for no header or several ranges (answered whole, as RFC 9110 allows)."""
    if header is None or "," in header:
        return None
    match = RANGE.fullmatch(header)
    assert match is not None
    start, end = match.group(1), match.group(2)
    if size == 0:
        raise RangeNotSatisfiable(size)
    if not start:
        suffix = int(end)
        if suffix == 0:
            raise RangeNotSatisfiable(size)
        return max(0, size - suffix), size - 1
    return int(start), min(int(end), size - 1) if end else size - 1


async def stored_recording(
    store: ObjectStore, key: str, header: str | None, content_type: str, filename: str
) -> Response:
    """The uploaded recording, proxied from the object store with Range support (so the authorisation
    stays the engine's), read in bounded chunks."""
    try:
        size = await store.size(key)
    except ObjectStoreUnavailable:
        logger.warning("object store unreachable for %s", key, exc_info=True)
        raise ServiceUnavailable(
            "the object store holding this recording cannot be reached; try again later"
        ) from None
    if size is None:
        raise NotFound("the recording is missing from the object store")
    check_range(header, size)
    span = single_range(header, size)
    start, end = span if span is not None else (0, size - 1)
    headers = {
        "Accept-Ranges": "bytes",
        "Cache-Control": "private, no-store",
        "Content-Disposition": f'inline; filename="{filename}"',
        "Content-Length": str(end - start + 1),
    }
    if span is not None:
        headers["Content-Range"] = f"bytes {start}-{end}/{size}"

    async def chunks() -> AsyncIterator[bytes]:
        for position in range(start, end + 1, PROXY_CHUNK):
            try:
                yield await store.read(key, position, min(end, position + PROXY_CHUNK - 1))
            except ObjectStoreUnavailable:
                # Headers are sent: all that is left is to cut the body short (the client sees it).
                logger.warning("object store failed mid-download of %s", key, exc_info=True)
                return

    status = 206 if span is not None else 200
    return StreamingResponse(chunks(), status_code=status, media_type=content_type, headers=headers)


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
    await audit.record(ctx, "transcript.viewed", "session", row.id)
    return Transcript(session_id=row.id, segments=[transcripts.to_model(s) for s in segments])


@router.get(
    "/{session_id}/recording",
    summary="The stereo recording (candidate left, interviewer right), WAV or, once transcoded, Ogg Opus; "
    "supports Range for seeking",
    response_class=FileResponse,
    responses=RECORDING_RESPONSES,
)
async def get_recording(session_id: IdPath, ctx: Ctx, request: Request) -> Response:
    ctx.principal.require("read:sessions")
    row = await sessions.get(ctx.db, ctx.company_id, session_id)
    recording = await transcripts.get_recording(ctx.db, ctx.company_id, row.id)
    if recording is None:
        raise NotFound("this session has no recording (yet)")
    await audit.record(ctx, "recording.viewed", "session", row.id)  # a missing file below rolls it back
    filename = f"session-{row.id}{Path(recording.path).suffix or '.wav'}"
    store = object_store(ctx.settings.object_store) if recording.object_key else None
    if store is not None and recording.object_key and ctx.settings.object_store.presign:
        url = store.presigned_url(recording.object_key, ctx.settings.object_store.presign_ttl_s)
        return RedirectResponse(url, status_code=307, headers={"Cache-Control": "private, no-store"})
    path = await asyncio.to_thread(recording_file, ctx.settings.recordings_dir, recording.path)
    try:
        stat = await asyncio.to_thread(path.stat)
    except FileNotFoundError:
        if store is not None and recording.object_key:
            # Uploaded, and the local copy is gone (deleted after upload, or another node's disk).
            return await stored_recording(
                store, recording.object_key, request.headers.get("range"), recording.content_type, filename
            )
        raise NotFound("the recording file is missing from the recordings directory") from None
    check_range(request.headers.get("range"), stat.st_size)
    # The file may still be growing (a live session, or one being finished): send what this stat saw.
    return SnapshotFileResponse(
        path,
        stat_result=stat,
        media_type=recording.content_type,
        filename=filename,
        content_disposition_type="inline",
        headers={"Cache-Control": "private, no-store"},
    )
