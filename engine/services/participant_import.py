"""Importing participants from a spreadsheet's rows (engine.services.participant_sheet reads the file).

Each row is validated with the same model as POST /v1/participants, its errors named by the sheet's
column. A row whose email already belongs to a participant of the template, or repeats an earlier row,
is a duplicate: skipped, not an error. Nothing is half-imported: if any row is invalid the import is a
422 carrying every row's result and writes nothing; otherwise all rows (and, with `invite`, their
sessions and invitation emails) are written in the caller's one transaction.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from pydantic import TypeAdapter, ValidationError
from sqlalchemy.ext.asyncio import AsyncSession

from config.base import UtcDatetime
from config.participant_import import ImportCellError, ImportResult, ImportRowResult, ImportRowStatus
from config.participants import ParticipantCreate, ParticipantSpec, normalize_email
from config.sessions import SessionCreate
from engine.auth import Principal
from engine.clock import Clock
from engine.errors import ApiError, ValidationFailed
from engine.services import participants, sessions, stages, templates
from engine.services.common import body_field, field_invalid
from engine.services.participant_sheet import COLUMNS, Column, SheetRow
from engine.store.tables import StageRow

__all__ = ["INVITE_SCOPES", "ImportOptions", "run_import"]

logger = logging.getLogger(__name__)

# What booking each session needs (as POST /v1/sessions with participant_id, template_id and stage_id).
INVITE_SCOPES = (
    "write:sessions",
    "read:participants",
    "read:templates",
    "read:agent_profiles",
    "read:stages",
)
# An invalid row's email is echoed to find the row by, cut to what an address can be.
EMAIL_ECHO_CHARS = 320
_BY_TARGET = {c.target: c for c in COLUMNS if c.target is not None}
_WHEN: TypeAdapter[datetime] = TypeAdapter(UtcDatetime)


@dataclass(frozen=True, slots=True)
class ImportOptions:
    template_id: str
    invite: bool = False
    dry_run: bool = False


@dataclass(slots=True)
class _Row:
    """One sheet row on its way through the import."""

    result: ImportRowResult
    spec: ParticipantSpec | None = None
    schedule_time: datetime | None = None
    errors: list[ImportCellError] = field(default_factory=list)


def _body(cells: dict[str, str], template_id: str) -> dict[str, Any]:
    """The row as a POST /v1/participants body."""
    body: dict[str, Any] = {"evaluation_template_id": template_id}
    for column in COLUMNS:
        text = cells.get(column.name)
        if text is None or column.target is None:
            continue
        value: Any = [p.strip() for p in text.split(",") if p.strip()] if column.is_list else text
        *parents, leaf = column.target
        node = body
        for parent in parents:
            node = node.setdefault(parent, {})
        node[leaf] = value
    return body


def _column_of(loc: tuple[int | str, ...]) -> tuple[Column | None, str]:
    """The column an error location points into, and where inside it (a list item)."""
    for size in range(len(loc), 0, -1):
        column = _BY_TARGET.get(tuple(str(p) for p in loc[:size]))
        if column is not None:
            rest = loc[size:]
            where = f"item {int(rest[0]) + 1}: " if rest and isinstance(rest[0], int) else ""
            return column, where
    return None, ""


def _message(error: dict[str, Any]) -> str:
    text = str(error.get("msg", "invalid"))
    return text.removeprefix("Value error, ")


def _cell_errors(exc: ValidationError) -> list[ImportCellError]:
    out: list[ImportCellError] = []
    for error in exc.errors():
        column, where = _column_of(tuple(error["loc"]))
        # A location outside every column (none is expected) is shown on the required `name`.
        name = column.name if column is not None else "name"
        out.append(ImportCellError(column=name, message=where + _message(dict(error))))
    return out


def _schedule(text: str | None, now: datetime) -> tuple[datetime | None, ImportCellError | None]:
    if text is None:
        return None, None
    try:
        when = _WHEN.validate_python(text)
        return sessions.check_schedule(when, now), None
    except ValidationError as exc:
        message = _message(dict(exc.errors()[0]))
    except ValidationFailed as exc:
        message = exc.message.removeprefix("schedule_time: ")
    return None, ImportCellError(column="schedule_time", message=message)


def _check(sheet_row: SheetRow, options: ImportOptions, now: datetime) -> _Row:
    email = sheet_row.cells.get("email")
    row = _Row(
        ImportRowResult(
            row=sheet_row.number,
            status=ImportRowStatus.WOULD_CREATE,
            email=normalize_email(email)[:EMAIL_ECHO_CHARS] if email else None,
        )
    )
    try:
        row.spec = ParticipantCreate.model_validate(_body(sheet_row.cells, options.template_id))
        row.result.email = row.spec.email
    except ValidationError as exc:
        row.errors.extend(_cell_errors(exc))
    if options.invite:
        row.schedule_time, error = _schedule(sheet_row.cells.get("schedule_time"), now)
        if error is not None:
            row.errors.append(error)
    if row.errors:
        row.spec = None
        row.result.status, row.result.errors = ImportRowStatus.INVALID, row.errors
    return row


async def _mark_duplicates(db: AsyncSession, company_id: str, rows: list[_Row]) -> None:
    keyed = [
        (row, participants.dedupe_key(row.spec.evaluation_template_id, row.spec.email))
        for row in rows
        if row.spec is not None
    ]
    stored = await participants.stored_ids(db, company_id, [key for _row, key in keyed])
    first: dict[str, int] = {}  # dedupe key -> the row number that has it first
    for row, key in keyed:
        if key in stored:
            row.result.status, row.result.participant_id = ImportRowStatus.DUPLICATE, stored[key]
        elif key in first:
            row.result.status, row.result.duplicate_of_row = ImportRowStatus.DUPLICATE, first[key]
        else:
            first[key] = row.result.row


async def _first_stage(db: AsyncSession, company_id: str, template_id: str) -> StageRow:
    pipeline = await stages.pipeline(db, company_id, template_id)
    if not pipeline:
        raise field_invalid("invite", "the template has no stages: add one before inviting")
    return pipeline[0]


def _summary(rows: list[_Row], dry_run: bool) -> ImportResult:
    count = {s: sum(r.result.status is s for r in rows) for s in ImportRowStatus}
    return ImportResult(
        dry_run=dry_run,
        created=count[ImportRowStatus.CREATED] + count[ImportRowStatus.WOULD_CREATE],
        skipped=count[ImportRowStatus.DUPLICATE],
        invalid=count[ImportRowStatus.INVALID],
        results=[r.result for r in rows],
    )


def _refusal(summary: ImportResult) -> ValidationFailed:
    bad = [r for r in summary.results if r.status is ImportRowStatus.INVALID]
    first = bad[0].errors[0]
    numbers = ", ".join(str(r.row) for r in bad[:20]) + (", ..." if len(bad) > 20 else "")
    message = f"{len(bad)} invalid row{'s' if len(bad) > 1 else ''} ({numbers}); nothing was imported"
    return ValidationFailed(
        f"file: {message}. Row {bad[0].row}, {first.column}: {first.message}",
        {"fields": [body_field("file", message)], **summary.model_dump(mode="json")},
    )


async def _book(
    db: AsyncSession, principal: Principal, row: _Row, template_id: str, stage: StageRow, clock: Clock
) -> None:
    """The row's session on the first stage, as POST /v1/sessions would book it (invitation queued)."""
    assert row.result.participant_id is not None
    body = SessionCreate(
        participant_id=row.result.participant_id,
        template_id=template_id,
        stage_id=stage.id,
        schedule_time=row.schedule_time,
    )
    try:
        booked, _person = await sessions.create(db, principal, body, clock)
    except ApiError as exc:
        # Aborts the whole import (the transaction rolls back); the message says which row.
        exc.message = f"row {row.result.row}: {exc.message}"
        if isinstance(exc.details, dict):
            exc.details["row"] = row.result.row
        raise
    row.result.session_id = booked.id


