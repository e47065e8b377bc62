"""One answer through the engine's turn-taking pieces, in simulated time (`bench.turn_taking`'s core).

The stream goes, frame by frame, through `Segmenter` (webrtcvad, the default VAD settings),
`RecentAudio` and the Smart Turn model, Whisper tiny.en for each utterance's final, and the pure
`TurnTaker`, wired as `engine/live/hearing.py` and `engine/live/session.py` wire them: a pause probe
`pause_ms` into a silence, its verdict to the turn taker, a finished-sounding pause closing the utterance
at the next frame, a verdict withdrawn when the voice comes back, and, with `reprobe_ms`, a second look
later in the same silence when the first heard the voice unfinished. Time is simulated: a final arrives
a fixed delay after its utterance ends, a verdict a fixed delay after its probe, so every setting sees
the same audio and the same costs. `Costs` runs the real models once per distinct audio and caches them.
"""

from __future__ import annotations

import hashlib
import heapq
import time
from dataclasses import dataclass, field
from typing import Any

from bench.turn_answers import RATE, Answer, Gap
from engine.dialogue.turns import EndOfTurn, TurnConfig, TurnTaker
from media.asr import WhisperRecognizer, pcm_to_float
from media.segmenter import PauseEnded, PauseStarted, Segmenter, UtteranceEnded, UtteranceStarted
from media.smart_turn import RecentAudio, SmartTurnModel
from media.vad import VadConfig, WebRtcVadClassifier

__all__ = ["FRAME_S", "QUESTION", "Costs", "Outcome", "Setting", "simulate"]

FRAME_S = 0.02
QUESTION = "Tell me about a system you designed and the trade-offs you made."


@dataclass(frozen=True, slots=True)
class Setting:
    label: str
    smart: bool
    end_silence_s: float = 0.25
    pause_ms: int = 100
    threshold: float = 0.5
    confident_silence_s: float = 0.0
    hesitation_s: float = 1.0
    reprobe_ms: int | None = None
    """A second look: when the first verdict heard the voice unfinished and the silence has lasted this
    long (from the end of the voice), the model is asked again about the same pause."""


# -- the costs, measured once and cached ------------------------------------------------------------


@dataclass(slots=True)
class Costs:
    """Real transcriptions and model verdicts, cached by audio, with their measured times."""

    recognizer: WhisperRecognizer
    model: SmartTurnModel
    texts: dict[bytes, str] = field(default_factory=dict)
    probabilities: dict[bytes, float] = field(default_factory=dict)
    asr_s: list[float] = field(default_factory=list)
    model_s: list[float] = field(default_factory=list)

    def text(self, audio: bytes) -> str:
        key = hashlib.blake2b(audio, digest_size=16).digest()
        if key not in self.texts:
            started = time.perf_counter()
            self.texts[key] = self.recognizer.transcribe(pcm_to_float(audio)).text.strip()
            self.asr_s.append(time.perf_counter() - started)
        return self.texts[key]

    def probability(self, audio: bytes) -> float:
        key = hashlib.blake2b(audio, digest_size=16).digest()
        if key not in self.probabilities:
            started = time.perf_counter()
            self.probabilities[key] = self.model.probability(pcm_to_float(audio))
            self.model_s.append(time.perf_counter() - started)
        return self.probabilities[key]


# -- one answer through the pipeline, in simulated time ---------------------------------------------


@dataclass(slots=True)
class Outcome:
    cut_ins: list[Gap]  # the gaps during which the turn was taken
    delay_s: float | None  # end of the answer's sound to the end of the turn; None: never ended
    verdicts_at_end: list[float]  # the model's probabilities on pauses after the answer's end
    second_looks: int = 0  # pauses the model was asked about a second time


