"""Real speech for tests: eSpeak NG voice audio, resampled, padded with silence and written to WAV files.

Tests of the VAD, the segmenter, the recogniser and the browser call path need audio that is actually
speech (noise or tones do not exercise them). `synthesize` gives int16 mono PCM at the media plane's rate;
`speech_wav` writes a WAV of several utterances for Chromium's `--use-file-for-fake-audio-capture` (the
browser loops that file unless its path is suffixed with "%noloop").

Synthesis results are cached per (text, voice): the same prompt is spoken by many tests.
"""

from __future__ import annotations

import functools
import json
import subprocess
import sys
import tempfile
import wave
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import av
import numpy as np

from media.espeak import EspeakTts
from media.tts import DEFAULT_VOICE, Speech, Voice

__all__ = [
    "SpokenSpan",
    "read_wav",
    "resample",
    "rms",
    "silence",
    "speak",
    "speak_fresh",
    "speech_wav",
    "synthesize",
    "write_wav",
]


@functools.cache
def _engine() -> EspeakTts:
    return EspeakTts()


@functools.lru_cache(maxsize=512)
def speak(text: str, voice: Voice = DEFAULT_VOICE) -> Speech:
    """eSpeak's own output (22050 Hz, with word marks), cached."""
    return _engine().synthesize(text, voice)


_FRESH = """
import json, sys
import numpy as np
from media.espeak import EspeakTts
from media.tts import DEFAULT_VOICE
tts = EspeakTts()
texts = json.loads(sys.argv[1])
out = {}
for i, text in enumerate(texts):
    s = tts.synthesize(text, DEFAULT_VOICE)
    out[f"pcm{i}"] = np.frombuffer(s.pcm, "<i2")
    out[f"starts{i}"] = np.array([w.start_s for w in s.words], dtype=np.float64)
    out["rate"] = np.array(s.sample_rate)
np.savez(sys.argv[2], **out)
"""


def speak_fresh(texts: Sequence[str]) -> list[tuple[bytes, int, list[float]]]:
    """Each of `texts` rendered by eSpeak in a new process: (int16 PCM, its rate, each word's start in
    seconds). The eSpeak library keeps state between calls (media/espeak.py), and in long test runs the
    same text has come out differently, once cut to a third of its length, after other tests' syntheses
    in the same process; tests that compare against fixed transcripts or timings use this instead."""
    root = Path(__file__).resolve().parents[1]
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "speech.npz"
        subprocess.run(
            [sys.executable, "-c", _FRESH, json.dumps(list(texts)), str(out)],
            check=True,
            cwd=root,
            timeout=120,
        )
        with np.load(out) as data:
            rate = int(data["rate"]) if texts else 0
            return [
                (data[f"pcm{i}"].astype("<i2").tobytes(), rate, [float(x) for x in data[f"starts{i}"]])
                for i in range(len(texts))
            ]


def resample(pcm: bytes, from_rate: int, to_rate: int) -> bytes:
    """Resample int16 mono PCM with PyAV (libswresample)."""
    if from_rate == to_rate or not pcm:
        return pcm
    samples = np.frombuffer(pcm, dtype="<i2")
    frame = av.AudioFrame.from_ndarray(samples.reshape(1, -1), format="s16", layout="mono")
    frame.sample_rate = from_rate
    frame.pts = 0
    resampler = av.AudioResampler(format="s16", layout="mono", rate=to_rate)
    # resample(None) flushes the samples still inside the filter.
    frames = [*resampler.resample(frame), *resampler.resample(None)]
    return b"".join(f.to_ndarray().astype("<i2").tobytes() for f in frames)


def silence(seconds: float, sample_rate: int) -> bytes:
    return bytes(2 * round(seconds * sample_rate))


def rms(pcm: bytes) -> float:
    """Root mean square of int16 PCM, in sample units (0 for no samples)."""
    if not pcm:
        return 0.0
    samples = np.frombuffer(pcm, dtype="<i2").astype(np.float64)
    return float(np.sqrt(np.mean(samples * samples)))


def synthesize(
    text: str,
    *,
    sample_rate: int = 16000,
    lead_silence_s: float = 0.3,
    trail_silence_s: float = 0.5,
    voice: Voice = DEFAULT_VOICE,
) -> bytes:
    """`text` spoken as int16 mono PCM at `sample_rate`, between stretches of digital silence."""
    speech = speak(text, voice)
    return (
        silence(lead_silence_s, sample_rate)
        + resample(speech.pcm, speech.sample_rate, sample_rate)
        + silence(trail_silence_s, sample_rate)
    )


def write_wav(path: str | Path, pcm: bytes, sample_rate: int, channels: int = 1) -> Path:
    """Write 16-bit PCM (interleaved if `channels` > 1) as a WAV file."""
    if len(pcm) % (2 * channels):
        raise ValueError(f"{len(pcm)} bytes is not a whole number of {channels}-channel int16 frames")
    path = Path(path)
    with wave.open(str(path), "wb") as out:
        out.setnchannels(channels)
        out.setsampwidth(2)
        out.setframerate(sample_rate)
        out.writeframes(pcm)
    return path


def read_wav(path: str | Path) -> tuple[bytes, int, int]:
    """Read a 16-bit PCM WAV: (interleaved pcm, sample rate, channels)."""
    with wave.open(str(path), "rb") as source:
        if source.getsampwidth() != 2:
            raise ValueError(f"{path}: expected 16-bit samples, got {8 * source.getsampwidth()}-bit")
        return source.readframes(source.getnframes()), source.getframerate(), source.getnchannels()


@dataclass(frozen=True, slots=True)
class SpokenSpan:
    """Where one utterance lies in a file written by `speech_wav`, in seconds from the file's start."""

    text: str
    start_s: float
    end_s: float


def speech_wav(
    path: str | Path,
    texts: Sequence[str],
    *,
    gap_s: float = 1.5,
    lead_silence_s: float = 0.5,
    trail_silence_s: float = 1.0,
    sample_rate: int = 48000,
    channels: int = 1,
    voice: Voice = DEFAULT_VOICE,
) -> tuple[SpokenSpan, ...]:
    """Write `texts` spoken one after another, `gap_s` of silence apart, as a WAV (48 kHz by default).

    Returns where each utterance's audio lies in the file, so tests know when to expect each one.
    """
    parts = [silence(lead_silence_s, sample_rate)]
    spans: list[SpokenSpan] = []
    position = len(parts[0]) // 2
    for index, text in enumerate(texts):
        if index:
            parts.append(silence(gap_s, sample_rate))
            position += len(parts[-1]) // 2
        speech = speak(text, voice)
        pcm = resample(speech.pcm, speech.sample_rate, sample_rate)
        parts.append(pcm)
        spans.append(SpokenSpan(text, position / sample_rate, (position + len(pcm) // 2) / sample_rate))
        position += len(pcm) // 2
    parts.append(silence(trail_silence_s, sample_rate))
    mono = b"".join(parts)
    if channels == 1:
        write_wav(path, mono, sample_rate)
    else:
        # Every channel carries the same voice, for capture paths that expect stereo.
        samples = np.frombuffer(mono, dtype="<i2")
        write_wav(path, np.repeat(samples, channels).tobytes(), sample_rate, channels)
    return tuple(spans)
