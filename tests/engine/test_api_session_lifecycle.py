"""A session's life after booking: test mode and its events, status changes, cancel, retake, join link,
rescheduling and deletion."""

from __future__ import annotations

from datetime import timedelta
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
    when,
)
from tests.helpers import StepClock, profile_body, template_body

STATUSES = ("scheduled", "in_progress", "completed", "cancelled", "failed")
# The legal moves, written out here rather than read from config.sessions, so the test checks the table.
LEGAL = {
    ("scheduled", "in_progress"),
    ("scheduled", "cancelled"),
    ("scheduled", "failed"),
    ("in_progress", "completed"),
    ("in_progress", "failed"),
    ("in_progress", "cancelled"),
}
# How to bring a fresh (scheduled) session into each status through legal PATCHes.
ROUTE = {
    "scheduled": [],
    "in_progress": ["in_progress"],
    "completed": ["in_progress", "completed"],
    "cancelled": ["cancelled"],
    "failed": ["failed"],
}
STATUS_EVENTS = {
    "in_progress": "session.started",
    "completed": "session.completed",
    "cancelled": "session.cancelled",
    "failed": "session.failed",
}


async def patch(client: httpx.AsyncClient, session_id: str, **body: Any) -> httpx.Response:
    return await client.patch(f"/v1/sessions/{session_id}", json=body)


async def session_events(client: httpx.AsyncClient, session_id: str) -> list[JSON]:
    """The session's events, newest first."""
    return [e for e in await listed(client, "/v1/events") if e["data"].get("session_id") == session_id]


def without_analysis(session: JSON) -> JSON:
    return {k: v for k, v in session.items() if k not in ("analysis_status", "analysis")}


async def status_events(client: httpx.AsyncClient, session_id: str) -> list[JSON]:
    """The session's status events (a completed session's analysis.* events come on their own time)."""
    return [e for e in await session_events(client, session_id) if e["type"].startswith("session.")]


async def test_test_mode_completes_at_once_with_analysis_and_events(client: httpx.AsyncClient) -> None:
    participant = inline_participant(external_id="crm-42")
    s = await book(
        client,
        participant=participant,
        template=template_body(name="Backend Test"),
        agent_profile=profile_body(name="Test Interviewer"),
        is_test=True,
    )
    assert s["is_test"] is True
    assert s["status"] == "completed"
    assert s["duration_seconds"] == 300
    assert when(s["completed_at"]) - when(s["started_at"]) == timedelta(seconds=300)
    assert s["join_url"] is None
    assert s["analysis_status"] == "COMPLETED"
    analysis = s["analysis"]
    assert analysis["is_test_data"] is True
    assert analysis["general"]["status"] == 3
    assert 0 <= analysis["general"]["overallRating"] <= 100
    assert analysis["conversationCheck"] == {"candidateInterest": True, "conversationCompleted": True}
    assert analysis["recommendation"] in ("hire", "no_hire")  # the template's hiring vocabulary
    assert [d["name"] for d in analysis["dimensions"]] == ["System Design", "Communication", "Ownership"]
    assert analysis["transcript"]
    assert expect(await client.get(f"/v1/sessions/{s['id']}"), 200) == s
    r = await client.get(f"/v1/sessions/{s['id']}/join-link")
    assert r.status_code == 409
    assert await ids(client, "/v1/sessions", is_test="true") == [s["id"]]
    assert await ids(client, "/v1/sessions", is_test="false") == []

    events = await listed(client, "/v1/events")
    assert [e["type"] for e in events] == [
        "analysis.completed",
        "session.completed",
        "session.scheduled",
        "participant.created",
    ]
    stamps = [when(e["timestamp"]) for e in events]
    assert stamps == sorted(stamps, reverse=True)  # newest first
    for event in events[:3]:
        data = event["data"]
        assert data["session_id"] == s["id"]
        assert data["participant_id"] == s["participant_id"]
        assert data["template_id"] == s["template_id"]
        assert data["agent_profile_id"] == s["agent_profile_id"]
        assert data["external_id"] == "crm-42"
        assert data["is_test"] is True
    assert [e["data"]["status"] for e in events[:3]] == ["completed", "completed", "scheduled"]
    summary = events[0]["data"]["analysis"]
    assert summary["overallRating"] == analysis["general"]["overallRating"]
    assert summary["recommendation"] == analysis["recommendation"]
    assert events[3]["data"]["participant_id"] == s["participant_id"]
    assert events[3]["data"]["external_id"] == "crm-42"

    only = expect(await client.get("/v1/events", params={"type": "session.completed"}), 200)["data"]
    assert [e["id"] for e in only] == [events[1]["id"]]
    page = expect(await client.get("/v1/events", params={"limit": 2}), 200)
    assert [e["id"] for e in page["data"]] == [events[0]["id"], events[1]["id"]]
    rest = expect(await client.get("/v1/events", params={"cursor": page["next_cursor"]}), 200)
    assert [e["id"] for e in rest["data"]] == [events[2]["id"], events[3]["id"]]

    # A real session's events say is_test false; a test session's analysis never reaches it.
    real = await book(client, participant_id=s["participant_id"], agent_profile_id=s["agent_profile_id"])
    assert real["analysis"] is None
    (scheduled,) = await session_events(client, real["id"])
    assert scheduled["type"] == "session.scheduled"
    assert scheduled["data"]["is_test"] is False
    assert scheduled["data"]["external_id"] == "crm-42"


