"""/v1/participants"""

from __future__ import annotations

import logging
from datetime import timedelta
from typing import Annotated
from urllib.parse import quote

from fastapi import APIRouter, Query, Request, Response

from config.base import ID_PATTERN
from config.participants import (
    BulkResult,
    Participant,
    ParticipantCreate,
    ParticipantsBulkCreate,
    ParticipantUpdate,
)
from engine.api import audit
from engine.api.context import Ctx, ListResponse, Services
from engine.api.params import CreatedAfter, CreatedBefore, Cursor, IdPath, Limit, SafeQuery
from engine.errors import NotFound, ServiceUnavailable
from engine.services import erasure, participants, resume_files
from engine.services.erasure_files import FileStores, delete_pending
from engine.storage.object_store import ObjectStoreUnavailable
from engine.storage.resume_files import ResumeFileMissing
from engine.store.tables import ParticipantRow

logger = logging.getLogger(__name__)

router = APIRouter(prefix="/v1/participants", tags=["participants"])

_ERROR = {"application/json": {"schema": {"$ref": "#/components/schemas/ErrorResponse"}}}
RESUME_RESPONSES: dict[int | str, dict[str, object]] = {
    200: {
        "content": {"application/pdf": {}, resume_files.CONTENT_TYPES["docx"]: {}, "text/plain": {}},
        "description": "The file, as an attachment.",
    },
    403: {"description": "The participant belongs to another company.", "content": _ERROR},
    404: {"description": "No such participant, or no file kept with them.", "content": _ERROR},
    503: {"description": "The object store holding the file cannot be reached.", "content": _ERROR},
}


async def _with_resume(ctx: Ctx, row: ParticipantRow) -> Participant:
    found = await resume_files.for_participants(ctx.db, ctx.company_id, [row.id])
    return participants.to_model(row, found.get(row.id))


@router.post("", status_code=201, summary="Create a participant (409 if the email exists for the template)")
async def create_participant(body: ParticipantCreate, ctx: Ctx) -> Participant:
    ctx.principal.require("write:participants")
    return await _with_resume(ctx, await participants.create(ctx.db, ctx.company_id, body, ctx.clock))


@router.post("/bulk", summary="Create up to 500 participants; duplicates are skipped and reported per row")
async def bulk_create(body: ParticipantsBulkCreate, ctx: Ctx) -> BulkResult:
    ctx.principal.require("write:participants")
    summary, _rows = await participants.bulk_create(
        ctx.db, ctx.company_id, list(body.participants), ctx.clock
    )
    return summary


@router.get("", summary="List participants")
async def list_participants(
    ctx: Ctx,
    template_id: Annotated[str | None, Query(pattern=ID_PATTERN, description="Only this template's.")] = None,
    tag: SafeQuery = None,
    email: SafeQuery = None,
    external_id: SafeQuery = None,
    created_after: CreatedAfter = None,
    created_before: CreatedBefore = None,
    limit: Limit = None,
    cursor: Cursor = None,
) -> ListResponse[Participant]:
    ctx.principal.require("read:participants")
    flt = participants.ParticipantFilter(template_id, tag, email, external_id, created_after, created_before)
    page = await participants.list_page(ctx.db, ctx.company_id, flt, ctx.limit(limit), cursor)
    kept = await resume_files.for_participants(ctx.db, ctx.company_id, [r.id for r in page.items])
    return ListResponse(
        data=[participants.to_model(r, kept.get(r.id)) for r in page.items], next_cursor=page.next_cursor
    )


@router.get("/{participant_id}", summary="Get a participant")
async def get_participant(participant_id: IdPath, ctx: Ctx) -> Participant:
    ctx.principal.require("read:participants")
    return await _with_resume(ctx, await participants.get(ctx.db, ctx.company_id, participant_id))


@router.get(
    "/{participant_id}/resume",
    summary="Download the resume file kept with a participant",
    description="The file uploaded with POST /v1/resumes/parse and tied to the participant by "
    "`resume_file_id` when they were created: always as an attachment (`Content-Disposition: "
    "attachment`, `X-Content-Type-Options: nosniff`, a sandboxing Content-Security-Policy), with the "
    "type told from its content when it was uploaded. Needs `read:participants`; only the "
    "participant's own company can download it.",
    response_class=Response,
    responses=RESUME_RESPONSES,
)
async def download_resume(participant_id: IdPath, ctx: Ctx) -> Response:
    ctx.principal.require("read:participants")
    person = await participants.get(ctx.db, ctx.company_id, participant_id)
    row = (await resume_files.for_participants(ctx.db, ctx.company_id, [person.id])).get(person.id)
    if row is None:
        raise NotFound("this participant has no resume file (only those created from an uploaded one do)")
    storage, key, size = row.storage, row.key, row.size
    content_type, filename, digest = row.content_type, row.filename, row.sha256
    # Reading from the bucket may take a while: end the transaction first (SQLite's write lock).
    await ctx.db.commit()
    try:
        data = await resume_files.file_store(ctx.settings).read(storage, key, size)
    except ObjectStoreUnavailable:
        logger.warning("object store unreachable for resume %s", key, exc_info=True)
        raise ServiceUnavailable(
            "the object store holding this resume cannot be reached; try again later"
        ) from None
    except ResumeFileMissing:
        logger.error("resume file %s of participant %s is missing from storage", key, person.id)
        raise NotFound("the resume file is missing from storage") from None
    return Response(content=data, media_type=content_type, headers=_attachment_headers(filename, digest))


