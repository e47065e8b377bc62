"""Whether a recogniser's text can be what was said: enough words for the voice in the audio (a decode
that stopped early drops whole passages), and not more than could be said (a prompted decode that
repeats its prompt). `media.asr` acts on both; the thresholds are module constants so that benchmarks
can switch a check off (bench/asr_real_speech.py)."""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

__all__ = [
    "COVERAGE_MIN_SPEECH_S",
    "MAX_WORDS_PER_S",
    "MIN_WORDS_PER_SPEECH_S",
    "covers",
    "voiced_seconds",
]

SAMPLE_RATE = 16_000  # Whisper's, the audio these checks see

MIN_WORDS_PER_SPEECH_S = 1.0
"""Fewer words than this per second of voiced audio means words were dropped: conversational English
runs at 2-3 words per second of voiced time, and a slow, hesitant speaker (whose fillers Whisper leaves
out) at about 1.5."""

MAX_WORDS_PER_S = 6.0
"""More words than this per second of audio (plus two) cannot have been said: a prompted decode that
long is Whisper repeating its prompt, and the utterance is decoded again without it."""

COVERAGE_MIN_SPEECH_S = 3.0
"""Utterances with less voiced audio than this are not checked: one or two words may be all there is."""

# Voiced-time estimate for the coverage check: 30 ms frames within 35 dB of the loudest one (and above
# -55 dBFS) count as speech. Crude, but it only has to tell 25 s of talk from a 2-second reply.
_COVERAGE_FRAME = 480
_COVERAGE_RANGE_DB = 35.0
_COVERAGE_FLOOR_DB = -55.0


def voiced_seconds(audio: npt.NDArray[np.float32]) -> float:
    """Roughly how much of `audio` is voice rather than pause (see `MIN_WORDS_PER_SPEECH_S`)."""
    frames = len(audio) // _COVERAGE_FRAME
    if frames == 0:
        return 0.0
    power = np.mean(np.square(audio[: frames * _COVERAGE_FRAME].reshape(frames, _COVERAGE_FRAME)), axis=1)
    level = 10.0 * np.log10(np.maximum(power, 1e-12))
    threshold = max(float(level.max()) - _COVERAGE_RANGE_DB, _COVERAGE_FLOOR_DB)
    return float(np.count_nonzero(level > threshold)) * _COVERAGE_FRAME / SAMPLE_RATE


def covers(text: str, audio: npt.NDArray[np.float32]) -> bool:
    """Whether `text` has as many words as `audio`'s voiced time calls for (short audio always does)."""
    speech_s = voiced_seconds(audio)
    return speech_s < COVERAGE_MIN_SPEECH_S or len(text.split()) >= MIN_WORDS_PER_SPEECH_S * speech_s
