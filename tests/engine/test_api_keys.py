"""/v1/api-keys: a company's keys listed without secrets, created with the secret shown once, revoked
with immediate effect; other companies' keys are invisible (404); last use is kept to the minute."""

from __future__ import annotations

import re
from datetime import datetime, timedelta

import httpx
from fastapi import FastAPI

from engine.api.context import Services
from engine.auth import ACTIONS, ALL_SCOPES, RESOURCES
from engine.store.tables import ApiKeyRow
from engine.web import STATIC_DIR
from tests.engine.session_helpers import JSON, error_paths, expect
from tests.helpers import ApiClients, StepClock

KEY_RE = re.compile(r"^ie_([0-9a-f]{16})_[A-Za-z0-9_-]{43}$")
READ_TEMPLATES = ["read:templates"]
PASSWORD = "correct horse battery staple"


def key_id(key: str) -> str:
    found = KEY_RE.match(key)
    assert found, key
    return found.group(1)


def bearer(api: ApiClients, key: str) -> httpx.AsyncClient:
    return api.raw_client({"Authorization": f"Bearer {key}"})


def browser(api: ApiClients) -> httpx.AsyncClient:
    """A cookie-keeping client over https, as the settings' public base URL makes the cookie Secure."""
    client = api.raw_client()
    client.base_url = httpx.URL("https://testserver")
    return client


async def create(client: httpx.AsyncClient, name: str = "ATS", scopes: list[str] | None = None) -> JSON:
    body = {"name": name, "scopes": READ_TEMPLATES if scopes is None else scopes}
    return expect(await client.post("/v1/api-keys", json=body), 201)


async def stored(app: FastAPI, ident: str) -> ApiKeyRow:
    services: Services = app.state.services
    async with services.database.transaction() as db:
        row = await db.get(ApiKeyRow, ident)
    assert row is not None
    return row


async def test_the_list_shows_each_key_but_never_its_secret(app: FastAPI, api: ApiClients) -> None:
    admin_key = await api.key("acme")
    narrow_key = await api.key("acme", scopes=["read:sessions"])
    admin = bearer(api, admin_key)
    body = expect(await admin.get("/v1/api-keys"), 200)
    assert body["next_cursor"] is None
    listed = {k["id"]: k for k in body["data"]}
    assert set(listed) == {key_id(admin_key), key_id(narrow_key)}
    narrow = listed[key_id(narrow_key)]
    assert narrow["scopes"] == ["read:sessions"]
    assert narrow["prefix"] == f"ie_{key_id(narrow_key)}_"
    assert narrow_key.startswith(narrow["prefix"])
    assert narrow["revoked_at"] is None
    assert narrow["last_used_at"] is None
    assert set(listed[key_id(admin_key)]["scopes"]) == set(ALL_SCOPES)
    assert set(narrow) == {
        "id", "name", "prefix", "scopes", "created_at", "created_by", "last_used_at", "revoked_at",
    }  # fmt: skip
    # Neither any secret nor any stored hash leaves, in the list or one key's page.
    one = await admin.get(f"/v1/api-keys/{key_id(narrow_key)}")
    for response in (await admin.get("/v1/api-keys"), one):
        expect(response, 200)
        for key in (admin_key, narrow_key):
            secret = key.split("_", 2)[2]
            assert secret not in response.text
            assert (await stored(app, key_id(key))).secret_hash not in response.text
    # Pages of one: newest first, the cursor reaches the other.
    first = expect(await admin.get("/v1/api-keys", params={"limit": 1}), 200)
    assert [k["id"] for k in first["data"]] == [key_id(narrow_key)]
    rest = expect(await admin.get("/v1/api-keys", params={"cursor": first["next_cursor"]}), 200)
    assert [k["id"] for k in rest["data"]] == [key_id(admin_key)]


async def test_a_created_key_is_shown_once_and_works_within_its_scopes(app: FastAPI, api: ApiClients) -> None:
    admin_key = await api.key("acme")
    admin = bearer(api, admin_key)
    response = await admin.post("/v1/api-keys", json={"name": "  ATS sync  ", "scopes": READ_TEMPLATES})
    made = expect(response, 201)
    assert response.headers["location"] == f"/v1/api-keys/{made['id']}"
    assert key_id(made["key"]) == made["id"]
    assert made["name"] == "ATS sync"
    assert made["scopes"] == READ_TEMPLATES
    assert made["created_by"] == f"api_key:{key_id(admin_key)}"
    assert made["revoked_at"] is None

    # Only now: the key's own page and the list show everything but the secret.
    again = expect(await admin.get(response.headers["location"]), 200)
    assert "key" not in again
    assert {k: v for k, v in made.items() if k != "key"} == again
    secret = made["key"].split("_", 2)[2]
    assert secret not in (await admin.get("/v1/api-keys")).text
    assert (await stored(app, made["id"])).secret_hash != secret

    created = bearer(api, made["key"])
    expect(await created.get("/v1/templates"), 200)
    refused = await created.get("/v1/sessions")
    assert refused.status_code == 403
    assert refused.json()["error"]["details"]["missing_scopes"] == ["read:agent_profiles",
                                                                     "read:participants", "read:sessions"]  # fmt: skip
    # A key made with the keys scopes can make keys, only within what it holds.
    keeper = await create(admin, "keeper", ["read:api_keys", "write:api_keys", "read:templates"])
    narrow = bearer(api, keeper["key"])
    await create(narrow, "narrower", READ_TEMPLATES)
    wider = await narrow.post("/v1/api-keys", json={"name": "wider", "scopes": ["read:sessions"]})
    assert wider.status_code == 403
    assert wider.json()["error"]["details"] == {"missing_scopes": ["read:sessions"]}


