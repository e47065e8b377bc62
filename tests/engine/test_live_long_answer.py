"""A long answer over real WebRTC: cut into pieces at a pause while the candidate goes on, every word kept,
the pieces stored in order, and no reply until the candidate is done."""

from __future__ import annotations

import asyncio
import re

import jiwer
import pytest
from fastapi import FastAPI

from config.settings import Settings
from media.scripted_candidate import ScriptedCandidate
from tests.engine.live_helpers import booked_session, offer_poster
from tests.engine.session_helpers import expect
from tests.helpers import ApiClients
from tests.speech import silence, synthesize

pytestmark = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)

# Two clauses with a breath between them (0.25 s: shorter than the VAD's hangover, so one utterance).
FIRST = "I wrote the billing service in Go and cut the error rate in half, and then"
SECOND = "I designed the search service and we launched it in two months."


@pytest.fixture
def settings(settings: Settings) -> Settings:
    # Cut speech longer than 2.5 s at its next pause, so a 7-second answer is cut once. The voice model
    # is off: this test is about cutting and transcribing, not about when the turn ends.
    return settings.model_copy(
        update={
            "vad": settings.vad.model_copy(update={"split_after_s": 2.5}),
            "turn": settings.turn.model_copy(update={"smart": False}),
        }
    )


def words(text: str) -> str:
    return " ".join(re.sub(r"[^\w\s']", " ", text.lower()).split())


async def test_a_long_answer_is_cut_at_its_pause_and_no_word_is_lost(app: FastAPI, api: ApiClients) -> None:
    client = await api.client()
    session_id, token = await booked_session(client)
    raw = api.raw_client()
    candidate = ScriptedCandidate([])
    answer = (
        synthesize(FIRST, trail_silence_s=0.0)
        + silence(0.25, 16000)
        + synthesize(SECOND, lead_silence_s=0.0, trail_silence_s=0.0)
    )
    try:
        await candidate.connect(offer_poster(raw, token))
        async with asyncio.timeout(60):
            await candidate.wait_for_question()
        await candidate.speak(answer)
        for _ in range(600):  # up to 30 s for both pieces' finals
            if len(candidate.report.finals()) >= 2:
                break
            await asyncio.sleep(0.05)
        candidate.hang_up()
        await app.state.services.live.wait_closed(session_id)
    finally:
        await candidate.close()

    segments = expect(await client.get(f"/v1/sessions/{session_id}/transcript"), 200)["segments"]
    pieces = [s for s in segments if s["speaker"] == "candidate"]
    # Two pieces, in order, back to back: the cut fell inside the breath, not in a word.
    assert len(pieces) == 2, pieces
    assert pieces[0]["end"] <= pieces[1]["start"] + 0.05, pieces
    assert pieces[1]["start"] - pieces[0]["start"] > 2.5, pieces
    # Every word is there (within the bound the other live tests use)...
    heard = " ".join(p["text"] for p in pieces)
    assert jiwer.wer(words(f"{FIRST} {SECOND}"), words(heard)) <= 0.25, heard
    # ...and the second piece is the second clause: nothing of it went to the first.
    assert jiwer.wer(words(SECOND), words(pieces[1]["text"])) <= 0.25, pieces
    # The interviewer did not take the turn at the cut: nothing it said starts inside the answer.
    said = [s for s in segments if s["speaker"] == "interviewer"]
    assert not [s for s in said if pieces[0]["start"] < s["start"] < pieces[1]["end"]], segments
    # The page saw both pieces as live finals, in order (the stored text may be better: once the answer is
    # over it is transcribed again as a whole, engine/live/revision.py).
    live = candidate.report.finals()
    assert len(live) == 2, live
    assert jiwer.wer(words(f"{FIRST} {SECOND}"), words(" ".join(live))) <= 0.25, live
