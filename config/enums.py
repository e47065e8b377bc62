"""The closed vocabularies of the configuration model (seeds 000, 001, 003)."""

from __future__ import annotations

from enum import StrEnum

__all__ = [
    "Depth",
    "Difficulty",
    "EducationLevel",
    "ExperienceLevel",
    "Focus",
    "OnComplete",
    "ProbingDepth",
    "Scale",
    "ScoringMethod",
    "SessionMode",
    "SessionStatus",
    "Speaker",
    "StageType",
    "Style",
    "SuccessOutcome",
    "Tone",
    "TtsEngine",
    "UseCase",
]


class Tone(StrEnum):
    FRIENDLY = "friendly"
    PROFESSIONAL = "professional"
    STRICT = "strict"
    CHALLENGING = "challenging"


class TtsEngine(StrEnum):
    """Who renders the interviewer's voice: a Piper neural voice (natural; about 6 s of one core per
    minute of speech) or eSpeak NG (robotic; about 0.07 s). See docs/media.md."""

    PIPER = "piper"
    ESPEAK = "espeak"


class Style(StrEnum):
    STRUCTURED = "structured"
    CONVERSATIONAL = "conversational"
    ADAPTIVE = "adaptive"


class Difficulty(StrEnum):
    EASY = "easy"
    MEDIUM = "medium"
    HARD = "hard"
    ADAPTIVE = "adaptive"


class ProbingDepth(StrEnum):
    LOW = "low"
    MEDIUM = "medium"
    HIGH = "high"


class Scale(StrEnum):
    TEN = "0-10"
    FIVE = "0-5"
    HUNDRED = "0-100"

    @property
    def maximum(self) -> int:
        return {"0-10": 10, "0-5": 5, "0-100": 100}[self.value]


class ScoringMethod(StrEnum):
    WEIGHTED_AVERAGE = "weighted_average"
    RULE_BASED = "rule_based"


class Focus(StrEnum):
    """The interview type; only GENERIC may run without a template."""

    SCREENING = "screening"
    OUTREACH = "outreach"
    GENERIC = "generic"
    LANGUAGE_TEST = "language_test"


class UseCase(StrEnum):
    HIRING = "hiring"
    TRAINING = "training"
    ADMISSIONS = "admissions"
    ASSESSMENT = "assessment"
    CERTIFICATION = "certification"
    CUSTOM = "custom"


class SuccessOutcome(StrEnum):
    HIRE_NO_HIRE = "hire_no_hire"
    ADMIT_REJECT = "admit_reject"
    PASS_FAIL = "pass_fail"  # noqa: S105 (a verdict name, not a password)
    READY_NEEDS_TRAINING = "ready_needs_training"
    CERTIFIED_NOT_CERTIFIED = "certified_not_certified"
    CUSTOM = "custom"

    @classmethod
    def for_use_case(cls, use_case: UseCase) -> SuccessOutcome:
        return _OUTCOME_BY_USE_CASE[use_case]

    def labels(self) -> tuple[str, str] | None:
        """Positive and negative recommendation labels; None for custom (the template names them)."""
        return _LABELS.get(self)


_OUTCOME_BY_USE_CASE: dict[UseCase, SuccessOutcome] = {
    UseCase.HIRING: SuccessOutcome.HIRE_NO_HIRE,
    UseCase.TRAINING: SuccessOutcome.READY_NEEDS_TRAINING,
    UseCase.ADMISSIONS: SuccessOutcome.ADMIT_REJECT,
    UseCase.ASSESSMENT: SuccessOutcome.PASS_FAIL,
    UseCase.CERTIFICATION: SuccessOutcome.CERTIFIED_NOT_CERTIFIED,
    UseCase.CUSTOM: SuccessOutcome.CUSTOM,
}

