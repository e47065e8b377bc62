"""API keys: authentication failures (401), scopes (403 naming the missing ones), and storage (hash only)."""

from __future__ import annotations

import hashlib
from datetime import timedelta
from typing import Any

import httpx
from fastapi import FastAPI
from sqlalchemy import select, text, update

from engine.auth import ALL_SCOPES
from engine.store.tables import ApiKeyRow
from tests.engine.session_helpers import (
    JSON,
    World,
    book,
    expect,
    inline_participant,
    snapshot,
)
from tests.helpers import ApiClients, StepClock, participant_body, profile_body, template_body

MISSING = "00000000-0000-4000-8000-000000000000"


def split_key(key: str) -> tuple[str, str]:
    prefix, key_id, secret = key.split("_", 2)
    assert prefix == "ie"
    return key_id, secret


def assert_unauthorized(response: httpx.Response, *secrets: str) -> None:
    assert response.status_code == 401, response.text
    assert response.headers["WWW-Authenticate"] == "Bearer"
    error = response.json()["error"]
    assert error["code"] == "unauthorized"
    for secret in secrets:
        assert secret not in response.text  # never echoed back


async def test_requests_without_a_valid_key_are_401(api: ApiClients) -> None:
    key = await api.key("acme")
    key_id, secret = split_key(key)
    good = api.raw_client({"Authorization": f"Bearer {key}"})
    expect(await good.get("/v1/sessions"), 200)

    wrong_secret = "x" + secret[1:] if secret[0] != "x" else "y" + secret[1:]
    unknown_id = "0123456789abcdef" if key_id != "0123456789abcdef" else "fedcba9876543210"
    headers: list[dict[str, str]] = [
        {},  # no header
        {"Authorization": ""},
        {"Authorization": "Bearer"},
        {"Authorization": "Bearer    "},
        {"Authorization": f"Basic {key}"},  # wrong scheme
        {"Authorization": f"Token {key}"},
        {"Authorization": key},  # scheme missing
        {"Authorization": "Bearer garbage"},
        {"Authorization": "Bearer ie_nothex!!nothex!!_secret"},
        {"Authorization": f"Bearer ie_{key_id.upper()}_{secret}"},
        {"Authorization": f"Bearer xx_{key_id}_{secret}"},
        {"Authorization": f"Bearer ie_{key_id}_"},
        {"Authorization": f"Bearer ie_{key_id}"},
        {"Authorization": f"Bearer ie_{key_id}_{wrong_secret}"},  # right id, wrong secret
        {"Authorization": f"Bearer ie_{key_id}_{secret}x"},
        {"Authorization": f"Bearer ie_{key_id}_{secret[:-1]}"},
        {"Authorization": f"Bearer ie_{key_id}_{'a' * 129}"},
        {"Authorization": f"Bearer ie_{unknown_id}_{secret}"},  # right secret, unknown id
        {"X-API-Key": key},  # the wrong header
    ]
    for header in headers:
        c = api.raw_client(header)
        assert_unauthorized(await c.get("/v1/sessions"), secret)
        # Authentication comes first: no 404/422 reveals anything to an unauthenticated caller.
        assert_unauthorized(await c.get(f"/v1/sessions/{MISSING}"), secret)
        assert_unauthorized(await c.post("/v1/sessions", json={"nonsense": True}), secret)
        assert_unauthorized(await c.delete(f"/v1/agent-profiles/{MISSING}"), secret)
    # The scheme is case-insensitive (RFC 7235), and surrounding spaces are tolerated.
    for header_value in (f"bearer {key}", f"BEARER {key}", f"Bearer  {key} "):
        expect(await api.raw_client({"Authorization": header_value}).get("/v1/sessions"), 200)
    assert (await api.raw_client().get("/healthz")).status_code == 200  # liveness needs no key


