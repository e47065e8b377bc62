"""The participants spreadsheet (.xlsx): its columns, the blank template recruiters download, and reading
an uploaded one safely.

An upload is untrusted: before openpyxl opens it, the zip container is checked (a workbook at all, not
encrypted, a bounded number of members, and at most `MAX_UNPACKED_BYTES` once unpacked: Python's
zipfile never inflates a member past its declared size, so the declared total bounds the memory a zip
bomb can take). openpyxl then reads it read-only, with defusedxml (it uses it when installed), so XML
entity tricks are refused. Anything openpyxl cannot read is a 422 naming `file`, never a 500. Reading
is CPU work: callers run `read_sheet` in a thread.
"""

from __future__ import annotations

import io
import logging
import re
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime, time
from typing import Any

import openpyxl
from openpyxl.styles import Alignment, Font
from openpyxl.utils import get_column_letter

from config.participant_import import MAX_IMPORT_ROWS
from engine.errors import ValidationFailed
from engine.services.common import body_field, field_invalid

__all__ = [
    "COLUMNS",
    "COLUMN_NAMES",
    "MAX_UNPACKED_BYTES",
    "Column",
    "SheetRow",
    "header_key",
    "read_sheet",
    "template_workbook",
]

logger = logging.getLogger(__name__)

MAX_UNPACKED_BYTES = 30 * 1024 * 1024
MAX_MEMBERS = 1_000
# The header must be among the first rows; a sheet whose first rows are all blank is not ours.
HEADER_SEARCH_ROWS = 10
SHEET_NAME = "Participants"
HELP_SHEET_NAME = "How to fill"
OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # encrypted .xlsx and old .xls files are OLE containers


@dataclass(frozen=True, slots=True)
class Column:
    name: str
    # Where the value goes in a ParticipantCreate body; None for columns that are not participant fields.
    target: tuple[str, ...] | None
    description: str
    example: str
    required: bool = False
    is_list: bool = False


COLUMNS: tuple[Column, ...] = (
    Column("name", ("name",), "Full name.", "Jane Smith", required=True),
    Column(
        "email", ("email",), "Email address; the invitation goes here.", "jane@example.com", required=True
    ),
    Column("phone", ("phone",), "Phone number: digits, spaces and + - ( ) .", "+49 30 1234567"),
    Column("external_id", ("external_id",), "Your ATS or HR system's id for the person.", "ats-8821"),
    Column("title", ("profile", "title"), "Current job title.", "Software Engineer"),
    Column("organization", ("profile", "organization"), "Current organisation or school.", "Initech"),
    Column("experience_level", ("profile", "experienceLevel"), "Seniority in your words.", "senior"),
    Column("location", ("profile", "location"), "Where the person is based.", "Berlin"),
    Column("skills", ("background", "skills"), "Skills, comma-separated.", "Go, Kafka", is_list=True),
    Column("education", ("background", "education"), "Highest education.", "BSc Computer Science"),
    Column(
        "languages",
        ("background", "languages"),
        "Languages, comma-separated.",
        "English, German",
        is_list=True,
    ),
    Column("tags", ("tags",), "Your labels, comma-separated.", "senior, backend", is_list=True),
    Column(
        "schedule_time",
        None,
        "When the interview may start, ISO 8601 with a UTC offset, within 30 days. Optional: used only "
        "when the import also invites; empty means at once.",
        "2026-03-02T09:00:00+01:00",
    ),
)
COLUMN_NAMES = tuple(c.name for c in COLUMNS)
_BY_NAME = {c.name: c for c in COLUMNS}
# "Experience Level *" -> "experience_level": case, the required marker and spacing do not matter.
_SEPARATORS = re.compile(r"[\s\-]+")


@dataclass(frozen=True, slots=True)
class SheetRow:
    number: int  # the spreadsheet's own row number
    cells: dict[str, str]  # column name -> text; empty cells are left out


def header_key(value: Any) -> str:
    text = "" if value is None else str(value)
    return _SEPARATORS.sub("_", text.replace("*", " ").strip().lower()).strip("_")


def _bad_file(message: str) -> ValidationFailed:
    return field_invalid("file", message)


def _check_container(data: bytes) -> None:
    if not data:
        raise _bad_file("the file is empty")
    if data.startswith(OLE_MAGIC):
        raise _bad_file(
            "the workbook is password-protected or in the old .xls format; save it as .xlsx without a password"
        )
    if not data.startswith(b"PK\x03\x04"):
        raise _bad_file("not an Excel workbook (.xlsx)")
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            members = archive.infolist()
    except (zipfile.BadZipFile, zipfile.LargeZipFile, ValueError, EOFError):
        raise _bad_file("not an Excel workbook (.xlsx): the file is damaged") from None
    if len(members) > MAX_MEMBERS:
        raise _bad_file(f"the workbook has more than {MAX_MEMBERS} parts")
    if any(m.flag_bits & 0x1 for m in members):
        raise _bad_file("the workbook is encrypted; save it without a password")
    unpacked = sum(m.file_size for m in members)
    if unpacked > MAX_UNPACKED_BYTES:
        raise _bad_file(
            f"the workbook unpacks to {unpacked // 1_048_576} MB; the limit is "
            f"{MAX_UNPACKED_BYTES // 1_048_576} MB"
        )
    if "[Content_Types].xml" not in {m.filename for m in members}:
        raise _bad_file("not an Excel workbook (.xlsx)")


