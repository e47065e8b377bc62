"""`GET /metrics`: aggregate counters without authentication, and a clear 4xx for a bad parameter."""

from __future__ import annotations

import pytest

from tests.engine.session_helpers import error_paths, expect
from tests.helpers import ApiClients

pytestmark = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)


async def test_metrics_before_any_interview(api: ApiClients) -> None:
    raw = api.raw_client()
    metrics = expect(await raw.get("/metrics"), 200)
    assert metrics["live_sessions"] == 0
    assert metrics["asr"]["finals"] == 0
    assert metrics["turns"] == {"count": 0, "p50": None, "p95": None, "recent": []}
    listed = expect(await raw.get("/metrics", params={"recent_turns_after": 0}), 200)
    assert listed["turns"]["recent"] == []
    await raw.aclose()


@pytest.mark.parametrize("value", ["-1", "soon", "1.5"])
async def test_a_bad_recent_turns_after_is_a_422_naming_it(api: ApiClients, value: str) -> None:
    raw = api.raw_client()
    response = await raw.get("/metrics", params={"recent_turns_after": value})
    assert response.status_code == 422
    assert error_paths(response) == {"recent_turns_after"}
    await raw.aclose()
