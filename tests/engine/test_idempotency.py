"""`Idempotency-Key` on POST /v1/...: a retry gets the first response, never a second resource; the same
key with another body is refused; concurrent duplicates get one result; keys are per caller and expire.
Over both databases (the keys live there, shared by every engine)."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from typing import Any

import httpx

from tests.helpers import ApiClients, profile_body

PROFILES = "/v1/agent-profiles"


async def profiles_named(client: httpx.AsyncClient, name: str) -> list[dict[str, Any]]:
    response = await client.get(PROFILES, params={"limit": 100})
    assert response.status_code == 200, response.text
    return [p for p in response.json()["data"] if p["name"] == name]


async def test_a_retry_gets_the_first_response_and_creates_nothing(api: ApiClients) -> None:
    client = await api.client()
    body = profile_body(name="Retried")
    first = await client.post(PROFILES, json=body, headers={"Idempotency-Key": "order-1"})
    assert first.status_code == 201, first.text
    assert "idempotent-replayed" not in first.headers
    again = await client.post(PROFILES, json=body, headers={"Idempotency-Key": "order-1"})
    assert again.status_code == 201
    assert again.json() == first.json()
    assert again.headers["idempotent-replayed"] == "true"
    assert again.headers.get("location") == first.headers.get("location")
    # Each response keeps its own request id.
    assert again.headers["x-request-id"] != first.headers["x-request-id"]
    assert len(await profiles_named(client, "Retried")) == 1

    # Without a key, or with another one, the request runs again.
    assert (await client.post(PROFILES, json=body, headers={"Idempotency-Key": "order-2"})).status_code == 201
    assert (await client.post(PROFILES, json=body)).status_code == 201
    assert len(await profiles_named(client, "Retried")) == 3


async def test_the_same_key_with_another_body_is_refused(api: ApiClients) -> None:
    client = await api.client()
    headers = {"Idempotency-Key": "k-42"}
    assert (await client.post(PROFILES, json=profile_body(name="One"), headers=headers)).status_code == 201
    other = await client.post(PROFILES, json=profile_body(name="Two"), headers=headers)
    assert other.status_code == 422, other.text
    assert other.json()["error"]["code"] == "idempotency_key_reused"
    assert "Idempotency-Key" in other.json()["error"]["message"]
    assert await profiles_named(client, "Two") == []

    # A client error is an answer too: replayed, not run again.
    bad = {"name": "Bad", "rubric": [{"name": "Only", "weight": 50}]}
    refused = await client.post(PROFILES, json=bad, headers={"Idempotency-Key": "k-43"})
    assert refused.status_code == 422
    replayed = await client.post(PROFILES, json=bad, headers={"Idempotency-Key": "k-43"})
    assert replayed.status_code == 422
    assert replayed.headers["idempotent-replayed"] == "true"
    assert replayed.json() == refused.json()

    for key in (b"", b"x" * 256, b"bad key", "caf\u00e9".encode()):
        invalid = await client.post(
            PROFILES, json=profile_body(name="Never"), headers=[(b"Idempotency-Key", key)]
        )
        assert invalid.status_code == 400, (key, invalid.text)
        assert invalid.json()["error"]["details"] == {"header": "Idempotency-Key"}
    assert await profiles_named(client, "Never") == []


async def test_concurrent_duplicates_get_one_result(api: ApiClients) -> None:
    client = await api.client()
    body = profile_body(name="Raced")
    responses = await asyncio.gather(
        *(client.post(PROFILES, json=body, headers={"Idempotency-Key": "race"}) for _ in range(6))
    )
    assert {r.status_code for r in responses} == {201}, [r.text for r in responses]
    assert len({r.json()["id"] for r in responses}) == 1
    assert sum(r.headers.get("idempotent-replayed") == "true" for r in responses) == 5
    assert len(await profiles_named(client, "Raced")) == 1


async def test_keys_are_per_caller_and_expire_after_a_day(api: ApiClients) -> None:
    acme = await api.client("acme")
    other = await api.client("globex")
    headers = {"Idempotency-Key": "shared-name"}
    mine = await acme.post(PROFILES, json=profile_body(name="Mine"), headers=headers)
    theirs = await other.post(PROFILES, json=profile_body(name="Theirs"), headers=headers)
    assert mine.status_code == theirs.status_code == 201
    assert mine.json()["id"] != theirs.json()["id"]
    assert len(await profiles_named(other, "Mine")) == 0  # nothing of acme's reached globex

    api.clock.advance(timedelta(hours=24, seconds=1))
    later = await acme.post(PROFILES, json=profile_body(name="Mine"), headers=headers)
    assert later.status_code == 201
    assert "idempotent-replayed" not in later.headers
    assert later.json()["id"] != mine.json()["id"]
