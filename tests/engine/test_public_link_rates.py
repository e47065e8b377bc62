"""Sign-ups through a public link are rate limited per client address and per link: 429 with
Retry-After and the RateLimit-* headers, and nothing booked past the limit."""

from __future__ import annotations

import httpx
import pytest
from fastapi import FastAPI

from config.settings import Settings
from tests.engine.session_helpers import expect, listed
from tests.engine.test_public_links import make_link
from tests.helpers import ApiClients


@pytest.fixture
def settings(settings: Settings) -> Settings:
    rate = settings.rate.model_copy(update={"public_per_address": "3/minute", "public_per_link": "5/minute"})
    return settings.model_copy(update={"rate": rate})


def from_address(app: FastAPI, address: str) -> httpx.AsyncClient:
    transport = httpx.ASGITransport(app=app, client=(address, 40000))
    return httpx.AsyncClient(transport=transport, base_url="http://testserver")


def candidate(n: int) -> dict[str, str]:
    return {"name": f"Candidate {n}", "email": f"c{n}@example.com"}


async def test_sign_ups_are_limited_per_address_and_per_link(
    app: FastAPI, api: ApiClients, client: httpx.AsyncClient
) -> None:
    link = await make_link(api, client)
    path = f"/public/{link.token}/sessions"
    async with from_address(app, "203.0.113.7") as first, from_address(app, "198.51.100.9") as second:
        for n in range(3):
            expect(await first.post(path, json=candidate(n)), 201)
        refused = await first.post(path, json=candidate(3))
        assert refused.status_code == 429, refused.text
        assert refused.json()["error"]["code"] == "too_many_requests"
        assert "from your address" in refused.json()["error"]["message"]
        assert 1 <= int(refused.headers["retry-after"]) <= 60
        assert refused.headers["ratelimit-limit"] == "3"
        assert refused.headers["ratelimit-remaining"] == "0"
        # Another address still gets in, until the link's own limit (5) is reached.
        for n in range(10, 12):
            expect(await second.post(path, json=candidate(n)), 201)
        crowded = await second.post(path, json=candidate(12))
        assert crowded.status_code == 429
        assert "through this link" in crowded.json()["error"]["message"]
    # Nothing was booked past the limits.
    booked = await listed(client, "/v1/sessions")
    assert len(booked) == 5
