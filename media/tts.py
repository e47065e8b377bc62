"""Text-to-speech interface: the interviewer's voice, independent of the engine that renders it.

A `TextToSpeech` turns plain text into `Speech`: int16 mono PCM at the engine's native sample rate, plus
`WordMark`s saying when each word starts in that audio. Word marks let the session know how much of a
question the candidate actually heard when they interrupt (barge-in), and let tests line text up with
audio. Synthesis is blocking and must be safe to call from several worker threads at once; callers run it
off the event loop.

Text is always plain text: engines must not interpret markup (SSML, HTML, phoneme escapes) in it, because
question text comes from interview templates written by customers.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol, runtime_checkable

import numpy as np

__all__ = [
    "DEFAULT_VOICE",
    "LEAD_KEEP_S",
    "LEAD_LEVEL",
    "PITCH_MAX",
    "PITCH_MIN",
    "RATE_MAX",
    "RATE_MIN",
    "Speech",
    "TextToSpeech",
    "Voice",
    "WordMark",
]

# The range eSpeak (and most engines) accept for words per minute; outside it speech is unintelligible.
RATE_MIN = 80
RATE_MAX = 450
PITCH_MIN = 0
PITCH_MAX = 100
LEAD_KEEP_S = 0.01  # silence kept before a line's first sound (see `Speech.without_lead_silence`)
LEAD_LEVEL = 200  # |sample| above which a line has begun: about -44 dBFS, below any voiced sound


@dataclass(frozen=True, slots=True)
class Voice:
    """Which voice speaks, how fast (words per minute) and how high (0..100, 50 = the voice's own pitch)."""

    name: str = "en-us"
    rate: int = 175
    pitch: int = 50

    def __post_init__(self) -> None:
        if not isinstance(self.name, str) or not self.name.strip():
            raise ValueError(f"voice name must be a non-empty string, got {self.name!r}")
        # bool is an int subclass; Voice(rate=True) is a bug, not a rate of 1.
        if isinstance(self.rate, bool) or not isinstance(self.rate, int):
            raise TypeError(f"voice rate must be an int, got {self.rate!r}")
        if isinstance(self.pitch, bool) or not isinstance(self.pitch, int):
            raise TypeError(f"voice pitch must be an int, got {self.pitch!r}")
        if not RATE_MIN <= self.rate <= RATE_MAX:
            raise ValueError(f"voice rate must be {RATE_MIN}..{RATE_MAX} words/min, got {self.rate}")
        if not PITCH_MIN <= self.pitch <= PITCH_MAX:
            raise ValueError(f"voice pitch must be {PITCH_MIN}..{PITCH_MAX}, got {self.pitch}")


DEFAULT_VOICE = Voice()


@dataclass(frozen=True, slots=True)
class WordMark:
    """A word starting `start_s` seconds into the speech; `text[text_offset:text_offset + length]` is it."""

    start_s: float
    text_offset: int
    length: int

    @property
    def text_end(self) -> int:
        return self.text_offset + self.length

    def word(self, text: str) -> str:
        """The word in the text that was synthesised."""
        return text[self.text_offset : self.text_end]


@dataclass(frozen=True, slots=True)
class Speech:
    """Synthesised audio: little-endian int16 mono PCM at `sample_rate`, with word start times."""

    pcm: bytes
    sample_rate: int
    words: tuple[WordMark, ...] = ()

    def __post_init__(self) -> None:
        if self.sample_rate <= 0:
            raise ValueError(f"sample rate must be positive, got {self.sample_rate}")
        if len(self.pcm) % 2:
            raise ValueError("int16 PCM must have an even number of bytes")

    @property
    def num_samples(self) -> int:
        return len(self.pcm) // 2

    @property
    def duration_s(self) -> float:
        return self.num_samples / self.sample_rate

    def without_lead_silence(self, keep_s: float = LEAD_KEEP_S, level: int = LEAD_LEVEL) -> Speech:
        """The same speech starting `keep_s` before its first sample louder than `level` (of 32767).

        Neural voices open each line with 40-65 ms of near silence (Piper's model pads it); a reply's
        first sound reaches the candidate that much sooner without it, and a line that starts abruptly
        still has `keep_s` to ramp in. Word marks move with the audio. Silent speech is returned as is.
        """
        samples = np.frombuffer(self.pcm, dtype="<i2")
        loud = np.flatnonzero(np.abs(samples.astype(np.int32)) > level)
        if not len(loud):
            return self
        cut = max(int(loud[0]) - round(keep_s * self.sample_rate), 0)
        if cut == 0:
            return self
        shift = cut / self.sample_rate
        words = tuple(WordMark(max(w.start_s - shift, 0.0), w.text_offset, w.length) for w in self.words)
        return Speech(self.pcm[cut * 2 :], self.sample_rate, words)


@runtime_checkable
class TextToSpeech(Protocol):
    """Renders plain text. Blocking; implementations must be safe to call from several threads at once."""

    def synthesize(self, text: str, voice: Voice) -> Speech:
        """Speak `text` (plain text, never markup) in `voice`; empty or blank text gives empty speech.

        Raises ValueError for a voice the engine does not have.
        """
        ...
