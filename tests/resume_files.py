"""Real resume files built in the tests: a text PDF written by hand, DOCX files written by python-docx,
and the hostile ones (an encrypted PDF, a zip bomb, a zip that is no Word document)."""

from __future__ import annotations

import io
import zipfile
from collections.abc import Sequence

import docx
from pypdf import PdfReader, PdfWriter

__all__ = ["docx_bytes", "encrypted_pdf", "minimal_pdf", "not_a_word_zip", "zip_bomb"]


def _pdf_string(text: str) -> str:
    return text.replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)")


def minimal_pdf(lines: Sequence[str], pages: int = 1) -> bytes:
    """A PDF of `pages` pages, each with `lines` in Helvetica one under another (Latin-1 text)."""
    shown = " 0 -16 Td ".join(f"({_pdf_string(line)}) Tj" for line in lines)
    stream = f"BT /F1 12 Tf 40 760 Td {shown} ET".encode("latin-1")
    page_numbers = [4 + 2 * i for i in range(pages)]
    objects = [
        b"<</Type/Catalog/Pages 2 0 R>>",
        b"<</Type/Pages/Kids["
        + b" ".join(f"{n} 0 R".encode() for n in page_numbers)
        + b"]"
        + f"/Count {pages}>>".encode(),
        b"<</Type/Font/Subtype/Type1/BaseFont/Helvetica>>",
    ]
    for number in page_numbers:
        objects.append(
            b"<</Type/Page/Parent 2 0 R/MediaBox[0 0 612 792]/Contents "
            + f"{number + 1} 0 R".encode()
            + b"/Resources<</Font<</F1 3 0 R>>>>>>"
        )
        objects.append(b"<</Length " + str(len(stream)).encode() + b">>stream\n" + stream + b"\nendstream")
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += f"{number} 0 obj\n".encode() + body + b"\nendobj\n"
    xref = len(out)
    out += f"xref\n0 {len(objects) + 1}\n0000000000 65535 f \n".encode()
    for offset in offsets:
        out += f"{offset:010d} 00000 n \n".encode()
    out += f"trailer\n<</Size {len(objects) + 1}/Root 1 0 R>>\nstartxref\n{xref}\n%%EOF\n".encode()
    return bytes(out)


def encrypted_pdf(lines: Sequence[str], user_password: str) -> bytes:
    """`minimal_pdf(lines)` encrypted (AES-256); an empty user password opens without asking."""
    writer = PdfWriter(clone_from=PdfReader(io.BytesIO(minimal_pdf(lines))))
    writer.encrypt(user_password=user_password, owner_password="owner secret", algorithm="AES-256")
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def docx_bytes(
    paragraphs: Sequence[str],
    *,
    header: Sequence[str] = (),
    table: Sequence[Sequence[str]] = (),
) -> bytes:
    """A Word document: `header` lines in the page header, the paragraphs, then a table of `table`'s rows."""
    document = docx.Document()
    if header:
        section_header = document.sections[0].header
        section_header.is_linked_to_previous = False
        section_header.paragraphs[0].text = header[0]
        for line in header[1:]:
            section_header.add_paragraph(line)
    for paragraph in paragraphs:
        document.add_paragraph(paragraph)
    if table:
        grid = document.add_table(rows=len(table), cols=max(len(row) for row in table))
        for row, values in zip(grid.rows, table, strict=False):
            for cell, value in zip(row.cells, values, strict=False):
                cell.text = value
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()


def zip_bomb(inflated_bytes: int) -> bytes:
    """A zip archive shaped like a DOCX whose document part inflates to `inflated_bytes` of zeros."""
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=9) as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        with archive.open("word/document.xml", "w", force_zip64=True) as part:
            chunk = b"\0" * (1 << 20)
            for _ in range(inflated_bytes // len(chunk) + 1):
                part.write(chunk)
    return out.getvalue()


def not_a_word_zip() -> bytes:
    """A small, valid zip archive that holds no Word document."""
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        archive.writestr("notes.txt", "just a zip")
    return out.getvalue()
