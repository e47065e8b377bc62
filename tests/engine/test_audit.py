"""The audit trail on both backends: each audited change or view leaves exactly one event naming its actor
(an API key or a signed-in recruiter), a refused change leaves none, a company sees only its own events,
only an administrator reads them, and nothing (no route, not even a statement) changes or deletes one."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import delete, update
from sqlalchemy.exc import DBAPIError

from config.recruiters import REVIEWER_SCOPES
from engine.services import audit as audit_service
from engine.store.tables import AuditEventRow
from tests.engine.analysis_helpers import STRONG, analysed, complete_with
from tests.engine.live_helpers import booked_session
from tests.engine.session_helpers import (
    book,
    expect,
    inline_participant,
    make_participant,
    make_profile,
    make_stage,
    make_template,
)
from tests.engine.test_session_media_api import seed_media
from tests.helpers import ApiClients, StepClock

JSON = dict[str, Any]
PASSWORD = "correct horse battery staple"
ADMIN_SCOPES = [*REVIEWER_SCOPES, "write:agent_profiles", "read:api_keys"]


def deleted(response: httpx.Response) -> None:
    assert response.status_code == 204, response.text


def key_id(key: str) -> str:
    return key.split("_")[1]


async def keyed(
    api: ApiClients, company: str = "acme", scopes: list[str] | None = None
) -> tuple[httpx.AsyncClient, str]:
    key = await api.key(company, scopes)
    return api.raw_client({"Authorization": f"Bearer {key}"}), key_id(key)


async def events(client: httpx.AsyncClient, **params: Any) -> list[JSON]:
    """Every event the client may read, oldest first (the API lists newest first)."""
    found: list[JSON] = []
    cursor: str | None = None
    while True:
        query = {**params, **({"cursor": cursor} if cursor else {})}
        page = expect(await client.get("/v1/audit-events", params=query), 200)
        found.extend(page["data"])
        cursor = page["next_cursor"]
        if cursor is None:
            return found[::-1]


def trail(found: list[JSON]) -> list[tuple[str, str, str]]:
    return [(e["action"], e["target_type"], e["target_id"]) for e in found]


async def test_each_change_leaves_one_event_and_a_refused_change_none(api: ApiClients) -> None:
    client, me = await keyed(api)
    profile = await make_profile(client)
    expect(await client.patch(f"/v1/agent-profiles/{profile['id']}", json={"name": "Renamed"}), 200)
    template = await make_template(client)
    tid = template["id"]
    expect(await client.patch(f"/v1/templates/{tid}", json={"name": "Backend"}), 200)
    expect(await client.put(f"/v1/templates/{tid}/public-link", json={"enabled": True}), 200)
    first = await make_stage(client, tid, profile["id"], name="Screen")
    second = await make_stage(client, tid, profile["id"], name="Final")
    expect(await client.patch(f"/v1/stages/{first['id']}", json={"pass_threshold": 70}), 200)
    order = [second["id"], first["id"]]
    expect(await client.put(f"/v1/templates/{tid}/stages/order", json={"stage_ids": order}), 200)
    deleted(await client.delete(f"/v1/stages/{second['id']}"))
    hook = expect(await client.post("/v1/webhook-endpoints", json={"url": "https://127.0.0.1:9/hooks"}), 201)
    hid = hook["id"]
    expect(await client.patch(f"/v1/webhook-endpoints/{hid}", json={"enabled": False}), 200)
    expect(await client.post(f"/v1/webhook-endpoints/{hid}/rotate-secret"), 200)
    deleted(await client.delete(f"/v1/webhook-endpoints/{hid}"))
    made = expect(await client.post("/v1/api-keys", json={"name": "ATS", "scopes": ["read:sessions"]}), 201)
    deleted(await client.delete(f"/v1/api-keys/{made['id']}"))
    body = {"email": "kim@acme.com", "name": "Kim", "password": PASSWORD, "scopes": ["read:sessions"]}
    kim = expect(await client.post("/v1/recruiters", json=body), 201)
    expect(await client.patch(f"/v1/recruiters/{kim['id']}", json={"scopes": list(REVIEWER_SCOPES)}), 200)
    deleted(await client.delete(f"/v1/recruiters/{kim['id']}"))
    other = await make_profile(client, name="Spare")
    deleted(await client.delete(f"/v1/agent-profiles/{other['id']}"))
    deleted(await client.delete(f"/v1/templates/{tid}"))

    # Refused changes (422, 404, 409, 403): none leaves an event.
    assert (await client.patch(f"/v1/agent-profiles/{profile['id']}", json={"name": ""})).status_code == 422
    assert (await client.delete(f"/v1/stages/{second['id']}")).status_code == 404
    assert (await client.delete(f"/v1/api-keys/{me}")).status_code == 409
    assert (await client.post("/v1/recruiters", json={**body, "password": "short"})).status_code == 422
    narrow, _ = await keyed(api, scopes=["read:agent_profiles"])
    assert (await narrow.delete(f"/v1/agent-profiles/{profile['id']}")).status_code == 403

    found = await events(client)
    assert trail(found) == [
        ("agent_profile.created", "agent_profile", profile["id"]),
        ("agent_profile.updated", "agent_profile", profile["id"]),
        ("template.created", "template", tid),
        ("template.updated", "template", tid),
        ("template.public_link_changed", "template", tid),
        ("stage.created", "stage", first["id"]),
        ("stage.created", "stage", second["id"]),
        ("stage.updated", "stage", first["id"]),
        ("template.stages_reordered", "template", tid),
        ("stage.deleted", "stage", second["id"]),
        ("webhook_endpoint.created", "webhook_endpoint", hid),
        ("webhook_endpoint.updated", "webhook_endpoint", hid),
        ("webhook_endpoint.secret_rotated", "webhook_endpoint", hid),
        ("webhook_endpoint.deleted", "webhook_endpoint", hid),
        ("api_key.created", "api_key", made["id"]),
        ("api_key.revoked", "api_key", made["id"]),
        ("recruiter.created", "recruiter", kim["id"]),
        ("recruiter.updated", "recruiter", kim["id"]),
        ("recruiter.deleted", "recruiter", kim["id"]),
        ("agent_profile.created", "agent_profile", other["id"]),
        ("agent_profile.deleted", "agent_profile", other["id"]),
        ("template.deleted", "template", tid),
    ]
    assert {(e["actor_kind"], e["actor_id"], e["actor_label"]) for e in found} == {("api_key", me, "default")}
    assert all(e["request_id"] for e in found)
    # Field names, never values: no password, URL or name in any detail.
    assert found[1]["detail"] == {"fields": ["name"]}
    assert found[17]["detail"] == {"fields": ["scopes"]}
    for secret in (PASSWORD, "127.0.0.1", "Renamed"):
        assert secret not in str(found)


async def test_a_signed_in_recruiter_is_the_actor_and_only_administrators_read(api: ApiClients) -> None:
    client, _ = await keyed(api)
    people = {
        "ada@acme.com": ADMIN_SCOPES,
        "rex@acme.com": list(REVIEWER_SCOPES),
    }
    ids: dict[str, str] = {}
    for email, scopes in people.items():
        body = {"email": email, "name": email[:3].title(), "password": PASSWORD, "scopes": scopes}
        ids[email] = expect(await client.post("/v1/recruiters", json=body), 201)["id"]
    ada, ada_csrf = await signed_in(api, "ada@acme.com")
    made = expect(await ada.post("/v1/agent-profiles", json=_profile(), headers=ada_csrf), 201)
    (event,) = await events(ada, action="agent_profile.created")
    assert (event["actor_kind"], event["actor_id"], event["actor_label"]) == (
        "recruiter",
        ids["ada@acme.com"],
        "ada@acme.com",
    )
    assert event["target_id"] == made["id"]
    assert [e["target_id"] for e in await events(client, actor_id=ids["ada@acme.com"])] == [made["id"]]

    # A reviewer (signed in) and a key without read:api_keys may not read the trail.
    rex, _ = await signed_in(api, "rex@acme.com")
    assert (await rex.get("/v1/audit-events")).status_code == 403
    reviewer, _ = await keyed(api, scopes=list(REVIEWER_SCOPES))
    refused = await reviewer.get("/v1/audit-events")
    assert refused.status_code == 403
    assert refused.json()["error"]["details"]["missing_scopes"] == ["read:api_keys"]


def _profile() -> JSON:
    return {
        "name": "Screen",
        "intro": "Alex, a senior engineer at Acme.",
        "rubric": [{"name": "Go", "description": "Writes Go", "weight": 100}],
    }


async def signed_in(api: ApiClients, email: str) -> tuple[httpx.AsyncClient, dict[str, str]]:
    page = api.raw_client()
    page.base_url = httpx.URL("https://testserver")
    body = expect(await page.post("/v1/auth/login", json={"email": email, "password": PASSWORD}), 200)
    return page, {"X-CSRF-Token": str(body["csrf_token"])}


async def test_views_of_a_recording_transcript_and_scorecard(
    app: FastAPI, api: ApiClients, clock: StepClock
) -> None:
    client, _ = await keyed(api)
    session_id, _ = await booked_session(client)
    # No recording yet (404): the view, recorded in the request's transaction, is rolled back.
    assert (await client.get(f"/v1/sessions/{session_id}/recording")).status_code == 404
    assert await events(client, action="recording.viewed") == []
    await seed_media(app, session_id)
    for headers in ({}, {"Range": "bytes=0-99"}, {"Range": "bytes=100-"}):
        assert (await client.get(f"/v1/sessions/{session_id}/recording", headers=headers)).status_code in (
            200,
            206,
        )
    expect(await client.get(f"/v1/sessions/{session_id}/transcript"), 200)
    # Without an analysis there is no scorecard to view.
    expect(await client.get(f"/v1/sessions/{session_id}"), 200)

    test = expect(await client.post("/v1/sessions", json={**await _booking(client), "is_test": True}), 201)
    await app.state.services.analysis.wait_idle()
    for _ in range(2):
        assert expect(await client.get(f"/v1/sessions/{test['id']}"), 200)["analysis"] is not None
    expect(await client.get(f"/v1/sessions/{test['id']}/analyses"), 200)
    views = [e for e in await events(client) if e["action"].endswith(".viewed")]
    assert trail(views) == [
        ("recording.viewed", "session", session_id),
        ("transcript.viewed", "session", session_id),
        ("scorecard.viewed", "session", test["id"]),
    ]

    # Each viewing is one event: a player's range requests within the window are the same viewing.
    clock.advance(audit_service.VIEW_WINDOW + timedelta(seconds=1))
    expect(await client.get(f"/v1/sessions/{test['id']}/analyses"), 200)
    again = await events(client, action="scorecard.viewed")
    assert [e["target_id"] for e in again] == [test["id"], test["id"]]


async def _booking(client: httpx.AsyncClient) -> JSON:
    profile = await make_profile(client)
    template = await make_template(client)
    stage = await make_stage(client, template["id"], profile["id"])
    return {"stage_id": stage["id"], "participant": inline_participant()}


async def test_stage_decisions(app: FastAPI, api: ApiClients) -> None:
    client, me = await keyed(api)
    profile = await make_profile(client)
    template = await make_template(client)
    stage = await make_stage(client, template["id"], profile["id"], on_complete="human_approval")
    decided: list[str] = []
    for verb in ("approve", "reject"):
        person = await make_participant(client, evaluation_template_id=template["id"])
        session = await book(client, participant_id=person["id"], stage_id=stage["id"])
        await complete_with(app, client, session["id"], STRONG)
        await analysed(app, client, session["id"])
        expect(await client.post(f"/v1/sessions/{session['id']}/{verb}"), 200)
        # Deciding twice is a 409, and leaves no second event.
        assert (await client.post(f"/v1/sessions/{session['id']}/{verb}")).status_code == 409
        decided.append(session["id"])
    spare = await book(client, stage_id=stage["id"], participant=inline_participant())
    expect(await client.post(f"/v1/sessions/{spare['id']}/cancel"), 200)
    retake = expect(await client.post(f"/v1/sessions/{spare['id']}/retake"), 201)
    rerun = expect(await client.post(f"/v1/sessions/{decided[0]}/analysis/rerun"), 202)

    found = [e for e in await events(client) if not e["action"].endswith(".viewed")]
    found = [e for e in found if e["target_type"] == "session"]
    assert trail(found) == [
        ("session.approved", "session", decided[0]),
        ("session.rejected", "session", decided[1]),
        ("session.cancelled", "session", spare["id"]),
        ("session.retake", "session", spare["id"]),
        ("analysis.rerun", "session", decided[0]),
    ]
    assert found[3]["detail"] == {"new_session_id": retake["id"]}
    assert found[4]["detail"] == {"version": rerun["version"]}
    assert {e["actor_id"] for e in found} == {me}


async def test_companies_filters_pages_and_no_way_to_change_an_event(
    app: FastAPI, api: ApiClients, clock: StepClock
) -> None:
    acme, _ = await keyed(api, "acme")
    globex, globex_key = await keyed(api, "globex")
    mine = [await make_profile(acme, name=f"Profile {i}") for i in range(5)]
    middle = clock.now()
    theirs = await make_profile(globex)

    assert [e["target_id"] for e in await events(acme)] == [p["id"] for p in mine]
    assert await events(acme, target_id=theirs["id"]) == []
    assert await events(acme, actor_id=globex_key) == []
    (own,) = await events(globex)
    assert own["target_id"] == theirs["id"]

    page = expect(await acme.get("/v1/audit-events", params={"limit": 2}), 200)
    assert len(page["data"]) == 2
    assert page["next_cursor"]
    assert [e["target_id"] for e in await events(acme, limit=2)] == [p["id"] for p in mine]
    assert [e["target_id"] for e in await events(acme, target_id=mine[2]["id"])] == [mine[2]["id"]]
    assert await events(acme, action="agent_profile.deleted") == []
    assert len(await events(acme, before=middle.isoformat())) == 5
    assert await events(acme, after=middle.isoformat()) == []
    bad = await acme.get("/v1/audit-events", params={"action": "profile.stolen"})
    assert bad.status_code == 422

    # No route changes or deletes an event ...
    event_id = (await events(acme))[0]["id"]
    assert (await acme.post("/v1/audit-events", json={"action": "x"})).status_code == 405
    for method in ("GET", "PUT", "PATCH", "DELETE"):
        assert (await acme.request(method, f"/v1/audit-events/{event_id}")).status_code in (404, 405)
    assert (await acme.delete("/v1/audit-events")).status_code == 405
    # ... and the database refuses it too.
    database = app.state.services.database
    for statement in (
        update(AuditEventRow).where(AuditEventRow.id == event_id).values(actor_label="someone else"),
        delete(AuditEventRow).where(AuditEventRow.id == event_id),
    ):
        with pytest.raises(DBAPIError, match="append-only"):
            async with database.transaction() as db:
                await db.execute(statement)
    assert len(await events(acme)) == 5
