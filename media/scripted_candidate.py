"""A scripted candidate: a real aiortc peer that answers the interviewer with pre-recorded speech.

Used by the end-to-end tests and by `bench/` to drive many sessions over real WebRTC, and usable as
a synthetic check against a deployment. It speaks each answer once the interviewer has finished a
line (the engine's "listening" state on the events channel) and measures, per turn:

- end of speech -> final transcript (the engine's `transcript` message with final=true), and
- end of speech -> first interviewer audio packet with sound in it, at the client.

"End of speech" is when the answer's last frame with sound in it was sent: a clip's trailing silence
is not speech, and counting from the clip's end would flatter every latency by its length.

Signalling is injected (`post_offer`), so it runs against an in-process app or a server over TCP.
"""

from __future__ import annotations

import asyncio
import contextlib
import fractions
import json
import logging
from collections import deque
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import av
import numpy as np
from aiortc import RTCConfiguration, RTCPeerConnection, RTCSessionDescription
from aiortc.mediastreams import MediaStreamError, MediaStreamTrack

from media.audio import FRAME_MS, OUTPUT_RATE, SAMPLE_RATE, FrameResampler, resample_pcm, rms_dbfs
from media.inbound_clock import AIORTC_HOLD_FRAMES

__all__ = ["CandidateReport", "ScriptedCandidate", "Turn", "trailing_quiet_s"]

logger = logging.getLogger(__name__)

OUT_SAMPLES = OUTPUT_RATE * FRAME_MS // 1000
FRAME_S = FRAME_MS / 1000
SOUND_DBFS = -45.0

# A line of at most this many words followed by quiet is an acknowledgement, not a question: the
# candidate waits up to ACKNOWLEDGEMENT_WAIT_S more for the question.
ACKNOWLEDGEMENT_WORDS = 3
ACKNOWLEDGEMENT_WAIT_S = 5.0

PostOffer = Callable[[dict[str, Any]], Awaitable[dict[str, Any]]]


@dataclass(slots=True)
class Turn:
    answer_index: int
    speech_end: float
    final_transcript: float | None = None
    first_reply_audio: float | None = None
    transcript: str = ""
    # When the answer's first frame was sent (None where the caller did not say).
    started: float | None = None
    # The engine took the turn before the answer's last sound: its final (and maybe its reply) came
    # while the answer was still being played, so the latencies are negative (`settle_early_turns`).
    early: bool = False

    @property
    def transcript_latency(self) -> float | None:
        return None if self.final_transcript is None else self.final_transcript - self.speech_end

    @property
    def reply_latency(self) -> float | None:
        return None if self.first_reply_audio is None else self.first_reply_audio - self.speech_end