def _text(value: Any) -> str:
    """A cell as the text a person typed: 42.0 is "42", a date is ISO 8601, TRUE is "true"."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, (datetime, date, time)):
        return value.isoformat()
    return str(value).strip()


def _non_blank(values: tuple[Any, ...]) -> bool:
    return any(v is not None and _text(v) for v in values)


def _header(rows: Iterator[tuple[Any, ...]]) -> tuple[int, list[str]]:
    """The header row's number and its normalised names (blank ones kept, as '', to keep positions)."""
    for number, values in enumerate(rows, start=1):
        if number > HEADER_SEARCH_ROWS:
            break
        if _non_blank(values):
            return number, [header_key(v) for v in values]
    raise _bad_file(f"no header row in the first {HEADER_SEARCH_ROWS} rows; start from the template")


def _check_header(names: list[str]) -> None:
    present = [n for n in names if n]
    unknown = [n for n in present if n not in _BY_NAME]
    if unknown:
        raise ValidationFailed(
            f"file: unknown columns {', '.join(unknown)}; the columns are {', '.join(COLUMN_NAMES)}",
            {
                "fields": [body_field("file", f"unknown columns: {', '.join(unknown)}")],
                "unknown_columns": unknown,
            },
        )
    repeated = sorted({n for n in present if present.count(n) > 1})
    if repeated:
        raise _bad_file(f"columns appear twice: {', '.join(repeated)}")
    missing = [c.name for c in COLUMNS if c.required and c.name not in present]
    if missing:
        raise _bad_file(f"the header lacks the required columns {', '.join(missing)}")


def _rows(sheet: Any) -> list[SheetRow]:
    header_row, names = _header(sheet.iter_rows(values_only=True))
    _check_header(names)
    width = max(i for i, n in enumerate(names) if n) + 1
    out: list[SheetRow] = []
    # max_col: cells right of the last named column are not read at all (a forged sheet size).
    data = sheet.iter_rows(min_row=header_row + 1, max_col=width, values_only=True)
    for number, values in enumerate(data, start=header_row + 1):
        cells = {
            name: text
            for name, value in zip(names, values, strict=False)
            if name and value is not None and (text := _text(value))
        }
        if not cells:
            continue  # blank rows are skipped, wherever they are
        if len(out) == MAX_IMPORT_ROWS:
            raise _bad_file(f"more than {MAX_IMPORT_ROWS} participants; split the file")
        out.append(SheetRow(number, cells))
    if not out:
        raise _bad_file("no participants: the sheet has no filled rows under its header")
    return out


def read_sheet(data: bytes) -> list[SheetRow]:
    """The non-blank rows under the header of the workbook's participants sheet (the one named
    "Participants", else the first). Blocking: run it in a thread."""
    _check_container(data)
    try:
        book = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception as exc:  # an untrusted file: whatever openpyxl or its XML parser raises
        logger.info("an uploaded workbook could not be opened: %r (%r)", exc, exc.__cause__)
        raise _bad_file("the workbook could not be read; save it again as .xlsx") from None
    try:
        names = book.sheetnames
        sheet = book[SHEET_NAME] if SHEET_NAME in names else book.worksheets[0]
        return _rows(sheet)
    except ValidationFailed:
        raise
    except Exception as exc:  # the sheets are parsed lazily, while reading rows
        logger.info("an uploaded workbook could not be read: %r (%r)", exc, exc.__cause__)
        raise _bad_file("the workbook could not be read; save it again as .xlsx") from None
    finally:
        book.close()


def template_workbook() -> bytes:
    """The blank import template: the header on the first sheet (required columns bold and marked *),
    and a second sheet explaining each column."""
    book = openpyxl.Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = SHEET_NAME
    bold = Font(bold=True)
    for index, column in enumerate(COLUMNS, start=1):
        cell = sheet.cell(row=1, column=index, value=f"{column.name} *" if column.required else column.name)
        cell.font = bold if column.required else Font()
        letter = get_column_letter(index)
        sheet.column_dimensions[letter].width = max(14, len(column.example) + 4)
        if column.name in ("phone", "external_id", "schedule_time"):
            # Text, so Excel keeps a phone's leading + and 0 and does not turn a time into its own format.
            sheet.column_dimensions[letter].number_format = "@"
    sheet.freeze_panes = "A2"

    help_sheet = book.create_sheet(HELP_SHEET_NAME)
    help_sheet.append(["Column", "Required", "What to enter", "Example"])
    for cell in help_sheet[1]:
        cell.font = bold
    for column in COLUMNS:
        help_sheet.append([column.name, "yes" if column.required else "", column.description, column.example])
    help_sheet.append([])
    for note in (
        "One participant per row of the Participants sheet, under its header row; blank rows are skipped.",
        f"At most {MAX_IMPORT_ROWS} participants and 2 MB per file. Lists are comma-separated.",
        "A row whose email already belongs to a participant of the template, or repeats an earlier row, "
        "is skipped as a duplicate.",
        "If any row is invalid nothing is imported: each invalid row is reported with the column named.",
    ):
        help_sheet.append([note])
    for letter, width in (("A", 18), ("B", 10), ("C", 90), ("D", 28)):
        help_sheet.column_dimensions[letter].width = width
    for row in help_sheet.iter_rows(min_row=2):
        for cell in row:
            cell.alignment = Alignment(wrap_text=True, vertical="top")
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()
