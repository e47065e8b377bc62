"""The kinds, what a check reports (`Flag`, its `Moment`s), its inputs besides the audio (`PageEvent`,
`Thresholds`), and the small helpers every check shares."""

from __future__ import annotations

import math
from dataclasses import dataclass, fields

import numpy as np
import numpy.typing as npt

PAUSE_THEN_FLUENT = "pause_then_fluent"
READING_LIKE = "reading_like"
MULTIPLE_VOICES = "multiple_voices"
SOURCE_CHANGED = "source_changed"
FOCUS_LOST = "focus_lost"
BACKGROUND_VOICE = "background_voice"
KINDS = (PAUSE_THEN_FLUENT, READING_LIKE, MULTIPLE_VOICES, SOURCE_CHANGED, FOCUS_LOST, BACKGROUND_VOICE)
AUDIO_KINDS = (MULTIPLE_VOICES, SOURCE_CHANGED, BACKGROUND_VOICE)

PAGE_EVENT_KINDS = ("hidden", "visible", "blur", "focus")

Float64Array = npt.NDArray[np.float64]
BoolArray = npt.NDArray[np.bool_]


@dataclass(frozen=True, slots=True)
class Moment:
    """A stretch of the recording a reviewer should look at, in seconds on the recording's timeline."""

    start: float
    end: float
    note: str


@dataclass(frozen=True, slots=True)
class Flag:
    kind: str
    confidence: int  # 0..100
    threshold: int
    flagged: bool  # confidence >= threshold
    summary: str
    evidence: tuple[Moment, ...]


@dataclass(frozen=True, slots=True)
class PageEvent:
    """A visibility or focus change the join page reported, in seconds on the session timeline (the
    recording's clock: the recording starts with the session)."""

    at: float
    kind: str  # one of PAGE_EVENT_KINDS

    def __post_init__(self) -> None:
        if self.kind not in PAGE_EVENT_KINDS:
            raise ValueError(f"page event kind must be one of {PAGE_EVENT_KINDS}, got {self.kind!r}")
        if not math.isfinite(self.at):
            raise ValueError(f"page event time must be finite, got {self.at!r}")


@dataclass(frozen=True, slots=True)
class Thresholds:
    """The confidence (0..100) at which each kind is flagged; field names are the kind names."""

    pause_then_fluent: int = 60
    reading_like: int = 60
    multiple_voices: int = 60
    source_changed: int = 60
    focus_lost: int = 60
    background_voice: int = 60

    def __post_init__(self) -> None:
        for field in fields(self):
            value = getattr(self, field.name)
            # bool is an int subclass; a threshold of True is a bug, not 1.
            if isinstance(value, bool) or not isinstance(value, int):
                raise TypeError(f"threshold {field.name} must be an int, got {value!r}")
            if not 0 <= value <= 100:
                raise ValueError(f"threshold {field.name} must be within 0..100, got {value}")

    def for_kind(self, kind: str) -> int:
        if kind not in KINDS:
            raise KeyError(kind)
        value: int = getattr(self, kind)
        return value


DEFAULT_THRESHOLDS = Thresholds()

MAX_EVIDENCE = 20  # moments per flag: enough to review, few enough to read


@dataclass(slots=True)
class Result:
    confidence: float  # 0..1
    summary: str
    evidence: list[Moment]


def flag(kind: str, result: Result, threshold: int, horizon: float) -> Flag:
    confidence = round(100 * _clip01(result.confidence))
    moments = [m for m in (_clip_moment(m, horizon) for m in result.evidence) if m is not None]
    return Flag(
        kind=kind,
        confidence=confidence,
        threshold=threshold,
        flagged=confidence >= threshold,
        summary=result.summary,
        evidence=tuple(moments[:MAX_EVIDENCE]),
    )


def _clip_moment(moment: Moment, horizon: float) -> Moment | None:
    start = min(max(moment.start, 0.0), horizon)
    end = min(max(moment.end, 0.0), horizon)
    if not (math.isfinite(start) and math.isfinite(end)) or end < start:
        return None
    return Moment(round(start, 2), round(end, 2), moment.note)


def _clip01(value: float) -> float:
    return 0.0 if not math.isfinite(value) else min(max(value, 0.0), 1.0)


def ramp(value: float, low: float, high: float) -> float:
    """0 at or below `low`, 1 at or above `high`, linear between (reversed when `low` > `high`)."""
    return _clip01((value - low) / (high - low))
