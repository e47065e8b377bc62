"""The turn-taking simulation's second look: a voice heard unfinished at the first probe is asked about
again later in the same silence, and the turn ends then if it now sounds finished."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from bench.turn_answers import RATE, Answer, Gap, sound_span
from bench.turn_simulation import Costs, Setting, simulate
from tests.speech import synthesize


@dataclass
class _Text:
    text: str


class _Recognizer:
    def transcribe(self, audio: np.ndarray) -> _Text:
        return _Text("I built the whole billing pipeline myself.")


class _SilenceModel:
    """Hears a voice as finished once the clip ends in at least `needed_s` of silence: a stand-in for
    Smart Turn drifting towards 'finished' as a silence goes on."""

    def __init__(self, needed_s: float) -> None:
        self.needed_s = needed_s

    def probability(self, audio: np.ndarray) -> float:
        loud = np.flatnonzero(np.abs(audio) > 0.02)
        trailing = (len(audio) - (loud[-1] + 1 if len(loud) else 0)) / RATE
        return 0.99 if trailing >= self.needed_s else 0.05


def _answer(hesitation_s: float) -> Answer:
    first = np.frombuffer(
        synthesize("I built the billing pipeline", lead_silence_s=0.5, trail_silence_s=0), "<i2"
    )
    second = np.frombuffer(synthesize("on my own last year.", lead_silence_s=0, trail_silence_s=0), "<i2")
    gap = np.zeros(round(hesitation_s * RATE), np.int16)
    tail = np.zeros(3 * RATE, np.int16)
    pcm = np.concatenate([first, gap, second, tail])
    first_end = sound_span(first)[1] / RATE
    second_start = (len(first) + len(gap) + sound_span(second)[0]) / RATE
    end = (len(first) + len(gap) + sound_span(second)[1]) / RATE
    return Answer(pcm.tobytes(), [Gap(first_end, second_start, "hesitation")], end)


def _costs(needed_s: float) -> Costs:
    return Costs(_Recognizer(), _SilenceModel(needed_s))  # type: ignore[arg-type]


def test_a_second_look_ends_a_turn_the_first_heard_unfinished_sooner() -> None:
    answer = _answer(0.3)
    once = simulate(answer, Setting("once", smart=True, threshold=0.9), _costs(0.3), 0.18, 0.1)
    twice = simulate(
        answer, Setting("twice", smart=True, threshold=0.9, reprobe_ms=500), _costs(0.3), 0.18, 0.1
    )
    assert once.delay_s is not None
    assert twice.delay_s is not None
    # Once: heard unfinished at 0.1 s, so the VAD's 300 ms hangover and the 1 s hesitation.
    assert 1.2 < once.delay_s < 1.5
    assert once.second_looks == 0
    # Twice: heard finished at the second look, 0.5 s into the silence plus the model's 0.1 s.
    assert 0.55 < twice.delay_s < 0.75
    assert twice.second_looks >= 1
    assert once.cut_ins == twice.cut_ins == []


def test_a_second_look_can_cut_into_a_long_mid_sentence_pause() -> None:
    answer = _answer(0.9)
    costs = _costs(0.3)
    once = simulate(answer, Setting("once", smart=True, threshold=0.9), costs, 0.18, 0.1)
    twice = simulate(answer, Setting("twice", smart=True, threshold=0.9, reprobe_ms=500), costs, 0.18, 0.1)
    assert once.cut_ins == []
    assert [gap.kind for gap in twice.cut_ins] == ["hesitation"]
