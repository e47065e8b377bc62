"""GET /v1/participants/{id}/export: one ZIP archive of everything held about a participant, on both
databases; every part compared with what the API returns for it. And the privacy policy link of the
join page (IE_PRIVACY__POLICY_URL)."""

from __future__ import annotations

import asyncio
import io
import json
import wave
import zipfile
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from pydantic import ValidationError

from config.settings import PrivacySettings, Settings
from engine.app import create_app
from engine.live.registry import recording_name
from engine.services import transcripts
from engine.store.tables import SessionRow
from tests.engine.analysis_helpers import STRONG, analysed, complete_with
from tests.engine.session_helpers import (
    book,
    expect,
    inline_participant,
    make_participant,
    make_profile,
    make_stage,
    make_template,
)
from tests.helpers import ApiClients, StepClock
from tests.resume_files import minimal_pdf

SQLITE = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
PDF = minimal_pdf(["Jane Smith", "jane.smith@example.com", "Backend Engineer at Acme"])
READ_ONLY = ["read:participants", "read:agent_profiles", "read:templates"]


async def booked(client: httpx.AsyncClient) -> dict[str, Any]:
    """A scheduled session, nothing more."""
    profile, template = await make_profile(client), await make_template(client)
    return await book(
        client, template_id=template["id"], agent_profile_id=profile["id"], participant=inline_participant()
    )


def export_url(participant_id: str) -> str:
    return f"/v1/participants/{participant_id}/export"


def _write_wav(path: Path) -> bytes:
    path.parent.mkdir(parents=True, exist_ok=True)
    with wave.open(str(path), "wb") as wav:
        wav.setnchannels(2)
        wav.setsampwidth(2)
        wav.setframerate(16000)
        wav.writeframes(bytes(range(256)) * 600)
    return path.read_bytes()


async def write_recording(app: FastAPI, session_id: str) -> bytes:
    """A real WAV file in the recordings directory, stored as the session's recording."""
    services = app.state.services
    async with services.database.transaction() as db:
        session = await db.get(SessionRow, session_id)
        assert session is not None
        name = recording_name(session.company_id, session_id)
        audio = await asyncio.to_thread(_write_wav, services.settings.recordings_dir / name)
        await transcripts.save_recording(
            db,
            session.company_id,
            session_id,
            path=name,
            sample_rate=16000,
            channels=2,
            duration_s=2.4,
            status="ready",
            now=services.clock.now(),
        )
    return audio


def open_zip(response: httpx.Response) -> zipfile.ZipFile:
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "application/zip"
    assert response.headers["cache-control"] == "private, no-store"
    archive = zipfile.ZipFile(io.BytesIO(response.content))
    assert archive.testzip() is None  # every member's CRC checks out
    return archive


def read_json(archive: zipfile.ZipFile, name: str) -> Any:
    return json.loads(archive.read(name))


async def test_the_export_holds_everything_the_api_returns(app: FastAPI, api: ApiClients) -> None:
    client = await api.client()
    parsed = expect(
        await client.post(
            "/v1/resumes/parse", files=[("files", ("Jane Smith (CV) é.pdf", PDF, "application/pdf"))]
        ),
        200,
    )["results"][0]
    profile = await make_profile(client)
    template = await make_template(client)
    stage = await make_stage(client, template["id"], profile["id"], pass_threshold=60)
    person_body = inline_participant(resume_file_id=parsed["resume_file_id"], tags=["senior"])
    session = await book(client, stage_id=stage["id"], participant=person_body)
    sid, pid = session["id"], session["participant_id"]
    await complete_with(app, client, sid, STRONG)
    await analysed(app, client, sid)
    expect(await client.post(f"/v1/sessions/{sid}/analysis/rerun"), 202)
    await app.state.services.analysis.wait_idle()
    audio = await write_recording(app, sid)
    # The email worker settles the invitation (not needed: the session was completed) in the background;
    # export once it has, or the export and the read after it would see two states of one email.
    for _ in range(600):
        emails = expect(await client.get(f"/v1/participants/{pid}/emails"), 200)["data"]
        if all(e["status"] != "queued" for e in emails):
            break
        await asyncio.sleep(0.05)

    response = await client.get(export_url(pid))
    archive = open_zip(response)
    assert response.headers["content-disposition"] == f'attachment; filename="participant-{pid}.zip"'
    folder = f"sessions/01-{sid}"
    assert sorted(archive.namelist()) == sorted(
        [
            "README.txt",
            "participant.json",
            "resume/Jane Smith _CV_ _.pdf",
            f"{folder}/session.json",
            f"{folder}/transcript.json",
            f"{folder}/transcript.txt",
            f"{folder}/analysis.json",
            f"{folder}/recording.wav",
        ]
    )
    # What the API says, part by part.
    person = read_json(archive, "participant.json")
    assert person["participant"] == expect(await client.get(f"/v1/participants/{pid}"), 200)
    assert person["participant"]["resume"]["filename"] == "Jane Smith (CV) é.pdf"
    assert person["participant"]["tags"] == ["senior"]
    assert person["pipeline"] == expect(await client.get(f"/v1/participants/{pid}/pipeline"), 200)
    assert person["pipeline"]["stages"][0]["result"]["outcome"]  # the stage's decision
    emails = expect(await client.get(f"/v1/participants/{pid}/emails"), 200)
    assert person["emails"] == emails["data"]
    assert [e["kind"] for e in person["emails"]] == ["invitation"]
    assert archive.read("resume/Jane Smith _CV_ _.pdf") == PDF

    details = read_json(archive, f"{folder}/session.json")
    api_session = expect(await client.get(f"/v1/sessions/{sid}"), 200)
    assert details["session"] == {**api_session, "join_url": None}
    assert details["session"]["analysis"]["general"]["overallRating"] is not None
    assert details["session"]["stage_result"] == api_session["stage_result"] is not None
    assert details["template_name"] == template["name"]
    assert details["stage_name"] == "Technical Screen"
    assert details["agent_profile_name"] == profile["name"]
    assert details["recommendation"] == api_session["analysis"]["recommendation"] == "hire"
    assert details["deleted_at"] is None
    assert details["recording"]["content_type"] == "audio/wav"

    transcript = expect(await client.get(f"/v1/sessions/{sid}/transcript"), 200)
    assert read_json(archive, f"{folder}/transcript.json") == transcript
    text = archive.read(f"{folder}/transcript.txt").decode()
    assert text.splitlines()[0].startswith("[00:00] Interviewer: ")
    assert f"Candidate: {STRONG[0]}" in text
    assert len(text.splitlines()) == len(transcript["segments"])

    versions = read_json(archive, f"{folder}/analysis.json")
    assert versions == expect(await client.get(f"/v1/sessions/{sid}/analyses"), 200)["data"]
    assert [v["version"] for v in versions] == [2, 1]
    evidence = [e for d in versions[0]["result"]["dimensions"] for e in d.get("evidence", [])]
    assert evidence, versions[0]["result"]
    assert archive.read(f"{folder}/recording.wav") == audio

    readme = archive.read("README.txt").decode()
    for part in ("participant.json", "transcript.txt", "analysis.json", "recording.wav", "resume/"):
        assert part in readme
    assert "Not included" not in readme
    # A download of recordings and scorecards is a view of them: the audit trail says who.
    audit = expect(await client.get("/v1/audit-events", params={"target_id": sid}), 200)["data"]
    assert {"recording.viewed", "scorecard.viewed"} <= {e["action"] for e in audit}
    assert all(e["detail"] == {"via": "export"} for e in audit if e["action"] == "recording.viewed")


