"""Booking sessions (POST /v1/sessions): the happy paths, schedule_time, metadata, and listing."""

from __future__ import annotations

from datetime import timedelta, timezone
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
    make_participant,
    make_profile,
    snapshot,
    when,
)
from tests.helpers import ApiClients, StepClock, profile_body, template_body

# --- the happy paths -----------------------------------------------------------------------------------


async def test_existing_ids_book_a_scheduled_session_starting_now(client: httpx.AsyncClient) -> None:
    w = await World(client).build()
    s = await book(
        client,
        participant_id=w.participant["id"],
        template_id=w.template["id"],
        agent_profile_id=w.profile["id"],
        metadata={"externalInterviewId": "INT-789"},
    )
    assert s["status"] == "scheduled"
    assert (s["participant_id"], s["template_id"], s["agent_profile_id"]) == (
        w.participant["id"],
        w.template["id"],
        w.profile["id"],
    )
    assert s["stage_id"] is None
    assert s["schedule_time"] == s["created_at"]  # omitted schedule_time means "now"
    assert s["started_at"] is None
    assert s["completed_at"] is None
    assert s["duration_seconds"] is None
    assert s["is_test"] is False
    assert s["retake_of"] is None
    assert s["external_id"] == "ats-1"
    assert s["metadata"] == {"externalInterviewId": "INT-789"}
    assert s["analysis"] is None
    assert s["analysis_status"] is None
    assert s["join_url"].startswith("https://interviews.example.test/join/")
    assert expect(await client.get(f"/v1/sessions/{s['id']}"), 200) == s
    assert await ids(client, "/v1/sessions") == [s["id"]]


async def test_template_resolution_and_participant_association(client: httpx.AsyncClient) -> None:
    """Seed 004: template > template_id > participant.evaluation_template_id > the participant's own."""
    w = await World(client).build()
    pid, tid = w.participant["id"], w.template["id"]

    s = await book(client, participant_id=pid, agent_profile_id=w.profile["id"])
    assert s["template_id"] == tid  # the existing participant's template

    s = await book(
        client, participant=inline_participant(evaluation_template_id=tid), agent_profile_id=w.profile["id"]
    )
    assert s["template_id"] == tid  # compact syntax inside the inline participant
    person = expect(await client.get(f"/v1/participants/{s['participant_id']}"), 200)
    assert person["evaluation_template_id"] == tid

    s = await book(
        client, participant=inline_participant(), template_id=tid, agent_profile_id=w.profile["id"]
    )
    person = expect(await client.get(f"/v1/participants/{s['participant_id']}"), 200)
    assert person["evaluation_template_id"] == tid == s["template_id"]  # inline participant joins template_id

    # A template-less participant is assigned to the session's template: an existing one...
    pool_id = w.pool_participant["id"]
    s = await book(client, participant_id=pool_id, template_id=tid, agent_profile_id=w.profile["id"])
    assert s["template_id"] == tid
    assert expect(await client.get(f"/v1/participants/{pool_id}"), 200)["evaluation_template_id"] == tid

    # ... or one created inline in the same request.
    fresh = await make_participant(client)
    s = await book(
        client,
        participant_id=fresh["id"],
        template=template_body(name="Data Engineer"),
        agent_profile_id=w.profile["id"],
    )
    assert s["template_id"] not in (None, tid, w.other_template["id"])
    assert set(await ids(client, "/v1/templates")) == {tid, w.other_template["id"], s["template_id"]}
    person = expect(await client.get(f"/v1/participants/{fresh['id']}"), 200)
    assert person["evaluation_template_id"] == s["template_id"]


async def test_stage_id_gives_template_and_the_stages_profile(client: httpx.AsyncClient) -> None:
    w = await World(client).build()
    s = await book(client, participant_id=w.participant["id"], stage_id=w.stage["id"])
    assert (s["stage_id"], s["template_id"], s["agent_profile_id"]) == (
        w.stage["id"],
        w.template["id"],
        w.profile["id"],
    )
    bar_raiser = await make_profile(client, name="Bar Raiser")
    s2 = await book(
        client, participant_id=w.participant["id"], stage_id=w.stage["id"], agent_profile_id=bar_raiser["id"]
    )
    assert s2["agent_profile_id"] == bar_raiser["id"]  # an explicit profile wins over the stage's
    assert s2["template_id"] == w.template["id"]
    s3 = await book(client, participant=inline_participant(), stage_id=w.stage["id"])
    person = expect(await client.get(f"/v1/participants/{s3['participant_id']}"), 200)
    assert person["evaluation_template_id"] == w.template["id"] == s3["template_id"]
    assert await ids(client, "/v1/sessions", stage_id=w.stage["id"]) == [s3["id"], s2["id"], s["id"]]