async def test_keys_are_stored_only_as_a_sha256_hash(app: FastAPI, api: ApiClients) -> None:
    key = await api.key("acme", scopes=["read:sessions"])
    key_id, secret = split_key(key)
    client = api.raw_client({"Authorization": f"Bearer {key}"})
    assert (await client.get(f"/v1/sessions/{MISSING}")).status_code == 404  # the key authenticates
    database = app.state.services.database
    async with database.transaction() as db:
        row = await db.get(ApiKeyRow, key_id)
        assert row is not None
        assert row.secret_hash == hashlib.sha256(secret.encode()).hexdigest()
        assert row.scopes == ["read:sessions"]
        assert row.revoked_at is None
        raw = (await db.execute(text("SELECT * FROM api_keys"))).all()
    cells = [str(cell) for record in raw for cell in record]
    assert any(key_id in cell for cell in cells)
    for cell in cells:
        assert secret not in cell
        assert key not in cell
    assert len(raw) == 1


async def test_revoked_key_is_401(app: FastAPI, api: ApiClients, clock: StepClock) -> None:
    key = await api.key("acme")
    key_id, _ = split_key(key)
    client = api.raw_client({"Authorization": f"Bearer {key}"})
    expect(await client.get("/v1/templates"), 200)
    async with app.state.services.database.transaction() as db:
        await db.execute(update(ApiKeyRow).where(ApiKeyRow.id == key_id).values(revoked_at=clock.now()))
    assert_unauthorized(await client.get("/v1/templates"))
    other = await api.client("acme")
    expect(await other.get("/v1/templates"), 200)  # only that key stops working


async def test_last_used_at_is_recorded_at_minute_resolution(
    app: FastAPI, api: ApiClients, clock: StepClock
) -> None:
    key = await api.key("acme")
    key_id, _ = split_key(key)
    client = api.raw_client({"Authorization": f"Bearer {key}"})

    async def last_used() -> Any:
        async with app.state.services.database.transaction() as db:
            return await db.scalar(select(ApiKeyRow.last_used_at).where(ApiKeyRow.id == key_id))

    assert await last_used() is None
    expect(await client.get("/v1/templates"), 200)
    first = await last_used()
    assert first is not None
    expect(await client.get("/v1/templates"), 200)
    assert await last_used() == first  # within the minute: no write per request
    clock.advance(timedelta(minutes=2))
    expect(await client.get("/v1/templates"), 200)
    assert await last_used() > first


async def _missing_scopes(client: httpx.AsyncClient, method: str, path: str, body: Any) -> list[str]:
    r = (
        await client.request(method, path, json=body)
        if body is not None
        else await client.request(method, path)
    )
    assert r.status_code == 403, (method, path, r.text)
    error = r.json()["error"]
    assert error["code"] == "forbidden"
    missing: list[str] = error["details"]["missing_scopes"]
    for scope in missing:
        assert scope in error["message"]
    return missing


