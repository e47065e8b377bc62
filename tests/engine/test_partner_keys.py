"""Partner (integrator) keys: one key serving the companies an operator granted it, naming the company
of each request with `?company_id=`, and isolated per company like any company's own key. Over both
databases; the CLI and the per-company rate budget on SQLite."""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import select

from config.settings import RateSettings, Settings
from engine import cli
from engine.api.context import Services
from engine.app import create_app
from engine.errors import ValidationFailed
from engine.services import partner_keys
from engine.store.tables import CompanyRow
from tests.helpers import ApiClients, StepClock, participant_body

PARTICIPANTS = "/v1/participants"
UNKNOWN_COMPANY = "7a1e0f5c-0000-4000-8000-000000000000"


async def company_id(app: FastAPI, name: str) -> str:
    services: Services = app.state.services
    async with services.database.transaction() as db:
        row = (await db.scalars(select(CompanyRow).where(CompanyRow.name == name))).one()
        return row.id


async def partner_client(
    api: ApiClients, companies: Sequence[str], scopes: Sequence[str] | None = None
) -> tuple[httpx.AsyncClient, str]:
    """A client holding a new partner key granted the named (existing) companies, and the key's id."""
    services: Services = api.app.state.services
    async with services.database.transaction() as db:
        issued = await partner_keys.issue(db, "Acme ATS", api.clock, scopes)
        for name in companies:
            company = (await db.scalars(select(CompanyRow).where(CompanyRow.name == name))).one()
            await partner_keys.grant(db, issued.key_id, company, api.clock)
    return api.raw_client({"Authorization": f"Bearer {issued.secret_key}"}), issued.key_id


async def names(client: httpx.AsyncClient, company: str | None = None) -> set[str]:
    params: dict[str, Any] = {"limit": 100}
    if company is not None:
        params["company_id"] = company
    response = await client.get(PARTICIPANTS, params=params)
    assert response.status_code == 200, response.text
    return {p["name"] for p in response.json()["data"]}


def person(name: str) -> dict[str, Any]:
    slug = name.lower().replace(" ", ".")
    return participant_body(name=name, email=f"{slug}@example.com", external_id=f"ats-{slug}")


async def test_a_partner_key_acts_for_each_granted_company_and_no_other(api: ApiClients) -> None:
    alpha, beta, gamma = await api.client("alpha"), await api.client("beta"), await api.client("gamma")
    assert (await alpha.post(PARTICIPANTS, json=person("Own Alpha"))).status_code == 201
    gamma_made = await gamma.post(PARTICIPANTS, json=person("Own Gamma"))
    assert gamma_made.status_code == 201
    a, b, c = [await company_id(api.app, n) for n in ("alpha", "beta", "gamma")]
    partner, key_id = await partner_client(api, ["alpha", "beta"])

    in_a = await partner.post(PARTICIPANTS, params={"company_id": a}, json=person("Via Partner A"))
    assert in_a.status_code == 201, in_a.text
    in_b = await partner.post(PARTICIPANTS, params={"company_id": b}, json=person("Via Partner B"))
    assert in_b.status_code == 201, in_b.text

    # Each company sees its own, through the partner and through its own keys alike.
    assert await names(partner, a) == {"Own Alpha", "Via Partner A"}
    assert await names(partner, b) == {"Via Partner B"}
    assert await names(alpha) == {"Own Alpha", "Via Partner A"}
    assert await names(beta) == {"Via Partner B"}
    assert await names(gamma) == {"Own Gamma"}
    # A resource of B is not A's, even through the same key.
    cross = await partner.get(f"{PARTICIPANTS}/{in_b.json()['id']}", params={"company_id": a})
    assert cross.status_code in (403, 404), cross.text
    own = await partner.get(f"{PARTICIPANTS}/{in_b.json()['id']}", params={"company_id": b})
    assert own.status_code == 200
    assert own.json()["name"] == "Via Partner B"

    # Not granted, or no such company: the same 403, which tells nothing about which it is.
    refused = await partner.get(PARTICIPANTS, params={"company_id": c})
    unknown = await partner.get(PARTICIPANTS, params={"company_id": UNKNOWN_COMPANY})
    for response, named in ((refused, c), (unknown, UNKNOWN_COMPANY)):
        assert response.status_code == 403, response.text
        assert response.json()["error"]["code"] == "forbidden"
        assert response.json()["error"]["details"] == {"company_id": named}
    assert refused.json()["error"]["message"].replace(c, "X") == unknown.json()["error"]["message"].replace(
        UNKNOWN_COMPANY, "X"
    )
    nul = await partner.get(PARTICIPANTS, params={"company_id": f"{a}\x00"})
    assert nul.status_code == 403, nul.text
    gamma_row = await partner.get(f"{PARTICIPANTS}/{gamma_made.json()['id']}", params={"company_id": c})
    assert gamma_row.status_code == 403
    assert (
        await partner.post(PARTICIPANTS, params={"company_id": c}, json=person("Sneak"))
    ).status_code == 403
    assert await names(gamma) == {"Own Gamma"}

    # Without a company the request is refused, naming the parameter.
    missing = await partner.get(PARTICIPANTS)
    assert missing.status_code == 422, missing.text
    error = missing.json()["error"]
    assert error["code"] == "validation_failed"
    assert [(f["path"], f["in"]) for f in error["details"]["fields"]] == [("company_id", "query")]
    assert "partner key" in error["message"]

    # The partner key is no company's key: absent from each company's list, and it cannot sign in.
    for client in (alpha, beta):
        listed = await client.get("/v1/api-keys", params={"limit": 100})
        assert key_id not in {k["id"] for k in listed.json()["data"]}
    token = partner.headers["authorization"].removeprefix("Bearer ")
    signin = await api.raw_client({"Origin": "http://testserver"}).post(
        "/v1/auth/login", json={"api_key": token}
    )
    assert signin.status_code == 401, signin.text


