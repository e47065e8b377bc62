"""Source changed: a step in the noise floor or the bandwidth, second by second."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from scoring.authenticity.frames import SILENT_DB, Frames
from scoring.authenticity.model import Float64Array, Moment, Result, ramp

MIN_SIDE_S = 10
FLOOR_WINDOW_S = 7
SPEECH_ABOVE_FLOOR_DB = 15.0


def _per_second(frames: Frames) -> tuple[Float64Array, Float64Array]:
    """Per whole second: noise floor (dBFS) and speech bandwidth (dB above 4.2 kHz); NaN where unknown."""
    per_s = max(round(1.0 / frames.hop_s), 1)
    seconds = len(frames.level_db) // per_s
    level = frames.level_db[: seconds * per_s].reshape(seconds, per_s)
    high = frames.high_db[: seconds * per_s].reshape(seconds, per_s)
    audible = level > SILENT_DB
    enough = audible.sum(axis=1) >= per_s // 2
    quiet = np.where(audible, level, np.inf)
    # The 20th percentile of the audible frames: sorted, with the silent ones (inf) at the end.
    rank = np.minimum((audible.sum(axis=1) * 0.2).astype(np.intp), per_s - 1)
    floor = np.where(enough, np.sort(quiet, axis=1)[np.arange(seconds), rank], np.inf)
    floor = _opening(floor, FLOOR_WINDOW_S)
    # Against the local floor: after a step up in noise, noise alone must not pass for speech.
    local_floor = np.where(np.isfinite(floor), floor, frames.floor_db)
    speech = level >= local_floor[:, None] + SPEECH_ABOVE_FLOOR_DB
    band = np.where(speech, high, np.nan)
    has_speech = speech.sum(axis=1) >= 3
    bandwidth = np.full(seconds, np.nan)
    if has_speech.any():
        bandwidth[has_speech] = np.nanmedian(band[has_speech], axis=1)
    return np.where(np.isfinite(floor), floor, np.nan), bandwidth


def _opening(values: Float64Array, width: int) -> Float64Array:
    """Rolling minimum then rolling maximum: removes bumps narrower than `width` (speech without a pause)
    but keeps a step where it is. Infinite values are unknown seconds and stay unknown."""
    if len(values) == 0:
        return values
    half = width // 2
    windows = np.lib.stride_tricks.sliding_window_view
    eroded = windows(np.pad(values, half, constant_values=np.inf), width).min(axis=1)
    known = np.where(np.isfinite(eroded), eroded, -np.inf)
    opened = windows(np.pad(known, half, constant_values=-np.inf), width).max(axis=1)
    result: Float64Array = np.where(np.isfinite(values) & np.isfinite(opened), opened, np.inf)
    return result


@dataclass(frozen=True, slots=True)
class _Step:
    at_s: float
    before: float
    after: float
    score: float


def _change_point(series: Float64Array) -> _Step | None:
    """The single split that best explains the series as two constant levels (least absolute deviation
    from each side's median), scored by the step between the medians against the spread around them."""
    valid = np.flatnonzero(~np.isnan(series))
    if len(valid) < 2 * MIN_SIDE_S:
        return None
    values = series[valid]
    splits = np.arange(MIN_SIDE_S, len(values) - MIN_SIDE_S + 1)
    splits = splits[:: max(len(splits) // 400, 1)]
    _cost, split, before, after = min(_two_levels(values, split) for split in splits.tolist())
    deviations = np.concatenate([np.abs(values[:split] - before), np.abs(values[split:] - after)])
    spread = 1.4826 * float(np.median(deviations))  # robust standard deviation
    step = abs(after - before)
    score = ramp(step, 6.0, 12.0) * ramp(step / max(spread, 1.0), 2.0, 4.0)
    return _Step(float(valid[split]), before, after, score)


def _two_levels(values: Float64Array, split: int) -> tuple[float, int, float, float]:
    """(absolute deviation from each side's median, split, median before, median after)."""
    left, right = values[:split], values[split:]
    before, after = float(np.median(left)), float(np.median(right))
    return float(np.abs(left - before).sum() + np.abs(right - after).sum()), split, before, after


def source_changed(frames: Frames) -> Result:
    floor, bandwidth = _per_second(frames)
    floor_step, band_step = _change_point(floor), _change_point(bandwidth)
    if floor_step is None and band_step is None:
        return Result(0.0, "Too little audio to look for a change of source (needs 20 s).", [])
    floor_score = floor_step.score if floor_step else 0.0
    band_score = band_step.score if band_step else 0.0
    confidence = 1 - (1 - floor_score) * (1 - band_score)
    parts: list[str] = []
    evidence: list[Moment] = []
    for name, step in (("noise floor (dBFS)", floor_step), ("energy above 4.2 kHz (dB)", band_step)):
        if step is None:
            continue
        parts.append(f"{name} {step.before:.0f} -> {step.after:.0f} at {step.at_s:.0f} s")
        if step.score > 0:
            note = f"{name} changes from {step.before:.0f} to {step.after:.0f}"
            evidence.append(Moment(step.at_s - FLOOR_WINDOW_S / 2, step.at_s + FLOOR_WINDOW_S / 2, note))
    verdict = "Audio source looks changed" if confidence > 0 else "No clear change of audio source"
    return Result(
        confidence, f"{verdict}: largest steps {'; '.join(parts)}.", sorted(evidence, key=lambda m: m.start)
    )
