"""The template's public link (seed 002) over HTTP, on SQLite and PostgreSQL: the page, its state, and a
candidate starting (or resuming) a session with only a name and an email. No API key anywhere."""

from __future__ import annotations

import asyncio
import json
from dataclasses import dataclass
from typing import Any

import httpx
import pytest

from tests.engine.session_helpers import (
    JSON,
    error_paths,
    expect,
    listed,
    make_participant,
    make_profile,
    make_stage,
    make_template,
)
from tests.helpers import ApiClients

BASE_URL = "https://interviews.example.test"
INVALID = {"code": "not_found", "message": "This link is not valid or no longer active", "details": {}}


@dataclass
class Link:
    """One company's template with a stage and an enabled public link, seen by its owner and by anyone."""

    owner: httpx.AsyncClient
    anyone: httpx.AsyncClient
    profile: JSON
    template: JSON
    stage: JSON
    url: str

    @property
    def token(self) -> str:
        return self.url.rsplit("/", 1)[1]

    @property
    def path(self) -> str:
        return f"/public/{self.token}"

    async def start(self, **body: Any) -> httpx.Response:
        return await self.anyone.post(f"{self.path}/sessions", json=body)


async def set_link(owner: httpx.AsyncClient, template_id: str, enabled: bool) -> JSON:
    url = f"/v1/templates/{template_id}/public-link"
    return expect(await owner.put(url, json={"enabled": enabled}), 200)


async def make_link(api: ApiClients, owner: httpx.AsyncClient, **template: Any) -> Link:
    profile = await make_profile(owner, name="Alex (Acme)")
    made = await make_template(owner, **template)
    stage = await make_stage(owner, made["id"], profile["id"])
    link = await set_link(owner, made["id"], True)
    assert link["url"].startswith(f"{BASE_URL}/public/")
    return Link(owner, api.raw_client(), profile, made, stage, link["url"])


@pytest.fixture
async def link(api: ApiClients, client: httpx.AsyncClient) -> Link:
    return await make_link(api, client)


def join_token(started: JSON) -> str:
    prefix = f"{BASE_URL}/join/"
    assert started["join_url"].startswith(prefix)
    return str(started["join_url"][len(prefix) :])


async def events_of(owner: httpx.AsyncClient, event_type: str) -> list[JSON]:
    return await listed(owner, "/v1/events", type=event_type)


# --- the page and its state ------------------------------------------------------------------------------


async def test_page_is_served_as_html_without_an_api_key(link: Link) -> None:
    r = await link.anyone.get(link.path)
    assert r.status_code == 200, r.text
    assert r.headers["content-type"].startswith("text/html")
    assert "<html" in r.text.lower()
    assert r.headers["referrer-policy"] == "no-referrer"
    assert r.headers["cache-control"] == "no-store"


async def test_state_names_the_interview_its_interviewer_and_length(link: Link) -> None:
    r = await link.anyone.get(f"{link.path}/state")
    assert r.status_code == 200, r.text
    assert r.json() == {
        "interview_title": "Senior Backend Engineer",
        "interviewer_name": "Alex (Acme)",
        "duration_minutes": 30,
        "enabled": True,
    }
    # A stage's own length is the session's length.
    expect(await link.owner.patch(f"/v1/stages/{link.stage['id']}", json={"duration_minutes": 45}), 200)
    assert (await link.anyone.get(f"{link.path}/state")).json()["duration_minutes"] == 45
    # Four hours is more than the interview plan has questions for: the page says the plan's length.
    expect(await link.owner.patch(f"/v1/stages/{link.stage['id']}", json={"duration_minutes": 240}), 200)
    assert 45 < (await link.anyone.get(f"{link.path}/state")).json()["duration_minutes"] < 240


async def test_state_before_any_stage_has_an_interviewer(api: ApiClients, client: httpx.AsyncClient) -> None:
    template = await make_template(client, name="Unstaffed", duration_minutes=20)
    url = (await set_link(client, template["id"], True))["url"]
    r = await api.raw_client().get(f"{url.removeprefix(BASE_URL)}/state")
    assert r.status_code == 200, r.text
    assert r.json() == {
        "interview_title": "Unstaffed",
        "interviewer_name": None,
        "duration_minutes": 20,
        "enabled": True,
    }


@pytest.mark.parametrize(
    "token",
    ["x" * 43, "no-such-token", "a" * 65, "bad%00token", "b%C3%A4d", "%20"],
)
async def test_unknown_token_is_404_on_every_route(link: Link, token: str) -> None:
    for r in (
        await link.anyone.get(f"/public/{token}"),
        await link.anyone.get(f"/public/{token}/state"),
        await link.anyone.post(f"/public/{token}/sessions", json={"name": "Jo", "email": "jo@example.com"}),
    ):
        assert r.status_code == 404, r.text
        assert r.json() == {"error": INVALID}


