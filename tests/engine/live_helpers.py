"""Booking a session to join, signalling over the app, and measuring a recording, for the live-session
tests."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

import httpx
import numpy as np

from media.audio import SAMPLE_RATE, rms_dbfs
from media.scripted_candidate import SOUND_DBFS
from tests.engine.session_helpers import book, inline_participant, make_profile, make_stage, make_template

JSON = dict[str, Any]

# Sentences that Whisper tiny.en transcribes without a word error in eSpeak's voice whatever silence
# surrounds them (checked with 0-0.3 s before and 0-0.5 s after), so a word error above the bound points
# at the call path (codec, resampling, segmentation), not the voice. Where the live path cuts an
# utterance depends on frame timing, and some sentences are not robust to that: "I built the payment
# service and my team shipped it in three months." comes back as "I will to the payment service..." with
# 0.3 s of silence after it, but word-perfect with 0.2 or 0.5 s.
ANSWERS = (
    "I wrote the billing service in Go and cut the error rate in half.",
    "I designed the search service and we launched it in two months.",
)


async def booked_session(client: httpx.AsyncClient, skills: list[str] | None = None) -> tuple[str, str]:
    """A scheduled session of a template with `skills`; returns (session id, join token)."""
    # A brisk interviewer voice: the tests wait for every line to be played in real time.
    profile = await make_profile(client, voice={"name": "en-us", "rate": 280, "pitch": 50})
    # The shortest template (five minutes): the plan keeps one question per rubric dimension and one in
    # reserve, so tests stay short. (Brief answers leave time, and the director asks the reserve.)
    template = await make_template(client, skills=skills or ["Go", "PostgreSQL"], duration_minutes=5)
    stage = await make_stage(client, template["id"], profile["id"])
    session = await book(client, stage_id=stage["id"], participant=inline_participant())
    token = str(session["join_url"]).rsplit("/", 1)[1]
    return str(session["id"]), token


def offer_poster(raw: httpx.AsyncClient, token: str) -> Callable[[JSON], Awaitable[JSON]]:
    async def post(body: JSON) -> JSON:
        response = await raw.post(f"/join/{token}/offer", json=body)
        assert response.status_code == 200, response.text
        answer = response.json()
        assert isinstance(answer, dict)
        return answer

    return post


def sound_s(mono: np.ndarray) -> float:
    """Seconds of 20 ms frames with sound in them in one channel of a 16 kHz recording, by the scripted
    candidate's own measure of what it heard (`CandidateReport.received_sound_s`)."""
    frame = SAMPLE_RATE // 50
    frames = len(mono) // frame
    loud = sum(rms_dbfs(mono[i * frame : (i + 1) * frame].tobytes()) > SOUND_DBFS for i in range(frames))
    return loud * frame / SAMPLE_RATE