async def test_inline_participant_template_and_profile_become_listable_resources(
    client: httpx.AsyncClient,
) -> None:
    body = {
        "participant": inline_participant(),
        "template": template_body(name="Inline Backend Role", preset="mock"),
        "agent_profile": profile_body(name="Inline Interviewer"),
    }
    s = await book(client, **body)
    templates = await listed(client, "/v1/templates")
    profiles = await listed(client, "/v1/agent-profiles")
    people = await listed(client, "/v1/participants")
    assert [t["id"] for t in templates] == [s["template_id"]]
    assert templates[0]["name"] == "Inline Backend Role"
    assert templates[0]["success_outcome"] == "pass_fail"  # the mock preset applied inline
    assert templates[0]["default_session_mode"] == "practice_session"
    assert [p["id"] for p in profiles] == [s["agent_profile_id"]]
    assert profiles[0]["name"] == "Inline Interviewer"
    assert [p["id"] for p in people] == [s["participant_id"]]
    person = people[0]
    assert person["evaluation_template_id"] == s["template_id"]  # associated with the new template
    assert person["email"] == body["participant"]["email"]
    assert person["gdpr_expiry_date"] == "2030-01-31"
    assert s["external_id"] == "greenhouse-8821"
    for path in (
        f"/v1/templates/{s['template_id']}",
        f"/v1/agent-profiles/{s['agent_profile_id']}",
        f"/v1/participants/{s['participant_id']}",
    ):
        expect(await client.get(path), 200)
    assert await ids(client, "/v1/sessions") == [s["id"]]


async def test_generic_profile_books_a_jobless_session(client: httpx.AsyncClient) -> None:
    w = await World(client).build()
    s = await book(client, participant=inline_participant(), agent_profile_id=w.generic["id"])
    assert s["template_id"] is None
    assert s["stage_id"] is None
    person = expect(await client.get(f"/v1/participants/{s['participant_id']}"), 200)
    assert person["evaluation_template_id"] is None
    s2 = await book(client, participant_id=w.pool_participant["id"], agent_profile_id=w.generic["id"])
    assert s2["template_id"] is None
    pool = expect(await client.get(f"/v1/participants/{w.pool_participant['id']}"), 200)
    assert pool["evaluation_template_id"] is None  # still in the talent pool
    s3 = await book(
        client,
        participant=inline_participant(),
        agent_profile=profile_body(name="Inline Generic", focus="generic"),
        is_test=True,
    )
    assert s3["template_id"] is None
    assert s3["status"] == "completed"
    assert s3["analysis"]["recommendation"] in ("pass", "fail")  # no template: pass/fail vocabulary


# --- schedule_time ---------------------------------------------------------------------------------------


async def test_schedule_time_rules_follow_the_apps_clock(client: httpx.AsyncClient, clock: StepClock) -> None:
    w = await World(client).build()
    base = {"participant_id": w.participant["id"], "agent_profile_id": w.profile["id"]}
    before = await snapshot(client)
    now = clock.now()
    bad = [
        (now - timedelta(minutes=3)).isoformat(),  # past beyond the 2-minute skew
        (now - timedelta(days=1)).isoformat(),
        (now + timedelta(days=30, minutes=1)).isoformat(),  # more than 30 days ahead
        (now + timedelta(days=90)).isoformat(),
        (now + timedelta(days=1)).replace(tzinfo=None).isoformat(),  # naive: no UTC offset
        "next tuesday",
    ]
    for value in bad:
        r = await client.post("/v1/sessions", json={**base, "schedule_time": value})
        assert r.status_code == 422, (value, r.text)
        assert error_paths(r) == {"schedule_time"}, value
        assert "schedule_time" in r.json()["error"]["message"]
    assert await snapshot(client) == before

    # A moment in the past (client clock skew) means "now".
    t0 = clock.now()
    s = await book(client, **base, schedule_time=(t0 - timedelta(minutes=1)).isoformat())
    assert when(s["schedule_time"]) >= t0
    assert when(s["schedule_time"]) == when(s["created_at"])
    # Future times are kept exactly, in UTC, whatever offset they were sent with.
    ahead = clock.now() + timedelta(days=29, hours=23)
    s = await book(client, **base, schedule_time=ahead.isoformat())
    assert when(s["schedule_time"]) == ahead
    offset = (clock.now() + timedelta(days=2)).replace(microsecond=0)
    sent = offset.astimezone(timezone(timedelta(hours=5, minutes=30))).isoformat()
    assert "+05:30" in sent
    s = await book(client, **base, schedule_time=sent)
    assert when(s["schedule_time"]) == offset
    assert s["schedule_time"].endswith(("Z", "+00:00"))


