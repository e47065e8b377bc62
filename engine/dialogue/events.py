"""What the media plane tells the interviewer, in session time (seconds on the recording's timeline)."""

from __future__ import annotations

from dataclasses import dataclass

__all__ = [
    "CandidateFinal",
    "CandidatePartial",
    "CandidateSpeechEnded",
    "CandidateSpeechResumed",
    "CandidateSpeechStarted",
    "CandidateTurnVerdict",
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


@dataclass(frozen=True, slots=True)
class CandidateTurnVerdict:
    """The voice model heard the candidate's latest pause: `complete` when their voice sounded finished
    (`probability` at or above the configured threshold). About the open utterance, or the last one."""

    at: float
    complete: bool
    probability: float


@dataclass(frozen=True, slots=True)
class CandidateSpeechResumed:
    """Voice came back inside the open utterance after a verdict on its pause: the verdict is withdrawn."""

    at: float


MediaEvent = (
    CandidateSpeechStarted
    | CandidateSpeechEnded
    | CandidatePartial
    | CandidateFinal
    | CandidateTurnVerdict
    | CandidateSpeechResumed
)
