"""Text out of a resume file: PDF (pypdf), DOCX (python-docx) or plain text, nothing else.

Blocking and CPU-bound: callers run it in a worker thread (`asyncio.to_thread`). The file comes from a
stranger, so every reader is bounded and every failure is a `ResumeError` with a message a recruiter can
act on, never another exception:

* The type is told from the file's first bytes, then from the declared content type and the file name:
  a PDF says `%PDF`, a DOCX is a zip archive, and a legacy `.doc` or a password-protected Word file is an
  OLE compound file, which is refused by name.
* PDF: at most `MAX_PDF_PAGES` pages are read, and reading stops once `MAX_TEXT_CHARS` characters are in
  hand; pypdf caps how far one stream may inflate. A PDF encrypted with an empty user password (a common
  "no printing" lock) is read; one that needs a password is refused.
* DOCX: a zip archive. Before python-docx opens it, its directory is read and it is refused when it holds
  more than `MAX_DOCX_ENTRIES` entries or they would inflate to more than `MAX_DOCX_UNCOMPRESSED` bytes in
  all (a zip bomb). That declared total is a real bound: Python's zipfile never inflates an entry past
  the size its directory gives, and fails the entry's CRC if the data claims otherwise. python-docx
  parses the XML with lxml without resolving entities. Text comes from the headers (where resumes often
  put the name), then the body's paragraphs and tables in document order.
* Plain text: UTF-8 (with or without a byte-order mark) or UTF-16 with one; undecodable bytes become
  U+FFFD. A file holding NUL bytes is binary, not text.

`extract_document` keeps the lines (for `engine.resumes.draft`, which reads headings and the first lines),
with the spaces inside each line collapsed and blank lines dropped; `extract_text` is the same text on
one line, as the interviewer uses it.
"""

from __future__ import annotations

import io
import logging
import re
import zipfile
from collections.abc import Iterable, Iterator
from pathlib import PurePosixPath
from typing import Literal

import docx
from docx.document import Document as DocxDocument
from docx.table import Table
from docx.text.paragraph import Paragraph
from pypdf import PasswordType, PdfReader

__all__ = [
    "DOCX_TYPE",
    "MAX_DOCX_ENTRIES",
    "MAX_DOCX_UNCOMPRESSED",
    "MAX_PDF_PAGES",
    "MAX_TEXT_CHARS",
    "ResumeError",
    "clean_text",
    "extract_document",
    "extract_text",
]

logger = logging.getLogger(__name__)

MAX_TEXT_CHARS = 50_000
MAX_PDF_PAGES = 20
MAX_DOCX_UNCOMPRESSED = 50 * 1024 * 1024
MAX_DOCX_ENTRIES = 2_000
# Raw text gathered before it is tidied: whitespace collapses, so a little more than the cap is read.
_RAW_CHARS = 2 * MAX_TEXT_CHARS

DOCX_TYPE = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
_OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_ZIP_MAGIC = (b"PK\x03\x04", b"PK\x05\x06")
_TEXT_SUFFIXES = frozenset({"", ".txt", ".text", ".md", ".markdown"})
_UNTYPED = frozenset({"", "application/octet-stream", "binary/octet-stream"})

_CONTROLS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_SURROGATES = re.compile(r"[\ud800-\udfff]")

Kind = Literal["pdf", "docx", "text"]


class ResumeError(Exception):
    """The resume could not be read; the message says why, in words a recruiter can act on."""


def extract_text(data: bytes, content_type: str = "", filename: str = "") -> str:
    """The resume's text on one line (whitespace collapsed), at most `MAX_TEXT_CHARS` characters."""
    return " ".join(_raw_text(data, content_type, filename).split())[:MAX_TEXT_CHARS]


def extract_document(data: bytes, content_type: str = "", filename: str = "") -> str:
    """The resume's non-blank lines, spaces inside each collapsed, at most `MAX_TEXT_CHARS` characters."""
    raw = _raw_text(data, content_type, filename)
    lines = (" ".join(line.split()) for line in raw.splitlines())
    return "\n".join(line for line in lines if line)[:MAX_TEXT_CHARS]


def clean_text(text: str) -> str:
    """Text safe to show and to store: control characters (NUL included) become spaces, and lone
    surrogates, which a PDF's broken font map can yield and no UTF-8 encoder takes, become U+FFFD."""
    return _SURROGATES.sub("\ufffd", _CONTROLS.sub(" ", text))


def _raw_text(data: bytes, content_type: str, filename: str) -> str:
    kind = file_kind(data, content_type, filename)
    if kind == "pdf":
        raw = _bounded(_pdf_pages(data))
    elif kind == "docx":
        raw = _bounded(_docx_paragraphs(data))
    else:
        raw = _decode(data)[:_RAW_CHARS]
    return clean_text(raw)


