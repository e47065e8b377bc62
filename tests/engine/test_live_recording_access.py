"""The recording is served while the call goes on (and so after a crash), not only once it has ended."""

from __future__ import annotations

import asyncio
import io
import wave

import pytest
from fastapi import FastAPI

from media.scripted_candidate import ScriptedCandidate
from tests.engine.live_helpers import booked_session, offer_poster
from tests.helpers import ApiClients

pytestmark = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)


async def test_the_recording_so_far_is_served_during_the_call(app: FastAPI, api: ApiClients) -> None:
    client = await api.client()
    session_id, token = await booked_session(client)
    candidate = ScriptedCandidate([])
    try:
        await candidate.connect(offer_poster(api.raw_client(), token))
        await candidate.wait_for_sound(1.5)
        await asyncio.sleep(1.2)  # past the writer's next flush
        response = await client.get(f"/v1/sessions/{session_id}/recording")
        assert response.status_code == 200, response.text
        assert (await client.get(f"/v1/sessions/{session_id}")).json()["status"] == "in_progress"
        with wave.open(io.BytesIO(response.content)) as wav:
            assert (wav.getnchannels(), wav.getframerate()) == (2, 16000)
            assert wav.getnframes() > 16000  # a second and more of the call so far
    finally:
        candidate.hang_up()
        await candidate.close()
    await app.state.services.live.wait_closed(session_id)
    final = await client.get(f"/v1/sessions/{session_id}/recording")
    assert final.status_code == 200
    assert len(final.content) >= len(response.content)