async def test_tokens_match_exactly(link: Link) -> None:
    for token in (link.token.swapcase(), link.token[:-1], f"{link.token}x"):
        if token != link.token:
            assert (await link.anyone.get(f"/public/{token}/state")).status_code == 404


async def test_disabled_link_is_404_and_works_again_when_re_enabled(link: Link) -> None:
    first = expect(await link.start(name="Jo", email="jo@example.com"), 201)
    await set_link(link.owner, link.template["id"], False)
    for r in (
        await link.anyone.get(link.path),
        await link.anyone.get(f"{link.path}/state"),
        await link.start(name="Jo", email="jo@example.com"),
        await link.start(name="Kim", email="kim@example.com"),
    ):
        assert r.status_code == 404, r.text
        assert r.json() == {"error": INVALID}
    assert (await set_link(link.owner, link.template["id"], True))["url"] == link.url
    again = expect(await link.start(name="Jo", email="jo@example.com"), 201)
    assert again == {**first, "resumed": True}


async def test_deleted_template_link_is_404(api: ApiClients, client: httpx.AsyncClient) -> None:
    template = await make_template(client, name="Short-lived")
    url = (await set_link(client, template["id"], True))["url"]
    assert (await client.delete(f"/v1/templates/{template['id']}")).status_code == 204
    r = await api.raw_client().get(f"{url.removeprefix(BASE_URL)}/state")
    assert r.status_code == 404


async def test_api_keys_play_no_part(link: Link, api: ApiClients) -> None:
    stranger = api.raw_client({"Authorization": "Bearer ie_0000000000000000_nope"})
    assert (await stranger.get(f"{link.path}/state")).status_code == 200
    assert (
        await stranger.post(f"{link.path}/sessions", json={"name": "Jo", "email": "j@example.com"})
    ).status_code == 201


# --- starting a session ------------------------------------------------------------------------------


async def test_start_books_a_session_at_the_first_stage(link: Link) -> None:
    r = await link.start(name="  Jane Smith ", email=" Jane.Smith@Example.COM ")
    assert r.status_code == 201, r.text
    started = r.json()
    assert set(started) == {"join_url", "session_id", "resumed"}
    assert started["resumed"] is False
    assert r.headers["cache-control"] == "no-store"

    session = expect(await link.owner.get(f"/v1/sessions/{started['session_id']}"), 200)
    assert session["join_url"] == started["join_url"]
    assert join_token(started)
    assert session["template_id"] == link.template["id"]
    assert session["stage_id"] == link.stage["id"]
    assert session["agent_profile_id"] == link.profile["id"]
    assert session["status"] == "scheduled"
    assert session["is_test"] is False

    person = expect(await link.owner.get(f"/v1/participants/{session['participant_id']}"), 200)
    assert person["name"] == "Jane Smith"
    assert person["email"] == "jane.smith@example.com"
    assert person["evaluation_template_id"] == link.template["id"]


async def test_the_first_interviewed_stage_in_pipeline_order_is_used(
    api: ApiClients, client: httpx.AsyncClient
) -> None:
    link = await make_link(api, client)
    # A human-only step comes first; even naming a profile, it is no interview.
    review = {
        "name": "CV Review",
        "type": "manual_review",
        "order": 0,
        "agent_profile_id": link.profile["id"],
    }
    moved = expect(await client.patch(f"/v1/stages/{link.stage['id']}", json={"order": 5}), 200)
    expect(await client.post(f"/v1/templates/{link.template['id']}/stages", json=review), 201)
    second = await make_stage(client, link.template["id"], link.profile["id"], name="Phone Screen", order=2)
    started = expect(await link.start(name="Jo", email="jo@example.com"), 201)
    session = expect(await client.get(f"/v1/sessions/{started['session_id']}"), 200)
    assert session["stage_id"] == second["id"] != moved["id"]


async def test_same_email_again_resumes_the_unfinished_session(link: Link) -> None:
    first = expect(await link.start(name="Jo", email="jo@example.com"), 201)
    again = expect(await link.start(name="Joanna", email="JO@example.com"), 201)
    assert again == {**first, "resumed": True}
    # Still resumable once started: seed 002's "return to the same link and continue".
    patch = {"status": "in_progress"}
    expect(await link.owner.patch(f"/v1/sessions/{first['session_id']}", json=patch), 200)
    assert expect(await link.start(name="Jo", email="jo@example.com"), 201) == again
    people = await listed(link.owner, "/v1/participants", email="jo@example.com")
    assert [p["name"] for p in people] == ["Jo"]  # the name typed later does not overwrite the record
    sessions = await listed(link.owner, "/v1/sessions", participant_id=people[0]["id"])
    assert [s["id"] for s in sessions] == [first["session_id"]]