@dataclass(slots=True)
class CandidateReport:
    turns: list[Turn] = field(default_factory=list)
    messages: list[dict[str, Any]] = field(default_factory=list)
    received_s: float = 0.0
    received_sound_s: float = 0.0
    received_pcm: bytearray = field(default_factory=bytearray)
    # With keep_audio: when each received frame was handed over (the candidate starts hearing it).
    received_at: list[float] = field(default_factory=list)
    ended: dict[str, Any] | None = None
    # Stretches of interviewer sound heard, as (first, last) frame arrival times.
    sound_runs: list[tuple[float, float]] = field(default_factory=list)
    _answering: bool = False  # an answer is being spoken and not added yet
    _answer_started: float | None = None

    def captions(self) -> list[str]:
        return [m["text"] for m in self.messages if m.get("type") == "caption"]

    def finals(self) -> list[str]:
        return [m["text"] for m in self.messages if m.get("type") == "transcript" and m.get("final")]

    def add_turn(self, turn: Turn) -> None:
        """An answer whose last frame has just been sent. What already arrived after the end of its voice
        is its own: a reply or a final can come while the answer's trailing quiet is still being sent (a
        real recording's second of room tone). From then on the next sound and the next final are this
        turn's, never an earlier turn's that got none (whose figures stay missing)."""
        if turn.started is None:
            turn.started = self._answer_started
        self.turns.append(turn)
        self._answering = False
        for first, last in self.sound_runs:
            if last > turn.speech_end:
                turn.first_reply_audio = max(first, turn.speech_end)
                break
        for message in self.messages:
            if _is_final(message) and message["received_at"] > turn.speech_end:
                turn.final_transcript, turn.transcript = message["received_at"], message["text"]
                break

    def heard_sound(self, now: float) -> None:
        latest = self.turns[-1] if self.turns else None
        if latest is not None and latest.first_reply_audio is None and now > latest.speech_end:
            latest.first_reply_audio = now

    def answering(self, at: float | None = None) -> None:
        """The next answer starts (its first frame goes out at `at`): its finals are not the last turn's
        (which then has none, if it has none yet) until it is added itself."""
        self._answering = True
        self._answer_started = at

    def settle_early_turns(self) -> int:
        """Once the session is over: a turn with no final after its last sound, whose answer's last
        final came while the answer was still being played, gets that final, and the first interviewer
        sound after it (before the next answer started) as its reply, both earlier than the answer's
        end (negative latencies). That is the engine ending the turn before the answer's last sound: a
        trailing laugh or breath it did not take for speech, or a cut-in before the last words; which of
        the two the candidate cannot tell. Returns how many turns were settled so."""
        settled = 0
        for index, turn in enumerate(self.turns):
            if turn.final_transcript is not None or turn.started is None:
                continue
            finals = [
                m
                for m in self.messages
                if _is_final(m) and turn.started < m["received_at"] <= turn.speech_end
            ]
            if not finals:
                continue
            final = finals[-1]
            following = self.turns[index + 1].started if index + 1 < len(self.turns) else None
            turn.final_transcript, turn.transcript, turn.early = final["received_at"], final["text"], True
            turn.first_reply_audio = next(
                (
                    first
                    for first, _ in self.sound_runs
                    if first >= final["received_at"] and (following is None or first < following)
                ),
                None,
            )
            settled += 1
        return settled

    def heard_final(self, message: dict[str, Any]) -> None:
        latest = self.turns[-1] if self.turns and not self._answering else None
        if (
            latest is not None
            and latest.final_transcript is None
            and message["received_at"] > latest.speech_end
        ):
            latest.final_transcript, latest.transcript = message["received_at"], message["text"]


def _is_final(message: dict[str, Any]) -> bool:
    return message.get("type") == "transcript" and bool(message.get("final"))


def trailing_quiet_s(pcm: bytes, sample_rate: int, window_ms: int = 10) -> float:
    """Seconds of quiet (below `SOUND_DBFS`, in `window_ms` steps) at the end of int16 mono PCM."""
    step = sample_rate * window_ms // 1000 * 2
    end = len(pcm) - len(pcm) % 2
    quiet = 0
    while end > 0:
        start = max(0, end - step)
        if rms_dbfs(pcm[start:end]) > SOUND_DBFS:
            break
        quiet += end - start
        end = start
    return quiet / 2 / sample_rate


