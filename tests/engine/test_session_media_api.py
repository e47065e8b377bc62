"""Transcript and recording endpoints over both databases, with stored segments and a real WAV file."""

from __future__ import annotations

import wave
from datetime import UTC, datetime

import pytest
from fastapi import FastAPI

from config.enums import Speaker
from engine.api.session_media import check_range
from engine.errors import BadRequest, RangeNotSatisfiable
from engine.live.registry import recording_name
from engine.services import transcripts
from engine.services.transcripts import NewSegment
from engine.store.tables import SessionRow
from tests.engine.live_helpers import booked_session
from tests.engine.session_helpers import expect
from tests.helpers import ApiClients

NOW = datetime(2026, 3, 2, 9, 30, tzinfo=UTC)


async def seed_media(app: FastAPI, session_id: str) -> bytes:
    services = app.state.services
    async with services.database.transaction() as db:
        assert await transcripts.get_recording(db, "none", session_id) is None
        session = await db.get(SessionRow, session_id)
        assert session is not None
        company = session.company_id
        for segment in (
            NewSegment(Speaker.INTERVIEWER, 0.5, 2.0, "Tell me about Go."),
            NewSegment(Speaker.CANDIDATE, 2.4, 4.1, "I wrote a billing service.", 0.91),
        ):
            await transcripts.append_segment(db, company, session_id, segment, NOW)
        name = recording_name(company, session_id)
        path = services.settings.recordings_dir / name
        path.parent.mkdir(parents=True, exist_ok=True)
        with wave.open(str(path), "wb") as wav:
            wav.setnchannels(2)
            wav.setsampwidth(2)
            wav.setframerate(16000)
            wav.writeframes(bytes(range(256)) * 250)
        await transcripts.save_recording(
            db,
            company,
            session_id,
            path=name,
            sample_rate=16000,
            channels=2,
            duration_s=1.0,
            status="ready",
            now=NOW,
        )
    content: bytes = path.read_bytes()
    return content


async def test_transcript_and_recording(app: FastAPI, api: ApiClients) -> None:
    client = await api.client()
    session_id, _ = await booked_session(client)
    assert expect(await client.get(f"/v1/sessions/{session_id}/transcript"), 200)["segments"] == []
    missing = await client.get(f"/v1/sessions/{session_id}/recording")
    assert missing.status_code == 404
    content = await seed_media(app, session_id)

    segments = expect(await client.get(f"/v1/sessions/{session_id}/transcript"), 200)["segments"]
    assert [(s["seq"], s["speaker"], s["start"], s["end"], s["text"], s["confidence"]) for s in segments] == [
        (0, "interviewer", 0.5, 2.0, "Tell me about Go.", None),
        (1, "candidate", 2.4, 4.1, "I wrote a billing service.", 0.91),
    ]

    whole = await client.get(f"/v1/sessions/{session_id}/recording")
    assert whole.status_code == 200
    assert whole.content == content
    assert whole.headers["accept-ranges"] == "bytes"
    assert whole.headers["cache-control"] == "private, no-store"
    tail = await client.get(f"/v1/sessions/{session_id}/recording", headers={"Range": "bytes=-100"})
    assert tail.status_code == 206
    assert tail.content == content[-100:]
    bad = await client.get(f"/v1/sessions/{session_id}/recording", headers={"Range": "pages=1-2"})
    assert bad.status_code == 400
    assert bad.json()["error"]["details"]["fields"][0]["path"] == "Range"
    beyond = await client.get(f"/v1/sessions/{session_id}/recording", headers={"Range": "bytes=999999-"})
    assert beyond.status_code == 416
    assert beyond.headers["content-range"] == f"bytes */{len(content)}"
    assert beyond.json()["error"]["code"] == "range_not_satisfiable"


async def test_other_companies_and_missing_scopes_get_nothing(app: FastAPI, api: ApiClients) -> None:
    owner = await api.client()
    session_id, _ = await booked_session(owner)
    await seed_media(app, session_id)
    rival = await api.client("rival")
    for path in ("transcript", "recording"):
        response = await rival.get(f"/v1/sessions/{session_id}/{path}")
        assert response.status_code == 403, path
        assert b"billing" not in response.content
    no_scope = await api.client("acme", scopes=["read:participants"])
    for path in ("transcript", "recording"):
        assert (await no_scope.get(f"/v1/sessions/{session_id}/{path}")).status_code == 403
    anonymous = api.raw_client()
    assert (await anonymous.get(f"/v1/sessions/{session_id}/recording")).status_code == 401
    await anonymous.aclose()


@pytest.mark.parametrize(
    ("header", "error"),
    [
        ("bytes=0-", None),
        ("bytes=10-20,30-40", None),
        ("bytes=-5", None),
        ("bytes=", BadRequest),
        ("bytes=a-b", BadRequest),
        ("bytes=9-3", BadRequest),
        ("items=0-1", BadRequest),
        ("bytes=100-", RangeNotSatisfiable),
        ("bytes=100-200,300-", RangeNotSatisfiable),
    ],
)
def test_check_range(header: str, error: type[Exception] | None) -> None:
    if error is None:
        check_range(header, 100)
    else:
        with pytest.raises(error):
            check_range(header, 100)


async def test_a_resumed_recording_is_uploaded_again(app: FastAPI, api: ApiClients) -> None:
    """An upload recorded for a finished file does not cover what a resumed session appends to it."""
    client = await api.client()
    session_id, _ = await booked_session(client)
    await seed_media(app, session_id)
    services = app.state.services
    async with services.database.transaction() as db:
        session = await db.get(SessionRow, session_id)
        assert session is not None
        row = await transcripts.get_recording(db, session.company_id, session_id)
        assert row is not None
        row.object_key, row.uploaded_at = "recordings/x.wav", NOW
        await db.flush()
        for status, duration in (("recording", 1.0), ("ready", 2.0)):
            again = await transcripts.save_recording(
                db,
                session.company_id,
                session_id,
                path=row.path,
                sample_rate=16000,
                channels=2,
                duration_s=duration,
                status=status,
                now=NOW,
            )
            assert again.uploaded_at is None, status
        assert again.duration_s == 2.0