async def test_every_status_transition_through_patch(client: httpx.AsyncClient) -> None:
    w = await World(client).build()
    for source in STATUSES:
        for target in STATUSES:
            if source == target:
                continue
            s = await book(client, participant_id=w.participant["id"], agent_profile_id=w.profile["id"])
            for step in ROUTE[source]:
                expect(await patch(client, s["id"], status=step), 200)
            before = expect(await client.get(f"/v1/sessions/{s['id']}"), 200)
            assert before["status"] == source
            r = await patch(client, s["id"], status=target)
            if (source, target) in LEGAL:
                assert r.status_code == 200, (source, target, r.text)
                assert r.json()["status"] == target
                assert (await status_events(client, s["id"]))[0]["type"] == STATUS_EVENTS[target]
            else:
                assert r.status_code == 409, (source, target, r.text)
                error = r.json()["error"]
                assert error["code"] == "conflict"
                assert error_paths(r) == {"status"}
                assert source in error["message"]
                assert target in error["message"]
                after = expect(await client.get(f"/v1/sessions/{s['id']}"), 200)
                # A completed session's analysis runs on its own meanwhile; nothing else may change.
                assert without_analysis(after) == without_analysis(before)
    r = await patch(client, s["id"], status="paused")
    assert r.status_code == 422
    assert error_paths(r) == {"status"}


async def test_timestamps_and_duration_follow_the_clock(client: httpx.AsyncClient, clock: StepClock) -> None:
    w = await World(client).build()
    base = {"participant_id": w.participant["id"], "agent_profile_id": w.profile["id"]}

    s = await book(client, **base)
    t0 = clock.now()
    started = expect(await patch(client, s["id"], status="in_progress"), 200)
    t1 = clock.now()
    assert t0 < when(started["started_at"]) < t1
    assert started["completed_at"] is None
    assert started["duration_seconds"] is None
    assert started["join_url"] == s["join_url"]  # still joinable while running
    clock.advance(timedelta(minutes=10))
    done = expect(await patch(client, s["id"], status="completed"), 200)
    assert done["started_at"] == started["started_at"]
    assert when(done["completed_at"]) - when(done["started_at"]) >= timedelta(minutes=10)
    assert done["duration_seconds"] == 600
    assert done["analysis_status"] == "PENDING"
    assert done["join_url"] is None
    assert when(done["updated_at"]) == when(done["completed_at"])
    assert [e["type"] for e in await status_events(client, s["id"])] == [
        "session.completed",
        "session.started",
        "session.scheduled",
    ]

    s = await book(client, **base)
    expect(await patch(client, s["id"], status="in_progress"), 200)
    clock.advance(timedelta(seconds=95))
    failed = expect(await patch(client, s["id"], status="failed"), 200)
    assert failed["duration_seconds"] == 95
    assert failed["analysis_status"] is None

    s = await book(client, **base)
    never = expect(await patch(client, s["id"], status="cancelled"), 200)
    assert never["started_at"] is None
    assert never["completed_at"] is not None
    assert never["duration_seconds"] is None  # it never ran


async def test_patch_schedule_time_and_metadata(client: httpx.AsyncClient, clock: StepClock) -> None:
    w = await World(client).build()
    s = await book(
        client, participant_id=w.participant["id"], agent_profile_id=w.profile["id"], metadata={"a": 1}
    )
    later = clock.now() + timedelta(days=3)
    moved = expect(await patch(client, s["id"], schedule_time=later.isoformat()), 200)
    assert when(moved["schedule_time"]) == later
    assert moved["metadata"] == {"a": 1}  # untouched when not sent
    for value in (
        (clock.now() - timedelta(hours=1)).isoformat(),
        (clock.now() + timedelta(days=31)).isoformat(),
        (clock.now() + timedelta(days=1)).replace(tzinfo=None).isoformat(),
    ):
        r = await patch(client, s["id"], schedule_time=value)
        assert r.status_code == 422, (value, r.text)
        assert error_paths(r) == {"schedule_time"}
    meta = expect(await patch(client, s["id"], metadata={"b": {"c": [1, 2]}}), 200)
    assert meta["metadata"] == {"b": {"c": [1, 2]}}  # replaced, not merged
    assert when(meta["schedule_time"]) == later
    r = await patch(client, s["id"], metadata={f"k{i}": i for i in range(51)})
    assert r.status_code == 422
    assert error_paths(r) == {"metadata"}
    r = await patch(client, s["id"], notes="typo")
    assert r.status_code == 422
    assert error_paths(r) == {"notes"}
    assert expect(await client.get(f"/v1/sessions/{s['id']}"), 200) == meta

    expect(await patch(client, s["id"], status="in_progress"), 200)
    r = await patch(client, s["id"], schedule_time=(clock.now() + timedelta(days=1)).isoformat())
    assert r.status_code == 409  # only a scheduled session can be rescheduled
    assert "schedule_time" in r.json()["error"]["message"]
    still = expect(await patch(client, s["id"], metadata={"note": "running"}), 200)
    assert still["metadata"] == {"note": "running"}
    assert still["status"] == "in_progress"


