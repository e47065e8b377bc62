"""What a scorer reads and writes: plain values, no I/O.

A scorer turns a session's transcript into one `DimensionScore` per rubric dimension, each with a
rationale and `Evidence` quoted from the candidate's own transcript segments (so a recruiter can
check every number against what was said). The overall rating, the recommendation and the rest of
the scorecard are built from these by `scoring.scorecard`, whichever scorer produced them.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

__all__ = [
    "ASSESSED",
    "INSUFFICIENT_EVIDENCE",
    "DimensionScore",
    "Evidence",
    "QuestionHint",
    "Rubric",
    "RubricItem",
    "Scorer",
    "ScoringError",
    "Segment",
]

# DimensionScore.status values. A dimension without enough of the candidate's words on it is not
# scored at all (score None): neither 0 nor a guess from the other answers.
ASSESSED = "assessed"
INSUFFICIENT_EVIDENCE = "insufficient_evidence"

CANDIDATE = "candidate"  # Segment.speaker values, as stored (config.enums.Speaker)
INTERVIEWER = "interviewer"


@dataclass(frozen=True, slots=True)
class Segment:
    """One stored transcript segment."""

    id: str
    speaker: str  # "candidate" or "interviewer"
    start: float  # seconds on the recording's timeline
    end: float
    text: str


@dataclass(frozen=True, slots=True)
class Evidence:
    """A quote from one candidate segment: `quote` occurs in that segment's text."""

    segment_id: str
    start: float
    end: float
    quote: str


@dataclass(frozen=True, slots=True)
class DimensionScore:
    name: str
    score: float | None  # on the rubric's scale, 0..scale_max; None when not assessed
    rationale: str  # why this score, or why there is none
    evidence: tuple[Evidence, ...] = ()
    # What the score was built from, 0-1 each, when the scorer can say (the embedded one does).
    # Drives the improvement feedback.
    parts: tuple[tuple[str, float], ...] = ()
    status: str = ASSESSED  # or INSUFFICIENT_EVIDENCE (then score is None)

    def __post_init__(self) -> None:
        if (self.score is None) != (self.status == INSUFFICIENT_EVIDENCE):
            raise ValueError("a dimension has a score exactly when it was assessed")

    @property
    def assessed(self) -> bool:
        return self.score is not None

    @classmethod
    def insufficient(cls, name: str, why: str) -> DimensionScore:
        """Not scored: `why` says what evidence was missing (never asked, too few words on it)."""
        return cls(name, None, why, status=INSUFFICIENT_EVIDENCE)


@dataclass(frozen=True, slots=True)
class RubricItem:
    name: str
    description: str
    weight: float  # percent; the rubric's weights sum to 100


@dataclass(frozen=True, slots=True)
class QuestionHint:
    """A planned question: its wordings (any of them may have been asked), its dimension and skill."""

    wordings: tuple[str, ...]
    dimension: str
    skill: str = ""
    keywords: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Rubric:
    """What the scorer grades against: the profile's rubric and scale, and what the template asks for."""

    items: tuple[RubricItem, ...]
    scale_max: int  # 5, 10 or 100
    skills: tuple[str, ...] = ()
    traits: tuple[str, ...] = ()
    objective: str = ""
    pass_criteria: str = ""
    # The interview plan's questions, when the session had one: which dimension each one probed.
    questions: tuple[QuestionHint, ...] = ()


class ScoringError(Exception):
    """A scorer could not produce scores (the caller falls back or marks the analysis failed)."""


class Scorer(Protocol):
    name: str

    async def score(self, rubric: Rubric, transcript: Sequence[Segment]) -> list[DimensionScore]:
        """One score per rubric item, in rubric order; raises `ScoringError`."""
