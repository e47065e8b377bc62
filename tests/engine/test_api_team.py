"""What the Team and Webhooks pages rely on in the API: a signed-in recruiter cannot delete their own
account (409), another admin (or a key) can; and the lists the pages write out in JavaScript (event
types, the default reviewer scopes) match the engine's."""

from __future__ import annotations

import re

import httpx

from config.recruiters import REVIEWER_SCOPES
from config.webhooks import EVENT_TYPES
from engine.web import STATIC_DIR
from tests.engine.session_helpers import expect
from tests.helpers import ApiClients

PASSWORD = "correct horse battery staple"
ADMIN_SCOPES = [*REVIEWER_SCOPES, "read:recruiters", "write:recruiters", "delete:recruiters"]


async def make(client: httpx.AsyncClient, email: str, scopes: list[str] | None = None) -> dict[str, object]:
    body = {"email": email, "name": email.split("@")[0].title(), "password": PASSWORD, "scopes": scopes}
    made: dict[str, object] = expect(await client.post("/v1/recruiters", json=body), 201)
    return made


async def signed_in(api: ApiClients, email: str) -> tuple[httpx.AsyncClient, dict[str, str]]:
    page = api.raw_client()
    page.base_url = httpx.URL("https://testserver")
    body = expect(await page.post("/v1/auth/login", json={"email": email, "password": PASSWORD}), 200)
    return page, {"X-CSRF-Token": str(body["csrf_token"])}


async def test_a_recruiter_cannot_delete_their_own_account_but_another_admin_can(
    client: httpx.AsyncClient, api: ApiClients
) -> None:
    kim = await make(client, "kim@acme.com", ADMIN_SCOPES)
    lee = await make(client, "lee@acme.com", ADMIN_SCOPES)
    page, csrf = await signed_in(api, "kim@acme.com")

    own = await page.delete(f"/v1/recruiters/{kim['id']}", headers=csrf)
    assert own.status_code == 409, own.text
    error = own.json()["error"]
    assert error["code"] == "conflict"
    assert "your own account" in error["message"]
    assert error["details"] == {"id": kim["id"]}
    expect(await page.get("/v1/auth/me"), 200)  # still signed in, the account still there
    assert expect(await client.get(f"/v1/recruiters/{kim['id']}"), 200)["email"] == "kim@acme.com"

    # Another admin's account: gone, and that admin's sign-in with it.
    other, other_csrf = await signed_in(api, "lee@acme.com")
    assert (await page.delete(f"/v1/recruiters/{lee['id']}", headers=csrf)).status_code == 204
    assert (await other.get("/v1/auth/me")).status_code == 401
    assert (await other.delete(f"/v1/recruiters/{kim['id']}", headers=other_csrf)).status_code == 401

    # An API key is no recruiter: it may delete any account of its company, the last admin included.
    assert (await client.delete(f"/v1/recruiters/{kim['id']}")).status_code == 204
    assert (await page.get("/v1/auth/me")).status_code == 401


async def test_what_the_team_form_shows_next_to_its_fields(
    client: httpx.AsyncClient, api: ApiClients
) -> None:
    """The page puts each error by a field: 409 `details.field`, 422 `details.fields[].path`, and 403
    `details.missing_scopes` by the scopes."""
    await make(client, "kim@acme.com", ADMIN_SCOPES)
    page, csrf = await signed_in(api, "kim@acme.com")
    body = {"email": "kim@acme.com", "name": "Kim", "password": PASSWORD, "scopes": ["read:sessions"]}
    taken = await page.post("/v1/recruiters", json=body, headers=csrf)
    assert taken.status_code == 409
    assert taken.json()["error"]["details"] == {"field": "email"}
    short = await page.post(
        "/v1/recruiters", json={**body, "email": "new@acme.com", "password": "short"}, headers=csrf
    )
    assert short.status_code == 422
    assert [f["path"] for f in short.json()["error"]["details"]["fields"]] == ["password"]
    wider = await page.post(
        "/v1/recruiters", json={**body, "email": "new@acme.com", "scopes": ["write:webhooks"]}, headers=csrf
    )
    assert wider.status_code == 403
    assert wider.json()["error"]["details"] == {"missing_scopes": ["write:webhooks"]}


def _js_list(source: str, name: str) -> list[str]:
    found = re.search(rf"export const {name} = \[(.*?)\];", source, re.S)
    assert found, name
    return re.findall(r"'([^']+)'", found.group(1))


def test_the_pages_lists_match_the_engine() -> None:
    webhooks = (STATIC_DIR / "review" / "webhooks.js").read_text()
    assert _js_list(webhooks, "EVENT_TYPES") == list(EVENT_TYPES)
    scopes = (STATIC_DIR / "review" / "scopes.js").read_text()
    assert _js_list(scopes, "REVIEWER_SCOPES") == list(REVIEWER_SCOPES)
