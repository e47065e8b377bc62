"""Every seed-004 violation of POST /v1/sessions: a 400/422 naming the fields, and nothing persisted."""

from __future__ import annotations

from collections.abc import Callable

import httpx

from tests.engine.session_helpers import (
    JSON,
    World,
    error_paths,
    expect,
    inline_participant,
    snapshot,
)
from tests.helpers import profile_body, template_body

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
