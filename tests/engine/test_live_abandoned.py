"""Sessions nobody came back to (the candidate left, or the engine died mid-call) are ended after
IE_MEDIA__ABANDON_AFTER_H with their recording and analysis; recent and live ones are left alone."""

from __future__ import annotations

import struct
from datetime import timedelta
from pathlib import Path

import pytest
from fastapi import FastAPI

from engine.live.abandoned import end_abandoned
from engine.live.registry import recording_name
from engine.store.tables import SessionRow
from tests.engine.live_helpers import booked_session
from tests.engine.session_helpers import expect
from tests.helpers import ApiClients, StepClock

pytestmark = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)


def crashed_wav(path: Path, seconds: float) -> None:
    """A stereo 16 kHz WAV whose writer died before fixing its header sizes (they still say 0)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    header = (
        b"RIFF" + struct.pack("<I", 36) + b"WAVEfmt " + struct.pack("<IHHIIHH", 16, 1, 2, 16000, 64000, 4, 16)
    )
    path.write_bytes(header + b"data" + struct.pack("<I", 0) + bytes(int(seconds * 16000) * 4))


async def started(app: FastAPI, client_session: str) -> str:
    async with app.state.services.database.transaction() as db:
        row = await db.get(SessionRow, client_session)
        assert row is not None
        return str(row.company_id)


async def test_sessions_nobody_came_back_to_are_ended_with_their_recording(
    app: FastAPI, api: ApiClients, clock: StepClock
) -> None:
    client = await api.client()
    services = app.state.services
    abandoned, _ = await booked_session(client)
    live, _ = await booked_session(client)
    for session_id in (abandoned, live):
        expect(await client.patch(f"/v1/sessions/{session_id}", json={"status": "in_progress"}), 200)
    company = await started(app, abandoned)
    recordings = services.settings.recordings_dir
    # The sweeps here end sessions after 2 h; the engine's own sweep (24 h, run at start-up) never finds
    # them, however late a loaded machine runs it.
    settings = services.settings.model_copy(
        update={"media": services.settings.media.model_copy(update={"abandon_after_h": 2.0})}
    )
    assert services.settings.media.abandon_after_h > 2.0 + 1

    def path(company_id: str, session_id: str) -> tuple[Path, str]:
        name = recording_name(company_id, session_id)
        return recordings / name, name

    crashed_wav(path(company, abandoned)[0], 2.0)

    # Not yet: both are younger than the limit, and the link still resumes them.
    assert await end_abandoned(services.database, services.clock, settings, lambda s: False, path) == 0
    clock.advance(timedelta(hours=settings.media.abandon_after_h + 1))
    recent, _ = await booked_session(client)
    expect(await client.patch(f"/v1/sessions/{recent}", json={"status": "in_progress"}), 200)

    ended = await end_abandoned(services.database, services.clock, settings, lambda s: s == live, path)
    assert ended == 1
    session = expect(await client.get(f"/v1/sessions/{abandoned}"), 200)
    assert session["status"] == "completed"
    recording = await client.get(f"/v1/sessions/{abandoned}/recording")
    assert recording.status_code == 200
    assert len(recording.content) == 44 + 2 * 16000 * 4  # repaired: the header now counts the audio
    for untouched in (live, recent):
        assert expect(await client.get(f"/v1/sessions/{untouched}"), 200)["status"] == "in_progress"
    # Once ended, a second sweep finds nothing more while the other one is still live...
    sweep = await end_abandoned(services.database, services.clock, settings, lambda s: s == live, path)
    assert sweep == 0
    # ...and ends it once nobody is connected to it any more (it has no recording: none was made).
    assert await end_abandoned(services.database, services.clock, settings, lambda s: False, path) == 1
    assert expect(await client.get(f"/v1/sessions/{live}"), 200)["status"] == "completed"
    assert (await client.get(f"/v1/sessions/{live}/recording")).status_code == 404
