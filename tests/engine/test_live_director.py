"""The interviewer over real WebRTC: barge-in, a candidate who goes silent, running out of time, and the
LLM backend with its fallback. (A whole interview is in test_live_session.py; drop and resume in
test_live_resume.py.)"""

from __future__ import annotations

import asyncio
import re

import pytest
from fastapi import FastAPI
from httpx import AsyncClient

from config.settings import AnalysisSettings, LlmSettings, MediaSettings, Settings
from engine.app import create_app
from engine.store.tables import SessionRow
from media.scripted_candidate import ScriptedCandidate
from tests.engine.live_helpers import booked_session, offer_poster
from tests.engine.session_helpers import expect
from tests.helpers import ApiClients, StepClock
from tests.llm_server import LlmServer, Script
from tests.speech import synthesize

pytestmark = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)

ANSWER = "I built the payment service and my team shipped it in three months."


async def _speaking(
    candidate: ScriptedCandidate,
    *,
    after: float,
    into_s: float = 0.2,
    timeout_s: float = 20.0,
) -> float:
    """Until the interviewer is heard speaking in a run of sound that started after `after` and has gone
    on for `into_s`; returns when that run started. Timed by what is heard: neither the voice's pace nor
    a loaded machine (a line rendered late, frames delivered in bursts) moves the candidate into a gap."""
    try:
        async with asyncio.timeout(timeout_s):
            while True:
                runs = list(candidate.report.sound_runs)
                now = candidate.now()
                for start, end in runs:
                    if start > after and end - start >= into_s and now - end < 0.06:
                        return start
                await asyncio.sleep(0.01)
    except TimeoutError as error:
        heard = [(round(start, 2), round(end, 2)) for start, end in candidate.report.sound_runs]
        raise AssertionError(
            f"no sound after {after:.2f} s by {candidate.now():.2f} s: heard {heard}, "
            f"captions {candidate.report.captions()}"
        ) from error


def _words(text: str) -> set[str]:
    """The words of `text`, lower case, without punctuation or a plural's s ("months." is "month")."""
    words = re.findall(r"[a-z']+", text.lower())
    return {w[:-1] if len(w) > 3 and w.endswith("s") else w for w in words}


async def _lines_stored(client: AsyncClient, session_id: str) -> int:
    """How many of the interviewer's lines the transcript holds (each is stored when it ends)."""
    segments = expect(await client.get(f"/v1/sessions/{session_id}/transcript"), 200)["segments"]
    return sum(1 for s in segments if s["speaker"] == "interviewer")


async def test_the_interviewer_holds_for_a_backchannel_and_stops_for_a_barge_in(
    app: FastAPI, clock: StepClock
) -> None:
    api = ApiClients(app, clock)
    client = await api.client()
    session_id, token = await booked_session(client, skills=["Go"])
    raw = api.raw_client()
    candidate = ScriptedCandidate([])
    try:
        await candidate.connect(offer_poster(raw, token))
        await candidate.wait_for_sound(timeout_s=15)
        await _speaking(candidate, after=0.0)  # inside the opening's first line
        nodded_at = candidate.now()
        held_lines = await _lines_stored(client, session_id)
        nodded = await candidate.speak(synthesize("Mm-hmm.", lead_silence_s=0.0, trail_silence_s=0.0))
        # The answer lands inside a later line, after the held one has carried on and ended (it is stored
        # once it has): a cut between two lines would truncate none. The line's end is not told by the
        # sound: the pause between two lines is as short as a comma's.
        await _speaking(candidate, after=nodded, into_s=0.0)
        async with asyncio.timeout(20):
            while True:
                if await _lines_stored(client, session_id) > held_lines:
                    break
                await asyncio.sleep(0.02)
        await _speaking(candidate, after=candidate.now())
        spoke_at = candidate.now()
        answered_at = await candidate.speak(synthesize(ANSWER, lead_silence_s=0.0, trail_silence_s=0.0))
        await asyncio.sleep(1.0)
        candidate.hang_up()
        await asyncio.sleep(0.5)
    finally:
        await candidate.close()
    await app.state.services.live.wait_closed(session_id)

    # Each time the candidate spoke over it, the interviewer's sound stopped within the VAD's start
    # (60 ms) and a frame, plus the two jitter buffers and the network, as heard at the client (about
    # 0.25 s; the bound leaves room for a loaded test machine's scheduling).
    runs = candidate.report.sound_runs
    timeline = (
        f"nodded {nodded_at:.2f}-{nodded:.2f}, spoke {spoke_at:.2f}-{answered_at:.2f}, "
        f"heard {[(round(start, 2), round(end, 2)) for start, end in runs]}"
    )
    paused = next(end for start, end in runs if end >= nodded_at)
    assert paused - nodded_at < 0.6, timeline
    # After the short "mm-hmm" it carried on before the candidate spoke again...
    assert any(nodded < start < spoke_at for start, _ in runs), timeline
    # ...and after real speech it stopped within the same bound and for good (until it replied to the
    # answer). What it had sent before it stopped may arrive in bursts on a loaded machine, split into
    # runs, but inside that bound.
    assert not any(end > spoke_at + 0.6 and start < answered_at for start, end in runs), timeline

    captions = candidate.report.captions()
    segments = expect(await client.get(f"/v1/sessions/{session_id}/transcript"), 200)["segments"]
    said = [s["text"] for s in segments if s["speaker"] == "interviewer"]
    # Only the barge-in cut a line short; the line held for the backchannel was stored whole.
    truncated = [t for t in said if any(c.startswith(t) and len(t) < len(c) for c in captions)]
    assert len(truncated) == 1, (said, captions)
    # Every line before it was stored whole. (After it may come an acknowledgement of the answer, when
    # its transcript was slow: IE_TURN__ACKNOWLEDGE_MIN_WORDS.)
    cut_at = said.index(truncated[0])
    assert said[:cut_at] == captions[:cut_at]
    # The answer was heard whole, though a barge-in may be cut into pieces ("I" + the rest) and Whisper
    # tiny mishears a few words without the context ("three months" as "free month" on a loaded
    # machine): at least half of its words are there.
    heard = _words(" ".join(s["text"] for s in segments if s["speaker"] == "candidate"))
    expected = _words(ANSWER)
    assert len(expected & heard) >= 0.5 * len(expected), (sorted(heard), sorted(expected))
    await raw.aclose()
    await api.aclose()