async def run_import(
    db: AsyncSession, principal: Principal, sheet: list[SheetRow], options: ImportOptions, clock: Clock
) -> ImportResult:
    principal.require("write:participants", *(INVITE_SCOPES if options.invite else ()))
    company_id = principal.company_id
    template = await templates.get(db, company_id, options.template_id, field="template_id")
    options = ImportOptions(template.id, options.invite, options.dry_run)
    stage = await _first_stage(db, company_id, template.id) if options.invite else None
    now = clock.now()
    rows = [_check(sheet_row, options, now) for sheet_row in sheet]
    await _mark_duplicates(db, company_id, rows)
    summary = _summary(rows, options.dry_run)
    if options.dry_run:
        return summary
    if summary.invalid:
        raise _refusal(summary)

    new = [r for r in rows if r.result.status is ImportRowStatus.WOULD_CREATE and r.spec is not None]
    if new:
        bulk, _created = await participants.bulk_create(
            db, company_id, [r.spec for r in new if r.spec], clock
        )
        for row, outcome in zip(new, bulk.results, strict=True):
            # A participant another request created since the check above is a duplicate too.
            created = outcome.status == "created"
            row.result.status = ImportRowStatus.CREATED if created else ImportRowStatus.DUPLICATE
            row.result.participant_id = outcome.id
    by_number = {r.result.row: r for r in rows}
    for row in rows:
        if row.result.duplicate_of_row is not None:
            row.result.participant_id = by_number[row.result.duplicate_of_row].result.participant_id
        if stage is not None and row.result.status is ImportRowStatus.CREATED:
            await _book(db, principal, row, template.id, stage, clock)
    logger.info(
        "imported participants for template %s: %d rows, invite=%s", template.id, len(rows), options.invite
    )
    return _summary(rows, dry_run=False)
