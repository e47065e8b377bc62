"""Company isolation (seed 004): another company's resource is 403 by id, absent from every list, and
cannot be referenced from a request body; and nothing of the owner's changes while others try."""

from __future__ import annotations

from typing import Any

import httpx

from tests.engine.session_helpers import (
    JSON,
    World,
    book,
    error_paths,
    expect,
    ids,
    inline_participant,
    listed,
    snapshot,
)
from tests.helpers import ApiClients, participant_body, profile_body, template_body

MISSING = "00000000-0000-4000-8000-000000000000"


class Company:
    """A company's world plus a completed test session and a public link, as its owner sees them."""

    def __init__(self, client: httpx.AsyncClient) -> None:
        self.client = client
        self.w = World(client)
        self.session: JSON = {}
        self.done: JSON = {}

    async def build(self) -> Company:
        w = await self.w.build()
        self.session = await book(self.client, participant_id=w.participant["id"], stage_id=w.stage["id"])
        self.done = await book(
            self.client, participant_id=w.participant["id"], agent_profile_id=w.profile["id"], is_test=True
        )
        expect(
            await self.client.put(f"/v1/templates/{w.template['id']}/public-link", json={"enabled": True}),
            200,
        )
        return self

    def all_ids(self) -> set[str]:
        w = self.w
        return {
            str(x["id"])
            for x in (
                w.profile,
                w.generic,
                w.template,
                w.other_template,
                w.stage,
                w.participant,
                w.pool_participant,
                w.other_participant,
                self.session,
                self.done,
            )
        }

    async def state(self) -> dict[str, Any]:
        """Everything the owner can read, for before/after comparison."""
        w, c = self.w, self.client
        paths = [
            f"/v1/agent-profiles/{w.profile['id']}",
            f"/v1/templates/{w.template['id']}",
            f"/v1/templates/{w.template['id']}/public-link",
            f"/v1/templates/{w.template['id']}/stages",
            f"/v1/stages/{w.stage['id']}",
            f"/v1/participants/{w.participant['id']}",
            f"/v1/participants/{w.pool_participant['id']}",
            f"/v1/sessions/{self.session['id']}",
            f"/v1/sessions/{self.session['id']}/join-link",
            f"/v1/sessions/{self.done['id']}",
        ]
        state: dict[str, Any] = {path: expect(await c.get(path), 200) for path in paths}
        state.update(await snapshot(c))
        return state


