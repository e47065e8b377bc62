"""Resume file names are personal data (most are the candidate's own name): with every logger at DEBUG,
parsing resumes, including a file the parser fails on, a file the engine faults on and a file that
cannot be kept, logs what went wrong without ever naming a file."""

from __future__ import annotations

import logging
from typing import Any

import httpx
import pytest

from engine.api import resumes
from engine.resumes.parse import ParsedResume, parse_resume
from engine.services import resume_files
from engine.storage.object_store import ObjectStoreUnavailable
from engine.store.tables import ResumeFileRow
from tests.resume_files import minimal_pdf

pytestmark = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)

PRIVATE = "Zebulon Quixotic-Privatename"
PDF = "application/pdf"


async def test_no_log_record_names_an_uploaded_file(
    client: httpx.AsyncClient, caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    def faulty_parse(data: bytes, declared: str, filename: str, vocabulary: Any) -> ParsedResume:
        if "engine fault" in filename:
            raise RuntimeError("a fault of the engine's parser")
        return parse_resume(data, declared, filename, vocabulary)

    async def bucket_down(*args: Any, **kwargs: Any) -> ResumeFileRow:
        raise ObjectStoreUnavailable("object store http://bucket.invalid: unreachable")

    monkeypatch.setattr(resumes, "parse_resume", faulty_parse)
    monkeypatch.setattr(resume_files, "keep", bucket_down)
    caplog.set_level(logging.DEBUG)
    for name in ("engine", "sqlalchemy.engine", "aiosqlite", "multipart", "python_multipart"):
        caplog.set_level(logging.DEBUG, logger=name)

    good = minimal_pdf(["Jane Smith", "jane.smith@example.com"])
    files = [
        ("files", (f"{PRIVATE} CV.pdf", good, PDF)),
        ("files", (f"{PRIVATE} broken.pdf", b"%PDF-1.7\n1 0 obj <</Kids[", PDF)),
        ("files", (f"C:\\Users\\hr\\{PRIVATE} engine fault.pdf", good, PDF)),
    ]
    response = await client.post("/v1/resumes/parse", files=files)
    assert response.status_code == 200, response.text
    parsed, broken, faulted = response.json()["results"]
    # The recruiter still sees the names (the response is theirs); only the logs must not.
    assert parsed["filename"] == f"{PRIVATE} CV.pdf"
    assert (parsed["status"], parsed["resume_file_id"]) == ("parsed", None)  # not kept: the bucket is down
    assert broken["status"] == faulted["status"] == "error"

    messages = [r.getMessage() for r in caplog.records]
    # What went wrong is logged (the fault with its traceback), so the check below looks at real records.
    ours = {(r.levelno, bool(r.exc_info)) for r in caplog.records if r.name == resumes.logger.name}
    assert {(logging.ERROR, True), (logging.WARNING, False)} <= ours, messages
    assert any("unreadable PDF" in m for m in messages), messages
    logged = "\n".join([caplog.text, *messages, *(str(r.args) for r in caplog.records)])
    for fragment in (PRIVATE, "Zebulon", "Privatename"):
        assert fragment not in logged