async def test_an_ordinary_key_cannot_use_company_id_to_reach_another_company(api: ApiClients) -> None:
    alpha, beta = await api.client("alpha"), await api.client("beta")
    assert (await beta.post(PARTICIPANTS, json=person("Beta Only"))).status_code == 201
    a, b = await company_id(api.app, "alpha"), await company_id(api.app, "beta")

    # Its own company changes nothing; any other is refused, reads and writes alike.
    assert (
        await alpha.post(PARTICIPANTS, params={"company_id": a}, json=person("Alpha One"))
    ).status_code == 201
    assert await names(alpha, a) == {"Alpha One"}
    for response in (
        await alpha.get(PARTICIPANTS, params={"company_id": b}),
        await alpha.post(PARTICIPANTS, params={"company_id": b}, json=person("Intruder")),
        await alpha.get(PARTICIPANTS, params={"company_id": UNKNOWN_COMPANY}),
    ):
        assert response.status_code == 403, response.text
    assert await names(beta) == {"Beta Only"}


async def test_revoking_a_grant_or_the_key_takes_effect_at_once(api: ApiClients) -> None:
    await api.client("alpha")
    await api.client("beta")
    a, b = await company_id(api.app, "alpha"), await company_id(api.app, "beta")
    partner, key_id = await partner_client(api, ["alpha", "beta"])
    assert (await partner.get(PARTICIPANTS, params={"company_id": a})).status_code == 200

    services: Services = api.app.state.services
    async with services.database.transaction() as db:
        alpha = (await db.scalars(select(CompanyRow).where(CompanyRow.id == a))).one()
        assert await partner_keys.revoke_grant(db, key_id, alpha)
    assert (await partner.get(PARTICIPANTS, params={"company_id": a})).status_code == 403
    assert (await partner.get(PARTICIPANTS, params={"company_id": b})).status_code == 200

    async with services.database.transaction() as db:
        await partner_keys.revoke(db, key_id, api.clock)
    gone = await partner.get(PARTICIPANTS, params={"company_id": b})
    assert gone.status_code == 401, gone.text
    async with services.database.transaction() as db:
        listed = {k.row.id: k for k in await partner_keys.list_all(db)}
    assert listed[key_id].row.revoked_at is not None
    assert [company.name for company in listed[key_id].companies] == ["beta"]
    # Its use was recorded, on its own row.
    assert listed[key_id].row.last_used_at is not None


async def test_an_idempotent_replay_never_crosses_companies(api: ApiClients) -> None:
    await api.client("alpha")
    await api.client("beta")
    a, b = await company_id(api.app, "alpha"), await company_id(api.app, "beta")
    partner, _ = await partner_client(api, ["alpha", "beta"])
    body = person("Same Person")
    headers = {"Idempotency-Key": "ats-order-1"}

    first = await partner.post(PARTICIPANTS, params={"company_id": a}, json=body, headers=headers)
    assert first.status_code == 201, first.text
    # The same key and body for another company runs for that company: no replay of A's answer.
    other = await partner.post(PARTICIPANTS, params={"company_id": b}, json=body, headers=headers)
    assert other.status_code == 201, other.text
    assert "idempotent-replayed" not in other.headers
    assert other.json()["id"] != first.json()["id"]
    # Within a company the retry is replayed as ever.
    again = await partner.post(PARTICIPANTS, params={"company_id": a}, json=body, headers=headers)
    assert again.headers.get("idempotent-replayed") == "true"
    assert again.json() == first.json()
    assert await names(partner, a) == {"Same Person"}
    assert await names(partner, b) == {"Same Person"}