async def test_another_companys_resources_are_403_by_id_and_unchanged(api: ApiClients) -> None:
    a = await Company(await api.client("acme")).build()
    b = await Company(await api.client("globex")).build()
    hook = expect(
        await a.client.post("/v1/webhook-endpoints", json={"url": "https://127.0.0.1:9/hooks"}), 201
    )
    test = expect(await a.client.post(f"/v1/webhook-endpoints/{hook['id']}/test"), 202)
    a_before, b_before = await a.state(), await b.state()
    w, bw = a.w, b.w
    pid, tid, stage, person, sid = (
        w.profile["id"],
        w.template["id"],
        w.stage["id"],
        w.participant["id"],
        a.session["id"],
    )
    attempts: list[tuple[str, str, Any]] = [
        ("GET", f"/v1/agent-profiles/{pid}", None),
        ("PATCH", f"/v1/agent-profiles/{pid}", {"name": "Hijacked"}),
        ("DELETE", f"/v1/agent-profiles/{w.generic['id']}", None),
        ("GET", f"/v1/templates/{tid}", None),
        ("PATCH", f"/v1/templates/{tid}", {"name": "Hijacked"}),
        ("DELETE", f"/v1/templates/{w.other_template['id']}", None),
        ("GET", f"/v1/templates/{tid}/public-link", None),
        ("PUT", f"/v1/templates/{tid}/public-link", {"enabled": False}),
        ("GET", f"/v1/templates/{tid}/stages", None),
        ("POST", f"/v1/templates/{tid}/stages", {"name": "Sneaky", "agent_profile_id": bw.profile["id"]}),
        ("PUT", f"/v1/templates/{tid}/stages/order", {"stage_ids": [stage]}),
        ("GET", f"/v1/stages/{stage}", None),
        ("PATCH", f"/v1/stages/{stage}", {"name": "Hijacked"}),
        ("DELETE", f"/v1/stages/{stage}", None),
        ("GET", f"/v1/participants/{person}", None),
        ("PATCH", f"/v1/participants/{person}", {"name": "Hijacked"}),
        ("DELETE", f"/v1/participants/{w.pool_participant['id']}", None),
        ("GET", f"/v1/sessions/{sid}", None),
        ("PATCH", f"/v1/sessions/{sid}", {"status": "in_progress"}),
        ("PATCH", f"/v1/sessions/{sid}", {"metadata": {"owner": "globex"}}),
        ("POST", f"/v1/sessions/{sid}/cancel", None),
        ("GET", f"/v1/sessions/{sid}/join-link", None),
        ("DELETE", f"/v1/sessions/{sid}", None),
        ("POST", f"/v1/sessions/{a.done['id']}/retake", None),
        ("GET", f"/v1/webhook-endpoints/{hook['id']}", None),
        ("PATCH", f"/v1/webhook-endpoints/{hook['id']}", {"url": "https://evil.example/x"}),
        ("POST", f"/v1/webhook-endpoints/{hook['id']}/rotate-secret", None),
        ("POST", f"/v1/webhook-endpoints/{hook['id']}/test", None),
        ("GET", f"/v1/webhook-endpoints/{hook['id']}/deliveries", None),
        ("DELETE", f"/v1/webhook-endpoints/{hook['id']}", None),
        ("POST", f"/v1/webhook-deliveries/{test['id']}/redeliver", None),
        ("GET", f"/v1/sessions/{a.done['id']}/analyses", None),
        ("POST", f"/v1/sessions/{a.done['id']}/analysis/rerun", None),
        ("POST", f"/v1/sessions/{a.done['id']}/approve", None),
        ("POST", f"/v1/sessions/{a.done['id']}/reject", None),
        ("GET", f"/v1/participants/{person}/pipeline", None),
        ("DELETE", f"/v1/sessions/{a.done['id']}", None),
    ]
    for method, path, body in attempts:
        kwargs: dict[str, Any] = {} if body is None else {"json": body}
        r = await b.client.request(method, path, **kwargs)
        assert r.status_code == 403, (method, path, r.text)
        error = r.json()["error"]
        assert error["code"] == "forbidden"
        assert "another company" in error["message"]
        assert "Hijacked" not in r.text
        # The 403 reveals existence only: none of A's data leaks into the body.
        for secret in (w.template["name"], w.participant["email"], a.session["join_url"]):
            assert secret not in r.text, (method, path)
    # An id nobody owns is 404 for B, as for anyone.
    for path in (f"/v1/agent-profiles/{MISSING}", f"/v1/sessions/{MISSING}", f"/v1/stages/{MISSING}"):
        assert (await b.client.get(path)).status_code == 404
    assert await a.state() == a_before
    assert await b.state() == b_before


async def test_lists_and_events_show_only_the_callers_company(api: ApiClients) -> None:
    a = await Company(await api.client("acme")).build()
    b = await Company(await api.client("globex")).build()
    a_ids, b_ids = a.all_ids(), b.all_ids()
    assert not a_ids & b_ids
    for path in ("/v1/agent-profiles", "/v1/templates", "/v1/participants", "/v1/sessions"):
        seen_by_b = set(await ids(b.client, path))
        assert seen_by_b <= b_ids, path
        assert not seen_by_b & a_ids, path
        seen_by_a = set(await ids(a.client, path))
        assert seen_by_a <= a_ids, path
        assert seen_by_a
    assert set(await ids(b.client, f"/v1/templates/{b.w.template['id']}/stages")) == {b.w.stage["id"]}
    # Filtering on A's ids finds nothing for B.
    w = a.w
    for path, params in (
        ("/v1/sessions", {"template_id": w.template["id"]}),
        ("/v1/sessions", {"participant_id": w.participant["id"]}),
        ("/v1/sessions", {"stage_id": w.stage["id"]}),
        ("/v1/participants", {"template_id": w.template["id"]}),
        ("/v1/participants", {"email": w.participant["email"]}),
        ("/v1/participants", {"external_id": "ats-1"}),
    ):
        found = await ids(b.client, path, **params)
        assert set(found) <= b_ids, (path, params)
        assert not set(found) & a_ids, (path, params)
    # Events: B's log carries only B's sessions and participants.
    a_events = await listed(a.client, "/v1/events")
    b_events = await listed(b.client, "/v1/events")
    assert a_events
    assert b_events
    assert not {e["id"] for e in a_events} & {e["id"] for e in b_events}
    for event in b_events:
        refs = {v for k, v in event["data"].items() if k.endswith("_id") and k != "external_id"}
        assert not refs & a_ids, event
        assert refs & b_ids, event
    # Cursors carry no company: A's cursor on B's client pages through B's events only.
    page = expect(await a.client.get("/v1/events", params={"limit": 1}), 200)
    replay = await listed(b.client, "/v1/events", cursor=page["next_cursor"])
    assert not {e["id"] for e in replay} & {e["id"] for e in a_events}
    # The public links and join links differ per company.
    a_link = expect(await a.client.get(f"/v1/templates/{w.template['id']}/public-link"), 200)
    b_link = expect(await b.client.get(f"/v1/templates/{b.w.template['id']}/public-link"), 200)
    assert a_link["url"] != b_link["url"]