async def test_cancel(client: httpx.AsyncClient, clock: StepClock) -> None:
    w = await World(client).build()
    base = {"participant_id": w.participant["id"], "agent_profile_id": w.profile["id"]}
    s = await book(client, **base)
    cancelled = expect(await client.post(f"/v1/sessions/{s['id']}/cancel"), 200)
    assert cancelled["status"] == "cancelled"
    assert cancelled["completed_at"] is not None
    assert cancelled["join_url"] is None
    assert (await session_events(client, s["id"]))[0]["type"] == "session.cancelled"
    r = await client.post(f"/v1/sessions/{s['id']}/cancel")
    assert r.status_code == 409  # final
    assert r.json()["error"]["code"] == "conflict"

    running = await book(client, **base)
    expect(await patch(client, running["id"], status="in_progress"), 200)
    clock.advance(timedelta(seconds=30))
    stopped = expect(await client.post(f"/v1/sessions/{running['id']}/cancel"), 200)
    assert stopped["status"] == "cancelled"
    assert stopped["duration_seconds"] == 30

    for final in ("completed", "failed"):
        f = await book(client, **base)
        for step in ROUTE[final]:
            expect(await patch(client, f["id"], status=step), 200)
        r = await client.post(f"/v1/sessions/{f['id']}/cancel")
        assert r.status_code == 409, final
        assert expect(await client.get(f"/v1/sessions/{f['id']}"), 200)["status"] == final
    r = await client.post("/v1/sessions/00000000-0000-4000-8000-000000000000/cancel")
    assert r.status_code == 404


async def test_retake_creates_a_new_session_and_keeps_the_earlier_one(client: httpx.AsyncClient) -> None:
    w = await World(client).build()
    s = await book(
        client, participant_id=w.participant["id"], stage_id=w.stage["id"], metadata={"attempt": 1}
    )
    r = await client.post(f"/v1/sessions/{s['id']}/retake")
    assert r.status_code == 409  # still open: resume it through the same link instead
    expect(await patch(client, s["id"], status="in_progress"), 200)
    assert (await client.post(f"/v1/sessions/{s['id']}/retake")).status_code == 409
    expect(await patch(client, s["id"], status="failed"), 200)
    original = expect(await client.get(f"/v1/sessions/{s['id']}"), 200)

    retake = expect(await client.post(f"/v1/sessions/{s['id']}/retake"), 201)
    assert retake["id"] != s["id"]
    assert retake["retake_of"] == s["id"]
    assert retake["status"] == "scheduled"
    for field in ("participant_id", "template_id", "stage_id", "agent_profile_id", "metadata", "external_id"):
        assert retake[field] == original[field], field
    assert retake["started_at"] is None
    assert retake["duration_seconds"] is None
    assert retake["join_url"] is not None
    assert retake["join_url"] != s["join_url"]
    assert expect(await client.get(f"/v1/sessions/{s['id']}"), 200) == original  # untouched
    assert await ids(client, "/v1/sessions") == [retake["id"], s["id"]]
    assert await ids(client, "/v1/sessions", participant_id=w.participant["id"]) == [retake["id"], s["id"]]
    (event,) = await session_events(client, retake["id"])
    assert event["type"] == "session.scheduled"

    # A retake of a retake, with new metadata; cancelled sessions can be retaken too.
    expect(await client.post(f"/v1/sessions/{retake['id']}/cancel"), 200)
    again = expect(
        await client.post(f"/v1/sessions/{retake['id']}/retake", json={"metadata": {"attempt": 3}}), 201
    )
    assert again["retake_of"] == retake["id"]
    assert again["metadata"] == {"attempt": 3}
    r = await client.post(f"/v1/sessions/{again['id']}/retake", json={"metadata": {"x": [[[[[1]]]]]}})
    assert r.status_code == 422
    assert error_paths(r) == {"metadata"}


