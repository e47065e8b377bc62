"""POST /v1/resumes/parse: resumes uploaded on the dashboard, read into participant drafts that the
recruiter confirms (and saves through /v1/participants or a session's inline participant). Each file
read is also kept for 24 hours under a `resume_file_id`, which the create request names to keep the file
with the participant (why and how: engine/services/resume_files.py); no participant is created here.

The body limit of this path is `IE_MAX_UPLOAD_BYTES` (engine.api.limits.UPLOAD_PATHS), and each file is
limited again to 5 MB. A file that cannot be read is an error in its own result, never a failed request,
so one bad file among twenty costs the recruiter only that one. Logs name a file by its place in the
upload, never by its name: a resume's file name is personal data (usually the candidate's own name).
"""

from __future__ import annotations

import asyncio
import logging
from pathlib import PureWindowsPath
from typing import Annotated

from fastapi import APIRouter, File, Query, Request, UploadFile

from config.resumes import MAX_RESUME_FILES, ResumeDraft, ResumeParseResponse, ResumeParseResult
from engine.api.context import Ctx, Services
from engine.resumes.extract import ResumeError, clean_text
from engine.resumes.parse import MAX_FILE_BYTES, ParsedResume, parse_resume
from engine.services import resume_files
from engine.services.common import field_invalid
from engine.services.resumes import template_skills
from engine.storage.object_store import ObjectStoreUnavailable
from engine.storage.resume_files import ResumeFileStore
from engine.store.tables import ResumeFileRow

__all__ = ["router"]

logger = logging.getLogger(__name__)

router = APIRouter(prefix="/v1/resumes", tags=["resumes"])

_MB = MAX_FILE_BYTES // (1024 * 1024)
Files = Annotated[
    list[UploadFile],
    File(
        description=f"1 to {MAX_RESUME_FILES} resumes, each a PDF, DOCX or plain-text file of at most "
        f"{_MB} MB, all under the field name `files`."
    ),
]
Keep = Annotated[
    bool,
    Query(
        description="Keep each file read (24 hours, or with the participant created from it by "
        "`resume_file_id`); false: parse only."
    ),
]


@router.post(
    "/parse",
    summary="Read resumes into participant drafts (nothing is saved)",
    description="multipart/form-data with the files under `files`. One result per file, in order: "
    "`parsed` with a `draft` (name, email, phone, organization, title, education, skills, languages: "
    "heuristic guesses for the recruiter to confirm, any of them possibly empty or wrong), or `error` "
    "with the reason (empty, over 5 MB, not a PDF/DOCX/text file, password-protected, unreadable, no "
    "text). No files or more than 20 is a 422 naming `files`. Each parsed file is kept under its "
    "`resume_file_id` (unless `keep=false`): name it in the participant's create request to keep the "
    "file with them (GET /v1/participants/{id}/resume); unclaimed, it is deleted after 24 hours.",
)
async def parse_resumes(files: Files, ctx: Ctx, request: Request, keep: Keep = True) -> ResumeParseResponse:
    ctx.principal.require("write:participants")
    if not files:
        raise field_invalid("files", "send at least one file")
    if len(files) > MAX_RESUME_FILES:
        raise field_invalid("files", f"at most {MAX_RESUME_FILES} files at once, got {len(files)}")
    vocabulary = await template_skills(ctx.db, ctx.company_id)
    # End the request's transaction before the slow part: on SQLite every transaction holds the write
    # lock (BEGIN IMMEDIATE), and reading twenty files must not hold up every other request. Nothing
    # below touches the database.
    await ctx.db.commit()
    store = resume_files.file_store(ctx.settings) if keep else None
    kept: list[ResumeFileRow] = []
    results = [
        await _result(number, upload, vocabulary, ctx, store, kept)
        for number, upload in enumerate(files, start=1)
    ]
    if store is not None:
        # A short transaction of its own at the end: the rows of the files kept, and a bounded sweep
        # of expired uploads (the lazy clean-up).
        services: Services = request.app.state.services
        async with services.database.transaction() as db:
            db.add_all(kept)
            await resume_files.sweep(db, store, ctx.clock.now())
    return ResumeParseResponse(results=results)


async def _result(
    number: int,
    upload: UploadFile,
    vocabulary: list[str],
    ctx: Ctx,
    store: ResumeFileStore | None,
    kept: list[ResumeFileRow],
) -> ResumeParseResult:
    # Some browsers send the path the file came from; the name alone is the file's name.
    filename = clean_text(PureWindowsPath(upload.filename or "").name[:255])
    declared = upload.content_type or ""
    try:
        data = await upload.read(MAX_FILE_BYTES + 1)
        parsed = await asyncio.to_thread(parse_resume, data, declared, filename, vocabulary)
    except ResumeError as exc:
        return _error(filename, str(exc))
    except Exception:
        # A fault of ours with one file must not cost the recruiter the other files' drafts. Named by
        # its place in the upload (see the module doc): logs are kept long and shipped elsewhere.
        logger.exception("resume file %s (%s) could not be parsed", number, _described(declared, upload.size))
        return _error(filename, "the file could not be read (an error in the engine; it is logged)")
    file_id = None
    if store is not None:
        try:
            row = await resume_files.keep(store, ctx.company_id, filename, data, declared, ctx.clock.now())
        except ObjectStoreUnavailable as error:
            # The draft is still worth having; the participant is then created without the file.
            logger.warning("resume file %s parsed but not kept: %s", number, error)
        else:
            kept.append(row)
            file_id = row.id
    return _parsed(filename, parsed, file_id)


def _described(declared: str, size_bytes: int | None) -> str:
    """What a log may say about an uploaded file: its declared type and size, never its name."""
    size = "size unknown" if size_bytes is None else f"{size_bytes} bytes"
    return f"{declared or 'no declared type'}, {size}"


def _error(filename: str, message: str) -> ResumeParseResult:
    return ResumeParseResult(filename=filename, status="error", error=message, draft=None, text_chars=0)


def _parsed(filename: str, parsed: ParsedResume, file_id: str | None) -> ResumeParseResult:
    found = parsed.draft
    draft = ResumeDraft(
        name=found.name,
        email=found.email,
        phone=found.phone,
        organization=found.organization,
        title=found.title,
        education=found.education,
        skills=list(found.skills),
        languages=list(found.languages),
    )
    return ResumeParseResult(
        filename=filename,
        status="parsed",
        error=None,
        draft=draft,
        text_chars=parsed.text_chars,
        resume_file_id=file_id,
    )
