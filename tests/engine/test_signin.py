"""Browser sign-in for the review pages: recruiter accounts with hashed passwords, API keys exchanged for
a cookie, CSRF, locks after failed passwords, expiry, sign-out, and company scoping."""

from __future__ import annotations

import logging
from datetime import timedelta

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import select

from engine.api.context import Services
from engine.store.tables import BrowserSessionRow, RecruiterRow
from tests.engine.session_helpers import JSON, error_paths, expect
from tests.helpers import ApiClients, StepClock

PASSWORD = "correct horse battery staple"
OTHER_ORIGIN = "https://evil.example"


async def recruiter(client: httpx.AsyncClient, email: str = "rita@acme.com", **extra: object) -> JSON:
    body = {"email": email, "name": "Rita Recruiter", "password": PASSWORD, **extra}
    return expect(await client.post("/v1/recruiters", json=body), 201)


def browser(api: ApiClients) -> httpx.AsyncClient:
    """A cookie-keeping client over https, as the settings' public base URL makes the cookie Secure."""
    client = api.raw_client()
    client.base_url = httpx.URL("https://testserver")
    return client


async def signed_in(
    api: ApiClients, email: str = "rita@acme.com", password: str = PASSWORD
) -> tuple[httpx.AsyncClient, str]:
    page = browser(api)
    body = expect(await page.post("/v1/auth/login", json={"email": email, "password": password}), 200)
    return page, str(body["csrf_token"])


async def test_recruiter_signs_in_and_uses_the_api_with_the_cookie(
    client: httpx.AsyncClient, api: ApiClients, app: FastAPI
) -> None:
    made = await recruiter(client, email="Rita@Acme.com")
    assert made["email"] == "rita@acme.com"
    assert "password" not in made
    assert "password_hash" not in made
    assert "write:templates" not in made["scopes"]
    assert "read:sessions" in made["scopes"]

    page = browser(api)
    login = await page.post("/v1/auth/login", json={"email": "RITA@acme.com", "password": PASSWORD})
    body = expect(login, 200)
    assert body["recruiter"]["id"] == made["id"]
    assert body["company"]["name"] == "acme"
    assert body["scopes"] == sorted(made["scopes"])
    cookie = login.headers["set-cookie"]
    for attribute in ("HttpOnly", "SameSite=strict", "Path=/", "Secure"):
        assert attribute.lower() in cookie.lower(), cookie
    assert login.headers["cache-control"] == "no-store"

    me = expect(await page.get("/v1/auth/me"), 200)
    assert me["csrf_token"] == body["csrf_token"]
    expect(await page.get("/v1/sessions"), 200)

    # Stored: an Argon2id hash, not the password; and the cookie's token only as its SHA-256.
    services: Services = app.state.services
    async with services.database.transaction() as db:
        row = (await db.scalars(select(RecruiterRow))).one()
        stored = (await db.scalars(select(BrowserSessionRow))).one()
    assert row.password_hash.startswith("$argon2id$")
    assert PASSWORD not in row.password_hash
    token = page.cookies["ie_session"]
    assert stored.id != token
    assert token not in stored.id


async def test_unsafe_requests_with_the_cookie_need_the_csrf_token(
    client: httpx.AsyncClient, api: ApiClients
) -> None:
    await recruiter(client)
    page, csrf = await signed_in(api)
    session = expect(
        await client.post("/v1/participants", json={"name": "Ann", "email": "ann@example.com"}), 201
    )
    assert session["id"]

    refused = await page.post("/v1/participants", json={"name": "Bob", "email": "bob@example.com"})
    assert refused.status_code == 403
    assert refused.json()["error"]["details"]["header"] == "X-CSRF-Token"
    wrong = await page.post("/v1/auth/logout", headers={"X-CSRF-Token": csrf[:-2] + "xx"})
    assert wrong.status_code == 403
    cross = await page.post("/v1/auth/logout", headers={"X-CSRF-Token": csrf, "Origin": OTHER_ORIGIN})
    assert cross.status_code == 403
    # The recruiter's default scopes do not include writing participants, CSRF token or not.
    lacking = await page.post(
        "/v1/participants", json={"name": "Bob", "email": "bob@example.com"}, headers={"X-CSRF-Token": csrf}
    )
    assert lacking.status_code == 403
    assert lacking.json()["error"]["message"].startswith("this recruiter lacks")
    # Nothing was signed out by the refused attempts.
    expect(await page.get("/v1/auth/me"), 200)


