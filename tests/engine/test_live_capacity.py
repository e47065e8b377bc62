"""Offers that never connect cannot lock candidates out: a peer holds a live slot only once connected,
and peers still connecting have a budget of their own."""

from __future__ import annotations

import httpx
import pytest
from aiortc import RTCPeerConnection
from fastapi import FastAPI

from config.settings import Settings
from media.scripted_candidate import ScriptedCandidate
from tests.engine.live_helpers import booked_session, offer_poster
from tests.helpers import ApiClients

pytestmark = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)


@pytest.fixture
def settings(settings: Settings) -> Settings:
    media = settings.media.model_copy(update={"max_live_sessions": 1, "max_connecting": 3})
    return settings.model_copy(update={"media": media})


async def fake_offer(raw: httpx.AsyncClient, token: str) -> httpx.Response:
    """A well-formed offer from a peer that goes away at once: it will never connect."""
    pc = RTCPeerConnection()
    try:
        pc.addTransceiver("audio", direction="sendrecv")
        await pc.setLocalDescription(await pc.createOffer())
        body = {"sdp": pc.localDescription.sdp, "type": "offer", "consent": True}
        return await raw.post(f"/join/{token}/offer", json=body)
    finally:
        await pc.close()


async def test_offers_that_never_connect_do_not_take_the_candidates_slot(
    app: FastAPI, api: ApiClients
) -> None:
    client = await api.client()
    raw = api.raw_client()
    for _ in range(2):
        _, token = await booked_session(client)
        assert (await fake_offer(raw, token)).status_code == 200
    # Two peers are still "connecting"; the only live slot is free for a real candidate.
    session_id, token = await booked_session(client)
    candidate = ScriptedCandidate([])
    try:
        await candidate.connect(offer_poster(raw, token))
        await candidate.wait_for_sound(timeout_s=15)  # the interviewer speaks to the real candidate
        # That slot is now taken: a second real call gets a clear 503...
        _, other = await booked_session(client)
        busy = await fake_offer(raw, other)
        assert busy.status_code == 503, busy.text
        assert "slots are busy" in busy.text
    finally:
        candidate.hang_up()
        await candidate.close()
    await app.state.services.live.wait_closed(session_id)
    # ...and connecting peers have their own budget: the third one still fits, the fourth does not.
    _, token = await booked_session(client)
    assert (await fake_offer(raw, token)).status_code == 200
    _, token = await booked_session(client)
    crowded = await fake_offer(raw, token)
    assert crowded.status_code == 503, crowded.text
    assert "connecting" in crowded.text