async def test_every_endpoint_names_the_scopes_it_needs(api: ApiClients) -> None:
    admin = await api.client("acme")
    w = await World(admin).build()
    s = await book(admin, participant_id=w.participant["id"], agent_profile_id=w.profile["id"])
    hook = expect(await admin.post("/v1/webhook-endpoints", json={"url": "https://127.0.0.1:9/hooks"}), 201)
    test = expect(await admin.post(f"/v1/webhook-endpoints/{hook['id']}/test"), 202)
    key = expect(await admin.post("/v1/api-keys", json={"name": "k", "scopes": ["read:templates"]}), 201)
    before = await snapshot(admin)
    pid, tid, sid, stage, person = (
        w.profile["id"],
        w.template["id"],
        s["id"],
        w.stage["id"],
        w.participant["id"],
    )
    matrix: list[tuple[str, str, Any, list[str]]] = [
        ("GET", "/v1/agent-profiles", None, ["read:agent_profiles"]),
        ("POST", "/v1/agent-profiles", profile_body(), ["write:agent_profiles"]),
        ("GET", f"/v1/agent-profiles/{pid}", None, ["read:agent_profiles"]),
        ("PATCH", f"/v1/agent-profiles/{pid}", {"name": "Renamed"}, ["write:agent_profiles"]),
        ("DELETE", f"/v1/agent-profiles/{pid}", None, ["delete:agent_profiles"]),
        ("GET", "/v1/templates", None, ["read:templates"]),
        ("GET", "/v1/templates/presets", None, ["read:templates"]),
        ("POST", "/v1/templates", template_body(), ["write:templates"]),
        ("GET", f"/v1/templates/{tid}", None, ["read:templates"]),
        ("PATCH", f"/v1/templates/{tid}", {"name": "Renamed"}, ["write:templates"]),
        ("DELETE", f"/v1/templates/{tid}", None, ["delete:templates"]),
        ("GET", f"/v1/templates/{tid}/public-link", None, ["read:templates"]),
        ("PUT", f"/v1/templates/{tid}/public-link", {"enabled": True}, ["write:templates"]),
        ("GET", f"/v1/templates/{tid}/stages", None, ["read:stages", "read:templates"]),
        (
            "POST",
            f"/v1/templates/{tid}/stages",
            {"name": "Final", "agent_profile_id": pid},
            ["read:templates", "write:stages"],
        ),
        (
            "PUT",
            f"/v1/templates/{tid}/stages/order",
            {"stage_ids": [stage]},
            ["read:templates", "write:stages"],
        ),
        ("GET", f"/v1/stages/{stage}", None, ["read:stages"]),
        ("PATCH", f"/v1/stages/{stage}", {"name": "Renamed"}, ["write:stages"]),
        ("DELETE", f"/v1/stages/{stage}", None, ["delete:stages"]),
        ("GET", "/v1/participants", None, ["read:participants"]),
        ("POST", "/v1/participants", participant_body(email="new@example.com"), ["write:participants"]),
        (
            "POST",
            "/v1/participants/bulk",
            {"participants": [participant_body(email="bulk@example.com")]},
            ["write:participants"],
        ),
        ("GET", f"/v1/participants/{person}", None, ["read:participants"]),
        ("PATCH", f"/v1/participants/{person}", {"name": "Renamed"}, ["write:participants"]),
        ("DELETE", f"/v1/participants/{person}", None, ["delete:participants"]),
        ("GET", "/v1/sessions", None, ["read:agent_profiles", "read:participants", "read:sessions"]),
        ("GET", f"/v1/sessions/{sid}", None, ["read:sessions"]),
        ("PATCH", f"/v1/sessions/{sid}", {"status": "cancelled"}, ["write:sessions"]),
        ("POST", f"/v1/sessions/{sid}/cancel", None, ["write:sessions"]),
        ("POST", f"/v1/sessions/{sid}/retake", None, ["read:participants", "write:sessions"]),
        ("GET", f"/v1/sessions/{sid}/join-link", None, ["read:sessions"]),
        ("GET", f"/v1/sessions/{sid}/analyses", None, ["read:sessions"]),
        ("POST", f"/v1/sessions/{sid}/analysis/rerun", None, ["write:sessions"]),
        ("POST", f"/v1/sessions/{sid}/approve", None, ["write:sessions"]),
        ("POST", f"/v1/sessions/{sid}/reject", None, ["write:sessions"]),
        ("GET", f"/v1/participants/{person}/pipeline", None, ["read:participants", "read:sessions"]),
        ("DELETE", f"/v1/sessions/{sid}", None, ["delete:sessions"]),
        ("GET", "/v1/events", None, ["read:events"]),
        ("GET", "/v1/webhook-endpoints", None, ["read:webhooks"]),
        ("POST", "/v1/webhook-endpoints", {"url": "https://127.0.0.1:9/x"}, ["write:webhooks"]),
        ("GET", f"/v1/webhook-endpoints/{hook['id']}", None, ["read:webhooks"]),
        ("PATCH", f"/v1/webhook-endpoints/{hook['id']}", {"description": "x"}, ["write:webhooks"]),
        ("POST", f"/v1/webhook-endpoints/{hook['id']}/rotate-secret", None, ["write:webhooks"]),
        ("POST", f"/v1/webhook-endpoints/{hook['id']}/test", None, ["write:webhooks"]),
        ("GET", f"/v1/webhook-endpoints/{hook['id']}/deliveries", None, ["read:webhooks"]),
        ("GET", "/v1/webhook-deliveries", None, ["read:webhooks"]),
        ("POST", f"/v1/webhook-deliveries/{test['id']}/redeliver", None, ["write:webhooks"]),
        ("DELETE", f"/v1/webhook-endpoints/{hook['id']}", None, ["delete:webhooks"]),
        ("GET", "/v1/api-keys", None, ["read:api_keys"]),
        ("POST", "/v1/api-keys", {"name": "k", "scopes": ["read:templates"]}, ["write:api_keys"]),
        ("GET", f"/v1/api-keys/{key['id']}", None, ["read:api_keys"]),
        ("DELETE", f"/v1/api-keys/{key['id']}", None, ["delete:api_keys"]),
    ]
    nothing = await api.client("acme", scopes=[])
    for method, path, body, needed in matrix:
        assert await _missing_scopes(nothing, method, path, body) == needed, (method, path)
        # Each needed scope is needed: a key with all the others still gets 403 naming just that one.
        for scope in needed:
            almost = await api.client("acme", scopes=[x for x in ALL_SCOPES if x != scope])
            assert await _missing_scopes(almost, method, path, body) == [scope], (method, path, scope)
    # Exactly the needed scopes suffice (reads only, so the data stays as it was).
    for method, path, needed in (
        ("GET", f"/v1/sessions/{sid}", ["read:sessions"]),
        ("GET", "/v1/sessions", ["read:agent_profiles", "read:participants", "read:sessions"]),
        ("GET", f"/v1/templates/{tid}/stages", ["read:stages", "read:templates"]),
        ("GET", f"/v1/sessions/{sid}/join-link", ["read:sessions"]),
    ):
        exact = await api.client("acme", scopes=needed)
        assert (await exact.request(method, path)).status_code == 200, (method, path)
    assert await snapshot(admin) == before  # no forbidden request changed anything
    read_only = await api.client("acme", scopes=[x for x in ALL_SCOPES if x.startswith("read:")])
    assert await snapshot(read_only) == before