_LABELS: dict[SuccessOutcome, tuple[str, str]] = {
    SuccessOutcome.HIRE_NO_HIRE: ("hire", "no_hire"),
    SuccessOutcome.ADMIT_REJECT: ("admit", "reject"),
    SuccessOutcome.PASS_FAIL: ("pass", "fail"),
    SuccessOutcome.READY_NEEDS_TRAINING: ("ready", "needs_training"),
    SuccessOutcome.CERTIFIED_NOT_CERTIFIED: ("certified", "not_certified"),
}


class Depth(StrEnum):
    BASIC = "basic"
    INTERMEDIATE = "intermediate"
    ADVANCED = "advanced"
    EXPERT = "expert"


class SessionMode(StrEnum):
    LIVE_AI_INTERVIEW = "live_ai_interview"
    ASYNC_INTERVIEW = "async_interview"
    ROLEPLAY_SIMULATION = "roleplay_simulation"
    PRACTICE_SESSION = "practice_session"
    MANUAL_REVIEW = "manual_review"


class StageType(StrEnum):
    AI_INTERVIEW = "ai_interview"
    ROLEPLAY_SIMULATION = "roleplay_simulation"
    PRACTICE_SESSION = "practice_session"
    MANUAL_REVIEW = "manual_review"
    ASYNC_ASSESSMENT = "async_assessment"
    FINAL_REVIEW = "final_review"

    @property
    def needs_interviewer(self) -> bool:
        """Human-only stages have no AI interviewer and so need no agent profile."""
        return self not in (StageType.MANUAL_REVIEW, StageType.FINAL_REVIEW)


class OnComplete(StrEnum):
    AUTO_ADVANCE = "auto_advance"
    HUMAN_APPROVAL = "human_approval"


class TransportKind(StrEnum):
    """How a live interview reached the candidate (engine/live/transport.py)."""

    WEBRTC = "webrtc"  # the join page, over a WebRTC peer connection
    WEBSOCKET = "websocket"  # the join page's backup connection, when WebRTC could not connect
    PHONE = "phone"  # a phone call, bridged by a telephony provider's media stream


class SessionStatus(StrEnum):
    SCHEDULED = "scheduled"
    IN_PROGRESS = "in_progress"
    COMPLETED = "completed"
    CANCELLED = "cancelled"
    FAILED = "failed"

    @property
    def is_terminal(self) -> bool:
        return self in (SessionStatus.COMPLETED, SessionStatus.CANCELLED, SessionStatus.FAILED)


class EducationLevel(StrEnum):
    UNDEFINED = "UNDEFINED"
    PRIMARY_EDUCATION = "PRIMARY_EDUCATION"
    SECONDARY_SCHOOL_STUDENT = "SECONDARY_SCHOOL_STUDENT"
    SECONDARY_WITHOUT_DIPLOMA = "SECONDARY_WITHOUT_DIPLOMA"
    SECONDARY_WITH_DIPLOMA = "SECONDARY_WITH_DIPLOMA"
    POST_SECONDARY_VOCATIONAL = "POST_SECONDARY_VOCATIONAL"
    UNIVERSITY_STUDENT = "UNIVERSITY_STUDENT"
    BACHELOR_LEVEL = "BACHELOR_LEVEL"
    MASTER_LEVEL = "MASTER_LEVEL"
    POSTGRADUATE = "POSTGRADUATE"


class ExperienceLevel(StrEnum):
    UNDEFINED = "UNDEFINED"
    NO_EXPERIENCE = "NO_EXPERIENCE"
    LESS_THAN_1_YEAR = "LESS_THAN_1_YEAR"
    ONE_TO_3_YEARS = "ONE_TO_3_YEARS"
    THREE_TO_5_YEARS = "THREE_TO_5_YEARS"
    FIVE_TO_10_YEARS = "FIVE_TO_10_YEARS"
    TEN_TO_15_YEARS = "TEN_TO_15_YEARS"
    MORE_THAN_15_YEARS = "MORE_THAN_15_YEARS"


class Speaker(StrEnum):
    CANDIDATE = "candidate"
    INTERVIEWER = "interviewer"