def simulate(answer: Answer, setting: Setting, costs: Costs, asr_delay: float, model_delay: float) -> Outcome:
    vad = VadConfig()  # the engine's defaults: 20 ms frames, 60 ms start, 300 ms hangover
    segmenter = Segmenter(
        vad, WebRtcVadClassifier(vad.aggressiveness), pause_ms=setting.pause_ms if setting.smart else None
    )
    recent = RecentAudio()
    config = TurnConfig(
        end_silence_s=setting.end_silence_s,
        confident_silence_s=setting.confident_silence_s,
        hesitation_s=setting.hesitation_s,
    )
    queue: list[tuple[float, int, str, Any]] = []
    seq = 0
    generation = 0
    turns = TurnTaker(config)
    turns.interviewer_started(0.0, QUESTION)
    turns.interviewer_finished(0.5)
    pause: tuple[int, float] | None = None
    verdict_sent = False
    heard: dict[tuple[int, float], bool] = {}  # each pause's latest verdict: finished?
    last_ended: tuple[int, float] | None = None  # the utterance that ended last, while no other is open
    reprobed: list[tuple[int, float]] = []
    cut: tuple[int, float] | None = None
    cut_ins: list[Gap] = []
    verdicts_at_end: list[float] = []
    ended: float | None = None

    def schedule(at: float, kind: str, payload: Any) -> None:
        nonlocal seq
        heapq.heappush(queue, (at, seq, kind, payload))
        seq += 1

    def acted(now: float, actions: list[Any]) -> None:
        nonlocal turns, generation, ended
        if not any(isinstance(a, EndOfTurn) for a in actions):
            return
        if now >= answer.end_s:
            ended = now
            return
        gap = next((g for g in answer.gaps if g.start_s <= now <= g.end_s + 0.1), None)
        if gap is None:  # during speech: attribute it to the last gap begun before
            begun = [g for g in answer.gaps if g.start_s <= now]
            gap = max(begun, key=lambda g: g.start_s) if begun else Gap(now, now, "speech")
        if gap not in cut_ins:
            cut_ins.append(gap)
        # The interviewer would now talk; here the turn taker starts afresh so every pause is judged.
        generation += 1
        turns = TurnTaker(config)
        turns.interviewer_started(now, QUESTION)
        turns.interviewer_finished(now)
        if segmenter.speaking:
            turns.speech_started(now)

    def due(now: float) -> None:
        nonlocal pause, verdict_sent, cut
        while ended is None:
            deadline = turns.next_deadline()
            event_at = queue[0][0] if queue else None
            candidates = [t for t in (deadline, event_at) if t is not None and t <= now]
            if not candidates:
                return
            at = min(candidates)
            if event_at is not None and event_at == at:
                _, _, kind, payload = heapq.heappop(queue)
                if kind == "final":
                    gen, text = payload
                    if gen == generation:
                        acted(at, turns.final(at, text))
                elif kind == "verdict":
                    key, probability = payload
                    if key == pause:
                        verdict_sent = True
                        complete = probability >= setting.threshold
                        heard[key] = complete
                        acted(at, turns.turn_verdict(at, complete))
                        if complete and segmenter.speaking:
                            cut = key
                elif kind == "reprobe":
                    # Still silent since the utterance `payload` ended, and its voice sounded unfinished:
                    # the model hears the last 8 s again, now with more silence in them.
                    if payload == last_ended and not segmenter.speaking and heard.get(payload) is False:
                        reprobed.append(payload)
                        schedule(at + model_delay, "second", (payload, costs.probability(recent.snapshot())))
                else:  # "second": the second look's verdict
                    key, probability = payload
                    if key == last_ended and not segmenter.speaking:
                        heard[key] = probability >= setting.threshold
                        acted(at, turns.turn_verdict(at, heard[key]))
            else:
                acted(at, turns.tick(at))

    frame_bytes = int(RATE * FRAME_S) * 2
    for offset in range(0, len(answer.pcm) - frame_bytes + 1, frame_bytes):
        start = offset / 2 / RATE
        now = start + FRAME_S
        due(start)
        if ended is not None:
            break
        events: list[Any] = []
        if cut is not None:
            events += segmenter.end_at_pause(*cut)
            cut = None
        frame = answer.pcm[offset : offset + frame_bytes]
        recent.push(frame)
        events += segmenter.push(frame, start)
        for event in events:
            if isinstance(event, UtteranceStarted):
                pause, verdict_sent, last_ended = None, False, None
                acted(now, turns.speech_started(now))
            elif isinstance(event, PauseStarted):
                pause, verdict_sent = (event.index, event.speech_end), False
                probability = costs.probability(recent.snapshot())
                if event.speech_end >= answer.end_s - 0.05:
                    verdicts_at_end.append(probability)
                schedule(now + model_delay, "verdict", (pause, probability))
            elif isinstance(event, PauseEnded):
                if pause is not None and pause[0] == event.index:
                    if verdict_sent:
                        acted(now, turns.speech_resumed(now))
                    pause, verdict_sent = None, False
            elif isinstance(event, UtteranceEnded):
                if pause != (event.index, event.end):
                    pause, verdict_sent = None, False
                last_ended = (event.index, event.end)
                if setting.smart and setting.reprobe_ms is not None:
                    schedule(event.end + setting.reprobe_ms / 1000, "reprobe", last_ended)
                acted(now, turns.speech_ended(now))
                schedule(now + asr_delay, "final", (generation, costs.text(event.audio)))
        due(now)
        if ended is not None:
            break
    delay = None if ended is None else ended - answer.end_s
    return Outcome(cut_ins, delay, verdicts_at_end, len(reprobed))
