"""The turn-taking benchmark's real-speech answers: pauses found by level, placed by punctuation."""

from __future__ import annotations

import numpy as np

from bench.turn_answers import RATE, human_answer, pause_kind
from media.asr import TimedWord


def _burst(seconds: float, rng: np.random.Generator) -> np.ndarray:
    """A voiced-like burst: a 200 Hz tone with harmonics, about -12 dBFS."""
    t = np.arange(round(seconds * RATE)) / RATE
    wave = sum(np.sin(2 * np.pi * 200 * k * t) / k for k in (1, 2, 3))
    return 6000 * wave + rng.normal(0, 50, len(t))


def _room(seconds: float, rng: np.random.Generator) -> np.ndarray:
    return rng.normal(0, 4, round(seconds * RATE))  # about -78 dBFS: a quiet room


def test_pauses_are_found_by_level_and_placed_by_the_word_before() -> None:
    rng = np.random.default_rng(1)
    parts = [_room(0.5, rng), _burst(1.0, rng), _room(0.8, rng), _burst(1.0, rng), _room(0.3, rng)]
    parts += [_burst(1.0, rng), _room(1.5, rng), _burst(0.5, rng), _room(0.5, rng)]
    pcm = np.clip(np.concatenate(parts), -32768, 32767).astype(np.int16)
    # The first pause (0.8 s at 1.5 s) follows a sentence's end; the others follow mid-sentence words.
    words = [TimedWord("done.", 1.0, 1.45), TimedWord("and", 2.4, 3.2), TimedWord("so", 3.6, 4.5)]
    answer = human_answer(pcm, words)
    assert answer is not None
    kinds = [gap.kind for gap in answer.gaps]
    assert kinds == ["sentence", "short", "long"]
    lengths = [gap.end_s - gap.start_s for gap in answer.gaps]
    assert np.allclose(lengths, [0.8, 0.3, 1.5], atol=0.03)
    # 1 s of room tone is put before the recording's voice; its own 0.5 s lead-in is kept.
    first_voice = 1.0 + 0.2
    assert abs(answer.gaps[0].start_s - (first_voice + 1.0)) < 0.03
    assert abs(answer.end_s - (first_voice + 6.1)) < 0.03
    assert len(answer.pcm) / 2 / RATE >= answer.end_s + 3.0


def test_a_recording_whose_hiss_the_vad_hears_as_speech_is_left_out() -> None:
    rng = np.random.default_rng(2)
    hiss = rng.normal(0, 300, RATE)  # white noise at about -40 dBFS everywhere, even between words
    pcm = np.concatenate([hiss, _burst(1.0, rng) + rng.normal(0, 300, RATE), hiss])
    assert human_answer(np.clip(pcm, -32768, 32767).astype(np.int16)) is None


def test_pause_kinds() -> None:
    assert pause_kind(0.2, after_sentence=True) == "brief"
    assert pause_kind(0.6, after_sentence=True) == "sentence"
    assert pause_kind(0.6, after_sentence=False) == "hesitation"
    assert pause_kind(0.3, after_sentence=False) == "short"
    assert pause_kind(1.5, after_sentence=False) == "long"