async def test_booking_needs_scopes_for_each_source_it_uses(api: ApiClients) -> None:
    admin = await api.client("acme")
    w = await World(admin).build()
    nothing = await api.client("acme", scopes=[])
    cases: list[tuple[JSON, list[str]]] = [
        (
            {"participant_id": w.participant["id"], "agent_profile_id": w.profile["id"]},
            ["read:agent_profiles", "read:participants", "write:sessions"],
        ),
        (
            {
                "participant": inline_participant(),
                "template_id": w.template["id"],
                "agent_profile_id": w.profile["id"],
            },
            ["read:agent_profiles", "read:templates", "write:participants", "write:sessions"],
        ),
        (
            {
                "participant": inline_participant(evaluation_template_id=w.template["id"]),
                "agent_profile_id": w.profile["id"],
            },
            ["read:agent_profiles", "read:templates", "write:participants", "write:sessions"],
        ),
        (
            {
                "participant_id": w.pool_participant["id"],
                "template": template_body(name="Inline"),
                "agent_profile": profile_body(name="Inline"),
            },
            ["read:participants", "write:agent_profiles", "write:sessions", "write:templates"],
        ),
        (
            {"participant_id": w.participant["id"], "stage_id": w.stage["id"]},
            ["read:agent_profiles", "read:participants", "read:stages", "write:sessions"],
        ),
    ]
    before = await snapshot(admin)
    for body, needed in cases:
        assert await _missing_scopes(nothing, "POST", "/v1/sessions", body) == needed, body
        minimal = await api.client("acme", scopes=needed)
        for scope in needed:
            almost = await api.client("acme", scopes=[x for x in needed if x != scope])
            assert await _missing_scopes(almost, "POST", "/v1/sessions", body) == [scope], (body, scope)
        assert await snapshot(admin) == before  # the 403s left no inline resource behind
        # The scopes the error named are enough: the same request now books the session.
        created = expect(await minimal.post("/v1/sessions", json=body), 201)
        assert created["status"] == "scheduled"
        before = await snapshot(admin)
    # write:sessions alone cannot even discover whether a participant exists.
    only_write = await api.client("acme", scopes=["write:sessions"])
    r = await only_write.post("/v1/sessions", json={"participant_id": MISSING, "agent_profile_id": MISSING})
    assert r.status_code == 403
    assert r.json()["error"]["details"]["missing_scopes"] == ["read:agent_profiles", "read:participants"]