@SQLITE
async def test_export_is_scoped_like_the_recordings(
    app: FastAPI, api: ApiClients, settings: Settings
) -> None:
    acme = await api.client("acme")
    person = await make_participant(acme)
    pid = person["id"]

    # Nothing else held: the profile alone still exports.
    archive = open_zip(await acme.get(export_url(pid)))
    assert sorted(archive.namelist()) == ["README.txt", "participant.json"]
    held = read_json(archive, "participant.json")
    assert held["participant"] == expect(await acme.get(f"/v1/participants/{pid}"), 200)
    assert held["emails"] == []

    # Another company learns nothing but that the id exists (403, as for every resource by id).
    globex = await api.client("globex")
    refused = await globex.get(export_url(pid))
    assert refused.status_code == 403
    assert "another company" in refused.json()["error"]["message"]
    assert person["email"] not in refused.text
    # Recordings are sensitive: reading participants is not enough.
    narrow = await api.client("acme", scopes=READ_ONLY)
    lacking = await narrow.get(export_url(pid))
    assert lacking.status_code == 403
    assert lacking.json()["error"]["details"]["missing_scopes"] == ["read:sessions"]
    missing = await acme.get(export_url("00000000-0000-4000-8000-000000000000"))
    assert missing.status_code == 404
    assert (await acme.get(export_url("not-an-id"))).status_code in (404, 422)
    assert (await acme.delete(f"/v1/participants/{pid}")).status_code == 204
    assert (await acme.get(export_url(pid))).status_code == 404


@SQLITE
async def test_a_missing_recording_file_is_named_in_the_readme(app: FastAPI, api: ApiClients) -> None:
    client = await api.client()
    session = await booked(client)
    await write_recording(app, session["id"])
    app.state.services.settings.recordings_dir.joinpath(
        recording_name((await _company_of(app, session["id"])), session["id"])
    ).unlink()
    archive = open_zip(await client.get(export_url(session["participant_id"])))
    assert not [n for n in archive.namelist() if n.endswith(".wav")]
    assert "the recording file is missing" in archive.read("README.txt").decode()


async def _company_of(app: FastAPI, session_id: str) -> str:
    async with app.state.services.database.transaction() as db:
        row = await db.get(SessionRow, session_id)
        assert row is not None
        return str(row.company_id)


@pytest.fixture
async def policy_app(settings: Settings, clock: StepClock) -> AsyncIterator[FastAPI]:
    changed = settings.model_copy(
        update={"privacy": PrivacySettings(policy_url="https://acme.example/privacy?lang=en")}
    )
    application = create_app(changed, clock=clock)
    async with application.router.lifespan_context(application):
        yield application


@SQLITE
async def test_the_join_state_links_the_companys_privacy_policy(
    policy_app: FastAPI, clock: StepClock
) -> None:
    api = ApiClients(policy_app, clock)
    try:
        client = await api.client()
        session = await booked(client)
        token = str(session["join_url"]).rsplit("/", 1)[1]
        state = expect(await api.raw_client().get(f"/join/{token}/state"), 200)
        assert state["privacy_policy_url"] == "https://acme.example/privacy?lang=en"
    finally:
        await api.aclose()


@SQLITE
async def test_without_a_policy_url_the_join_state_has_none(api: ApiClients) -> None:
    client = await api.client()
    session = await booked(client)
    token = str(session["join_url"]).rsplit("/", 1)[1]
    assert expect(await api.raw_client().get(f"/join/{token}/state"), 200)["privacy_policy_url"] is None


@pytest.mark.parametrize(
    "url", ["javascript:alert(1)", "data:text/html,x", "ftp://acme.example/p", "https://"]
)
def test_only_web_urls_are_accepted_as_the_policy_url(url: str) -> None:
    with pytest.raises(ValidationError, match="policy_url"):
        PrivacySettings(policy_url=url)
    assert PrivacySettings(policy_url=" ").policy_url is None
