"""Request helpers shared by the session, auth and tenant-isolation tests."""

from __future__ import annotations

import itertools
from datetime import datetime
from typing import Any

import httpx

from tests.helpers import participant_body, profile_body, template_body

JSON = dict[str, Any]
_emails = itertools.count(1)


def expect(response: httpx.Response, status: int) -> JSON:
    """The JSON body of a response that must have `status`."""
    assert response.status_code == status, (
        f"{response.request.method} {response.request.url}: {response.text}"
    )
    body = response.json()
    assert isinstance(body, dict)
    return body


def error_paths(response: httpx.Response) -> set[str]:
    """The field paths an error response names in details.fields."""
    details = response.json()["error"]["details"]
    assert isinstance(details, dict)
    return {str(f["path"]) for f in details.get("fields", [])}


def email() -> str:
    return f"person{next(_emails)}@example.com"


def when(value: str) -> datetime:
    return datetime.fromisoformat(value)


def inline_participant(**overrides: Any) -> JSON:
    """An inline participant as seed 003 requires it (gdpr_expiry_date)."""
    return participant_body(**{"email": email(), "gdpr_expiry_date": "2030-01-31", **overrides})


async def make_profile(client: httpx.AsyncClient, **overrides: Any) -> JSON:
    return expect(await client.post("/v1/agent-profiles", json=profile_body(**overrides)), 201)


async def make_template(client: httpx.AsyncClient, **overrides: Any) -> JSON:
    return expect(await client.post("/v1/templates", json=template_body(**overrides)), 201)


async def make_stage(client: httpx.AsyncClient, template_id: str, profile_id: str, **overrides: Any) -> JSON:
    body = {"name": "Technical Screen", "agent_profile_id": profile_id, **overrides}
    return expect(await client.post(f"/v1/templates/{template_id}/stages", json=body), 201)


async def make_participant(client: httpx.AsyncClient, **overrides: Any) -> JSON:
    body = participant_body(**{"email": email(), **overrides})
    return expect(await client.post("/v1/participants", json=body), 201)


async def book(client: httpx.AsyncClient, **body: Any) -> JSON:
    return expect(await client.post("/v1/sessions", json=body), 201)


async def listed(client: httpx.AsyncClient, path: str, **params: Any) -> list[JSON]:
    """Every item of a list endpoint, following cursors."""
    items: list[JSON] = []
    cursor: str | None = None
    while True:
        query = {**params, **({"cursor": cursor} if cursor else {})}
        page = expect(await client.get(path, params=query), 200)
        items.extend(page["data"])
        cursor = page["next_cursor"]
        if cursor is None:
            return items


async def ids(client: httpx.AsyncClient, path: str, **params: Any) -> list[str]:
    return [str(item["id"]) for item in await listed(client, path, **params)]


async def snapshot(client: httpx.AsyncClient) -> dict[str, list[JSON]]:
    """Everything the company can list, to prove a failed request persisted nothing."""
    return {
        path: await listed(client, path)
        for path in ("/v1/agent-profiles", "/v1/templates", "/v1/participants", "/v1/sessions", "/v1/events")
    }


class World:
    """One company's configuration: a screening profile, a generic profile, a template with a stage, a
    participant of that template, a template-less participant, and a second template with a participant."""

    def __init__(self, client: httpx.AsyncClient) -> None:
        self.client = client
        self.profile: JSON = {}
        self.generic: JSON = {}
        self.template: JSON = {}
        self.stage: JSON = {}
        self.participant: JSON = {}
        self.pool_participant: JSON = {}
        self.other_template: JSON = {}
        self.other_participant: JSON = {}

    async def build(self) -> World:
        self.profile = await make_profile(self.client)
        self.generic = await make_profile(self.client, name="Talent Pool Caller", focus="generic")
        self.template = await make_template(self.client)
        self.stage = await make_stage(self.client, self.template["id"], self.profile["id"])
        self.participant = await make_participant(
            self.client, evaluation_template_id=self.template["id"], external_id="ats-1"
        )
        self.pool_participant = await make_participant(self.client, external_id="ats-pool")
        self.other_template = await make_template(self.client, name="Other Role")
        self.other_participant = await make_participant(
            self.client, evaluation_template_id=self.other_template["id"], tags=["junior"]
        )
        return self
