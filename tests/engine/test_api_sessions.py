"""Booking sessions (POST /v1/sessions) under seed 004's rules, and listing them.

Also home of the small request helpers the other session, auth and isolation modules import.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable
from datetime import datetime, timedelta, timezone
from typing import Any

import httpx

from tests.helpers import StepClock, participant_body, profile_body, template_body

JSON = dict[str, Any]
_emails = itertools.count(1)


# --- helpers shared with the other modules of this package ------------------------------------------


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


# --- every seed-004 violation: 400 naming the conflicting fields, nothing persisted ----------------------


def _both_participants(w: World) -> JSON:
    return {
        "participant_id": w.participant["id"],
        "participant": inline_participant(),
        "agent_profile_id": w.profile["id"],
    }


def _both_templates(w: World) -> JSON:
    return {
        "participant": inline_participant(),
        "template_id": w.template["id"],
        "template": template_body(name="Inline Template"),
        "agent_profile_id": w.profile["id"],
    }


def _both_profiles(w: World) -> JSON:
    return {
        "participant": inline_participant(),
        "template": template_body(name="Inline Template"),
        "agent_profile_id": w.profile["id"],
        "agent_profile": profile_body(name="Inline Profile"),
    }


def _compact_and_template_id(w: World) -> JSON:
    return {
        "participant": inline_participant(evaluation_template_id=w.template["id"]),
        "template_id": w.template["id"],
        "agent_profile": profile_body(name="Inline Profile"),
    }


def _compact_and_inline_template(w: World) -> JSON:
    return {
        "participant": inline_participant(evaluation_template_id=w.template["id"]),
        "template": template_body(name="Inline Template"),
        "agent_profile_id": w.profile["id"],
    }


def _participant_of_another_template_inline(w: World) -> JSON:
    return {
        "participant_id": w.participant["id"],
        "template": template_body(name="Inline Template"),
        "agent_profile": profile_body(name="Inline Profile"),
    }


def _participant_of_another_template_id(w: World) -> JSON:
    return {
        "participant_id": w.participant["id"],
        "template_id": w.other_template["id"],
        "agent_profile_id": w.profile["id"],
    }


def _generic_profile_with_inline_template(w: World) -> JSON:
    return {
        "participant": inline_participant(),
        "template": template_body(name="Inline Template"),
        "agent_profile_id": w.generic["id"],
    }


def _generic_inline_profile_with_template_id(w: World) -> JSON:
    return {
        "participant": inline_participant(),
        "template_id": w.template["id"],
        "agent_profile": profile_body(name="Inline Generic", focus="generic"),
    }


def _generic_profile_with_participant_of_a_template(w: World) -> JSON:
    return {"participant_id": w.participant["id"], "agent_profile_id": w.generic["id"]}


def _generic_profile_with_compact_template(w: World) -> JSON:
    return {
        "participant": inline_participant(evaluation_template_id=w.template["id"]),
        "agent_profile_id": w.generic["id"],
    }


def _screening_profile_without_template(w: World) -> JSON:
    return {"participant": inline_participant(), "agent_profile_id": w.profile["id"]}


def _inline_screening_profile_without_template(w: World) -> JSON:
    return {"participant_id": w.pool_participant["id"], "agent_profile": profile_body(name="Inline Profile")}


def _stage_of_another_template_id(w: World) -> JSON:
    return {
        "participant": inline_participant(),
        "template_id": w.other_template["id"],
        "stage_id": w.stage["id"],
    }


def _stage_with_inline_template(w: World) -> JSON:
    return {
        "participant": inline_participant(),
        "template": template_body(name="Inline Template"),
        "stage_id": w.stage["id"],
    }


def _stage_of_another_compact_template(w: World) -> JSON:
    return {
        "participant": inline_participant(evaluation_template_id=w.other_template["id"]),
        "stage_id": w.stage["id"],
    }


def _stage_of_another_template_than_the_participants(w: World) -> JSON:
    return {"participant_id": w.other_participant["id"], "stage_id": w.stage["id"]}


VIOLATIONS: list[tuple[Callable[[World], JSON], set[str], str]] = [
    (_both_participants, {"participant_id", "participant"}, "participant_id or participant"),
    (_both_templates, {"template_id", "template"}, "template_id or template"),
    (_both_profiles, {"agent_profile_id", "agent_profile"}, "agent_profile_id or agent_profile"),
    (_compact_and_template_id, {"participant.evaluation_template_id", "template_id"}, "template_id"),
    (_compact_and_inline_template, {"participant.evaluation_template_id", "template"}, "template"),
    (_participant_of_another_template_inline, {"participant_id", "template"}, "belongs to template"),
    (_participant_of_another_template_id, {"participant_id", "template_id"}, "belongs to template"),
    (_generic_profile_with_inline_template, {"agent_profile_id", "template"}, "generic"),
    (_generic_inline_profile_with_template_id, {"agent_profile", "template_id"}, "generic"),
    (_generic_profile_with_participant_of_a_template, {"agent_profile_id", "participant_id"}, "generic"),
    (
        _generic_profile_with_compact_template,
        {"agent_profile_id", "participant.evaluation_template_id"},
        "generic",
    ),
    (_screening_profile_without_template, {"agent_profile_id", "template_id"}, "needs a template"),
    (_inline_screening_profile_without_template, {"agent_profile", "template_id"}, "needs a template"),
    (_stage_of_another_template_id, {"stage_id", "template_id"}, "another template"),
    (_stage_with_inline_template, {"stage_id", "template"}, "another template"),
    (
        _stage_of_another_compact_template,
        {"stage_id", "participant.evaluation_template_id"},
        "another template",
    ),
    (_stage_of_another_template_than_the_participants, {"participant_id", "stage_id"}, "belongs to template"),
]


async def test_every_seed_004_violation_is_400_naming_fields_and_persists_nothing(
    client: httpx.AsyncClient,
) -> None:
    w = await World(client).build()
    before = await snapshot(client)
    people = (w.participant, w.pool_participant, w.other_participant)
    people_before = [expect(await client.get(f"/v1/participants/{p['id']}"), 200) for p in people]
    for build, fields, phrase in VIOLATIONS:
        case = build.__name__
        r = await client.post("/v1/sessions", json=build(w))
        assert r.status_code == 400, (case, r.text)
        error = r.json()["error"]
        assert error["code"] == "bad_request", case
        assert error_paths(r) == fields, (case, r.text)
        assert phrase in error["message"], (case, error["message"])
        # No inline template, profile or participant, no session and no event survived the failure.
        assert await snapshot(client) == before, case
    assert [expect(await client.get(f"/v1/participants/{p['id']}"), 200) for p in people] == people_before


async def test_inline_objects_are_rolled_back_when_a_later_step_fails(client: httpx.AsyncClient) -> None:
    """The duplicate is found after the inline template and profile were written: all of it goes."""
    w = await World(client).build()
    before = await snapshot(client)
    r = await client.post(
        "/v1/sessions",
        json={
            "participant": inline_participant(
                evaluation_template_id=w.template["id"], email=w.participant["email"]
            ),
            "agent_profile": profile_body(name="Inline Profile"),
        },
    )
    assert r.status_code == 409, r.text
    assert error_paths(r) == {"participant.email"}
    assert await snapshot(client) == before
    r = await client.post(
        "/v1/sessions",
        json={
            "participant": inline_participant(),
            "template": template_body(name="Inline Template"),
            "agent_profile": profile_body(name="Inline Profile"),
            "stage_id": "00000000-0000-4000-8000-000000000000",
        },
    )
    assert r.status_code == 422, r.text
    assert error_paths(r) == {"stage_id"}
    assert await snapshot(client) == before


async def test_missing_or_unknown_references_are_422_naming_the_field(client: httpx.AsyncClient) -> None:
    w = await World(client).build()
    missing = "00000000-0000-4000-8000-000000000000"
    before = await snapshot(client)
    cases: list[tuple[JSON, str]] = [
        ({"agent_profile_id": w.profile["id"], "template_id": w.template["id"]}, "participant_id"),
        ({"participant_id": w.participant["id"]}, "agent_profile_id"),
        ({"participant_id": missing, "agent_profile_id": w.profile["id"]}, "participant_id"),
        (
            {
                "participant_id": w.participant["id"],
                "template_id": missing,
                "agent_profile_id": w.profile["id"],
            },
            "template_id",
        ),
        ({"participant_id": w.participant["id"], "agent_profile_id": missing}, "agent_profile_id"),
        ({"participant_id": w.participant["id"], "stage_id": missing}, "stage_id"),
        (
            {
                "participant": inline_participant(evaluation_template_id=missing),
                "agent_profile_id": w.profile["id"],
            },
            "participant.evaluation_template_id",
        ),
        (
            {
                "participant": {k: v for k, v in inline_participant().items() if k != "gdpr_expiry_date"},
                "template_id": w.template["id"],
                "agent_profile_id": w.profile["id"],
            },
            "participant.gdpr_expiry_date",
        ),
        ({"participant_id": "not-a-uuid", "agent_profile_id": w.profile["id"]}, "participant_id"),
        (
            {"participant_id": w.participant["id"], "agent_profile_id": w.profile["id"], "job_id": missing},
            "job_id",
        ),
    ]
    for body, field in cases:
        r = await client.post("/v1/sessions", json=body)
        assert r.status_code == 422, (body, r.text)
        assert r.json()["error"]["code"] == "validation_failed"
        assert field in error_paths(r), (body, r.text)
    assert await snapshot(client) == before


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