async def test_a_partner_key_holds_only_its_scopes(api: ApiClients) -> None:
    await api.client("alpha")
    a = await company_id(api.app, "alpha")
    reader, _ = await partner_client(api, ["alpha"], scopes=["read:participants"])
    assert (await reader.get(PARTICIPANTS, params={"company_id": a})).status_code == 200
    write = await reader.post(PARTICIPANTS, params={"company_id": a}, json=person("Never Made"))
    assert write.status_code == 403, write.text
    assert write.json()["error"]["details"] == {"missing_scopes": ["write:participants"]}
    assert (await reader.get("/v1/agent-profiles", params={"company_id": a})).status_code == 403

    # Scopes that would mint a company's own credentials, outliving the grant, are never given.
    services: Services = api.app.state.services
    async with services.database.transaction() as db:
        issued = await partner_keys.issue(db, "default scopes", api.clock)
        assert "write:api_keys" not in issued.scopes
        assert "write:recruiters" not in issued.scopes
        assert "write:participants" in issued.scopes
        with pytest.raises(ValidationFailed, match="write:api_keys"):
            await partner_keys.issue(db, "too wide", api.clock, ["read:participants", "write:api_keys"])


async def test_openapi_offers_company_id_on_every_authenticated_operation(api: ApiClients) -> None:
    schema = (await api.raw_client().get("/openapi.json")).json()
    checked = 0
    for path, operations in schema["paths"].items():
        for method, operation in operations.items():
            # /v1/auth/ is the browser's own sign-in (a cookie, never a key): no company to name.
            if not path.startswith("/v1/") or path.startswith("/v1/auth/"):
                continue
            # A telephony provider's callback is authorised by its path's token: no key, no company.
            if path == "/v1/phone-streams/{token}/status":
                assert operation["security"] == []
                assert not [p for p in operation.get("parameters", []) if p["name"] == "company_id"]
                continue
            params = [p for p in operation.get("parameters", []) if p["name"] == "company_id"]
            assert len(params) == 1, (method, path)
            assert params[0]["in"] == "query"
            assert not params[0].get("required", False)
            assert "required with a partner key" in params[0]["description"]
            checked += 1
    assert checked > 30


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
async def test_the_rate_budget_is_per_company_for_a_partner_key(settings: Settings, clock: StepClock) -> None:
    tight = settings.model_copy(update={"rate": RateSettings(per_caller="3/minute")})
    app = create_app(tight, clock=clock)
    async with app.router.lifespan_context(app):
        api = ApiClients(app, clock)
        try:
            await api.client("alpha")
            await api.client("beta")
            a, b = await company_id(app, "alpha"), await company_id(app, "beta")
            partner, _ = await partner_client(api, ["alpha", "beta"])
            statuses = [
                (await partner.get(PARTICIPANTS, params={"company_id": a})).status_code for _ in range(4)
            ]
            assert statuses == [200, 200, 200, 429]
            assert (await partner.get(PARTICIPANTS, params={"company_id": b})).status_code == 200
        finally:
            await api.aclose()


def test_the_operator_issues_grants_and_revokes_from_the_command_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    for var in ("IE_DATABASE_URL", "DATABASE_URL", "IE_DATA_DIR", "IE_HOST", "IE_PORT"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.chdir(tmp_path)
    data = ["--data-dir", str(tmp_path / "data")]

    def run(*args: str) -> tuple[int, str, str]:
        rc = cli.main(["partner-key", *args, *data])
        out, err = capsys.readouterr()
        return rc, out, err

    rc, out, err = run("create", "--name", "Acme ATS", "--company", "alpha", "--scope", "read:participants")
    assert rc == 0, err
    secret = out.strip()
    assert secret.startswith("iep_")
    assert len(secret.split("_")[1]) == 16
    key_id = secret.split("_")[1]
    assert "acts for alpha: company_id=" in err
    assert "scopes: read:participants" in err

    rc, out, _ = run("grant", key_id, "--company", "beta")
    assert rc == 0
    assert "now acts for beta: company_id=" in out
    rc, out, _ = run("grant", f"iep_{key_id}_", "--company", "beta")
    assert rc == 0
    assert "already acted" in out
    rc, out, _ = run("revoke-grant", key_id, "--company", "alpha")
    assert rc == 0
    assert "no longer acts for alpha" in out
    rc, out, _ = run("list", "--json")
    [listed] = json.loads(out)
    assert listed["id"] == key_id
    assert [c["name"] for c in listed["companies"]] == ["beta"]
    assert secret not in out

    rc, out, _ = run("revoke", key_id)
    assert rc == 0
    assert "revoked at" in out
    rc, _, err = run("grant", "0123456789abcdef", "--company", "beta")
    assert rc == 2
    assert "no partner key" in err
    rc, _, err = run("create", "--name", "wide", "--scope", "write:api_keys")
    assert rc == 2
    assert "write:api_keys" in err
    rc, _, err = run("revoke-grant", key_id, "--company", "nobody")
    assert rc == 2
    assert "no company named" in err
