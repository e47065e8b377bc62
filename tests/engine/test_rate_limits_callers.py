"""Per-caller and sign-in rate limits: past the limit a 429 with `Retry-After` and the RateLimit-*
headers, per credential (another key is not slowed down), and the window frees again."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from fastapi import FastAPI

from config.settings import RateSettings, Settings
from engine.app import create_app
from tests.helpers import ApiClients, StepClock

pytestmark = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)


@pytest.fixture
async def app(settings: Settings, clock: StepClock) -> AsyncIterator[FastAPI]:
    tight = settings.model_copy(
        update={"rate": RateSettings(per_caller="5/minute", sign_in_per_address="3/minute")}
    )
    application = create_app(tight, clock=clock)
    async with application.router.lifespan_context(application):
        yield application


async def test_each_credential_has_its_own_budget(api: ApiClients) -> None:
    busy = await api.client()
    calm = await api.client()
    for _ in range(5):
        assert (await busy.get("/v1/agent-profiles")).status_code == 200
    refused = await busy.get("/v1/agent-profiles")
    assert refused.status_code == 429, refused.text
    assert refused.json()["error"]["code"] == "too_many_requests"
    assert 1 <= int(refused.headers["retry-after"]) <= 60
    assert refused.headers["ratelimit-limit"] == "5"
    assert refused.headers["ratelimit-remaining"] == "0"
    # Writes count too, and are refused before they change anything.
    assert (await busy.post("/v1/agent-profiles", json={"name": "X"})).status_code == 429
    assert (await calm.get("/v1/agent-profiles")).status_code == 200


async def test_sign_in_attempts_are_limited_per_address(api: ApiClients) -> None:
    client = api.raw_client({"Origin": "http://testserver"})
    body = {"email": "nobody@example.com", "password": "wrong password 1"}
    statuses = [(await client.post("/v1/auth/login", json=body)).status_code for _ in range(4)]
    assert statuses[:3] == [401, 401, 401], statuses
    assert statuses[3] == 429
