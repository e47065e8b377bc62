"""PCM conventions and conversions between WebRTC frames and the 16 kHz mono stream the pipeline uses.

Everything downstream of the peer connection (VAD, ASR, recording) sees `bytes` of little-endian int16
mono at `SAMPLE_RATE`; everything sent to the browser is 48 kHz mono in `FRAME_MS` frames.
"""

from __future__ import annotations

import fractions

import av
import numpy as np

__all__ = [
    "FRAME_MS",
    "OUTPUT_RATE",
    "SAMPLE_RATE",
    "FrameResampler",
    "pcm_duration",
    "resample_pcm",
    "rms_dbfs",
]

SAMPLE_RATE = 16_000
OUTPUT_RATE = 48_000
FRAME_MS = 20
BYTES_PER_SAMPLE = 2


def pcm_duration(pcm: bytes, sample_rate: int = SAMPLE_RATE) -> float:
    return len(pcm) / BYTES_PER_SAMPLE / sample_rate


def rms_dbfs(pcm: bytes) -> float:
    """Loudness of int16 PCM in dBFS; -inf for silence or nothing."""
    if len(pcm) < BYTES_PER_SAMPLE:
        return float("-inf")
    samples = np.frombuffer(pcm[: len(pcm) - len(pcm) % 2], dtype="<i2").astype(np.float64)
    rms = float(np.sqrt(np.mean(samples * samples)))
    return float("-inf") if rms == 0 else 20 * np.log10(rms / 32768.0)


class FrameResampler:
    """Decoded WebRTC frames (any rate, mono or stereo: aiortc decodes Opus to stereo whatever the
    source) to int16 mono PCM at `rate`. Stateful, so one per inbound stream; not thread-safe, but it
    may run in a worker thread as long as calls for one stream do not overlap."""

    def __init__(self, rate: int = SAMPLE_RATE) -> None:
        self.rate = rate
        self._resampler = av.AudioResampler(format="s16", layout="mono", rate=rate)

    def resample(self, frame: av.AudioFrame) -> bytes:
        return b"".join(
            bytes(out.planes[0])[: out.samples * BYTES_PER_SAMPLE] for out in self._resampler.resample(frame)
        )


def resample_pcm(pcm: bytes, from_rate: int, to_rate: int) -> bytes:
    """Resample a whole mono int16 clip (e.g. a synthesized sentence) in one go; blocking."""
    if from_rate == to_rate or not pcm:
        return pcm
    pcm = pcm[: len(pcm) - len(pcm) % 2]
    samples = np.frombuffer(pcm, dtype="<i2").reshape(1, -1)
    frame = av.AudioFrame.from_ndarray(samples, format="s16", layout="mono")
    frame.sample_rate = from_rate
    frame.time_base = fractions.Fraction(1, from_rate)
    frame.pts = 0
    resampler = av.AudioResampler(format="s16", layout="mono", rate=to_rate)
    out = [*resampler.resample(frame), *resampler.resample(None)]
    return b"".join(bytes(f.planes[0])[: f.samples * BYTES_PER_SAMPLE] for f in out)