async def test_bad_bodies_are_422_naming_the_field(api: ApiClients) -> None:
    admin = await api.client("acme")
    before = [k["id"] for k in expect(await admin.get("/v1/api-keys"), 200)["data"]]
    cases: list[tuple[object, str]] = [
        ({"name": "x", "scopes": ["read:templates", "read:everything"]}, "scopes"),
        ({"name": "x", "scopes": ["admin"]}, "scopes"),
        ({"name": "x", "scopes": []}, "scopes"),
        ({"name": "x", "scopes": "read:templates"}, "scopes"),
        ({"name": "x"}, "scopes"),
        ({"scopes": READ_TEMPLATES}, "name"),
        ({"name": "   ", "scopes": READ_TEMPLATES}, "name"),
        ({"name": "x" * 201, "scopes": READ_TEMPLATES}, "name"),
        ({"name": "x", "scopes": READ_TEMPLATES, "expires": "never"}, "expires"),
    ]
    for body, field in cases:
        response = await admin.post("/v1/api-keys", json=body)
        assert response.status_code == 422, (body, response.text)
        error = response.json()["error"]
        assert error["code"] == "validation_failed"
        assert error_paths(response) == {field}, (body, response.text)
    unknown = await admin.post("/v1/api-keys", json={"name": "x", "scopes": ["read:everything"]})
    assert "read:everything" in unknown.json()["error"]["message"]
    after = [k["id"] for k in expect(await admin.get("/v1/api-keys"), 200)["data"]]
    assert after == before  # nothing was made


async def test_a_revoked_key_is_refused_at_once_and_stays_listed(
    app: FastAPI, api: ApiClients, clock: StepClock
) -> None:
    admin = await api.client("acme")
    made = await create(admin)
    victim = bearer(api, made["key"])
    expect(await victim.get("/v1/templates"), 200)
    # A browser signed in with the key ends with it too.
    page = browser(api)
    signed = expect(await page.post("/v1/auth/login", json={"api_key": made["key"]}), 200)
    expect(await page.get("/v1/templates"), 200)

    revoked = await admin.delete(f"/v1/api-keys/{made['id']}")
    assert revoked.status_code == 204
    assert revoked.content == b""
    for response in (await victim.get("/v1/templates"), await page.get("/v1/templates")):
        assert response.status_code == 401, response.text
    assert (await page.post("/v1/auth/login", json={"api_key": made["key"]})).status_code == 401
    assert signed["csrf_token"]

    shown = expect(await admin.get(f"/v1/api-keys/{made['id']}"), 200)
    assert shown["revoked_at"] is not None
    listed = {k["id"]: k for k in expect(await admin.get("/v1/api-keys"), 200)["data"]}
    assert listed[made["id"]]["revoked_at"] == shown["revoked_at"]
    # Revoking again is harmless and keeps the first time.
    clock.advance(timedelta(hours=1))
    assert (await admin.delete(f"/v1/api-keys/{made['id']}")).status_code == 204
    assert expect(await admin.get(f"/v1/api-keys/{made['id']}"), 200)["revoked_at"] == shown["revoked_at"]
    assert (await stored(app, made["id"])).revoked_at is not None  # kept, never deleted
    expect(await admin.get("/v1/templates"), 200)  # only that key stopped working


async def test_a_key_cannot_revoke_itself(api: ApiClients) -> None:
    admin_key = await api.key("acme")
    admin = bearer(api, admin_key)
    response = await admin.delete(f"/v1/api-keys/{key_id(admin_key)}")
    assert response.status_code == 409, response.text
    assert response.json()["error"]["code"] == "conflict"
    assert "cannot revoke itself" in response.json()["error"]["message"]
    assert expect(await admin.get(f"/v1/api-keys/{key_id(admin_key)}"), 200)["revoked_at"] is None
    # Nor through a browser signed in with it; another key or a recruiter can.
    page = browser(api)
    csrf = expect(await page.post("/v1/auth/login", json={"api_key": admin_key}), 200)["csrf_token"]
    same = await page.delete(f"/v1/api-keys/{key_id(admin_key)}", headers={"X-CSRF-Token": csrf})
    assert same.status_code == 409
    other = await api.client("acme")
    assert (await other.delete(f"/v1/api-keys/{key_id(admin_key)}")).status_code == 204
    assert (await admin.get("/v1/templates")).status_code == 401