def _attachment_headers(filename: str, digest: str) -> dict[str, str]:
    # The name as the uploader gave it, in RFC 5987 form; a plain-ASCII fallback for old clients with
    # nothing that could end the quoted string or the header.
    fallback = "".join(c if c.isascii() and (c.isalnum() or c in "._- ") else "_" for c in filename)
    return {
        "Content-Disposition": f'attachment; filename="{fallback or "resume"}"; '
        f"filename*=UTF-8''{quote(filename, safe='')}",
        "X-Content-Type-Options": "nosniff",
        # Opened in a tab anyway (a PDF viewer, a saved link): no script, no plugin, no same origin.
        "Content-Security-Policy": "default-src 'none'; sandbox",
        "Cache-Control": "private, no-store",
        "ETag": f'"{digest}"',
    }


@router.patch("/{participant_id}", summary="Update a participant")
async def update_participant(participant_id: IdPath, body: ParticipantUpdate, ctx: Ctx) -> Participant:
    ctx.principal.require("write:participants")
    row = await participants.update(ctx.db, ctx.company_id, participant_id, body, ctx.clock)
    return await _with_resume(ctx, row)


DELETE_DESCRIPTION = """Without `erase`: a **soft** delete. The participant disappears from the API
(404 from then on) and their resume file is deleted, but their data is kept: their sessions,
transcripts, recordings and analyses stay readable through /v1/sessions. 409 while they have a
scheduled or in-progress session. Needs `delete:participants`.

With `erase=true`: **erasure** of everything personal about them, at once and for good (docs/privacy.md):
name, email, phone, external_id, profile, tags; their sessions' transcripts, analyses, stage results and
recordings (files on disk and in the object store); their resume file; emails to them; their details in
past events and webhook deliveries. What stays is anonymous (that each session existed, its status,
stage, times and duration), and the participant, named `erased`, answers 404. Scheduled sessions are
cancelled; 409 while an interview is in progress. A `participant.erased` event (ids only) is sent.
Works on a participant deleted before; erasing twice is a no-op. Needs `delete:participants` and
`delete:sessions`."""


@router.delete(
    "/{participant_id}",
    status_code=204,
    summary="Delete a participant (soft), or erase their personal data with erase=true",
    description=DELETE_DESCRIPTION,
)
async def delete_participant(
    participant_id: IdPath,
    ctx: Ctx,
    request: Request,
    erase: Annotated[
        bool,
        Query(description="Erase their personal data, sessions' content and files for good (GDPR)."),
    ] = False,
) -> Response:
    if erase:
        ctx.principal.require("delete:participants", "delete:sessions")
        await _erase(ctx, request.app.state.services, participant_id)
        return Response(status_code=204)
    ctx.principal.require("delete:participants")
    await participants.delete(ctx.db, ctx.company_id, participant_id, ctx.clock)
    await audit.record(ctx, "participant.deleted", "participant", participant_id)
    # The deletion is committed before the file goes: a deletion that failed to commit must not leave
    # a live participant without their file. A file the store could not delete now is left to the
    # sweep (engine.services.resume_files), which also clears expired uploads.
    await ctx.db.commit()
    services: Services = request.app.state.services
    files = resume_files.file_store(ctx.settings)
    try:
        async with services.database.transaction() as db:
            if await resume_files.discard(db, files, ctx.company_id, participant_id):
                await resume_files.sweep(db, files, ctx.clock.now())
    except Exception:
        # The participant is deleted (committed above); the next sweep retries the file.
        logger.exception("resume file of deleted participant %s: clean-up failed", participant_id)
    return Response(status_code=204)


async def _erase(ctx: Ctx, services: Services, participant_id: str) -> None:
    grace = timedelta(seconds=ctx.settings.retention.file_grace_s)
    await erasure.erase(
        ctx.db, ctx.company_id, participant_id, ctx.clock.now(), reason="request", file_grace=grace
    )
    await audit.record(ctx, "participant.erased", "participant", participant_id)
    # The rows are scrubbed and the files listed (committed) before a file goes; deleting them may wait
    # on the object store, so outside the transaction. What fails now stays listed, and the retention
    # job's next pass (or a repeat of this request) deletes it.
    await ctx.db.commit()
    try:
        result = await delete_pending(
            services.database, FileStores.of(ctx.settings), ctx.clock, participant_id=participant_id
        )
    except Exception:
        logger.exception("erasure of participant %s: file deletion failed (retried later)", participant_id)
        return
    if result.failed:
        logger.warning(
            "erasure of participant %s: %d file(s) left for the retention job", participant_id, result.failed
        )