async def test_bodies_cannot_reference_another_companys_ids(api: ApiClients) -> None:
    a = await Company(await api.client("acme")).build()
    b = await Company(await api.client("globex")).build()
    a_before, b_before = await a.state(), await b.state()
    w, bw = a.w, b.w
    attempts: list[tuple[str, str, JSON, str]] = [
        (
            "POST",
            f"/v1/templates/{bw.template['id']}/stages",
            {"name": "Borrowed", "agent_profile_id": w.profile["id"]},
            "agent_profile_id",
        ),
        ("PATCH", f"/v1/stages/{bw.stage['id']}", {"agent_profile_id": w.profile["id"]}, "agent_profile_id"),
        (
            "POST",
            "/v1/participants",
            participant_body(email="borrow@example.com", evaluation_template_id=w.template["id"]),
            "evaluation_template_id",
        ),
        (
            "POST",
            "/v1/participants/bulk",
            {
                "participants": [
                    participant_body(email="bulk@example.com", evaluation_template_id=w.template["id"])
                ]
            },
            "participants[0].evaluation_template_id",
        ),
        (
            "PATCH",
            f"/v1/participants/{bw.pool_participant['id']}",
            {"evaluation_template_id": w.template["id"]},
            "evaluation_template_id",
        ),
        (
            "POST",
            "/v1/sessions",
            {"participant_id": w.participant["id"], "agent_profile_id": bw.profile["id"]},
            "participant_id",
        ),
        (
            "POST",
            "/v1/sessions",
            {
                "participant_id": bw.pool_participant["id"],
                "template_id": w.template["id"],
                "agent_profile_id": bw.profile["id"],
            },
            "template_id",
        ),
        (
            "POST",
            "/v1/sessions",
            {"participant_id": bw.participant["id"], "agent_profile_id": w.profile["id"]},
            "agent_profile_id",
        ),
        (
            "POST",
            "/v1/sessions",
            {"participant_id": bw.participant["id"], "stage_id": w.stage["id"]},
            "stage_id",
        ),
        (
            "POST",
            "/v1/sessions",
            {
                "participant": inline_participant(evaluation_template_id=w.template["id"]),
                "agent_profile_id": bw.profile["id"],
            },
            "participant.evaluation_template_id",
        ),
        # Inline objects of B's own, next to one of A's ids: still refused, and nothing of B's persisted.
        (
            "POST",
            "/v1/sessions",
            {
                "participant": inline_participant(),
                "template": template_body(name="Globex Inline"),
                "agent_profile": profile_body(name="Globex Inline"),
                "stage_id": w.stage["id"],
            },
            "stage_id",
        ),
        (
            "POST",
            "/v1/sessions",
            {
                "participant": inline_participant(),
                "template_id": w.template["id"],
                "agent_profile": profile_body(name="Globex Inline"),
            },
            "template_id",
        ),
    ]
    for method, path, body, field in attempts:
        r = await b.client.request(method, path, json=body)
        assert r.status_code == 403, (method, path, body, r.text)
        assert r.json()["error"]["code"] == "forbidden"
        assert field in error_paths(r), (method, path, r.text)
    # Scope checks come before ownership, so B's read-only key learns nothing about A's ids either.
    reader = await api.client("globex", scopes=["read:sessions"])
    r = await reader.post(
        "/v1/sessions", json={"participant_id": w.participant["id"], "stage_id": w.stage["id"]}
    )
    assert r.status_code == 403
    assert "missing_scopes" in r.json()["error"]["details"]
    assert await a.state() == a_before
    assert await b.state() == b_before