# --- metadata limits -------------------------------------------------------------------------------------


def _nested(levels: int) -> JSON:
    value: Any = "leaf"
    for i in range(levels, 0, -1):
        value = {f"level{i}": value}
    assert isinstance(value, dict)
    return value


async def test_metadata_limits(client: httpx.AsyncClient) -> None:
    w = await World(client).build()
    base = {"participant_id": w.participant["id"], "agent_profile_id": w.profile["id"]}
    at_limits: list[JSON] = [
        {"blob": "x" * (10 * 1024 - len('{"blob":""}'))},  # exactly 10 KB serialised
        _nested(5),
        {f"k{i}": i for i in range(50)},
        {f"k{i}": {"inner": i} for i in range(25)},  # 50 keys across levels
        {"list": [1, {"a": [2, 3]}], "unicode": "é"},
    ]
    for metadata in at_limits:
        s = await book(client, **base, metadata=metadata)
        assert s["metadata"] == metadata
        assert expect(await client.get(f"/v1/sessions/{s['id']}"), 200)["metadata"] == metadata
    before = await snapshot(client)
    over_limits: list[tuple[Any, str]] = [
        ({"blob": "x" * (10 * 1024 - len('{"blob":""}') + 1)}, "bytes"),
        ({"blob": "é" * 5200}, "bytes"),  # 5200 characters, 10400 bytes in UTF-8
        (_nested(6), "levels"),
        ({"a": [[[[["deep"]]]]]}, "levels"),
        ({f"k{i}": i for i in range(51)}, "keys"),
        ({"k": 0, **{f"k{i}": {"inner": i} for i in range(25)}}, "keys"),
        (["not", "an", "object"], "dictionary"),
    ]
    for metadata, phrase in over_limits:
        r = await client.post("/v1/sessions", json={**base, "metadata": metadata})
        assert r.status_code == 422, (phrase, r.text)
        assert error_paths(r) == {"metadata"}
        assert phrase in r.json()["error"]["message"], r.text
    assert await snapshot(client) == before


# --- listing ---------------------------------------------------------------------------------------------


