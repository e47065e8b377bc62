"""The pitch checks: `multiple_voices` (two pitch clusters in the candidate's speech) and
`background_voice` (voiced audio outside it)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import numpy as np

from scoring.authenticity.frames import Frames, span_mask, speaker_spans
from scoring.authenticity.model import BoolArray, Float64Array, Moment, Result, ramp
from scoring.model import CANDIDATE, INTERVIEWER, Segment


def _semitones(f0: Float64Array) -> Float64Array:
    result: Float64Array = 12 * np.log2(f0 / 100.0)
    return result


def _hz(semitones: float) -> float:
    return 100.0 * 2 ** (semitones / 12)


# ---------------------------------------------------------------------------------------------------------
# Multiple voices: two pitch clusters in the candidate's own segments.

STRETCH_S = 2.0
MIN_VOICED_S = 0.4


@dataclass(frozen=True, slots=True)
class _Stretch:
    start: float
    end: float
    pitch: float  # median, semitones re 100 Hz
    voiced_s: float


def _pitch_stretches(ordered: Sequence[Segment], frames: Frames) -> list[_Stretch]:
    voiced = frames.voiced
    semis = _semitones(np.where(voiced, frames.f0, 1.0))
    times = frames.times()
    stretches: list[_Stretch] = []
    for start, end in speaker_spans(ordered, CANDIDATE):
        edges = np.arange(start, end, STRETCH_S)
        for lo_t in edges:
            hi_t = min(lo_t + STRETCH_S, end)
            lo, hi = np.searchsorted(times, [lo_t, hi_t])
            picked = semis[lo:hi][voiced[lo:hi]]
            if len(picked) * frames.hop_s >= MIN_VOICED_S:
                stretches.append(
                    _Stretch(float(lo_t), float(hi_t), float(np.median(picked)), len(picked) * frames.hop_s)
                )
    return stretches


def _two_clusters(values: Float64Array, weights: Float64Array) -> tuple[BoolArray, float, float, float]:
    """Best weighted split of 1-D values into low and high (Otsu): (is_high, low mean, high mean, spread)."""
    order = np.argsort(values)
    v, w = values[order], weights[order]
    cw = np.cumsum(w)[:-1]
    cwv = np.cumsum(w * v)[:-1]
    total_w, total_wv = float(w.sum()), float((w * v).sum())
    mean_low = cwv / cw
    mean_high = (total_wv - cwv) / (total_w - cw)
    between = cw * (total_w - cw) * (mean_high - mean_low) ** 2
    split = int(np.argmax(between))
    threshold = v[split]
    is_high: BoolArray = values > threshold
    low_mean, high_mean = float(mean_low[split]), float(mean_high[split])
    centre = np.where(is_high, high_mean, low_mean)
    spread = float(np.sqrt(np.sum(weights * (values - centre) ** 2) / total_w))
    return is_high, low_mean, high_mean, spread


def multiple_voices(ordered: Sequence[Segment], frames: Frames) -> Result:
    stretches = _pitch_stretches(ordered, frames)
    if len(stretches) < 4:
        return Result(
            0.0, f"Too little voiced candidate speech to compare voices ({len(stretches)} stretches).", []
        )
    pitches = np.array([s.pitch for s in stretches])
    weights = np.array([s.voiced_s for s in stretches])
    is_high, low_mean, high_mean, spread = _two_clusters(pitches, weights)
    high_w = float(weights[is_high].sum())
    minority_is_high = high_w <= weights.sum() / 2
    minority_w = high_w if minority_is_high else float(weights.sum()) - high_w
    distance = high_mean - low_mean
    separation = ramp(distance, 5.0, 8.0) * ramp(distance / max(spread, 0.75), 3.0, 5.0)
    amount = ramp(minority_w / float(weights.sum()), 0.05, 0.15) * ramp(minority_w, 1.5, 5.0)
    confidence = separation * amount
    major_hz, minor_hz = (
        (_hz(low_mean), _hz(high_mean)) if minority_is_high else (_hz(high_mean), _hz(low_mean))
    )
    summary = (
        f"Candidate speech pitch clusters at {major_hz:.0f} Hz and {minor_hz:.0f} Hz "
        f"({distance:.1f} semitones apart); the smaller holds {minority_w:.1f} s of voiced speech."
    )
    if confidence <= 0:
        summary = f"One voice: candidate speech pitch is centred on {_hz(float(np.median(pitches))):.0f} Hz."
        return Result(0.0, summary, [])
    minority = [s for s, high in zip(stretches, is_high, strict=True) if bool(high) == minority_is_high]
    evidence = [
        Moment(start, end, f"pitch about {minor_hz:.0f} Hz; the main voice is about {major_hz:.0f} Hz")
        for start, end in _merge((s.start, s.end) for s in minority)
    ]
    return Result(confidence, summary, evidence)


def _merge(spans: Iterable[tuple[float, float]], gap_s: float = 0.01) -> list[tuple[float, float]]:
    merged: list[tuple[float, float]] = []
    for start, end in sorted(spans):
        if merged and start - merged[-1][1] <= gap_s:
            merged[-1] = (merged[-1][0], max(end, merged[-1][1]))
        else:
            merged.append((start, end))
    return merged


# ---------------------------------------------------------------------------------------------------------
# Background voice: voiced audio where the transcript has no candidate speech.

GAP_MARGIN_S = 0.5
JOIN_GAP_S = 0.5
MIN_STRETCH_S = 0.8
MIN_STRETCH_VOICED_S = 0.5
SAME_VOICE_SEMITONES = 2.0


def _voiced_runs(mask: BoolArray, hop_s: float) -> list[tuple[int, int, int]]:
    """(first frame, end frame, voiced frames) for runs of voiced frames joined across short gaps."""
    idx = np.flatnonzero(mask)
    if len(idx) == 0:
        return []
    breaks = np.flatnonzero(np.diff(idx) * hop_s > JOIN_GAP_S + hop_s)
    starts = np.concatenate([[0], breaks + 1])
    ends = np.concatenate([breaks, [len(idx) - 1]])
    return [(int(idx[s]), int(idx[e]) + 1, int(e - s + 1)) for s, e in zip(starts, ends, strict=True)]


def background_voice(ordered: Sequence[Segment], frames: Frames) -> Result:
    voiced = frames.voiced
    own = voiced & span_mask(frames, speaker_spans(ordered, CANDIDATE), margin_s=0.0)
    own_pitch = float(np.median(_semitones(frames.f0[own]))) if own.sum() * frames.hop_s >= 1.0 else None
    outside = voiced & ~span_mask(frames, speaker_spans(ordered, CANDIDATE), margin_s=GAP_MARGIN_S)
    interviewer = span_mask(frames, speaker_spans(ordered, INTERVIEWER), margin_s=0.0)
    weighted = 0.0
    evidence: list[Moment] = []
    for first, end, count in _voiced_runs(outside, frames.hop_s):
        duration, voiced_s = (end - first) * frames.hop_s, count * frames.hop_s
        if duration < MIN_STRETCH_S or voiced_s < MIN_STRETCH_VOICED_S:
            continue
        pitch = float(np.median(_semitones(frames.f0[first:end][outside[first:end]])))
        weight, notes = 1.0, [f"{voiced_s:.1f} s voiced, pitch about {_hz(pitch):.0f} Hz"]
        if interviewer[first:end].any():
            weight, notes = weight / 2, [*notes, "during the interviewer's turn: may be echo"]
        if own_pitch is not None and abs(pitch - own_pitch) < SAME_VOICE_SEMITONES:
            weight, notes = weight / 2, [*notes, "pitch like the candidate's"]
        weighted += weight * voiced_s
        evidence.append(Moment(first * frames.hop_s, end * frames.hop_s, "; ".join(notes)))
    if not evidence:
        return Result(0.0, "No voice heard outside the candidate's transcribed speech.", [])
    total = sum(m.end - m.start for m in evidence)
    summary = (
        f"Voice-like audio outside the candidate's transcribed speech: {len(evidence)} stretch(es), "
        f"{total:.1f} s ({weighted:.1f} s voiced after discounting likely echo or the candidate)."
    )
    return Result(ramp(weighted, 1.0, 6.0), summary, evidence)
