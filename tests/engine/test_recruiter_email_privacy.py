"""A recruiter email held in another company is not revealed by the 409: emails are unique across
companies (sign-in takes no company), so the create is refused, but the answer names neither the
company nor an existing account; the same email in one's own company still gets a plain 409."""

from __future__ import annotations

import httpx

from tests.engine.session_helpers import expect
from tests.helpers import ApiClients

PASSWORD = "correct horse battery staple"


def _body(email: str) -> dict[str, str]:
    return {"email": email, "name": "Rita Recruiter", "password": PASSWORD}


async def test_an_email_of_another_company_is_not_revealed(
    client: httpx.AsyncClient, api: ApiClients
) -> None:
    expect(await client.post("/v1/recruiters", json=_body("rita@acme.com")), 201)

    own = await client.post("/v1/recruiters", json=_body("rita@acme.com"))
    assert own.status_code == 409
    assert (
        own.json()["error"]["message"]
        == "a recruiter with email rita@acme.com already exists in your company"
    )
    assert own.json()["error"]["details"] == {"field": "email"}

    other = await api.client("globex")
    taken = await other.post("/v1/recruiters", json=_body("rita@acme.com"))
    assert taken.status_code == 409
    error = taken.json()["error"]
    assert error["details"] == {"field": "email"}  # the page puts it by the email field
    message = error["message"]
    for revealing in ("rita@acme.com", "acme", "exist", "recruiter", "company"):
        assert revealing not in message.lower()
    assert message == "this email cannot be used for a new account; use another address"
    # Nothing was made in the other company, and the owner's account is untouched.
    assert expect(await other.get("/v1/recruiters"), 200)["data"] == []
    assert [r["email"] for r in expect(await client.get("/v1/recruiters"), 200)["data"]] == ["rita@acme.com"]
    # A fresh address works for the other company.
    expect(await other.post("/v1/recruiters", json=_body("rita@globex.com")), 201)
