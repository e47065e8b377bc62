"""POST /v1/resumes/parse over HTTP with real files: drafts for the good ones, a clear error in its own
result for each bad one, 422 for no files or too many, and the company's own skills in the drafts."""

from __future__ import annotations

import httpx
import pytest

from config.settings import Settings
from engine.app import create_app
from engine.resumes.extract import DOCX_TYPE, MAX_DOCX_UNCOMPRESSED
from tests.engine import field_error, make_template
from tests.helpers import ApiClients, StepClock
from tests.resume_files import docx_bytes, encrypted_pdf, minimal_pdf, zip_bomb

URL = "/v1/resumes/parse"
SQLITE = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
PDF = "application/pdf"

Upload = tuple[str, tuple[str, bytes, str]]


def upload(filename: str, data: bytes, content_type: str) -> Upload:
    return ("files", (filename, data, content_type))


def pdf_resume() -> bytes:
    return minimal_pdf(
        [
            "Jane Smith",
            "Senior Backend Engineer",
            "jane.smith@example.com | +44 20 7946 0958",
            "Experience",
            "Senior Backend Engineer at Acme Payments Ltd (2019 - present)",
            "Built billing in Kafka and PostgreSQL; practised Event Sourcing.",
            "Education",
            "MSc Computer Science, University of Edinburgh",
        ]
    )


def docx_resume() -> bytes:
    return docx_bytes(
        ["Work Experience", "Globex Corporation", "Data Scientist", "Skills: Python, Pandas, Airflow"],
        header=["Ravi Kumar", "ravi.kumar@example.org · Mobile: +91 98765 43210"],
        table=[["Languages", "Hindi, English"]],
    )


