"""The scripted candidate's notion of "end of speech": the last frame with sound, not the clip's end."""

from __future__ import annotations

import numpy as np
import pytest

from media.audio import SAMPLE_RATE
from media.scripted_candidate import trailing_quiet_s
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
