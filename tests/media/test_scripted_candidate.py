"""The scripted candidate's notion of "end of speech" (the last frame with sound, not the clip's end), and which
final and which reply belong to which answer."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable
from typing import Any

import numpy as np
import pytest
from aiortc import RTCDataChannel, RTCPeerConnection, RTCSessionDescription
from aiortc.mediastreams import AudioStreamTrack

from media.audio import SAMPLE_RATE
from media.scripted_candidate import CandidateReport, ScriptedCandidate, Turn, trailing_quiet_s
from tests.speech import synthesize


def tone(seconds: float, amplitude: int = 8000) -> bytes:
    t = np.arange(int(seconds * SAMPLE_RATE)) / SAMPLE_RATE
    return (amplitude * np.sin(2 * np.pi * 440 * t)).astype("<i2").tobytes()


def quiet(seconds: float) -> bytes:
    return bytes(int(seconds * SAMPLE_RATE) * 2)


@pytest.mark.parametrize("trail", [0.0, 0.3, 0.5, 1.25])
def test_trailing_silence_is_measured_to_the_window(trail: float) -> None:
    clip = quiet(0.2) + tone(0.6) + quiet(trail)
    assert trailing_quiet_s(clip, SAMPLE_RATE) == pytest.approx(trail, abs=0.011)


def test_low_noise_counts_as_quiet_and_an_all_quiet_clip_is_all_tail() -> None:
    noise = (np.random.default_rng(1).normal(0, 30, int(0.4 * SAMPLE_RATE))).astype("<i2").tobytes()
    assert trailing_quiet_s(tone(0.5) + noise, SAMPLE_RATE) == pytest.approx(0.4, abs=0.011)
    assert trailing_quiet_s(quiet(0.7), SAMPLE_RATE) == pytest.approx(0.7, abs=0.001)
    assert trailing_quiet_s(b"", SAMPLE_RATE) == 0.0


def test_synthesized_answers_end_where_the_voice_ends() -> None:
    clip = synthesize("I wrote the billing service in Go.", trail_silence_s=0.5)
    # eSpeak fades out over a few tens of milliseconds after the last word.
    assert 0.5 <= trailing_quiet_s(clip, SAMPLE_RATE) < 0.7


def _finals_to(report: CandidateReport) -> Callable[[float, str], None]:
    """A final transcript message arriving at the candidate at a given time."""

    def final(at: float, text: str) -> None:
        message = {"type": "transcript", "final": True, "text": text, "received_at": at}
        report.messages.append(message)
        report.heard_final(message)

    return final


def test_what_arrives_during_an_answers_trailing_quiet_is_that_answers() -> None:
    report = CandidateReport()

    final = _finals_to(report)

    # The first answer's voice ends at 10.0; its final and the reply come while its trailing second of
    # room tone is still being sent (the turn is added at 11.0).
    final(9.0, "an earlier piece")
    report.sound_runs.append((10.6, 12.0))
    final(10.4, "the last piece")
    report.add_turn(Turn(0, 10.0))
    first = report.turns[0]
    assert (first.final_transcript, first.transcript, first.first_reply_audio) == (
        10.4,
        "the last piece",
        10.6,
    )

    # The second answer gets no final (its last words were noise): the next answer's first piece is not
    # taken for it, and its reply is the first sound after its end.
    report.add_turn(Turn(1, 20.0))
    report.heard_sound(20.8)
    report.heard_sound(21.0)
    assert report.turns[1].first_reply_audio == 20.8
    report.answering()  # the third answer starts
    final(27.0, "the third answer's first piece")  # not the second turn's
    report.add_turn(Turn(2, 30.0))
    final(30.5, "the third answer's last piece")
    assert report.turns[1].final_transcript is None
    assert (report.turns[2].final_transcript, report.turns[2].transcript) == (
        30.5,
        "the third answer's last piece",
    )


def test_a_turn_ended_before_the_answers_last_sound_is_settled_early_not_lost() -> None:
    report = CandidateReport()

    final = _finals_to(report)

    # The first answer (sent from 1.0) ends with a laugh: the engine's final for it comes at 9.6 and
    # its reply at 9.7, before the answer's last sound at 10.0.
    report.answering(1.0)
    final(4.0, "a first piece")
    final(9.6, "the last words")
    report.sound_runs.append((9.7, 11.5))
    report.add_turn(Turn(0, 10.0))
    # The second answer (from 13.0) is answered after its end as usual.
    report.answering(13.0)
    report.add_turn(Turn(1, 18.0))
    final(18.4, "the second answer")
    report.sound_runs.append((18.5, 19.0))
    report.heard_sound(18.5)
    # The third (from 21.0) got nothing at all after it started: it stays unanswered.
    report.answering(21.0)
    report.add_turn(Turn(2, 25.0))

    assert report.turns[0].final_transcript is None  # before settling, the first turn looks lost
    assert report.settle_early_turns() == 1
    first, second, third = report.turns
    assert first.early
    assert first.transcript == "the last words"
    assert first.transcript_latency == pytest.approx(-0.4)
    assert first.reply_latency == pytest.approx(-0.3)
    assert not second.early
    assert second.transcript_latency == pytest.approx(0.4)
    assert second.reply_latency == pytest.approx(0.5)
    assert (third.final_transcript, third.first_reply_audio, third.early) == (None, None, False)
    assert report.settle_early_turns() == 0  # settling twice changes nothing


class _FakeEngine:
    """The engine's side of a call, reduced to what the candidate hears: a silent audio track and the
    events channel, on an aiortc peer in the same loop (no network)."""

    def __init__(self) -> None:
        self.pc = RTCPeerConnection()
        self.pc.addTrack(AudioStreamTrack())
        self._open = asyncio.Event()
        self._channel: RTCDataChannel | None = None

        @self.pc.on("datachannel")
        def _on_channel(channel: RTCDataChannel) -> None:
            self._channel = channel
            if channel.readyState == "open":
                self._open.set()
            channel.on("open", self._open.set)

    async def answer(self, offer: dict[str, Any]) -> dict[str, Any]:
        await self.pc.setRemoteDescription(RTCSessionDescription(sdp=offer["sdp"], type=offer["type"]))
        await self.pc.setLocalDescription(await self.pc.createAnswer())
        return {"sdp": self.pc.localDescription.sdp, "type": self.pc.localDescription.type}

    async def says(self, line: str) -> None:
        """A line's caption, then "listening" (as the engine does after each line it has played)."""
        await asyncio.wait_for(self._open.wait(), 10)
        assert self._channel is not None
        self._channel.send(json.dumps({"type": "caption", "text": line, "final": True}))
        self._channel.send(json.dumps({"type": "state", "state": "listening"}))


async def test_an_acknowledgement_is_not_taken_for_the_question(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("media.scripted_candidate.ACKNOWLEDGEMENT_WAIT_S", 1.5)
    engine = _FakeEngine()
    candidate = ScriptedCandidate([])
    try:
        await candidate.connect(engine.answer)
        # "Thank you." while the answer's final is worked out: the candidate waits for the question.
        waiting = asyncio.ensure_future(candidate.wait_for_question())
        await engine.says("Thank you.")
        await asyncio.sleep(0.9)
        assert not waiting.done()
        await engine.says("Tell me about a project you led from start to finish.")
        await asyncio.wait_for(waiting, 2)
        # A question of more than three words is answered once the interviewer stays quiet.
        waiting = asyncio.ensure_future(candidate.wait_for_question())
        await engine.says("What did you change afterwards?")
        await asyncio.wait_for(waiting, 2)
        # An acknowledgement that nothing follows: answered after the wait, not never.
        waiting = asyncio.ensure_future(candidate.wait_for_question())
        started = asyncio.get_running_loop().time()
        await engine.says("Understood, thanks.")
        await asyncio.wait_for(waiting, 5)
        assert asyncio.get_running_loop().time() - started >= 1.5
    finally:
        await candidate.close()
        await engine.pc.close()