async def test_another_companys_key_is_not_found_and_unchanged(app: FastAPI, api: ApiClients) -> None:
    acme = await api.client("acme")
    globex_key = await api.key("globex")
    foreign = key_id(globex_key)
    for response in (
        await acme.get(f"/v1/api-keys/{foreign}"),
        await acme.delete(f"/v1/api-keys/{foreign}"),
        await acme.delete("/v1/api-keys/0123456789abcdef"),
    ):
        assert response.status_code == 404, response.text
        assert response.json()["error"]["code"] == "not_found"
        assert "globex" not in response.text
    assert foreign not in (await acme.get("/v1/api-keys")).text
    assert (await stored(app, foreign)).revoked_at is None
    expect(await bearer(api, globex_key).get("/v1/templates"), 200)
    malformed = await acme.delete("/v1/api-keys/NOT-A-KEY")
    assert malformed.status_code == 422
    assert error_paths(malformed) == {"key_id"}


async def test_managing_keys_needs_the_api_keys_scopes(api: ApiClients) -> None:
    admin = await api.client("acme")
    made = await create(admin)
    others = [s for s in ALL_SCOPES if not s.endswith(":api_keys")]
    almost = await api.client("acme", scopes=others)
    for method, path, body, scope in (
        ("GET", "/v1/api-keys", None, "read:api_keys"),
        ("GET", f"/v1/api-keys/{made['id']}", None, "read:api_keys"),
        ("POST", "/v1/api-keys", {"name": "x", "scopes": READ_TEMPLATES}, "write:api_keys"),
        ("DELETE", f"/v1/api-keys/{made['id']}", None, "delete:api_keys"),
    ):
        response = await almost.request(method, path, json=body)
        assert response.status_code == 403, (method, path)
        assert response.json()["error"]["details"] == {"missing_scopes": [scope]}
    expect(await bearer(api, made["key"]).get("/v1/templates"), 200)


async def test_last_used_at_moves_when_the_key_is_used(
    app: FastAPI, api: ApiClients, clock: StepClock
) -> None:
    admin = await api.client("acme")
    made = await create(admin)
    used = bearer(api, made["key"])

    async def last_used() -> datetime | None:
        shown = expect(await admin.get(f"/v1/api-keys/{made['id']}"), 200)["last_used_at"]
        return None if shown is None else datetime.fromisoformat(shown)

    assert await last_used() is None
    before = clock.now()
    expect(await used.get("/v1/templates"), 200)
    first = await last_used()
    assert first is not None
    assert first > before
    expect(await used.get("/v1/templates"), 200)
    assert await last_used() == first  # within the minute: no write per request
    clock.advance(timedelta(minutes=2))
    # A refused request is a use too: the key authenticated.
    assert (await used.get("/v1/sessions")).status_code == 403
    second = await last_used()
    assert second is not None
    assert second >= first + timedelta(minutes=2)
    # Signing a browser in with the key is a use.
    clock.advance(timedelta(minutes=2))
    expect(await browser(api).post("/v1/auth/login", json={"api_key": made["key"]}), 200)
    third = await last_used()
    assert third is not None
    assert third >= second + timedelta(minutes=2)


async def test_a_recruiter_with_the_scopes_manages_keys_from_the_browser(api: ApiClients) -> None:
    admin = await api.client("acme")
    scopes = ["read:api_keys", "write:api_keys", "delete:api_keys", "read:templates"]
    person = expect(
        await admin.post(
            "/v1/recruiters",
            json={"email": "kim@acme.com", "name": "Kim", "password": PASSWORD, "scopes": scopes},
        ),
        201,
    )
    page = browser(api)
    login = {"email": "kim@acme.com", "password": PASSWORD}
    csrf = {"X-CSRF-Token": expect(await page.post("/v1/auth/login", json=login), 200)["csrf_token"]}
    refused = await page.post("/v1/api-keys", json={"name": "x", "scopes": READ_TEMPLATES})
    assert refused.status_code == 403  # no CSRF token
    made = expect(
        await page.post("/v1/api-keys", json={"name": "x", "scopes": READ_TEMPLATES}, headers=csrf), 201
    )
    assert made["created_by"] == f"recruiter:{person['id']}"
    assert (await page.delete(f"/v1/api-keys/{made['id']}", headers=csrf)).status_code == 204
    assert (await bearer(api, made["key"]).get("/v1/templates")).status_code == 401


def test_the_keys_page_offers_every_scope() -> None:
    """The review pages' scope grid (API keys, Team) is written out in JavaScript; it must name every
    resource and action."""
    source = (STATIC_DIR / "review" / "scopes.js").read_text()
    for name in (*RESOURCES, *ACTIONS):
        assert f"['{name}', " in source, name
