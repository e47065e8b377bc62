"""The stage pipeline (seed 001): pass or fail against the stage's threshold, auto-advance to the next
stage, human approval, one retry, and the participant's position, decided when the analysis completes."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from config.settings import EMBEDDED_REVIEW_MARGIN
from engine.services.pipeline import EMBEDDED_REASON
from tests.engine.analysis_helpers import STRONG, WEAK, analysed, complete_with
from tests.engine.session_helpers import (
    book,
    error_paths,
    expect,
    listed,
    make_participant,
    make_profile,
    make_stage,
    make_template,
)

pytestmark = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)

JSON = dict[str, Any]


async def pipeline_of(
    client: httpx.AsyncClient, *, screen: JSON, final: JSON
) -> tuple[JSON, JSON, JSON, JSON]:
    """A template with a Screen stage and a Final stage (their own profiles), and a participant of it.
    The stages let the embedded scorer (these tests' scorer) decide by itself unless told otherwise: the
    tests are about what the pipeline does with a verdict."""
    screener = await make_profile(client)
    closer = await make_profile(client, name="Final Round Interviewer")
    template = await make_template(client)
    trusted = {"embedded_scorer_decides": True}
    first = await make_stage(client, template["id"], screener["id"], name="Screen", **{**trusted, **screen})
    second = await make_stage(client, template["id"], closer["id"], name="Final", **{**trusted, **final})
    person = await make_participant(client, evaluation_template_id=template["id"], external_id="ats-77")
    return template, first, second, person


async def events_of(client: httpx.AsyncClient, kind: str) -> list[JSON]:
    return list(expect(await client.get("/v1/events", params={"type": kind}), 200)["data"])


async def result(app: FastAPI, client: httpx.AsyncClient, session_id: str) -> JSON:
    await analysed(app, client, session_id)
    return dict(expect(await client.get(f"/v1/sessions/{session_id}"), 200)["stage_result"])


async def test_a_pass_advances_to_the_next_stage_which_then_waits_for_approval(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    _, screen, final, person = await pipeline_of(
        client, screen={"pass_threshold": 60}, final={"pass_threshold": 60, "on_complete": "human_approval"}
    )
    first = await book(client, participant_id=person["id"], stage_id=screen["id"])
    await complete_with(app, client, first["id"], STRONG)
    decided = await result(app, client, first["id"])
    assert decided["outcome"] == "advanced"
    assert decided["passed"] is True
    assert decided["overallRating"] >= 60
    assert decided["passThreshold"] == 60
    nxt = expect(await client.get(f"/v1/sessions/{decided['nextSessionId']}"), 200)
    assert (nxt["stage_id"], nxt["status"], nxt["participant_id"]) == (final["id"], "scheduled", person["id"])
    assert nxt["agent_profile_id"] == final["agent_profile_id"]
    assert nxt["join_url"]  # the invite link for the next round
    (advanced,) = await events_of(client, "stage.advanced")
    assert advanced["data"]["next_session_id"] == nxt["id"]
    assert advanced["data"]["external_id"] == "ats-77"
    scheduled = [e["data"]["session_id"] for e in await events_of(client, "session.scheduled")]
    assert nxt["id"] in scheduled

    position = expect(await client.get(f"/v1/participants/{person['id']}/pipeline"), 200)
    assert position["current_stage_id"] == final["id"]
    assert [(s["name"], s["status"]) for s in position["stages"]] == [
        ("Screen", "advanced"),
        ("Final", "scheduled"),
    ]

    # The final stage needs a human: nothing moves until someone approves.
    await complete_with(app, client, nxt["id"], STRONG)
    waiting = await result(app, client, nxt["id"])
    assert (waiting["outcome"], waiting["nextSessionId"]) == ("awaiting_approval", None)
    assert len(await events_of(client, "stage.awaiting_approval")) == 1
    approved = expect(await client.post(f"/v1/sessions/{nxt['id']}/approve"), 200)
    assert approved["stage_result"]["outcome"] == "approved"
    assert approved["stage_result"]["decidedBy"].startswith("api_key:")
    assert approved["stage_result"]["nextSessionId"] is None  # the last stage
    assert len(await events_of(client, "stage.passed")) == 1
    again = await client.post(f"/v1/sessions/{nxt['id']}/approve")
    assert again.status_code == 409
    assert error_paths(again) == {"stage_result"}
    position = expect(await client.get(f"/v1/participants/{person['id']}/pipeline"), 200)
    assert position["current_stage_id"] is None
    assert [s["status"] for s in position["stages"]] == ["advanced", "approved"]


async def test_the_embedded_scorers_verdict_waits_for_a_person_unless_the_stage_lets_it_decide(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    profile = await make_profile(client)
    template = await make_template(client)
    # An auto-advancing stage left as created: the embedded scorer may not decide by itself.
    screen = await make_stage(
        client, template["id"], profile["id"], name="Screen", pass_threshold=60, allow_retry=True
    )
    final = await make_stage(client, template["id"], profile["id"], name="Final")
    assert (screen["on_complete"], screen["embedded_scorer_decides"]) == ("auto_advance", False)
    strong = await make_participant(client, evaluation_template_id=template["id"])
    weak = await make_participant(client, evaluation_template_id=template["id"])
    first = await book(client, participant_id=strong["id"], stage_id=screen["id"])
    await complete_with(app, client, first["id"], STRONG)
    analysis = await analysed(app, client, first["id"])
    assert (analysis["scorer"], analysis["needsReview"]) == ("embedded", False)
    waiting = await result(app, client, first["id"])
    # The scorer's verdict is kept as the suggestion; the reason says why a person confirms it.
    assert (waiting["outcome"], waiting["reason"], waiting["passed"]) == (
        "awaiting_approval",
        "embedded_scorer",
        True,
    )
    assert waiting["reviewReasons"] == [EMBEDDED_REASON]
    assert "not correctness" in EMBEDDED_REASON
    assert (waiting["nextSessionId"], waiting["decidedBy"]) == (None, None)
    # A weak result on a stage that allows a retry: no fail and no retake by itself either.
    second = await book(client, participant_id=weak["id"], stage_id=screen["id"])
    await complete_with(app, client, second["id"], WEAK)
    held = await result(app, client, second["id"])
    assert (held["outcome"], held["reason"], held["passed"]) == (
        "awaiting_approval",
        "embedded_scorer",
        False,
    )
    assert [s["id"] for s in await listed(client, "/v1/sessions", participant_id=weak["id"])] == [
        second["id"]
    ]
    assert await events_of(client, "stage.advanced") == []
    assert await events_of(client, "stage.failed") == []
    awaiting = await events_of(client, "stage.awaiting_approval")
    assert sorted(e["data"]["session_id"] for e in awaiting) == sorted([first["id"], second["id"]])
    for event in awaiting:
        assert (event["data"]["reason"], event["data"]["review_reasons"]) == (
            "embedded_scorer",
            [EMBEDDED_REASON],
        )

    # The results waiting for a person are one filter away (the review list's "Waiting for a decision").
    waiting_ids = await listed(client, "/v1/sessions", stage_outcome="awaiting_approval")
    assert sorted(s["id"] for s in waiting_ids) == sorted([first["id"], second["id"]])
    assert await listed(client, "/v1/sessions", stage_outcome="advanced") == []
    refused = await client.get("/v1/sessions", params={"stage_outcome": "maybe"})
    assert refused.status_code == 422
    assert error_paths(refused) == {"stage_outcome"}

    # A person confirms the pass: now the participant moves on.
    approved = expect(await client.post(f"/v1/sessions/{first['id']}/approve"), 200)["stage_result"]
    assert approved["outcome"] == "approved"
    nxt = expect(await client.get(f"/v1/sessions/{approved['nextSessionId']}"), 200)
    assert nxt["stage_id"] == final["id"]
    still = await listed(client, "/v1/sessions", stage_outcome="awaiting_approval")
    assert [s["id"] for s in still] == [second["id"]]
    assert [s["id"] for s in await listed(client, "/v1/sessions", stage_outcome="approved")] == [first["id"]]

    # The recruiter lets the embedded scorer decide on this stage: the next result moves by itself.
    changed = expect(
        await client.patch(f"/v1/stages/{screen['id']}", json={"embedded_scorer_decides": True}), 200
    )
    assert changed["embedded_scorer_decides"] is True
    third = await book(
        client,
        participant_id=(await make_participant(client, evaluation_template_id=template["id"]))["id"],
        stage_id=screen["id"],
    )
    await complete_with(app, client, third["id"], STRONG)
    moved = await result(app, client, third["id"])
    assert (moved["outcome"], moved["decidedBy"]) == ("advanced", "pipeline")
    assert "reason" not in moved


async def test_a_rejected_result_stops_the_participant(app: FastAPI, client: httpx.AsyncClient) -> None:
    _, screen, _, person = await pipeline_of(client, screen={"on_complete": "human_approval"}, final={})
    session = await book(client, participant_id=person["id"], stage_id=screen["id"])
    await complete_with(app, client, session["id"], STRONG)
    assert (await result(app, client, session["id"]))["outcome"] == "awaiting_approval"
    rejected = expect(await client.post(f"/v1/sessions/{session['id']}/reject"), 200)
    assert (rejected["stage_result"]["outcome"], rejected["stage_result"]["nextSessionId"]) == (
        "rejected",
        None,
    )
    assert len(await events_of(client, "stage.rejected")) == 1
    assert (await client.post(f"/v1/sessions/{session['id']}/approve")).status_code == 409
    position = expect(await client.get(f"/v1/participants/{person['id']}/pipeline"), 200)
    assert position["current_stage_id"] == screen["id"]
    assert position["stages"][0]["status"] == "rejected"


async def test_a_failed_stage_may_be_retried_once(app: FastAPI, client: httpx.AsyncClient) -> None:
    _, screen, _, person = await pipeline_of(
        client, screen={"pass_threshold": 60, "allow_retry": True}, final={}
    )
    first = await book(client, participant_id=person["id"], stage_id=screen["id"])
    await complete_with(app, client, first["id"], WEAK)
    failed = await result(app, client, first["id"])
    assert (failed["outcome"], failed["passed"]) == ("retry_scheduled", False)
    retry = expect(await client.get(f"/v1/sessions/{failed['nextSessionId']}"), 200)
    assert (retry["stage_id"], retry["retake_of"], retry["status"]) == (
        screen["id"],
        first["id"],
        "scheduled",
    )
    await complete_with(app, client, retry["id"], WEAK)
    final = await result(app, client, retry["id"])
    assert (final["outcome"], final["nextSessionId"]) == ("failed", None)  # one retry only
    assert len(await events_of(client, "stage.failed")) == 2
    position = expect(await client.get(f"/v1/participants/{person['id']}/pipeline"), 200)
    assert (position["stages"][0]["status"], position["stages"][0]["attempts"]) == ("failed", 2)
    assert position["current_stage_id"] == screen["id"]


async def test_without_retry_a_fail_is_final_and_a_rerun_does_not_decide_again(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    _, screen, _, person = await pipeline_of(client, screen={"pass_threshold": 95}, final={})
    session = await book(client, participant_id=person["id"], stage_id=screen["id"])
    await complete_with(app, client, session["id"], STRONG)
    decided = await result(app, client, session["id"])
    assert (decided["outcome"], decided["passed"]) == ("failed", False)
    expect(await client.post(f"/v1/sessions/{session['id']}/analysis/rerun"), 202)
    await analysed(app, client, session["id"])
    again = expect(await client.get(f"/v1/sessions/{session['id']}"), 200)
    assert again["analysis"]["version"] == 2
    assert again["stage_result"] == decided
    assert len(await events_of(client, "stage.failed")) == 1


async def test_test_sessions_never_move_the_pipeline(client: httpx.AsyncClient) -> None:
    _, screen, _, person = await pipeline_of(client, screen={}, final={})
    session = await book(client, participant_id=person["id"], stage_id=screen["id"], is_test=True)
    assert session["status"] == "completed"
    assert session["stage_result"] is None
    position = expect(await client.get(f"/v1/participants/{person['id']}/pipeline"), 200)
    assert position["stages"][0]["status"] == "not_started"
    assert await events_of(client, "stage.advanced") == []


async def test_approve_and_pipeline_errors(client: httpx.AsyncClient) -> None:
    _, screen, _, person = await pipeline_of(client, screen={}, final={})
    session = await book(client, participant_id=person["id"], stage_id=screen["id"])
    r = await client.post(f"/v1/sessions/{session['id']}/approve")
    assert r.status_code == 409
    assert "not decided yet" in r.json()["error"]["message"]
    missing = "00000000-0000-4000-8000-000000000000"
    assert (await client.post(f"/v1/sessions/{missing}/reject")).status_code == 404
    assert (await client.get(f"/v1/participants/{missing}/pipeline")).status_code == 404
    assert (await client.get("/v1/participants/nope/pipeline")).status_code == 422
    pool = await make_participant(client)
    assert expect(await client.get(f"/v1/participants/{pool['id']}/pipeline"), 200) == {
        "template_id": None,
        "current_stage_id": None,
        "stages": [],
    }


async def test_passing_the_last_stage_completes_the_pipeline(app: FastAPI, client: httpx.AsyncClient) -> None:
    _, _, final, person = await pipeline_of(client, screen={}, final={"pass_threshold": 50})
    session = await book(client, participant_id=person["id"], stage_id=final["id"])
    await complete_with(app, client, session["id"], STRONG)
    decided = await result(app, client, session["id"])
    assert (decided["outcome"], decided["passed"], decided["nextSessionId"]) == ("passed", True, None)
    (passed,) = await events_of(client, "stage.passed")
    assert passed["data"]["session_id"] == session["id"]
    assert passed["data"]["stage_result"]["outcome"] == "passed"


async def test_an_embedded_close_call_waits_for_a_human(app: FastAPI, client: httpx.AsyncClient) -> None:
    # The same answers on a stage whose pass mark is far from their rating decide by themselves...
    _, far, _, person = await pipeline_of(client, screen={"pass_threshold": 30}, final={})
    first = await book(client, participant_id=person["id"], stage_id=far["id"])
    await complete_with(app, client, first["id"], STRONG)
    rating = (await analysed(app, client, first["id"]))["general"]["overallRating"]
    assert (await result(app, client, first["id"]))["outcome"] == "advanced"
    # ...and on one whose pass mark is a point inside the default margin from it, they do not.
    mark = rating - EMBEDDED_REVIEW_MARGIN + 1
    _, near, _, other = await pipeline_of(
        client, screen={"pass_threshold": mark, "on_complete": "auto_advance"}, final={}
    )
    second = await book(client, participant_id=other["id"], stage_id=near["id"])
    await complete_with(app, client, second["id"], STRONG)
    analysis = await analysed(app, client, second["id"])
    assert analysis["general"]["overallRating"] == rating
    assert analysis["scorer"] == "embedded"
    assert (analysis["recommendation"], analysis["needsReview"]) == ("needs_review", True)
    assert analysis["coverage"]["sufficient"] is True
    assert (
        f"within {EMBEDDED_REVIEW_MARGIN:g} points of the pass mark of {mark:g}"
        in analysis["recommendationBasis"]
    )
    waiting = await result(app, client, second["id"])
    assert (waiting["outcome"], waiting["reason"], waiting["passed"]) == (
        "awaiting_approval",
        "needs_review",
        None,
    )
    assert waiting["reviewReasons"] == [analysis["recommendationBasis"]]
    awaiting = [
        e
        for e in await events_of(client, "stage.awaiting_approval")
        if e["data"]["session_id"] == second["id"]
    ]
    assert [e["data"]["review_reasons"] for e in awaiting] == [[analysis["recommendationBasis"]]]
    assert [e["data"]["session_id"] for e in await events_of(client, "stage.advanced")] == [first["id"]]


async def test_an_analysis_that_needs_review_waits_for_a_human_whatever_the_stage_says(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    # An auto-advancing stage that would also schedule a retry on a fail: neither may happen by itself.
    _, screen, final, person = await pipeline_of(
        client, screen={"pass_threshold": 60, "on_complete": "auto_advance", "allow_retry": True}, final={}
    )
    session = await book(client, participant_id=person["id"], stage_id=screen["id"])
    # Only the System Design question (50% of the rubric weight) was asked and answered.
    await complete_with(app, client, session["id"], STRONG, only={0})
    analysis = await analysed(app, client, session["id"])
    assert analysis["recommendation"] == "needs_review"
    assert analysis["needsReview"] is True
    assert analysis["coverage"]["assessedWeight"] == 50.0
    assert analysis["coverage"]["insufficientEvidence"] == ["Communication", "Ownership"]
    assert [(d["name"], d["status"]) for d in analysis["dimensions"]] == [
        ("System Design", "assessed"),
        ("Communication", "insufficient_evidence"),
        ("Ownership", "insufficient_evidence"),
    ]
    reasons = analysis["reviewReasons"]
    assert reasons
    assert any("50%" in reason for reason in reasons)

    waiting = dict(expect(await client.get(f"/v1/sessions/{session['id']}"), 200)["stage_result"])
    assert (waiting["outcome"], waiting["reason"], waiting["reviewReasons"]) == (
        "awaiting_approval",
        "needs_review",
        reasons,
    )
    assert (waiting["passed"], waiting["nextSessionId"], waiting["decidedBy"]) == (None, None, None)
    assert waiting["passThreshold"] == 60
    assert await events_of(client, "stage.advanced") == []
    assert await events_of(client, "stage.failed") == []
    assert await events_of(client, "stage.passed") == []
    assert [s["id"] for s in await listed(client, "/v1/sessions", participant_id=person["id"])] == [
        session["id"]
    ]
    (event,) = await events_of(client, "stage.awaiting_approval")
    assert event["data"]["session_id"] == session["id"]
    assert (event["data"]["reason"], event["data"]["review_reasons"]) == ("needs_review", reasons)
    assert event["data"]["stage_result"]["outcome"] == "awaiting_approval"
    position = expect(await client.get(f"/v1/participants/{person['id']}/pipeline"), 200)
    assert position["current_stage_id"] == screen["id"]
    assert position["stages"][0]["status"] == "awaiting_approval"

    # A human reads the reasons and lets the candidate through: now the stage advances.
    approved = expect(await client.post(f"/v1/sessions/{session['id']}/approve"), 200)["stage_result"]
    assert approved["outcome"] == "approved"
    assert approved["decidedBy"].startswith("api_key:")
    nxt = expect(await client.get(f"/v1/sessions/{approved['nextSessionId']}"), 200)
    assert (nxt["stage_id"], nxt["status"], nxt["participant_id"]) == (final["id"], "scheduled", person["id"])
    (advanced,) = await events_of(client, "stage.advanced")
    assert advanced["data"]["next_session_id"] == nxt["id"]
    assert await events_of(client, "stage.failed") == []
    position = expect(await client.get(f"/v1/participants/{person['id']}/pipeline"), 200)
    assert position["current_stage_id"] == final["id"]
