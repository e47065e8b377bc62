"""Analysis of completed sessions: in the background right after completion, versions on rerun, the
LLM scorer in front with the embedded one as fallback, and nothing lost across a restart."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator, Callable
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from config.settings import LlmSettings, Settings
from engine.app import create_app
from engine.store.tables import AnalysisRow, SessionRow
from tests.engine.analysis_helpers import (
    STRONG,
    WEAK,
    analysed,
    complete_with,
    completed_session,
    scheduled,
)
from tests.engine.session_helpers import (
    error_paths,
    expect,
)
from tests.helpers import ApiClients, StepClock
from tests.llm_server import LlmServer, Script

pytestmark = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)


async def test_a_completed_session_is_scored_with_evidence_and_a_recommendation(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    strong_id = await completed_session(app, client, STRONG)
    weak_id = await completed_session(app, client, WEAK)
    strong, weak = await analysed(app, client, strong_id), await analysed(app, client, weak_id)

    assert strong["scorer"] == weak["scorer"] == "embedded"
    assert strong["version"] == 1
    assert strong["general"]["status"] == 3
    assert strong["general"]["overallRating"] > weak["general"]["overallRating"] + 30
    assert (strong["recommendation"], weak["recommendation"]) == ("hire", "no_hire")
    strong_dims = {d["name"]: d for d in strong["dimensions"]}
    weak_dims = {d["name"]: d for d in weak["dimensions"]}
    assert list(strong_dims) == ["System Design", "Communication", "Ownership"]
    transcript = {
        s["id"]: s for s in expect(await client.get(f"/v1/sessions/{strong_id}/transcript"), 200)["segments"]
    }
    for name, dim in strong_dims.items():
        assert dim["score"] > weak_dims[name]["score"], name
        assert dim["scale"] == "0-10"
        assert dim["rationale"]
        assert dim["evidence"], name
        for quote in dim["evidence"]:
            segment = transcript[quote["segment_id"]]
            assert segment["speaker"] == "candidate"
            assert quote["quote"] in segment["text"]
            assert (quote["start"], quote["end"]) == (segment["start"], segment["end"])
    # The weighted average, recomputed from the breakdown.
    weights = {"System Design": 50, "Communication": 30, "Ownership": 20}
    expected = sum(strong_dims[n]["score"] / 10 * w for n, w in weights.items())
    assert strong["general"]["overallRating"] == round(expected)
    assert strong["general"]["strongPoints"]
    assert weak["general"]["weakPoints"]
    assert weak["improvementFeedback"]
    assert [s["id"] for s in strong["transcript"]] == list(transcript)
    assert {f["kind"] for f in strong["authenticity"]} >= {"focus_lost", "reading_like"}

    events = [
        e for e in expect(await client.get("/v1/events", params={"type": "analysis.completed"}), 200)["data"]
    ]
    done = {e["data"]["session_id"]: e["data"] for e in events}
    assert done[strong_id]["analysis"]["recommendation"] == "hire"
    assert done[strong_id]["analysis"]["overallRating"] == strong["general"]["overallRating"]
    assert done[strong_id]["external_id"] is None or isinstance(done[strong_id]["external_id"], str)


async def test_rerun_adds_a_version_and_keeps_the_earlier_one(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    session_id = await completed_session(app, client, STRONG)
    first = await analysed(app, client, session_id)
    rerun = expect(await client.post(f"/v1/sessions/{session_id}/analysis/rerun"), 202)
    assert (rerun["version"], rerun["status"], rerun["reason"]) == (2, "PENDING", "rerun")
    again = await analysed(app, client, session_id)
    assert again["version"] == 2
    # Same transcript, same scores: the embedded scorer is deterministic.
    assert again["dimensions"] == first["dimensions"]
    versions = expect(await client.get(f"/v1/sessions/{session_id}/analyses"), 200)["data"]
    assert [(v["version"], v["status"], v["reason"]) for v in versions] == [
        (2, "COMPLETED", "rerun"),
        (1, "COMPLETED", "completed"),
    ]
    assert versions[1]["result"]["version"] == 1


async def test_a_rerun_after_a_profile_change_follows_the_new_rubric(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    session = await scheduled(client)
    # The System Design and Communication questions were asked; nothing was asked about Ownership.
    await complete_with(app, client, session["id"], STRONG, only={0, 1})
    first = await analysed(app, client, session["id"])
    assert [(d["name"], d["status"]) for d in first["dimensions"]] == [
        ("System Design", "assessed"),
        ("Communication", "assessed"),
        ("Ownership", "insufficient_evidence"),
    ]
    rubric = [
        {"name": "System Design", "description": "Designs for scale", "weight": 40},
        {"name": "Communication", "description": "Explains clearly", "weight": 40},
        {"name": "Mentoring", "description": "Grows junior engineers", "weight": 20},
    ]
    expect(
        await client.patch(f"/v1/agent-profiles/{session['agent_profile_id']}", json={"rubric": rubric}), 200
    )
    expect(await client.post(f"/v1/sessions/{session['id']}/analysis/rerun"), 202)
    again = await analysed(app, client, session["id"])
    assert again["version"] == 2
    dims = {d["name"]: d for d in again["dimensions"]}
    assert list(dims) == ["System Design", "Communication", "Mentoring"]
    assert [dims[n]["weight"] for n in dims] == [40, 40, 20]
    assert (dims["Mentoring"]["score"], dims["Mentoring"]["status"]) == (None, "insufficient_evidence")
    assert "no question" in dims["Mentoring"]["rationale"]
    assert again["coverage"]["insufficientEvidence"] == ["Mentoring"]
    assert again["coverage"]["assessedWeight"] == 80.0
    # The same answers, so the same scores on the dimensions both rubrics share.
    for name in ("System Design", "Communication"):
        assert dims[name]["score"] == next(d["score"] for d in first["dimensions"] if d["name"] == name)
    # The earlier version keeps the rubric it was scored with.
    versions = expect(await client.get(f"/v1/sessions/{session['id']}/analyses"), 200)["data"]
    assert [[d["name"] for d in v["result"]["dimensions"]] for v in versions] == [
        ["System Design", "Communication", "Mentoring"],
        ["System Design", "Communication", "Ownership"],
    ]


async def test_rerun_is_refused_for_an_open_session_and_while_one_is_pending(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    session = await scheduled(client)
    r = await client.post(f"/v1/sessions/{session['id']}/analysis/rerun")
    assert r.status_code == 409
    assert error_paths(r) == {"status"}
    session_id = await completed_session(app, client, WEAK)
    await analysed(app, client, session_id)
    first = await client.post(f"/v1/sessions/{session_id}/analysis/rerun")
    second = await client.post(f"/v1/sessions/{session_id}/analysis/rerun")
    assert first.status_code == 202
    assert second.status_code in (202, 409)  # 202 only if the worker already finished the first
    if second.status_code == 409:
        assert error_paths(second) == {"analysis_status"}
    assert (await client.post("/v1/sessions/not-a-uuid/analysis/rerun")).status_code == 422
    other = "00000000-0000-4000-8000-000000000000"
    assert (await client.post(f"/v1/sessions/{other}/analysis/rerun")).status_code == 404
    assert (await client.get(f"/v1/sessions/{other}/analyses")).status_code == 404


async def test_an_analysis_interrupted_by_a_stop_is_done_after_the_restart(
    settings: Settings, clock: StepClock
) -> None:
    first = create_app(settings, clock=clock)
    async with first.router.lifespan_context(first):
        api = ApiClients(first, clock)
        client = await api.client()
        session_id = await completed_session(first, client, STRONG)
        await first.state.services.analysis.wait_idle()
        # As if the engine had died mid-analysis of a rerun: the version is left PROCESSING.
        async with first.state.services.database.transaction() as db:
            row = await db.get(SessionRow, session_id)
            assert row is not None
            db.add(
                AnalysisRow(
                    id="11111111-1111-4111-8111-111111111111",
                    company_id=row.company_id,
                    session_id=row.id,
                    version=2,
                    status="PROCESSING",
                    reason="rerun",
                    attempts=1,
                    created_at=clock.now(),
                    updated_at=clock.now(),
                )
            )
        await api.aclose()
    second = create_app(settings, clock=clock)
    async with second.router.lifespan_context(second):
        api = ApiClients(second, clock)
        client = await api.client()
        analysis = await analysed(second, client, session_id)
        assert analysis["version"] == 2
        versions = expect(await client.get(f"/v1/sessions/{session_id}/analyses"), 200)["data"]
        assert (versions[0]["status"], versions[0]["attempts"]) == ("COMPLETED", 2)
        await api.aclose()


async def test_the_llm_scores_when_configured_and_the_embedded_scorer_takes_over_when_it_fails(
    settings: Settings, clock: StepClock
) -> None:
    reply = '{"score": 8, "rationale": "Concrete and owned.", "evidence": [{"segment_id": "%s", "quote": "I took it on myself"}]}'

    def grade(body: dict[str, Any]) -> Script:
        # Quote the segment the way a model would: by the id the prompt's transcript gives it.
        lines = str(body["messages"][-1]["content"]).splitlines()
        line = next(x for x in lines if "I took it on myself" in x)
        return Script(tokens=[reply % line.split("]", 1)[0].lstrip("[")])

    async with scored_by_llm(settings, clock, grade) as (application, client, server):
        session_id = await completed_session(application, client, STRONG)
        segments = expect(await client.get(f"/v1/sessions/{session_id}/transcript"), 200)["segments"]
        owner = next(s for s in segments if s["text"].startswith("In 2023"))
        await application.state.services.analysis.wait_idle()
        analysis = expect(await client.get(f"/v1/sessions/{session_id}"), 200)["analysis"]
        assert analysis["scorer"] == "llm"
        assert [d["score"] for d in analysis["dimensions"]] == [8, 8, 8]
        # An LLM scorer's verdict moves the pipeline by itself (the embedded scorer's waits for a
        # person unless the stage lets it decide: tests/engine/test_pipeline.py).
        decided = expect(await client.get(f"/v1/sessions/{session_id}"), 200)["stage_result"]
        assert (decided["outcome"], decided["passed"], decided["decidedBy"]) == ("passed", True, "pipeline")
        assert "reason" not in decided
        quote = analysis["dimensions"][2]["evidence"][0]
        assert (quote["segment_id"], quote["quote"]) == (owner["id"], "I took it on myself")
        assert len(server.requests) >= 3  # one request per dimension

        # The endpoint fails: the rerun falls back to the embedded scorer and says so.
        server.reset(Script(mode="error", status=500))
        expect(await client.post(f"/v1/sessions/{session_id}/analysis/rerun"), 202)
        await application.state.services.analysis.wait_idle(timeout_s=60)
        fallback = expect(await client.get(f"/v1/sessions/{session_id}"), 200)["analysis"]
        assert fallback["scorer"] == "embedded"
        assert fallback["version"] == 2
        assert any("llm scorer failed" in line for line in fallback["general"]["evaluation"])


async def test_a_test_session_has_its_generated_analysis_as_version_one(client: httpx.AsyncClient) -> None:
    session = await scheduled(client, is_test=True)
    versions = expect(await client.get(f"/v1/sessions/{session['id']}/analyses"), 200)["data"]
    assert [(v["version"], v["status"], v["scorer"]) for v in versions] == [(1, "COMPLETED", "synthetic")]
    assert versions[0]["result"]["is_test_data"] is True


async def test_the_engine_overrules_an_llm_that_scores_what_was_never_asked(
    settings: Settings, clock: StepClock
) -> None:
    reply = '{"evidence": [{"segment_id": "%s", "quote": "Last year I designed"}], "rationale": "Strong.", "score": 9}'

    def grade(body: dict[str, Any]) -> Script:
        # Scores every dimension 9 from the one answer there is, as an over-eager model would.
        lines = str(body["messages"][-1]["content"]).splitlines()
        line = next(x for x in lines if "Last year I designed" in x)
        return Script(tokens=[reply % line.split("]", 1)[0].lstrip("[")])

    async with scored_by_llm(settings, clock, grade) as (application, client, _):
        session = await scheduled(client)
        await complete_with(application, client, str(session["id"]), STRONG, only={0})
        analysis = await analysed(application, client, str(session["id"]))
        assert analysis["scorer"] == "llm"
        dims = {d["name"]: d for d in analysis["dimensions"]}
        assert (dims["System Design"]["score"], dims["System Design"]["status"]) == (9, "assessed")
        for name in ("Communication", "Ownership"):
            assert dims[name]["score"] is None
            assert dims[name]["status"] == "insufficient_evidence"
            assert "Not assessed" in dims[name]["rationale"]
        assert analysis["coverage"]["assessedWeight"] == 50
        assert analysis["recommendation"] == "needs_review"
        assert analysis["needsReview"] is True


@contextlib.asynccontextmanager
async def scored_by_llm(
    settings: Settings, clock: StepClock, responder: Callable[[dict[str, Any]], Script]
) -> AsyncIterator[tuple[FastAPI, httpx.AsyncClient, LlmServer]]:
    """An engine whose analyses go to a loopback LLM that answers with `responder`."""
    server = LlmServer()
    server.start()
    server.reset(responder=responder)
    try:
        llm = LlmSettings(base_url=server.base_url, model="scorer", first_token_timeout_s=3, idle_timeout_s=1)
        application = create_app(settings.model_copy(update={"llm": llm}), clock=clock)
        async with application.router.lifespan_context(application):
            api = ApiClients(application, clock)
            yield application, await api.client(), server
            await api.aclose()
    finally:
        server.stop()
