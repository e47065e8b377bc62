"""What the media plane tells the interviewer, in session time (seconds on the recording's timeline)."""

from __future__ import annotations

from dataclasses import dataclass

__all__ = [
    "CandidateFinal",
    "CandidatePartial",
    "CandidateSpeechEnded",
    "CandidateSpeechStarted",
    "MediaEvent",
]


@dataclass(frozen=True, slots=True)
class CandidateSpeechStarted:
    at: float


@dataclass(frozen=True, slots=True)
class CandidateSpeechEnded:
    at: float
    """When the VAD decided (hangover expired); the speech itself ended `hangover` earlier."""
    speech_end: float


@dataclass(frozen=True, slots=True)
class CandidatePartial:
    at: float
    text: str


@dataclass(frozen=True, slots=True)
class CandidateFinal:
    at: float
    text: str
    start: float
    end: float


MediaEvent = CandidateSpeechStarted | CandidateSpeechEnded | CandidatePartial | CandidateFinal