class _AnswerTrack(MediaStreamTrack):
    """Paced 48 kHz mono microphone: silence until `speak()` queues an answer."""

    kind = "audio"

    def __init__(self, clock: Callable[[], float]) -> None:
        super().__init__()
        self._clock = clock
        self._origin: float | None = None
        self._sent = 0
        self._queue: deque[tuple[bytes, asyncio.Future[float]]] = deque()
        self._offset = 0
        self._silence = np.zeros((1, OUT_SAMPLES), dtype=np.int16)

    def speak(self, pcm48: bytes) -> asyncio.Future[float]:
        """Queues speech; the future resolves with the time its last frame left."""
        done: asyncio.Future[float] = asyncio.get_running_loop().create_future()
        self._queue.append((pcm48, done))
        return done

    async def recv(self) -> av.AudioFrame:
        if self.readyState != "live":
            raise MediaStreamError
        if self._origin is None:
            self._origin = self._clock()
        due = self._origin + self._sent * FRAME_S
        wait = due - self._clock()
        if wait > 0:
            await asyncio.sleep(wait)
        samples = self._silence
        if self._queue:
            pcm, done = self._queue[0]
            size = OUT_SAMPLES * 2
            chunk = pcm[self._offset : self._offset + size]
            self._offset += size
            if self._offset >= len(pcm):
                self._queue.popleft()
                self._offset = 0
                if not done.done():
                    done.set_result(due + FRAME_S)
            chunk += bytes(size - len(chunk))
            samples = np.frombuffer(chunk, dtype="<i2").reshape(1, -1)
        frame = av.AudioFrame.from_ndarray(samples, format="s16", layout="mono")
        frame.sample_rate = OUTPUT_RATE
        frame.time_base = fractions.Fraction(1, OUTPUT_RATE)
        frame.pts = self._sent * OUT_SAMPLES
        self._sent += 1
        return frame