async def test_a_silent_candidate_is_nudged_then_let_go_and_can_resume(
    settings: Settings, clock: StepClock
) -> None:
    media = MediaSettings(idle_nudge_s=1.5, idle_end_s=3.0)
    application = create_app(settings.model_copy(update={"media": media}), clock=clock)
    async with application.router.lifespan_context(application):
        api = ApiClients(application, clock)
        client = await api.client()
        session_id, token = await booked_session(client, skills=["Go"])
        raw = api.raw_client()
        candidate = ScriptedCandidate([])
        try:
            await candidate.connect(offer_poster(raw, token))
            report = await candidate.run(limit_s=90)
        finally:
            await candidate.close()
        assert report.ended is not None
        assert report.ended["reason"] == "idle"
        captions = report.captions()
        assert any("repeat the question" in c for c in captions), captions
        assert captions[-1] == "Goodbye."
        await application.state.services.live.wait_closed(session_id)
        session = expect(await client.get(f"/v1/sessions/{session_id}"), 200)
        assert session["status"] == "in_progress"
        state = expect(await raw.get(f"/join/{token}/state"), 200)
        assert (state["joinable"], state["resume"]) == (True, True)
        await raw.aclose()
        await api.aclose()


async def test_an_llm_words_the_interview_and_the_director_takes_over_when_it_dies(
    settings: Settings, clock: StepClock
) -> None:
    server = LlmServer()
    server.start()
    server.reset(Script(tokens=["Thank you.", " Tell me more about", " your own role in that?"]))
    llm = LlmSettings(
        base_url=server.base_url, model="interviewer", first_token_timeout_s=3, idle_timeout_s=1
    )
    # Scoring stays embedded here: this test counts the interviewer's requests to the endpoint.
    no_llm_scoring = AnalysisSettings(use_llm=False)
    application = create_app(
        settings.model_copy(update={"llm": llm, "analysis": no_llm_scoring}), clock=clock
    )
    try:
        async with application.router.lifespan_context(application):
            api = ApiClients(application, clock)
            client = await api.client()
            session_id, token = await booked_session(client, skills=["Go"])
            raw = api.raw_client()
            candidate = ScriptedCandidate([synthesize(ANSWER)] * 12)
            try:
                await candidate.connect(offer_poster(raw, token))
                running = asyncio.create_task(candidate.run(limit_s=240))
                for _ in range(1200):
                    said = candidate.report.captions()
                    if any(c.endswith("your own role in that?") for c in said) or running.done():
                        break
                    await asyncio.sleep(0.1)
                worded = list(server.requests)
                server.reset(Script(tokens=["Thanks.", " Next, I would"], mode="drop"))
                report = await running
            finally:
                await candidate.close()
            await application.state.services.live.wait_closed(session_id)
            assert report.ended is not None
            assert report.ended["reason"] == "completed"
            captions = report.captions()
            assert "Tell me more about your own role in that?" in captions
            assert worded, "the LLM was asked"
            first = worded[0].body
            assert first["stream"] is True
            assert first["model"] == "interviewer"
            assert "Alex" in first["messages"][0]["content"]
            # After the endpoint died mid-reply it is not asked again; the director finishes the plan.
            assert len(server.requests) == 1, (captions, len(worded))
            assert "Thanks." in captions
            session = expect(await client.get(f"/v1/sessions/{session_id}"), 200)
            assert session["status"] == "completed"
            # The engine's per-turn latency says who worded each reply: the LLM, then the director.
            metrics = expect(await raw.get("/metrics/json", params={"recent_turns_after": 0}), 200)["turns"]
            backends = [t["backend"] for t in metrics["recent"]]
            assert backends[0] == "llm", backends
            assert backends[-1] == "director", backends
            await raw.aclose()
            await api.aclose()
    finally:
        server.stop()