@SQLITE
async def test_each_file_gets_its_result_in_order(client: httpx.AsyncClient) -> None:
    files = [
        upload("jane.pdf", pdf_resume(), PDF),
        upload("ravi.docx", docx_resume(), DOCX_TYPE),
        upload("notes.txt", b"Mei Lin\nmei.lin@example.net\nPhone: 555 010 0199\nRust and Go", "text/plain"),
        upload("broken.pdf", b"%PDF-1.7\n1 0 obj <</Kids[", PDF),
        upload("locked.pdf", encrypted_pdf(["Secret Person"], "pw"), PDF),
        upload("bomb.docx", zip_bomb(MAX_DOCX_UNCOMPRESSED + 1), DOCX_TYPE),
        upload("fake.docx", b"this is not a zip", DOCX_TYPE),
        upload("empty.txt", b"", "text/plain"),
        upload("huge.txt", b"x" * (6 * 1024 * 1024), "text/plain"),
        upload("photo.png", b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR", "image/png"),
        upload("scan.pdf", minimal_pdf([]), PDF),
    ]
    response = await client.post(URL, files=files)
    assert response.status_code == 200, response.text
    results = response.json()["results"]
    assert [r["filename"] for r in results] == [name for _, (name, _, _) in files]

    jane, ravi, mei = (r["draft"] for r in results[:3])
    assert all(r["status"] == "parsed" and r["error"] is None and r["text_chars"] > 0 for r in results[:3])
    assert jane == {
        "name": "Jane Smith",
        "email": "jane.smith@example.com",
        "phone": "+44 20 7946 0958",
        "organization": "Acme Payments Ltd",
        "title": "Senior Backend Engineer",
        "education": "MSc Computer Science, University of Edinburgh",
        "skills": ["Kafka", "PostgreSQL"],
        "languages": [],
    }
    assert ravi["name"] == "Ravi Kumar"
    assert ravi["email"] == "ravi.kumar@example.org"
    assert ravi["phone"] == "+91 98765 43210"
    assert (ravi["title"], ravi["organization"]) == ("Data Scientist", "Globex Corporation")
    assert ravi["skills"] == ["Python", "Pandas", "Airflow"]
    assert ravi["languages"] == ["Hindi", "English"]
    assert (mei["name"], mei["phone"], mei["skills"]) == ("Mei Lin", "555 010 0199", ["Rust"])

    errors = {r["filename"]: r["error"] for r in results[3:]}
    for result in results[3:]:
        assert (result["status"], result["draft"], result["text_chars"]) == ("error", None, 0)
    assert errors["broken.pdf"].startswith("unreadable PDF")
    assert "password-protected" in errors["locked.pdf"]
    assert "expand to more than" in errors["bomb.docx"]
    assert "not a zip" in errors["fake.docx"]
    assert errors["empty.txt"] == "the file is empty"
    assert errors["huge.txt"] == "the file is larger than 5 MB"
    assert "unsupported file type 'image/png'" in errors["photo.png"]
    assert "no text found" in errors["scan.pdf"]


async def test_the_company_templates_skills_join_the_vocabulary(api: ApiClients) -> None:
    """On both stores: another company's skills are not this one's vocabulary."""
    acme, globex = await api.client("acme"), await api.client("globex")
    await make_template(acme, skills=["Event Sourcing", "Go"])
    await make_template(globex, skills=["Practised"])
    files = [upload("jane.pdf", pdf_resume(), PDF)]
    for client, skills in [
        (acme, ["Kafka", "PostgreSQL", "Event Sourcing"]),
        (globex, ["Kafka", "PostgreSQL", "Practised"]),
    ]:
        response = await client.post(URL, files=files)
        assert response.status_code == 200, response.text
        assert response.json()["results"][0]["draft"]["skills"] == skills


@SQLITE
async def test_no_files_or_too_many_is_a_422_naming_files(client: httpx.AsyncClient) -> None:
    too_many = [upload(f"cv{i}.txt", b"Jane Smith", "text/plain") for i in range(21)]
    assert "at most 20" in field_error(await client.post(URL, files=too_many))["message"]
    twenty = await client.post(URL, files=too_many[:20])
    assert twenty.status_code == 200
    assert len(twenty.json()["results"]) == 20
    for response in [
        await client.post(URL, data={"other": "x"}),
        await client.post(URL, files=[("other", ("cv.txt", b"Jane Smith", "text/plain"))]),
        await client.post(URL, json={"files": []}),
    ]:
        assert field_error(response)["path"] == "files"
    text_not_file = await client.post(URL, data={"files": "not a file"})
    assert field_error(text_not_file)["path"].startswith("files")


@SQLITE
async def test_the_scope_is_write_participants(api: ApiClients) -> None:
    files = [upload("cv.txt", b"Jane Smith", "text/plain")]
    reader = await api.client("acme", scopes=["read:participants"])
    forbidden = await reader.post(URL, files=files)
    assert forbidden.status_code == 403
    assert forbidden.json()["error"]["details"]["missing_scopes"] == ["write:participants"]
    writer = await api.client("acme", scopes=["write:participants"])
    assert (await writer.post(URL, files=files)).status_code == 200


@SQLITE
async def test_a_windows_path_is_reduced_to_the_file_name(client: httpx.AsyncClient) -> None:
    files = [upload("C:\\Users\\rita\\Desktop\\cv.txt", b"Jane Smith\njane@example.com", "text/plain")]
    response = await client.post(URL, files=files)
    assert response.json()["results"][0]["filename"] == "cv.txt"


@SQLITE
async def test_this_path_takes_the_upload_body_limit(settings: Settings, clock: StepClock) -> None:
    small = settings.model_copy(update={"max_body_bytes": 1024, "max_upload_bytes": 64 * 1024})
    app = create_app(small, clock=clock)
    async with app.router.lifespan_context(app):
        clients = ApiClients(app, clock)
        try:
            client = await clients.client("acme")
            text = b"Jane Smith\n" + b"Python and Kafka. " * 2000  # 36 kB: over the JSON limit
            fits = await client.post(URL, files=[upload("cv.txt", text, "text/plain")])
            assert fits.status_code == 200, fits.text
            assert fits.json()["results"][0]["draft"]["skills"] == ["Python", "Kafka"]
            too_big = await client.post(URL, files=[upload("cv.txt", text * 2, "text/plain")])
            assert too_big.status_code == 413
            assert too_big.json()["error"]["code"] == "payload_too_large"
        finally:
            await clients.aclose()
