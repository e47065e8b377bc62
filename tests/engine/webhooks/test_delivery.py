"""Webhook delivery against a real receiver on loopback: signed (checked with `standardwebhooks`),
retried with the same webhook-id, 410 and Retry-After honoured, nothing lost across a restart."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from standardwebhooks.webhooks import Webhook

from config.settings import Settings, WebhookSettings
from engine.app import create_app
from tests.engine.session_helpers import (
    book,
    error_paths,
    expect,
    inline_participant,
    make_profile,
    make_stage,
    make_template,
)
from tests.helpers import ApiClients, StepClock
from tests.webhook_receiver import WebhookReceiver

pytestmark = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)

FAST = WebhookSettings(retry_schedule_s=[0, 0.3, 0.3, 0.3], poll_s=0.1, timeout_s=2, allow_private=True)


@pytest.fixture
def receiver() -> Iterator[WebhookReceiver]:
    server = WebhookReceiver()
    server.start()
    try:
        yield server
    finally:
        server.stop()


@asynccontextmanager
async def engine(
    settings: Settings, webhooks: WebhookSettings = FAST
) -> AsyncIterator[tuple[FastAPI, httpx.AsyncClient]]:
    # The real clock: retries wait in real time.
    app = create_app(settings.model_copy(update={"webhooks": webhooks}))
    async with app.router.lifespan_context(app):
        api = ApiClients(app, StepClock(app.state.services.clock.now()))
        client = await api.client()
        try:
            yield app, client
        finally:
            await api.aclose()


async def until(predicate: Any, timeout_s: float = 10.0) -> None:
    """Polls: the receiver records requests in its own thread."""
    for _ in range(int(timeout_s / 0.05)):
        if predicate():
            return
        await asyncio.sleep(0.05)
    raise AssertionError("timed out waiting for the receiver")


async def register(client: httpx.AsyncClient, url: str, **body: Any) -> dict[str, Any]:
    return expect(await client.post("/v1/webhook-endpoints", json={"url": url, **body}), 201)


async def test_events_arrive_signed_with_the_ids_and_external_id(
    settings: Settings, receiver: WebhookReceiver
) -> None:
    async with engine(settings) as (_, client):
        endpoint = await register(
            client, receiver.url, event_types=["session.scheduled", "session.completed"]
        )
        assert endpoint["secret"].startswith("whsec_")
        shown = expect(await client.get(f"/v1/webhook-endpoints/{endpoint['id']}"), 200)
        assert "secret" not in shown  # shown once
        profile = await make_profile(client)
        template = await make_template(client)
        stage = await make_stage(client, template["id"], profile["id"])
        person = inline_participant(external_id="greenhouse-42")
        session = await book(client, stage_id=stage["id"], participant=person, is_test=True)
        await until(lambda: len(receiver.received) >= 2)
        await asyncio.sleep(0.3)  # nothing else arrives: analysis.completed was not subscribed
    assert len(receiver.received) == 2
    hook = Webhook(endpoint["secret"])
    bodies = [hook.verify(r.body, r.headers) for r in receiver.received]
    # Deliveries run concurrently, so they may arrive in any order (receivers order by timestamp).
    assert sorted(b["type"] for b in bodies) == ["session.completed", "session.scheduled"]
    for body in bodies:
        assert set(body) == {"type", "timestamp", "data"}
        assert body["data"]["session_id"] == session["id"]
        assert body["data"]["external_id"] == "greenhouse-42"
        assert body["data"]["is_test"] is True
    assert len({r.headers["webhook-id"] for r in receiver.received}) == 2
    assert all(r.headers["content-type"] == "application/json" for r in receiver.received)


async def test_a_receiver_that_is_down_for_a_while_gets_everything_once_back(
    settings: Settings, receiver: WebhookReceiver
) -> None:
    receiver.answer((500, {}), (502, {}))
    async with engine(settings) as (_, client):
        endpoint = await register(client, receiver.url, event_types=["webhook.test"])
        delivery = expect(await client.post(f"/v1/webhook-endpoints/{endpoint['id']}/test"), 202)
        await until(lambda: len(receiver.received) >= 3)
        await asyncio.sleep(0.5)
        listed = expect(await client.get(f"/v1/webhook-endpoints/{endpoint['id']}/deliveries"), 200)["data"]
    ids = [r.headers["webhook-id"] for r in receiver.received]
    assert ids == [delivery["event_id"]] * 3  # retried under the same id, and no more once it succeeded
    Webhook(endpoint["secret"]).verify(receiver.received[-1].body, receiver.received[-1].headers)
    (done,) = listed
    assert (done["status"], done["attempts"], done["last_status_code"]) == ("succeeded", 3, 200)
    assert [a["status_code"] for a in done["attempt_log"]] == [200, 502, 500]  # newest first


async def test_the_schedule_runs_out_then_manual_redelivery(
    settings: Settings, receiver: WebhookReceiver
) -> None:
    receiver.answer(*[(500, {})] * 4)
    async with engine(settings) as (_, client):
        endpoint = await register(client, receiver.url)
        delivery = expect(await client.post(f"/v1/webhook-endpoints/{endpoint['id']}/test"), 202)
        path = f"/v1/webhook-deliveries?event_id={delivery['event_id']}"
        await until(lambda: len(receiver.received) >= 4)
        await asyncio.sleep(0.3)
        (failed,) = expect(await client.get(path), 200)["data"]
        assert (failed["status"], failed["attempts"], failed["next_attempt_at"]) == ("failed", 4, None)
        again = expect(await client.post(f"/v1/webhook-deliveries/{failed['id']}/redeliver"), 202)
        assert again["status"] == "pending"
        await until(lambda: len(receiver.received) >= 5)
        await asyncio.sleep(0.2)
        (done,) = expect(await client.get(path), 200)["data"]
    assert done["status"] == "succeeded"
    assert {r.headers["webhook-id"] for r in receiver.received} == {delivery["event_id"]}


async def test_410_disables_the_endpoint(settings: Settings, receiver: WebhookReceiver) -> None:
    receiver.answer((410, {}))
    async with engine(settings) as (_, client):
        endpoint = await register(client, receiver.url)
        expect(await client.post(f"/v1/webhook-endpoints/{endpoint['id']}/test"), 202)
        await until(lambda: len(receiver.received) >= 1)
        await asyncio.sleep(0.3)
        shown = expect(await client.get(f"/v1/webhook-endpoints/{endpoint['id']}"), 200)
        assert shown["enabled"] is False
        assert "410" in shown["disabled_reason"]
        await make_profile(client)  # more events: none is sent to a disabled endpoint
        await asyncio.sleep(0.5)
        assert len(receiver.received) == 1
        r = await client.post(f"/v1/webhook-endpoints/{endpoint['id']}/test")
        delivery = expect(r, 202)
        redo = await client.post(f"/v1/webhook-deliveries/{delivery['id']}/redeliver")
        assert redo.status_code == 409
        # Enabled again by its owner, it receives again.
        enabled = expect(
            await client.patch(f"/v1/webhook-endpoints/{endpoint['id']}", json={"enabled": True}), 200
        )
        assert (enabled["enabled"], enabled["disabled_reason"]) == (True, None)
        expect(await client.post(f"/v1/webhook-endpoints/{endpoint['id']}/test"), 202)
        await until(lambda: len(receiver.received) >= 2)


async def test_retry_after_is_honoured(settings: Settings, receiver: WebhookReceiver) -> None:
    receiver.answer((429, {"Retry-After": "1"}))
    async with engine(settings) as (_, client):
        endpoint = await register(client, receiver.url)
        expect(await client.post(f"/v1/webhook-endpoints/{endpoint['id']}/test"), 202)
        await until(lambda: len(receiver.received) >= 1)
        first = time.monotonic()
        await until(lambda: len(receiver.received) >= 2)
        waited = time.monotonic() - first
    assert waited >= 0.9, waited  # not the 0.3 s of the schedule


async def test_an_event_waiting_when_the_engine_stopped_is_delivered_after_the_restart(
    settings: Settings, receiver: WebhookReceiver
) -> None:
    asleep = FAST.model_copy(update={"poll_s": 60})  # the dispatcher does not get to it before the stop
    async with engine(settings, asleep) as (_, client):
        endpoint = await register(client, receiver.url, event_types=["participant.created"])
        await asyncio.sleep(0.5)  # its start-up pass is over; the next one is a minute away
        await client.post("/v1/participants", json={"name": "Sam Lee", "email": "sam@example.com"})
        await asyncio.sleep(0.3)
    assert receiver.received == []
    async with engine(settings) as (_, client):
        await until(lambda: len(receiver.received) >= 1)
        await asyncio.sleep(0.3)
    (got,) = receiver.received
    body = Webhook(endpoint["secret"]).verify(got.body, got.headers)
    assert body["type"] == "participant.created"


async def test_rotation_signs_with_both_secrets_for_a_while(
    settings: Settings, receiver: WebhookReceiver
) -> None:
    async with engine(settings) as (_, client):
        endpoint = await register(client, receiver.url)
        rotated = expect(await client.post(f"/v1/webhook-endpoints/{endpoint['id']}/rotate-secret"), 200)
        assert rotated["secret"] != endpoint["secret"]
        assert rotated["secret_rotating_until"] is not None
        expect(await client.post(f"/v1/webhook-endpoints/{endpoint['id']}/test"), 202)
        await until(lambda: len(receiver.received) >= 1)
    got = receiver.received[0]
    for secret in (endpoint["secret"], rotated["secret"]):
        assert Webhook(secret).verify(got.body, got.headers)["type"] == "webhook.test"


async def test_bad_endpoints_are_refused_naming_the_field(settings: Settings) -> None:
    async with engine(settings) as (_, client):
        for body, field in (
            ({"url": "ftp://example.com/x"}, "url"),
            ({"url": "https://user:pw@example.com/x"}, "url"),
            ({"url": "https://example.com/x", "event_types": ["session.exploded"]}, "event_types"),
            ({"url": "https://example.com/x", "enabled": "yes"}, "enabled"),
            ({"url": "https://example.com/x", "secret": "mine"}, "secret"),
        ):
            r = await client.post("/v1/webhook-endpoints", json=body)
            assert r.status_code == 422, (body, r.text)
            assert error_paths(r) == {field}, (body, r.text)
        missing = "00000000-0000-4000-8000-000000000000"
        assert (await client.get(f"/v1/webhook-endpoints/{missing}")).status_code == 404
        assert (await client.post(f"/v1/webhook-deliveries/{missing}/redeliver")).status_code == 404
        r = await client.get("/v1/webhook-deliveries", params={"event_id": "nope"})
        assert r.status_code == 422


async def _settled(client: httpx.AsyncClient, path: str, timeout_s: float = 10.0) -> dict[str, Any]:
    """The one delivery `path` lists, once it is no longer pending: polled (the dispatcher runs on its
    own schedule), with a deadline generous enough for a loaded CI machine."""
    deadline = time.monotonic() + timeout_s
    while True:
        listed = expect(await client.get(path), 200)["data"]
        if listed and listed[0]["status"] != "pending":
            (delivery,) = listed
            return dict(delivery)
        if time.monotonic() > deadline:
            raise AssertionError(f"the delivery is still pending after {timeout_s} s: {listed}")
        await asyncio.sleep(0.05)


async def test_private_addresses_are_refused_unless_allowed(
    settings: Settings, receiver: WebhookReceiver
) -> None:
    strict = FAST.model_copy(update={"allow_private": False, "retry_schedule_s": [0]})
    async with engine(settings, strict) as (_, client):
        endpoint = await register(client, receiver.url)
        delivery = expect(await client.post(f"/v1/webhook-endpoints/{endpoint['id']}/test"), 202)
        path = f"/v1/webhook-deliveries?event_id={delivery['event_id']}"
        failed = await _settled(client, path)
    assert receiver.received == []
    assert failed["status"] == "failed"
    assert "private address" in failed["last_error"]