def file_kind(data: bytes, content_type: str = "", filename: str = "") -> Kind:
    """What the file is, from its first bytes, else its declared type or name; ResumeError if none."""
    content_type = content_type.split(";")[0].strip().lower()
    suffix = PurePosixPath(filename.replace("\\", "/")).suffix.lower()
    head = data[:1024]
    if b"%PDF-" in head:
        return "pdf"
    if data.startswith(_ZIP_MAGIC):
        return "docx"
    if data.startswith(_OLE_MAGIC):
        raise ResumeError(
            "a legacy Word (.doc) file or a password-protected document; save it as an unprotected "
            "DOCX or PDF"
        )
    if "pdf" in content_type or suffix == ".pdf":
        return "pdf"
    if content_type == DOCX_TYPE or suffix == ".docx":
        return "docx"
    if content_type.startswith("text/") or (content_type in _UNTYPED and suffix in _TEXT_SUFFIXES):
        return "text"
    shown = (suffix if content_type in _UNTYPED else content_type) or "unknown"
    raise ResumeError(f"unsupported file type {shown[:60]!r}; use a PDF, DOCX or plain-text file")


def _bounded(chunks: Iterable[str]) -> str:
    """Chunks joined by newlines until `_RAW_CHARS` characters are in hand; the rest is never read."""
    out: list[str] = []
    size = 0
    for chunk in chunks:
        out.append(chunk)
        size += len(chunk) + 1
        if size >= _RAW_CHARS:
            break
    return "\n".join(out)[:_RAW_CHARS]


def _decode(data: bytes) -> str:
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return data.decode("utf-16", errors="replace")
    if b"\x00" in data:
        raise ResumeError("not a text file (it holds binary data); use a PDF, DOCX or plain-text file")
    return data.decode("utf-8-sig", errors="replace")


def _pdf_pages(data: bytes) -> Iterator[str]:
    try:
        reader = PdfReader(io.BytesIO(data))
        if reader.is_encrypted and not _opened_without_password(reader):
            raise ResumeError("the PDF is password-protected; upload a copy without a password")
        for page in reader.pages[:MAX_PDF_PAGES]:
            yield page.extract_text() or ""
    except ResumeError:
        raise
    except Exception as exc:
        # A stranger's file: pypdf fails on malformed ones in many ways (its own errors, but also
        # KeyError, IndexError, RecursionError, zlib.error, ...). Each is the file's fault, not ours.
        logger.info("unreadable PDF: %s: %s", type(exc).__name__, exc)
        raise ResumeError(f"unreadable PDF: {type(exc).__name__}") from None


def _opened_without_password(reader: PdfReader) -> bool:
    try:
        return reader.decrypt("") != PasswordType.NOT_DECRYPTED
    except Exception:
        # An encryption pypdf cannot undo without an optional library: as good as a password.
        return False


def _docx_paragraphs(data: bytes) -> Iterator[str]:
    _check_archive(data)
    try:
        document = docx.Document(io.BytesIO(data))
        yield from _docx_blocks(document)
    except Exception as exc:
        # As for PDFs: a zip that is not a Word document, or one python-docx cannot follow.
        logger.info("unreadable DOCX: %s: %s", type(exc).__name__, exc)
        raise ResumeError(f"not a readable DOCX file ({type(exc).__name__})") from None


def _check_archive(data: bytes) -> None:
    """Refuses a file that is no zip archive, or one that would inflate past the limits (a zip bomb)."""
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            entries = archive.infolist()
    except (zipfile.BadZipFile, zipfile.LargeZipFile, ValueError, OSError, EOFError):
        raise ResumeError("not a valid DOCX file (not a zip archive)") from None
    if len(entries) > MAX_DOCX_ENTRIES:
        raise ResumeError(f"the DOCX file holds more than {MAX_DOCX_ENTRIES} parts; refused")
    if sum(entry.file_size for entry in entries) > MAX_DOCX_UNCOMPRESSED:
        megabytes = MAX_DOCX_UNCOMPRESSED // (1024 * 1024)
        raise ResumeError(f"the DOCX file would expand to more than {megabytes} MB; refused")


def _docx_blocks(document: DocxDocument) -> Iterator[str]:
    seen_headers: set[int] = set()
    for section in document.sections:
        header = section.header
        # Linked headers repeat the previous section's part: read each part once.
        if header.is_linked_to_previous or id(header.part) in seen_headers:
            continue
        seen_headers.add(id(header.part))
        for block in header.iter_inner_content():
            yield from _block_text(block)
    for block in document.iter_inner_content():
        yield from _block_text(block)


def _block_text(block: Paragraph | Table) -> Iterator[str]:
    if isinstance(block, Paragraph):
        yield block.text
    else:
        # A merged cell is returned once per grid column it spans. The elements are kept, not just
        # their ids: lxml makes a new proxy object per access, and a freed one's id can come back.
        seen: dict[int, object] = {}
        for row in block.rows:
            cells = []
            for cell in row.cells:
                if id(cell._tc) in seen:
                    continue
                seen[id(cell._tc)] = cell._tc
                cells.append(cell.text)
            yield "\n".join(cells)