async def test_list_filters_and_cursor_pagination(client: httpx.AsyncClient) -> None:
    w = await World(client).build()
    other, junior = w.other_template, w.other_participant
    s1 = await book(client, participant_id=w.participant["id"], stage_id=w.stage["id"])
    s2 = await book(client, participant_id=junior["id"], agent_profile_id=w.profile["id"])
    s3 = await book(
        client, participant_id=w.participant["id"], agent_profile_id=w.profile["id"], is_test=True
    )
    s4 = await book(client, participant_id=w.pool_participant["id"], agent_profile_id=w.generic["id"])
    expect(await client.post(f"/v1/sessions/{s4['id']}/cancel"), 200)

    assert await ids(client, "/v1/sessions") == [s4["id"], s3["id"], s2["id"], s1["id"]]
    assert await ids(client, "/v1/sessions", status="scheduled") == [s2["id"], s1["id"]]
    assert await ids(client, "/v1/sessions", status="completed") == [s3["id"]]
    assert await ids(client, "/v1/sessions", status="cancelled") == [s4["id"]]
    assert await ids(client, "/v1/sessions", status="in_progress") == []
    assert await ids(client, "/v1/sessions", template_id=other["id"]) == [s2["id"]]
    assert await ids(client, "/v1/sessions", template_id=w.template["id"]) == [s3["id"], s1["id"]]
    assert await ids(client, "/v1/sessions", participant_id=w.participant["id"]) == [s3["id"], s1["id"]]
    assert await ids(client, "/v1/sessions", stage_id=w.stage["id"]) == [s1["id"]]
    assert await ids(client, "/v1/sessions", is_test="true") == [s3["id"]]
    assert await ids(client, "/v1/sessions", is_test="false") == [s4["id"], s2["id"], s1["id"]]
    assert await ids(client, "/v1/sessions", tag="junior") == [s2["id"]]
    assert await ids(client, "/v1/sessions", tag="senior") == [s4["id"], s3["id"], s1["id"]]
    assert await ids(client, "/v1/sessions", tag="nobody") == []
    assert await ids(client, "/v1/sessions", created_after=s2["created_at"]) == [s4["id"], s3["id"], s2["id"]]
    assert await ids(client, "/v1/sessions", created_before=s2["created_at"]) == [s1["id"]]
    assert await ids(
        client, "/v1/sessions", created_after=s2["created_at"], created_before=s3["created_at"]
    ) == [s2["id"]]
    assert await ids(client, "/v1/sessions", status="scheduled", participant_id=w.participant["id"]) == [
        s1["id"]
    ]

    first = expect(await client.get("/v1/sessions", params={"limit": 3}), 200)
    assert [s["id"] for s in first["data"]] == [s4["id"], s3["id"], s2["id"]]
    assert first["next_cursor"]
    second = expect(
        await client.get("/v1/sessions", params={"limit": 3, "cursor": first["next_cursor"]}), 200
    )
    assert [s["id"] for s in second["data"]] == [s1["id"]]
    assert second["next_cursor"] is None
    assert first["data"][1]["external_id"] == "ats-1"

    r = await client.get("/v1/sessions", params={"cursor": "bm90LWEtY3Vyc29y"})
    assert r.status_code == 400
    assert error_paths(r) == {"cursor"}
    for params in ({"status": "paused"}, {"template_id": "nope"}, {"created_after": "2026-03-02T09:00:00"}):
        r = await client.get("/v1/sessions", params=params)
        assert r.status_code == 422, (params, r.text)


async def test_search_by_name_email_or_external_id(client: httpx.AsyncClient, api: ApiClients) -> None:
    profile = await make_profile(client, focus="generic")
    people = [
        ("Ada Lovelace", "ada@example.com", "ats-100"),
        ("Grace Hopper", "grace@example.org", "ATS_200"),
        ("Alan 100% Turing", "alan@example.net", None),
    ]
    booked = []
    for name, mail, external in people:
        person = await make_participant(client, name=name, email=mail, external_id=external)
        booked.append(await book(client, participant_id=person["id"], agent_profile_id=profile["id"]))
    ada, grace, alan = (s["id"] for s in booked)

    listed_ada = expect(await client.get("/v1/sessions", params={"q": "LOVELACE"}), 200)["data"]
    assert [s["id"] for s in listed_ada] == [ada]
    assert listed_ada[0]["participant_name"] == "Ada Lovelace"
    assert listed_ada[0]["participant_email"] == "ada@example.com"
    assert await ids(client, "/v1/sessions", q="example.org") == [grace]
    assert await ids(client, "/v1/sessions", q="ats") == [grace, ada]
    assert await ids(client, "/v1/sessions", q="ats_") == [grace]  # "_" is no wildcard
    assert await ids(client, "/v1/sessions", q="100%") == [alan]  # nor is "%"
    assert await ids(client, "/v1/sessions", q="a%e") == []
    assert await ids(client, "/v1/sessions", q="nobody") == []
    # Another company's participants never match.
    other = await api.client("globex")
    other_profile = await make_profile(other, focus="generic")
    person = await make_participant(other, name="Ada Twin", email="ada@globex.com")
    await book(other, participant_id=person["id"], agent_profile_id=other_profile["id"])
    assert await ids(client, "/v1/sessions", q="ada") == [ada]
    r = await client.get("/v1/sessions", params={"q": "x" * 201})
    assert r.status_code == 422
    assert error_paths(r) == {"q"}
