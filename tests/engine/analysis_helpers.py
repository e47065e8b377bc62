"""A completed session with a given transcript, without WebRTC: for the analysis and pipeline tests."""

from __future__ import annotations

from typing import Any

import httpx
from fastapi import FastAPI

from config.enums import Speaker
from engine.services import transcripts
from engine.services.transcripts import NewSegment
from engine.store.tables import SessionRow
from tests.engine.session_helpers import (
    book,
    expect,
    inline_participant,
    make_profile,
    make_stage,
    make_template,
)

QUESTIONS = (
    "Let's talk about system design: tell me about a system you designed for scale.",
    "On communication: how do you explain a technical decision clearly to people outside engineering?",
    "On ownership: describe a time you owned an outcome from start to finish.",
)
STRONG = (
    "Last year I designed the billing system on PostgreSQL for 2 million customers. I split the ledger from "
    "the invoices, I added read replicas and partitioned by month, and as a result p99 latency dropped from "
    "900 to 120 milliseconds. We chose Kafka over polling, which cost some operational work.",
    "For example, when I proposed moving to Kubernetes, I wrote a one page memo for finance with the cost, "
    "40 thousand dollars a year saved, and I ran a 20 minute demo for support. The decision was approved.",
    "In 2023 our deploys failed 30 percent of the time. I took it on myself: I traced the flaky tests, I "
    "rewrote the pipeline in GitHub Actions and I set up alerts. Within 6 weeks failures went down to 2 percent.",
)
WEAK = (
    "I guess we kind of used a database. It was fine, I think.",
    "I just talk to them, maybe.",
    "The team handled it, not sure what happened in the end.",
)


async def scheduled(client: httpx.AsyncClient, **extra: Any) -> dict[str, Any]:
    profile = await make_profile(client)
    template = await make_template(client)
    stage = await make_stage(client, template["id"], profile["id"], pass_threshold=60)
    return await book(client, stage_id=stage["id"], participant=inline_participant(), **extra)


async def completed_session(app: FastAPI, client: httpx.AsyncClient, answers: tuple[str, ...]) -> str:
    session = await scheduled(client)
    await complete_with(app, client, str(session["id"]), answers)
    return str(session["id"])


async def complete_with(
    app: FastAPI, client: httpx.AsyncClient, session_id: str, answers: tuple[str, ...]
) -> None:
    """Starts the session, stores a transcript of QUESTIONS and `answers`, and completes it."""
    session = {"id": session_id}
    expect(await client.patch(f"/v1/sessions/{session['id']}", json={"status": "in_progress"}), 200)
    services = app.state.services
    async with services.database.transaction() as db:
        row = await db.get(SessionRow, session["id"])
        assert row is not None
        t = 0.0
        for question, answer in zip(QUESTIONS, answers, strict=True):
            for speaker, text, length in (
                (Speaker.INTERVIEWER, question, 5.0),
                (Speaker.CANDIDATE, answer, 20.0),
            ):
                segment = NewSegment(
                    speaker, t, t + length, text, 0.9 if speaker is Speaker.CANDIDATE else None
                )
                await transcripts.append_segment(db, row.company_id, row.id, segment, services.clock.now())
                t += length + 1
    expect(await client.patch(f"/v1/sessions/{session['id']}", json={"status": "completed"}), 200)


async def analysed(app: FastAPI, client: httpx.AsyncClient, session_id: str) -> dict[str, Any]:
    await app.state.services.analysis.wait_idle()
    session = expect(await client.get(f"/v1/sessions/{session_id}"), 200)
    assert session["analysis_status"] == "COMPLETED", session
    return dict(session["analysis"])