class ScriptedCandidate:
    """`answers` are 16 kHz mono int16 clips, spoken in order, one per interviewer question."""

    def __init__(
        self,
        answers: Sequence[bytes],
        *,
        think_s: float = 0.3,
        keep_audio: bool = False,
        configuration: RTCConfiguration | None = None,
    ) -> None:
        self._answers = [resample_pcm(a, SAMPLE_RATE, OUTPUT_RATE) for a in answers]
        self._tails = [trailing_quiet_s(a, SAMPLE_RATE) for a in answers]
        self._think_s = think_s
        self._keep_audio = keep_audio
        self._clock = asyncio.get_running_loop().time
        self.pc = RTCPeerConnection(configuration)
        self._mic = _AnswerTrack(self._clock)
        self.report = CandidateReport()
        self._channel = self.pc.createDataChannel("events")
        self._ended = asyncio.Event()
        self._sounded = asyncio.Event()  # set by every frame with sound
        self._listening = asyncio.Event()
        self._questions_heard = 0
        self._last_line = ""
        self._receiver: asyncio.Task[None] | None = None
        self._inbound: MediaStreamTrack | None = None
        self._channel.on("message", self._on_message)
        self._channel_open = asyncio.Event()
        self._channel.on("open", self._opened)

        @self.pc.on("track")
        def _on_track(track: MediaStreamTrack) -> None:
            if track.kind == "audio":
                self._inbound = track

    def _opened(self) -> None:
        self._channel_open.set()
        # As the join page does: how long this peer holds the interviewer's audio before it plays
        # (aiortc's jitter buffer), so the engine can line the recording up with what was heard.
        hold_ms = AIORTC_HOLD_FRAMES * FRAME_MS
        self._channel.send(json.dumps({"type": "delay", "rtt_ms": 0, "playout_ms": hold_ms}))

    def _on_message(self, raw: object) -> None:
        if not isinstance(raw, str):
            return
        message = json.loads(raw)
        message["received_at"] = self._clock()
        self.report.messages.append(message)
        kind = message.get("type")
        if kind == "caption":
            self._questions_heard += 1
            self._last_line = str(message.get("text", ""))
        elif kind == "state" and message.get("state") == "listening":
            self._listening.set()
        elif _is_final(message):
            self.report.heard_final(message)
        elif kind == "ended":
            self.report.ended = message
            self._ended.set()

    async def connect(self, post_offer: PostOffer) -> None:
        self.pc.addTrack(self._mic)
        offer = await self.pc.createOffer()
        await self.pc.setLocalDescription(offer)
        local = self.pc.localDescription
        answer = await post_offer({"sdp": local.sdp, "type": local.type, "consent": True})
        await self.pc.setRemoteDescription(RTCSessionDescription(sdp=answer["sdp"], type=answer["type"]))
        if self._inbound is None:
            raise RuntimeError("the engine's answer has no audio track")
        self._receiver = asyncio.create_task(self._receive(self._inbound))

    async def _receive(self, track: MediaStreamTrack) -> None:
        resampler = FrameResampler(SAMPLE_RATE)
        while True:
            try:
                frame = await track.recv()
            except MediaStreamError:
                return
            if not isinstance(frame, av.AudioFrame):
                continue
            pcm = resampler.resample(frame)
            seconds = frame.samples / (frame.sample_rate or OUTPUT_RATE)
            self.report.received_s += seconds
            now = self._clock()
            if self._keep_audio:
                self.report.received_pcm += pcm
                self.report.received_at.append(now)
            if rms_dbfs(pcm) > SOUND_DBFS:
                self.report.received_sound_s += seconds
                self._sounded.set()
                runs = self.report.sound_runs
                # A gap of more than 100 ms of silence starts a new run.
                if runs and now - runs[-1][1] <= 0.1:
                    runs[-1] = (runs[-1][0], now)
                else:
                    runs.append((now, now))
                self.report.heard_sound(now)

    async def run(self, limit_s: float) -> CandidateReport:
        """Answers every question, then waits for the engine to end the interview (or `limit_s`)."""
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(limit_s):
                for index, answer in enumerate(self._answers):
                    await self.wait_for_question()
                    await asyncio.sleep(self._think_s)
                    self.report.answering(self._clock())
                    end = await self._mic.speak(answer)
                    self.report.add_turn(Turn(index, end - self._tails[index]))
                await self._ended.wait()
        return self.report

    async def wait_for_sound(self, seconds: float = 0.0, timeout_s: float = 30.0) -> None:
        """Until the interviewer has been heard (more than `seconds` of sound in all); TimeoutError if not
        within `timeout_s`."""
        async with asyncio.timeout(timeout_s):
            while not self.report.sound_runs or self.report.received_sound_s <= seconds:
                self._sounded.clear()
                await self._sounded.wait()

    def now(self) -> float:
        """The clock the report's times use."""
        return self._clock()

    def speak(self, pcm16k: bytes) -> asyncio.Future[float]:
        """Say something now (outside the script); resolves when its last frame has been sent."""
        return self._mic.speak(resample_pcm(pcm16k, SAMPLE_RATE, OUTPUT_RATE))

    async def wait_for_question(self) -> None:
        """Until the interviewer has finished a line and stays quiet (a question, not the greeting),
        or has said only an acknowledgement and then nothing for `ACKNOWLEDGEMENT_WAIT_S`."""
        # The engine says "listening" after each line; a line that is not a question (the greeting)
        # is followed at once by the next line, so wait until the interviewer stays quiet briefly.
        # "Thank you." said the moment an answer ends, while its final is still being worked out, is
        # followed by the question once it is: a person waits for that rather than answering the
        # acknowledgement.
        acknowledged_at: float | None = None
        while True:
            self._listening.clear()
            if acknowledged_at is None:
                await self._listening.wait()
            else:
                left = acknowledged_at + ACKNOWLEDGEMENT_WAIT_S - self._clock()
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._listening.wait(), max(left, 0.0))
                if not self._listening.is_set():
                    return
            heard = self._questions_heard
            await asyncio.sleep(0.4)
            if self._ended.is_set():
                raise TimeoutError
            if self._questions_heard == heard:
                if len(self._last_line.split()) > ACKNOWLEDGEMENT_WORDS or acknowledged_at is not None:
                    return
                acknowledged_at = self._clock()

    async def send(self, message: dict[str, Any], timeout_s: float = 10.0) -> None:
        """Send a page message (as the join page would), once the events channel is open."""
        if self._channel.readyState != "open":
            async with asyncio.timeout(timeout_s):
                await self._channel_open.wait()
        self._channel.send(json.dumps(message))

    def hang_up(self) -> None:
        if self._channel.readyState == "open":
            self._channel.send(json.dumps({"type": "hangup"}))

    async def close(self) -> None:
        if self._receiver is not None:
            self._receiver.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._receiver
        self._mic.stop()
        await self.pc.close()