async def test_api_key_exchanged_for_a_cookie_carries_the_keys_scopes(api: ApiClients) -> None:
    key = await api.key(
        "acme", ["read:sessions", "read:participants", "read:agent_profiles", "write:participants"]
    )
    page = browser(api)
    body = expect(await page.post("/v1/auth/login", json={"api_key": key}), 200)
    assert body["recruiter"] is None
    assert "write:participants" in body["scopes"]
    assert "read:templates" not in body["scopes"]
    created = await page.post(
        "/v1/participants",
        json={"name": "Ann", "email": "ann@example.com"},
        headers={"X-CSRF-Token": body["csrf_token"]},
    )
    expect(created, 201)
    assert (await page.get("/v1/templates")).status_code == 403

    bad = browser(api)
    assert (await bad.post("/v1/auth/login", json={"api_key": key + "x"})).status_code == 401
    assert "ie_session" not in bad.cookies


async def test_wrong_passwords_lock_the_account_for_a_while(
    client: httpx.AsyncClient, api: ApiClients, clock: StepClock, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    await recruiter(client)
    page = browser(api)
    unknown = await page.post("/v1/auth/login", json={"email": "nobody@acme.com", "password": PASSWORD})
    assert unknown.status_code == 401
    wrong_message = unknown.json()["error"]["message"]
    for _ in range(4):
        wrong = await page.post(
            "/v1/auth/login", json={"email": "rita@acme.com", "password": "not the password"}
        )
        assert wrong.status_code == 401
        assert wrong.json()["error"]["message"] == wrong_message  # nothing tells a known email apart
    locked = await page.post(
        "/v1/auth/login", json={"email": "rita@acme.com", "password": "not the password"}
    )
    assert locked.status_code == 429
    assert int(locked.headers["retry-after"]) == 900
    # Even the right password waits out the lock.
    still = await page.post("/v1/auth/login", json={"email": "rita@acme.com", "password": PASSWORD})
    assert still.status_code == 429
    assert "ie_session" not in page.cookies
    clock.advance(timedelta(seconds=901))
    expect(await page.post("/v1/auth/login", json={"email": "rita@acme.com", "password": PASSWORD}), 200)
    assert PASSWORD not in caplog.text
    assert "not the password" not in caplog.text


async def test_an_admin_can_unlock_a_recruiter(client: httpx.AsyncClient, api: ApiClients) -> None:
    made = await recruiter(client)
    page = browser(api)
    for _ in range(5):
        await page.post("/v1/auth/login", json={"email": "rita@acme.com", "password": "not the password"})
    listed = expect(await client.get(f"/v1/recruiters/{made['id']}"), 200)
    assert listed["locked_until"] is not None
    unlocked = expect(await client.patch(f"/v1/recruiters/{made['id']}", json={"unlock": True}), 200)
    assert unlocked["locked_until"] is None
    expect(await page.post("/v1/auth/login", json={"email": "rita@acme.com", "password": PASSWORD}), 200)


async def test_sign_out_password_change_and_deletion_end_sign_ins(
    client: httpx.AsyncClient, api: ApiClients
) -> None:
    made = await recruiter(client)
    page, csrf = await signed_in(api)
    token = page.cookies["ie_session"]
    out = await page.post("/v1/auth/logout", headers={"X-CSRF-Token": csrf})
    assert out.status_code == 204
    assert "ie_session" not in page.cookies
    replay = browser(api)
    replay.cookies.set("ie_session", token)
    assert (await replay.get("/v1/sessions")).status_code == 401
    assert (await replay.get("/v1/auth/me")).status_code == 401

    first, _ = await signed_in(api)
    second, _ = await signed_in(api)
    new_password = "another long passphrase"
    expect(await client.patch(f"/v1/recruiters/{made['id']}", json={"password": new_password}), 200)
    assert (await first.get("/v1/auth/me")).status_code == 401
    assert (await second.get("/v1/sessions")).status_code == 401
    assert (
        await browser(api).post("/v1/auth/login", json={"email": "rita@acme.com", "password": PASSWORD})
    ).status_code == 401
    third, _ = await signed_in(api, password=new_password)
    assert (await client.delete(f"/v1/recruiters/{made['id']}")).status_code == 204
    assert (await third.get("/v1/auth/me")).status_code == 401
    assert (
        await browser(api).post("/v1/auth/login", json={"email": "rita@acme.com", "password": new_password})
    ).status_code == 401


async def test_logging_out_without_a_sign_in_is_a_no_op(api: ApiClients) -> None:
    # Idempotent by decision: a page whose sign-in already expired can still log out cleanly (204, the
    # cookie cleared), and there is nothing to protect with a CSRF token when nothing is signed in.
    page = browser(api)
    out = await page.post("/v1/auth/logout")
    assert out.status_code == 204
    assert "ie_session" not in page.cookies
    assert (await page.get("/v1/auth/me")).status_code == 401
    # A cookie without its CSRF token is refused, whether or not it is still a sign-in: a cross-site
    # form cannot end anyone's sign-in.
    page.cookies.set("ie_session", "not-a-real-token")
    stale = await page.post("/v1/auth/logout")
    assert stale.status_code == 403, stale.text


async def test_sign_ins_expire_when_idle_and_at_their_end(
    client: httpx.AsyncClient, api: ApiClients, clock: StepClock, app: FastAPI
) -> None:
    await recruiter(client)
    page, _ = await signed_in(api)
    clock.advance(timedelta(hours=1, minutes=59))
    expect(await page.get("/v1/auth/me"), 200)  # use keeps it alive
    clock.advance(timedelta(hours=1, minutes=59))
    expect(await page.get("/v1/auth/me"), 200)
    clock.advance(timedelta(hours=2, minutes=1))
    assert (await page.get("/v1/auth/me")).status_code == 401

    busy, _ = await signed_in(api)
    for _ in range(13):
        clock.advance(timedelta(hours=1))
        response = await busy.get("/v1/auth/me")
    assert response.status_code == 401  # 12 hours at most, however busy

    # Ended sign-ins are cleared when someone signs in; the live one stays.
    services: Services = app.state.services
    async with services.database.transaction() as db:
        assert len((await db.scalars(select(BrowserSessionRow))).all()) == 2
    await signed_in(api)
    async with services.database.transaction() as db:
        assert len((await db.scalars(select(BrowserSessionRow))).all()) == 1


async def test_recruiters_see_only_their_company(client: httpx.AsyncClient, api: ApiClients) -> None:
    other = await api.client("globex")
    theirs = expect(
        await other.post("/v1/participants", json={"name": "Gus", "email": "gus@globex.com"}), 201
    )
    await recruiter(client)
    page, _ = await signed_in(api)
    assert (await page.get(f"/v1/participants/{theirs['id']}")).status_code == 403
    assert expect(await page.get("/v1/sessions"), 200)["data"] == []
    foreign = await recruiter(other, email="gina@globex.com")
    assert (await client.get(f"/v1/recruiters/{foreign['id']}")).status_code == 403
    assert [r["email"] for r in expect(await client.get("/v1/recruiters"), 200)["data"]] == ["rita@acme.com"]


async def test_recruiter_accounts_validate_their_input(client: httpx.AsyncClient, api: ApiClients) -> None:
    short = await client.post(
        "/v1/recruiters", json={"email": "a@acme.com", "name": "A", "password": "short"}
    )
    assert short.status_code == 422
    assert error_paths(short) == {"password"}
    bad_scope = await client.post(
        "/v1/recruiters", json={"email": "a@acme.com", "name": "A", "password": PASSWORD, "scopes": ["root"]}
    )
    assert bad_scope.status_code == 422
    assert error_paths(bad_scope) == {"scopes"}
    await recruiter(client)
    duplicate = await recruiter_response(client)
    assert duplicate.status_code == 409
    narrow = await api.client("acme", ["write:recruiters", "read:sessions"])
    beyond = await narrow.post(
        "/v1/recruiters", json={"email": "b@acme.com", "name": "B", "password": PASSWORD}
    )
    assert beyond.status_code == 403  # it cannot grant the default scopes it lacks
    assert set(beyond.json()["error"]["details"]["missing_scopes"]) >= {"read:participants"}

    page = browser(api)
    both = await page.post(
        "/v1/auth/login", json={"email": "rita@acme.com", "password": PASSWORD, "api_key": "x"}
    )
    assert both.status_code == 422
    half = await page.post("/v1/auth/login", json={"email": "rita@acme.com"})
    assert half.status_code == 422
    broken = await page.post(
        "/v1/auth/login", content=b"{not json", headers={"content-type": "application/json"}
    )
    assert broken.status_code in (400, 422)
    cross = await page.post(
        "/v1/auth/login",
        json={"email": "rita@acme.com", "password": PASSWORD},
        headers={"Origin": OTHER_ORIGIN},
    )
    assert cross.status_code == 403


async def recruiter_response(client: httpx.AsyncClient) -> httpx.Response:
    return await client.post(
        "/v1/recruiters", json={"email": "rita@acme.com", "name": "R", "password": PASSWORD}
    )


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
async def test_review_pages_are_served_with_a_strict_policy(api: ApiClients) -> None:
    page = api.raw_client()
    for path in ("/review", "/review/sessions/123", "/review/participants/abc"):
        response = await page.get(path)
        assert response.status_code == 200, path
        assert response.headers["content-type"].startswith("text/html")
        policy = response.headers["content-security-policy"]
        assert "script-src 'self'" in policy
        assert "frame-ancestors 'none'" in policy
        assert "/assets/review/app.js" in response.text
    assert (await page.get("/assets/review/app.js")).status_code == 200
