"""A completed session with a given transcript, without WebRTC: for the analysis and pipeline tests."""

from __future__ import annotations

from collections.abc import Collection
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
    "Last year I designed the billing system on PostgreSQL for 2 million customers. The problem was that "
    "invoices and the ledger lived in one table, so every month-end run locked it for hours. I split the "
    "ledger from the invoices, I added read replicas for the reporting queries and partitioned the ledger "
    "by month, because month-end only ever touches one partition. We chose Kafka over polling, which cost "
    "us some operational work but let us replay events after an outage. As a result p99 latency dropped "
    "from 900 to 120 milliseconds and the month-end run went from four hours to twenty minutes.",
    "For example, when I proposed moving our services to Kubernetes, the finance and support leads had to "
    "agree. I wrote a one page memo for finance that started with the cost, 40 thousand dollars a year "
    "saved, instead of the architecture, because that was what they would decide on. For support I ran a "
    "20 minute demo of how rollbacks would work, since their worry was outages. I answered every question "
    "in writing afterwards so nobody had to remember the meeting, and the decision was approved in one "
    "meeting.",
    "In 2023 our deploys failed 30 percent of the time and nobody owned the pipeline. I took it on myself. "
    "First I measured which steps failed and found that most failures came from three flaky tests and a "
    "shared staging database. I rewrote the pipeline in GitHub Actions, I gave each run its own database "
    "so tests stopped interfering, and I set up alerts so the team heard about failures within minutes. "
    "Within 6 weeks failures went down to 2 percent, and I documented the runbook so the next person could "
    "own it without me.",
)
WEAK = (
    "I guess we kind of used a database and some servers for it. It was fine mostly, I think. "
    "We did the usual things people do, nothing too special, and it was okay for us, more or less.",
    "I just talk to them, maybe, and try to keep it simple. Usually people get it, I suppose. "
    "I do not really have a particular way of doing it, it depends on the people and the day.",
    "The team handled most of it, to be honest. I was involved somewhat, I guess, but I am not sure "
    "what came of it. It was a group thing really, everyone helped a bit here and there.",
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
    app: FastAPI,
    client: httpx.AsyncClient,
    session_id: str,
    answers: tuple[str, ...],
    *,
    only: Collection[int] | None = None,
) -> None:
    """Starts the session, stores a transcript of QUESTIONS and `answers`, and completes it. With
    `only`, just the question/answer pairs at those indexes are stored (the others were never asked)."""
    session = {"id": session_id}
    expect(await client.patch(f"/v1/sessions/{session['id']}", json={"status": "in_progress"}), 200)
    services = app.state.services
    async with services.database.transaction() as db:
        row = await db.get(SessionRow, session["id"])
        assert row is not None
        t = 0.0
        for index, (question, answer) in enumerate(zip(QUESTIONS, answers, strict=True)):
            if only is not None and index not in only:
                continue
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