async def test_an_existing_participant_of_the_template_is_reused(link: Link) -> None:
    known = await make_participant(
        link.owner, email="known@example.com", evaluation_template_id=link.template["id"]
    )
    started = expect(await link.start(name="Someone", email="known@example.com"), 201)
    session = expect(await link.owner.get(f"/v1/sessions/{started['session_id']}"), 200)
    assert session["participant_id"] == known["id"]
    assert session["external_id"] == known["external_id"]
    assert len(await events_of(link.owner, "participant.created")) == 1  # only the one made above


async def test_completed_interview_is_409(link: Link) -> None:
    started = expect(await link.start(name="Jo", email="jo@example.com"), 201)
    for status in ("in_progress", "completed"):
        url = f"/v1/sessions/{started['session_id']}"
        expect(await link.owner.patch(url, json={"status": status}), 200)
    r = await link.start(name="Jo", email="jo@example.com")
    assert r.status_code == 409, r.text
    assert r.json()["error"]["code"] == "conflict"
    assert r.json()["error"]["message"] == "You have already completed this interview."
    # A retake the company grants is what the link then resumes.
    retake = expect(await link.owner.post(f"/v1/sessions/{started['session_id']}/retake"), 201)
    resumed = expect(await link.start(name="Jo", email="jo@example.com"), 201)
    assert resumed["session_id"] == retake["id"]
    assert resumed["resumed"] is True


async def test_a_cancelled_session_gives_way_to_a_new_one(link: Link) -> None:
    first = expect(await link.start(name="Jo", email="jo@example.com"), 201)
    expect(await link.owner.post(f"/v1/sessions/{first['session_id']}/cancel"), 200)
    second = expect(await link.start(name="Jo", email="jo@example.com"), 201)
    assert second["resumed"] is False
    assert second["session_id"] != first["session_id"]
    assert join_token(second) != join_token(first)


async def test_test_sessions_neither_resume_nor_block(link: Link) -> None:
    person = await make_participant(
        link.owner, email="qa@example.com", evaluation_template_id=link.template["id"]
    )
    body = {"participant_id": person["id"], "stage_id": link.stage["id"], "is_test": True}
    test_run = expect(await link.owner.post("/v1/sessions", json=body), 201)
    assert test_run["status"] == "completed"
    started = expect(await link.start(name="QA", email="qa@example.com"), 201)
    assert started["resumed"] is False
    assert started["session_id"] != test_run["id"]


async def test_template_without_an_interviewed_stage_is_409(
    api: ApiClients, client: httpx.AsyncClient
) -> None:
    template = await make_template(client, name="Not ready")
    review = {"name": "CV Review", "type": "manual_review"}
    expect(await client.post(f"/v1/templates/{template['id']}/stages", json=review), 201)
    url = (await set_link(client, template["id"], True))["url"]
    anyone = api.raw_client()
    r = await anyone.post(
        f"{url.removeprefix(BASE_URL)}/sessions", json={"name": "Jo", "email": "jo@example.com"}
    )
    assert r.status_code == 409, r.text
    assert r.json()["error"]["code"] == "conflict"
    assert "not set up" in r.json()["error"]["message"]
    # Nothing was kept: no participant, no event.
    assert await listed(client, "/v1/participants", template_id=template["id"]) == []
    assert await events_of(client, "participant.created") == []


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"name": "Jo", "email": "not-an-email"}, "email"),
        ({"name": "Jo", "email": ""}, "email"),
        ({"name": "Jo"}, "email"),
        ({"name": "Jo", "email": "jo\x00@example.com"}, "email"),
        ({"name": "   ", "email": "jo@example.com"}, "name"),
        ({"name": "J\x00o", "email": "jo@example.com"}, "name"),
        ({"name": "J\ud800o", "email": "jo@example.com"}, "name"),
        ({"name": ["Jo"], "email": "jo@example.com"}, "name"),
        ({"name": "x" * 201, "email": "jo@example.com"}, "name"),
        ({"email": "jo@example.com"}, "name"),
        ({"name": "Jo", "email": "jo@example.com", "phone": "1"}, "phone"),
    ],
)
async def test_bad_fields_are_422_naming_the_field(link: Link, body: JSON, field: str) -> None:
    # Encoded by hand: `\ud800`-style escapes are valid JSON, which httpx's own encoder cannot write.
    r = await link.anyone.post(
        f"{link.path}/sessions", content=json.dumps(body), headers={"Content-Type": "application/json"}
    )
    assert r.status_code == 422, r.text
    assert r.json()["error"]["code"] == "validation_failed"
    assert field in error_paths(r)
    assert await listed(link.owner, "/v1/participants") == []


