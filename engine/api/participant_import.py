"""/v1/participants/import and its spreadsheet template.

Included before the participants router: `/v1/participants/{participant_id}` would otherwise take
`import-template.xlsx` for an id."""

from __future__ import annotations

import asyncio
import functools
from typing import Annotated

from fastapi import APIRouter, BackgroundTasks, File, Form, Request, Response, UploadFile

from config.base import ID_PATTERN
from config.participant_import import MAX_IMPORT_FILE_BYTES, MAX_IMPORT_ROWS, ImportResult
from engine.api.context import Ctx, Services
from engine.api.usage import LIMIT_RESPONSES
from engine.services import participant_import, participant_sheet
from engine.services.common import field_invalid

__all__ = ["router"]

router = APIRouter(prefix="/v1/participants", tags=["participants"])
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
TEMPLATE_NAME = "participants-import-template.xlsx"


@functools.cache
def _template() -> bytes:
    return participant_sheet.template_workbook()


@router.get(
    "/import-template.xlsx",
    summary="The .xlsx template for POST /v1/participants/import (a header row and a how-to sheet)",
    response_class=Response,
    responses={200: {"description": "The workbook.", "content": {XLSX: {"schema": {"type": "string"}}}}},
)
async def import_template(ctx: Ctx) -> Response:
    ctx.principal.require("read:participants")
    content = await asyncio.to_thread(_template)
    headers = {"Content-Disposition": f'attachment; filename="{TEMPLATE_NAME}"'}
    return Response(content, media_type=XLSX, headers=headers)


@router.post(
    "/import",
    summary=f"Import up to {MAX_IMPORT_ROWS} participants from an .xlsx file into a template, optionally "
    "inviting each; all or nothing",
    description="Send `multipart/form-data`. Each row is validated as POST /v1/participants would; a "
    "row whose email is already a participant of the template, or repeats an earlier row, is skipped as "
    "a duplicate. If any row is invalid the answer is 422 with every row's result in "
    "`details.results`, and nothing is written (a dry run answers 200 with the same results). With "
    "`invite`, each new participant also gets a session on the template's first stage and is emailed "
    "an invitation, as POST /v1/sessions would; that needs the scopes booking needs.",
    responses=LIMIT_RESPONSES,
)
async def import_participants(
    ctx: Ctx,
    request: Request,
    background: BackgroundTasks,
    file: Annotated[
        UploadFile, File(description=f"The .xlsx workbook: at most 2 MB and {MAX_IMPORT_ROWS} rows.")
    ],
    template_id: Annotated[
        str, Form(pattern=ID_PATTERN, description="The template the participants are evaluated against.")
    ],
    invite: Annotated[
        bool, Form(description="Also book each new participant's first-stage session and invite them.")
    ] = False,
    dry_run: Annotated[bool, Form(description="Check and report each row, writing nothing.")] = False,
) -> ImportResult:
    ctx.principal.require("write:participants", *(participant_import.INVITE_SCOPES if invite else ()))
    # End the request's transaction before reading the file: on SQLite every transaction holds the
    # write lock (BEGIN IMMEDIATE), and parsing a large workbook must not hold up every other request.
    # The import then runs in one transaction of its own, committed before the response leaves.
    await ctx.db.commit()
    data = await file.read(MAX_IMPORT_FILE_BYTES + 1)
    if len(data) > MAX_IMPORT_FILE_BYTES:
        raise field_invalid("file", f"the file is larger than {MAX_IMPORT_FILE_BYTES // 1_048_576} MB")
    rows = await asyncio.to_thread(participant_sheet.read_sheet, data)
    options = participant_import.ImportOptions(template_id, invite=invite, dry_run=dry_run)
    services: Services = request.app.state.services
    async with services.database.transaction() as db:
        result = await participant_import.run_import(db, ctx.principal, rows, options, ctx.clock)
    if result.created and invite and not dry_run:
        # The invitations were queued: wake the sender once the response is out.
        background.add_task(services.emails.wake)
    return result
