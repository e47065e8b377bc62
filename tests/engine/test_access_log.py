"""Join and public-link tokens are credentials: the access log never shows them."""

from __future__ import annotations

import logging

import pytest

from engine.api.access_log import redact_path
from tests.engine.live_helpers import booked_session
from tests.helpers import ApiClients


async def test_tokens_are_redacted_from_the_access_log(
    api: ApiClients, caplog: pytest.LogCaptureFixture
) -> None:
    client = await api.client()
    _, token = await booked_session(client)
    raw = api.raw_client()
    with caplog.at_level(logging.INFO, logger="engine.access"):
        assert (await raw.get(f"/join/{token}/state")).status_code == 200
        assert (await raw.get("/public/some-public-token/state")).status_code == 404
    await raw.aclose()
    lines = [r.getMessage() for r in caplog.records if r.name == "engine.access"]
    assert any('"GET /join/<token>/state" 200' in line for line in lines), lines
    assert any('"GET /public/<token>/state" 404' in line for line in lines), lines
    assert not any(token in line or "some-public-token" in line for line in lines)


@pytest.mark.parametrize(
    ("path", "logged"),
    [
        ("/join/abc", "/join/<token>"),
        ("/join/abc/offer", "/join/<token>/offer"),
        ("/public/xyz/sessions", "/public/<token>/sessions"),
        ("/v1/sessions/123", "/v1/sessions/123"),
        ("/assets/join/main.js", "/assets/join/main.js"),
    ],
)
def test_redact_path(path: str, logged: str) -> None:
    assert redact_path(path) == logged
