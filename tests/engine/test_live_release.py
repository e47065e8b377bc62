"""A live session that has ended leaves nothing behind: the registry, its task group and the peer
connection's callbacks all let go of it, and its recorder's thread has finished. bench/memory_bursts.py
found no per-session object surviving a burst of sessions; this keeps it so without measuring memory.
"""

from __future__ import annotations

import asyncio
import gc
import threading
import weakref

import pytest
from fastapi import FastAPI

from media.scripted_candidate import ScriptedCandidate
from tests.engine.live_helpers import booked_session, offer_poster
from tests.helpers import ApiClients

pytestmark = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)


async def test_an_ended_session_is_released(app: FastAPI, api: ApiClients) -> None:
    client = await api.client()
    session_id, token = await booked_session(client)
    registry = app.state.services.live
    candidate = ScriptedCandidate([])
    try:
        await candidate.connect(offer_poster(api.raw_client(), token))
        live = registry.get(session_id)
        assert live is not None
        released = weakref.ref(live)
        del live
        await candidate.wait_for_sound(0.5)
        candidate.hang_up()
        await registry.wait_closed(session_id)
    finally:
        await candidate.close()
    assert registry.get(session_id) is None
    # Callbacks the loop still has queued from the closing peer connection may hold it a moment.
    for _ in range(50):
        gc.collect()
        if released() is None:
            break
        await asyncio.sleep(0.05)
    assert released() is None, [type(r).__qualname__ for r in gc.get_referrers(released())]
    assert not [t.name for t in threading.enumerate() if t.name.startswith("recorder:")]
