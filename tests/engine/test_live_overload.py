"""An engine whose measured load is high refuses a new live session with a clear 503 and says so in
/metrics (the load is injected into its gate: saturating the CPU in a test would prove nothing reliably)."""

from __future__ import annotations

import pytest
from fastapi import FastAPI

from config.settings import Settings
from engine.live.load import LoadLevel
from media.scripted_candidate import ScriptedCandidate
from tests.engine.live_helpers import booked_session, offer_poster
from tests.engine.test_live_capacity import fake_offer
from tests.helpers import ApiClients

pytestmark = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)


@pytest.fixture
def settings(settings: Settings) -> Settings:
    # No hold: a level lasts as long as the signal, so the test need not wait out the default 10 s.
    return settings.model_copy(update={"load": settings.load.model_copy(update={"hold_s": 0.0})})


def metric(text: str, name: str) -> float:
    for line in text.splitlines():
        if line.startswith(f"interview_engine_{name} "):
            return float(line.split()[1])
    raise AssertionError(f"{name} not in /metrics")


async def test_a_new_join_gets_503_while_the_engine_is_overloaded(app: FastAPI, api: ApiClients) -> None:
    client = await api.client()
    raw = api.raw_client()
    load = app.state.services.live.runtime.load
    # Five seconds of a loop waking 200 ms late, as the monitor would have measured them.
    for _ in range(50):
        load.gate.lag(0.2)
    assert load.gate.level is LoadLevel.FULL
    # Nobody is talking yet, so there is nobody to protect: the first candidate is let in.
    session_id, token = await booked_session(client)
    candidate = ScriptedCandidate([])
    try:
        await candidate.connect(offer_poster(raw, token))
        await candidate.wait_for_sound(timeout_s=15)
        before = (await raw.get("/metrics")).text
        assert metric(before, 'load_refused_sessions_total{reason="overloaded"}') == 0
        assert metric(before, 'load_refused_sessions_total{reason="join_burst"}') == 0

        # With one talking, the next one is refused while the load holds.
        for _ in range(50):
            load.gate.lag(0.2)
        _, other = await booked_session(client)
        refused = await fake_offer(raw, other)
        assert refused.status_code == 503, refused.text
        assert refused.headers["Retry-After"] == "30"
        error = refused.json()["error"]
        assert error["code"] == "service_unavailable"
        assert "at capacity" in error["message"]
        assert error["details"] == {"reason": "overloaded", "retry_after_s": 30}
        after = (await raw.get("/metrics")).text
        assert metric(after, "load_level") == 2
        assert metric(after, "load_loop_lag_seconds") > 0.06
        assert metric(after, 'load_refused_sessions_total{reason="overloaded"}') == 1
        assert metric(after, 'load_refused_sessions_total{reason="join_burst"}') == 0

        # Once the mean lag is back under the limit (no hold in this test), the same link is admitted.
        for _ in range(1000):
            load.gate.lag(0.0)
        assert (await fake_offer(raw, other)).status_code == 200
    finally:
        candidate.hang_up()
        await candidate.close()
    await app.state.services.live.wait_closed(session_id)
