"""Resume fetching and reading against a real HTTP server on loopback."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator

import pytest
from fastapi import FastAPI
from fastapi.responses import PlainTextResponse, Response

from engine.dialogue.resume import ResumeError, extract_text, fetch_resume, with_resume_skills
from tests.resume_files import minimal_pdf
from tests.server_thread import ServerThread

RESUME = "Senior engineer. Built billing services in Go and Kafka on AWS with PostgreSQL."


@pytest.fixture(scope="module")
def resume_host() -> Iterator[str]:
    app = FastAPI()

    @app.get("/cv.pdf")
    async def pdf() -> Response:
        return Response(minimal_pdf([RESUME]), media_type="application/pdf")

    @app.get("/cv.txt")
    async def text() -> PlainTextResponse:
        return PlainTextResponse(RESUME)

    @app.get("/huge.txt")
    async def huge() -> PlainTextResponse:
        return PlainTextResponse("x" * 200_000)

    @app.get("/slow.txt")
    async def slow() -> PlainTextResponse:
        await asyncio.sleep(2)
        return PlainTextResponse(RESUME)

    @app.get("/broken.pdf")
    async def broken() -> Response:
        return Response(b"%PDF-1.4\nnot really a pdf", media_type="application/pdf")

    @app.get("/photo.png")
    async def photo() -> Response:
        return Response(b"\x89PNG....", media_type="image/png")

    server = ServerThread(app)
    base = server.start()
    try:
        yield base
    finally:
        server.stop()


async def test_pdf_and_text_resumes_are_read(resume_host: str) -> None:
    assert await fetch_resume(f"{resume_host}/cv.pdf", allow_private=True) == RESUME
    assert await fetch_resume(f"{resume_host}/cv.txt", allow_private=True) == RESUME


@pytest.mark.parametrize(
    ("path", "kwargs", "message"),
    [
        ("/huge.txt", {"max_bytes": 100_000}, "larger than"),
        ("/slow.txt", {"timeout_s": 0.5}, "took longer"),
        ("/missing", {}, "answered 404"),
        ("/broken.pdf", {}, "unreadable PDF"),
        ("/photo.png", {}, "unsupported"),
    ],
)
async def test_bad_resumes_raise_a_clear_error(
    resume_host: str, path: str, kwargs: dict[str, float], message: str
) -> None:
    with pytest.raises(ResumeError, match=message):
        await fetch_resume(f"{resume_host}{path}", allow_private=True, **kwargs)  # type: ignore[arg-type]


async def test_private_addresses_and_other_schemes_are_refused(resume_host: str) -> None:
    with pytest.raises(ResumeError, match="private address"):
        await fetch_resume(f"{resume_host}/cv.txt")
    with pytest.raises(ResumeError, match="http"):
        await fetch_resume("file:///etc/passwd", allow_private=True)


def test_resume_skills_join_the_background_once() -> None:
    participant = {"name": "Jane", "background": {"skills": ["go"]}, "resume_url": "https://x.test/cv.pdf"}
    merged = with_resume_skills(participant, RESUME)
    assert merged["background"]["skills"] == ["go", "Kafka", "AWS", "PostgreSQL"]
    assert participant["background"] == {"skills": ["go"]}, "the input is not modified"


def test_extract_text_collapses_whitespace_and_caps_length() -> None:
    assert extract_text(b"  a\n\n b\tc  ", "text/plain") == "a b c"
    assert len(extract_text(b"y " * 100_000, "text/plain")) == 50_000
