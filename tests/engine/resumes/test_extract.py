"""engine.resumes.extract on real files: PDF, DOCX and text read; hostile and unsupported ones refused
with a clear ResumeError, never another exception."""

from __future__ import annotations

import io

import docx
import pytest

from engine.resumes import extract
from engine.resumes.extract import (
    DOCX_TYPE,
    MAX_DOCX_UNCOMPRESSED,
    MAX_TEXT_CHARS,
    ResumeError,
    clean_text,
    extract_document,
    extract_text,
    file_kind,
)
from tests.resume_files import docx_bytes, encrypted_pdf, minimal_pdf, not_a_word_zip, zip_bomb

LINES = ["Jane Smith", "jane.smith@example.com", "Built (and ran) billing in Go and Kafka"]


def test_pdf_lines_are_kept() -> None:
    assert extract_document(minimal_pdf(LINES)) == "\n".join(LINES)
    assert extract_text(minimal_pdf(LINES), "application/pdf") == " ".join(LINES)


def test_pdf_pages_past_the_cap_are_not_read() -> None:
    text = extract_document(minimal_pdf(["page text"], pages=extract.MAX_PDF_PAGES + 5))
    assert text.count("page text") == extract.MAX_PDF_PAGES


def test_docx_header_body_and_table_in_document_order() -> None:
    data = docx_bytes(
        ["Senior Engineer", "Acme Corp"],
        header=["Jane   Smith", "London"],
        table=[["Python", "Kubernetes"], ["", "AWS"]],
    )
    assert extract_document(data, DOCX_TYPE, "cv.docx").splitlines() == [
        "Jane Smith",
        "London",
        "Senior Engineer",
        "Acme Corp",
        "Python",
        "Kubernetes",
        "AWS",
    ]


def test_a_merged_docx_cell_is_read_once() -> None:
    document = docx.Document()
    table = document.add_table(rows=1, cols=3)
    merged = table.cell(0, 0).merge(table.cell(0, 1))
    merged.text = "Spanning"
    table.cell(0, 2).text = "Single"
    out = io.BytesIO()
    document.save(out)
    assert extract_document(out.getvalue()).splitlines() == ["Spanning", "Single"]


@pytest.mark.parametrize(
    ("data", "content_type", "filename", "message"),
    [
        (b"%PDF-1.4\nnot really a pdf", "application/pdf", "cv.pdf", "unreadable PDF"),
        (b"garbage", "application/pdf", "", "unreadable PDF"),
        (encrypted_pdf(LINES, "secret"), "", "cv.pdf", "password-protected"),
        (zip_bomb(MAX_DOCX_UNCOMPRESSED + 1), DOCX_TYPE, "cv.docx", "expand to more than 50 MB"),
        (not_a_word_zip(), DOCX_TYPE, "cv.docx", "not a readable DOCX"),
        (b"plain words", DOCX_TYPE, "cv.docx", "not a zip archive"),
        (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 600, "application/msword", "cv.doc", "legacy Word"),
        (b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR", "image/png", "me.png", "unsupported file type 'image/png'"),
        (b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR", "application/octet-stream", "me.png", "type '.png'"),
        (b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR", "text/plain", "me.txt", "binary data"),
    ],
    ids=[
        "corrupt-pdf",
        "declared-pdf",
        "encrypted-pdf",
        "zip-bomb",
        "zip-not-word",
        "docx-not-zip",
        "legacy-doc",
        "image",
        "untyped-image",
        "binary-as-text",
    ],
)
def test_bad_files_raise_a_clear_error(data: bytes, content_type: str, filename: str, message: str) -> None:
    with pytest.raises(ResumeError, match=message):
        extract_document(data, content_type, filename)


def test_a_pdf_locked_with_an_empty_password_is_read() -> None:
    assert extract_document(encrypted_pdf(LINES, "")) == "\n".join(LINES)


def test_text_encodings() -> None:
    assert extract_document("Zoë Ångström\r\n\r\n  Go \t dev ".encode()) == "Zoë Ångström\nGo dev"
    assert extract_document("\ufeffJosé".encode()) == "José"
    assert extract_document("José Núñez".encode("utf-16")) == "José Núñez"
    assert extract_document(b"caf\xe9") == "caf\ufffd"


def test_the_file_type_comes_from_the_bytes_before_the_name() -> None:
    assert file_kind(minimal_pdf(LINES), "text/plain", "cv.txt") == "pdf"
    assert file_kind(docx_bytes(["x"]), "application/octet-stream", "cv.bin") == "docx"
    assert file_kind(b"hello", "application/octet-stream", "cv.txt") == "text"
    assert file_kind(b"hello", "", "") == "text"


def test_text_is_capped() -> None:
    assert len(extract_document(b"word " * 40_000)) == MAX_TEXT_CHARS
    assert len(extract_text(b"y " * 100_000, "text/plain")) == MAX_TEXT_CHARS


def test_control_characters_and_lone_surrogates_are_cleaned() -> None:
    assert extract_document(b"Jane\x01Smith\x7f\nGo\x0b") == "Jane Smith\nGo"
    assert clean_text("a\ud800b\x00c\td\ne") == "a\ufffdb c\td\ne"
