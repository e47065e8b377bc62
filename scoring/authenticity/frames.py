"""Audio: per-frame level, bandwidth and pitch, and which frames fall within transcript segments."""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from scoring.authenticity.model import BoolArray, Float64Array
from scoring.model import Segment

# Frame analysis.
FRAME_S = 0.040  # 2.4 periods at the lowest pitch tracked; shorter frames lose deep voices
MIN_F0 = 60.0
MAX_F0 = 400.0
VOICING_MIN = 0.5  # normalised autocorrelation peak; white noise stays near 0.1, vowels above 0.7
OCTAVE_COST = 0.01  # per octave, favouring the shorter lag so the tracker does not halve the pitch
VOICED_ABOVE_FLOOR_DB = 10.0
HIGH_BAND_HZ = 4200.0  # above what any 8 kHz (telephone-band) path keeps
SILENT_DB = -100.0  # digital silence; level of an all-zero frame
CHUNK_FRAMES = 2048  # frames per FFT batch, bounding memory for long recordings


@dataclass(frozen=True, slots=True)
class Frames:
    hop_s: float
    level_db: Float64Array  # dBFS; SILENT_DB for digitally silent frames
    high_db: Float64Array  # share of energy above HIGH_BAND_HZ, dB
    f0: Float64Array  # Hz; NaN where unvoiced
    floor_db: float  # the channel's noise floor; NaN when every frame is digital silence

    @property
    def audible(self) -> BoolArray:
        result: BoolArray = self.level_db > SILENT_DB
        return result

    @property
    def voiced(self) -> BoolArray:
        result: BoolArray = ~np.isnan(self.f0) & (self.level_db >= self.floor_db + VOICED_ABOVE_FLOOR_DB)
        return result

    def times(self) -> Float64Array:
        """Each frame's centre, in seconds."""
        return (np.arange(len(self.level_db), dtype=np.float64) + 0.5) * self.hop_s


def analyse(audio: npt.NDArray[np.int16], sample_rate: int) -> Frames:
    frame_len = round(FRAME_S * sample_rate)
    count = len(audio) // frame_len
    frames = audio[: count * frame_len].reshape(count, frame_len)
    n_fft = 1 << (2 * frame_len - 1).bit_length()  # room for every lag without circular wrap
    window = np.hanning(frame_len).astype(np.float32)
    window_ac = _autocorrelation(window[None, :], n_fft)[0]
    lags = np.arange(frame_len, dtype=np.float64)
    min_lag, max_lag = int(sample_rate / MAX_F0), min(math.ceil(sample_rate / MIN_F0), frame_len // 2)
    high_bin = round(HIGH_BAND_HZ / sample_rate * n_fft)
    parts = [
        _frame_features(
            frames[i : i + CHUNK_FRAMES],
            window,
            window_ac,
            lags,
            (min_lag, max_lag),
            high_bin,
            n_fft,
            sample_rate,
        )
        for i in range(0, count, CHUNK_FRAMES)
    ]
    level, high, f0 = (np.concatenate([p[k] for p in parts]) if parts else np.empty(0) for k in range(3))
    audible = level > SILENT_DB
    floor = float(np.percentile(level[audible], 10)) if audible.any() else math.nan
    return Frames(frame_len / sample_rate, level, high, f0, floor)


def _autocorrelation(x: npt.NDArray[np.float32], n_fft: int) -> Float64Array:
    spectrum = np.fft.rfft(x, n=n_fft, axis=1)
    power = spectrum.real**2 + spectrum.imag**2
    result: Float64Array = np.fft.irfft(power, n=n_fft, axis=1)[:, : x.shape[1]].astype(np.float64)
    return result


def _frame_features(
    frames: npt.NDArray[np.int16],
    window: npt.NDArray[np.float32],
    window_ac: Float64Array,
    lags: Float64Array,
    lag_range: tuple[int, int],
    high_bin: int,
    n_fft: int,
    sample_rate: int,
) -> tuple[Float64Array, Float64Array, Float64Array]:
    x = frames.astype(np.float32) / np.float32(32768.0)
    energy = np.mean(x.astype(np.float64) ** 2, axis=1)
    level = np.where(energy > 0, 10 * np.log10(np.maximum(energy, 1e-30)), SILENT_DB)
    level = np.maximum(level, SILENT_DB)
    centred = (x - x.mean(axis=1, keepdims=True)) * window
    spectrum = np.fft.rfft(centred, n=n_fft, axis=1)
    power = (spectrum.real**2 + spectrum.imag**2).astype(np.float64)
    total = power.sum(axis=1)
    high = 10 * np.log10(np.maximum(power[:, high_bin:].sum(axis=1), 1e-30) / np.maximum(total, 1e-30))
    ac = np.fft.irfft(power, n=n_fft, axis=1)[:, : frames.shape[1]]
    # Dividing by the window's own autocorrelation undoes the taper's decay with lag (Boersma 1993).
    normalised = ac / np.maximum(ac[:, :1], 1e-30) / np.maximum(window_ac / window_ac[0], 1e-6)
    low, high_lag = lag_range
    candidates = normalised[:, low : high_lag + 1] - OCTAVE_COST * np.log2(
        lags[low : high_lag + 1] * MIN_F0 / sample_rate
    )
    best = np.argmax(candidates, axis=1)
    peak = normalised[np.arange(len(frames)), low + best]
    f0 = np.where((peak >= VOICING_MIN) & (total > 0), sample_rate / (low + best), np.nan)
    return level, high, f0.astype(np.float64)


def speaker_spans(ordered: Sequence[Segment], speaker: str) -> list[tuple[float, float]]:
    return [(s.start, s.end) for s in ordered if s.speaker == speaker]


def span_mask(frames: Frames, spans: Iterable[tuple[float, float]], margin_s: float) -> BoolArray:
    """Frames whose centre lies within any span, widened by `margin_s` on each side."""
    times = frames.times()
    mask = np.zeros(len(times), dtype=np.bool_)
    for start, end in spans:
        lo, hi = np.searchsorted(times, [start - margin_s, end + margin_s])
        mask[lo:hi] = True
    return mask