async def test_retake_of_a_test_session_completes_again(client: httpx.AsyncClient) -> None:
    w = await World(client).build()
    s = await book(client, participant_id=w.participant["id"], agent_profile_id=w.profile["id"], is_test=True)
    retake = expect(await client.post(f"/v1/sessions/{s['id']}/retake"), 201)
    assert retake["is_test"] is True
    assert retake["status"] == "completed"
    assert retake["retake_of"] == s["id"]
    assert retake["analysis"]["is_test_data"] is True
    assert retake["duration_seconds"] == 300
    types = [e["type"] for e in await session_events(client, retake["id"])]
    assert types == ["analysis.completed", "session.completed", "session.scheduled"]


async def test_retake_refuses_when_a_resource_was_deleted(client: httpx.AsyncClient) -> None:
    w = await World(client).build()
    s = await book(client, participant_id=w.participant["id"], stage_id=w.stage["id"])
    expect(await client.post(f"/v1/sessions/{s['id']}/cancel"), 200)
    assert (await client.delete(f"/v1/stages/{w.stage['id']}")).status_code == 204
    before = await ids(client, "/v1/sessions")
    r = await client.post(f"/v1/sessions/{s['id']}/retake")
    assert r.status_code == 409, r.text
    assert "stage" in r.json()["error"]["message"]
    assert await ids(client, "/v1/sessions") == before

    p = await book(client, participant_id=w.pool_participant["id"], agent_profile_id=w.generic["id"])
    expect(await client.post(f"/v1/sessions/{p['id']}/cancel"), 200)
    assert (await client.delete(f"/v1/participants/{w.pool_participant['id']}")).status_code == 204
    r = await client.post(f"/v1/sessions/{p['id']}/retake")
    assert r.status_code == 409, r.text
    assert "participant" in r.json()["error"]["message"]


async def test_join_link(client: httpx.AsyncClient) -> None:
    w = await World(client).build()
    s = await book(client, participant_id=w.participant["id"], agent_profile_id=w.profile["id"])
    link = expect(await client.get(f"/v1/sessions/{s['id']}/join-link"), 200)
    assert link["url"] == s["join_url"]
    prefix = "https://interviews.example.test/join/"
    assert link["url"].startswith(prefix)
    token = link["url"].removeprefix(prefix)
    assert len(token) >= 43
    assert "/" not in token
    assert set(link) == {"url"}
    expect(await patch(client, s["id"], status="in_progress"), 200)
    assert expect(await client.get(f"/v1/sessions/{s['id']}/join-link"), 200)["url"] == link["url"]
    expect(await patch(client, s["id"], status="completed"), 200)
    r = await client.get(f"/v1/sessions/{s['id']}/join-link")
    assert r.status_code == 409
    assert "completed" in r.json()["error"]["message"]
    other = await book(client, participant_id=w.participant["id"], agent_profile_id=w.profile["id"])
    assert other["join_url"] != s["join_url"]  # every session has its own token
    assert (
        await client.get("/v1/sessions/00000000-0000-4000-8000-000000000000/join-link")
    ).status_code == 404


async def test_delete(client: httpx.AsyncClient) -> None:
    w = await World(client).build()
    base = {"participant_id": w.participant["id"], "agent_profile_id": w.profile["id"]}
    keep = await book(client, **base)
    s = await book(client, **base)
    r = await client.delete(f"/v1/sessions/{s['id']}")
    assert r.status_code == 204
    assert r.content == b""
    for method, suffix in (
        ("GET", ""),
        ("PATCH", ""),
        ("DELETE", ""),
        ("GET", "/join-link"),
        ("POST", "/cancel"),
    ):
        kwargs: dict[str, Any] = {"json": {"metadata": {}}} if method == "PATCH" else {}
        r = await client.request(method, f"/v1/sessions/{s['id']}{suffix}", **kwargs)
        assert r.status_code == 404, (method, suffix, r.text)
    assert await ids(client, "/v1/sessions") == [keep["id"]]

    running = await book(client, **base)
    expect(await patch(client, running["id"], status="in_progress"), 200)
    r = await client.delete(f"/v1/sessions/{running['id']}")
    assert r.status_code == 409
    assert expect(await client.get(f"/v1/sessions/{running['id']}"), 200)["status"] == "in_progress"
    expect(await patch(client, running["id"], status="completed"), 200)
    assert (await client.delete(f"/v1/sessions/{running['id']}")).status_code == 204
    assert (await client.post(f"/v1/sessions/{running['id']}/retake")).status_code == 404
    assert await ids(client, "/v1/sessions") == [keep["id"]]
    assert (await client.get("/v1/sessions/not-a-uuid")).status_code == 422