async def test_malformed_json_is_400(link: Link) -> None:
    r = await link.anyone.post(
        f"{link.path}/sessions", content=b'{"name": "Jo",', headers={"Content-Type": "application/json"}
    )
    assert r.status_code == 400, r.text
    assert r.json()["error"]["code"] == "malformed_json"
    not_utf8 = '{"name": "J\udcffo", "email": "jo@example.com"}'.encode("utf-8", "surrogatepass")
    r = await link.anyone.post(
        f"{link.path}/sessions", content=not_utf8, headers={"Content-Type": "application/json"}
    )
    assert r.status_code in (400, 422), r.text
    assert await listed(link.owner, "/v1/participants") == []


async def test_participant_created_and_session_scheduled_events(link: Link) -> None:
    started = expect(await link.start(name="Jo", email="jo@example.com"), 201)
    session = expect(await link.owner.get(f"/v1/sessions/{started['session_id']}"), 200)
    (created,) = await events_of(link.owner, "participant.created")
    assert created["data"] == {
        "participant_id": session["participant_id"],
        "external_id": None,
        "template_id": link.template["id"],
    }
    (scheduled,) = await events_of(link.owner, "session.scheduled")
    assert scheduled["data"]["session_id"] == started["session_id"]
    assert scheduled["data"]["participant_id"] == session["participant_id"]
    assert scheduled["data"]["stage_id"] == link.stage["id"]
    # Resuming records nothing new.
    expect(await link.start(name="Jo", email="jo@example.com"), 201)
    assert len(await events_of(link.owner, "participant.created")) == 1
    assert len(await events_of(link.owner, "session.scheduled")) == 1


async def test_sessions_belong_to_the_template_company(api: ApiClients, client: httpx.AsyncClient) -> None:
    acme = await make_link(api, client)
    globex_owner = await api.client("globex")
    globex = await make_link(api, globex_owner, name="Globex Role")
    email = {"name": "Jo", "email": "jo@example.com"}
    at_acme = expect(await acme.start(**email), 201)
    at_globex = expect(await globex.start(**email), 201)
    assert at_globex["resumed"] is False  # the same person at another company is another participant
    assert at_acme["session_id"] != at_globex["session_id"]

    mine = expect(await globex_owner.get(f"/v1/sessions/{at_globex['session_id']}"), 200)
    assert mine["template_id"] == globex.template["id"]
    assert (await client.get(f"/v1/sessions/{at_globex['session_id']}")).status_code == 403
    assert (await globex_owner.get(f"/v1/sessions/{at_acme['session_id']}")).status_code == 403
    acme_people = await listed(client, "/v1/participants")
    globex_people = await listed(globex_owner, "/v1/participants")
    assert [p["id"] for p in acme_people] == [
        expect(await client.get(f"/v1/sessions/{at_acme['session_id']}"), 200)["participant_id"]
    ]
    assert [p["id"] for p in globex_people] == [mine["participant_id"]]
    assert [e["data"]["session_id"] for e in await events_of(client, "session.scheduled")] == [
        at_acme["session_id"]
    ]


@pytest.mark.parametrize("known", [False, True], ids=["new-participant", "known-participant"])
async def test_concurrent_starts_for_one_candidate_book_one_session(link: Link, known: bool) -> None:
    if known:
        await make_participant(link.owner, email="jo@example.com", evaluation_template_id=link.template["id"])
    results = await asyncio.gather(*(link.start(name="Jo", email="jo@example.com") for _ in range(4)))
    bodies = [expect(r, 201) for r in results]
    assert len({b["session_id"] for b in bodies}) == 1
    assert sorted(b["resumed"] for b in bodies) == [False, True, True, True]
    assert len(await listed(link.owner, "/v1/participants")) == 1
    assert len(await events_of(link.owner, "session.scheduled")) == 1


async def test_json_routes_are_documented_under_candidate(link: Link) -> None:
    spec = expect(await link.anyone.get("/openapi.json"), 200)
    paths = spec["paths"]
    assert "/public/{token}" not in paths
    for path, method in (("/public/{token}/state", "get"), ("/public/{token}/sessions", "post")):
        operation = paths[path][method]
        assert operation["tags"] == ["candidate"]
        assert "security" not in operation
        assert "404" in operation["responses"]
    assert "409" in paths["/public/{token}/sessions"]["post"]["responses"]