async def test_when_time_runs_out_the_interviewer_closes_instead_of_asking_more(
    app: FastAPI, clock: StepClock
) -> None:
    api = ApiClients(app, clock)
    client = await api.client()
    session_id, token = await booked_session(client, skills=["Go", "PostgreSQL", "Kafka"])
    raw = api.raw_client()
    live = app.state.services.live

    # First connection: the opening and the first question; then the candidate drops.
    first = ScriptedCandidate([])
    try:
        await first.connect(offer_poster(raw, token))
        await asyncio.wait_for(first.wait_for_question(), 60)
    finally:
        await first.close()
    await asyncio.wait_for(live.wait_closed(session_id), 30)

    # As if that first part had taken most of the template's five minutes: the talk time the director
    # counts is kept with the session, and 40 s are left.
    async with app.state.services.database.transaction() as db:
        row = await db.get(SessionRow, session_id)
        assert row is not None
        state = dict(row.dialogue_state or {})
        budget = state["plan"]["budget_s"]
        planned = [q["id"] for q in state["plan"]["questions"]]
        later = state["plan"]["questions"][1:]
        state["progress"] = {**state["progress"], "elapsed_s": budget - 40}
        row.dialogue_state = state
    assert len(planned) >= 3

    # Second connection: the pending question again; after the answer, no follow-up and no next
    # question (they need more time than is left), but a polite close that says why.
    second = ScriptedCandidate([synthesize(ANSWER)] * 3)
    try:
        await second.connect(offer_poster(raw, token))
        running = asyncio.create_task(second.run(limit_s=90))
        # The candidate switches tabs for a second: the page reports it, for the authenticity check.
        await second.send({"type": "visibility", "hidden": True})
        await asyncio.sleep(1.0)
        await second.send({"type": "visibility", "hidden": False})
        report = await running
    finally:
        await second.close()
    await live.wait_closed(session_id)
    assert report.ended is not None
    assert report.ended["reason"] == "completed"
    assert len(report.turns) == 1, report.captions()
    captions = report.captions()
    assert captions[0] == "Welcome back."
    assert "We've reached the end of our time." in captions, captions
    said = " ".join(captions)
    for question in later:
        for wording in (question["text"], question["easier"], question["harder"]):
            assert wording not in said, (wording, captions)

    session = expect(await client.get(f"/v1/sessions/{session_id}"), 200)
    assert session["status"] == "completed"
    async with app.state.services.database.transaction() as db:
        row = await db.get(SessionRow, session_id)
        assert row is not None
        progress = (row.dialogue_state or {})["progress"]
    assert progress["finished"] is True
    assert progress["asked"] == planned[:1]
    assert set(progress["skipped"]) == set(planned[1:])

    # The completed session was analysed in the background; the tab switch is there with its moment.
    await app.state.services.analysis.wait_idle()
    analysis = expect(await client.get(f"/v1/sessions/{session_id}"), 200)["analysis"]
    assert analysis["scorer"] == "embedded"
    focus = next(f for f in analysis["authenticity"] if f["kind"] == "focus_lost")
    assert len(focus["evidence"]) == 1, focus
    away = focus["evidence"][0]
    assert 0.5 < away["end"] - away["start"] < 3.0, focus

    # A retake starts from nothing: a new link that is not a resume, no plan until it starts, and the
    # earlier session keeps its own plan and progress.
    retake = expect(await client.post(f"/v1/sessions/{session_id}/retake"), 201)
    joined = expect(await raw.get(f"/join/{str(retake['join_url']).rsplit('/', 1)[1]}/state"), 200)
    assert joined["resume"] is False
    async with app.state.services.database.transaction() as db:
        fresh = await db.get(SessionRow, retake["id"])
        earlier = await db.get(SessionRow, session_id)
        assert fresh is not None
        assert earlier is not None
        assert not fresh.dialogue_state
        assert (earlier.dialogue_state or {})["progress"] == progress
    await raw.aclose()
    await api.aclose()
