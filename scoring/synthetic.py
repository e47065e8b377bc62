"""Generated analysis for `is_test` sessions (seed 004): realistic in shape, marked as test data, and
deterministic per session id so integrators can assert on it. It judges nobody: no audio exists."""

from __future__ import annotations

import hashlib
from datetime import datetime
from typing import Any

from config.enums import EducationLevel, ExperienceLevel, SuccessOutcome
from config.profiles import AgentProfileSpec
from config.templates import EvaluationTemplateSpec

__all__ = ["TEST_DURATION_SECONDS", "synthetic_analysis"]

TEST_DURATION_SECONDS = 300
ANALYSIS_COMPLETED = 3  # seed 003: 1=PENDING, 2=PROCESSING, 3=COMPLETED, 4=FAILED


def _fraction(seed: str, salt: str) -> float:
    """Stable pseudo-random fraction in [0, 1) from the session id."""
    digest = hashlib.sha256(f"{seed}:{salt}".encode()).digest()
    return int.from_bytes(digest[:4], "big") / 2**32


def _labels(template: EvaluationTemplateSpec | None) -> tuple[str, str]:
    if template is None:
        return SuccessOutcome.PASS_FAIL.labels() or ("pass", "fail")
    if template.custom_outcome_labels is not None:
        return template.custom_outcome_labels.positive, template.custom_outcome_labels.negative
    outcome = template.success_outcome or SuccessOutcome.for_use_case(template.use_case)
    return outcome.labels() or ("pass", "fail")


def synthetic_analysis(
    session_id: str,
    profile: AgentProfileSpec,
    template: EvaluationTemplateSpec | None,
    participant_name: str,
    at: datetime,
) -> dict[str, Any]:
    scale = profile.scoring.scale.maximum
    segments = [
        {
            "id": "seg-1",
            "speaker": "interviewer",
            "start": 0.0,
            "end": 6.0,
            "text": f"Hello {participant_name}, this is a test session.",
            "confidence": 1.0,
        },
        {
            "id": "seg-2",
            "speaker": "participant",
            "start": 6.5,
            "end": 20.0,
            "text": "This transcript is generated test data; no interview took place.",
            "confidence": 1.0,
        },
    ]
    dimensions = []
    weighted = 0.0
    for dim in profile.rubric:
        fraction = 0.55 + 0.4 * _fraction(session_id, dim.name)
        weighted += fraction * dim.weight / 100
        entry: dict[str, Any] = {
            "name": dim.name,
            "weight": dim.weight,
            "score": round(fraction * scale, 1),
            "scale": profile.scoring.scale.value,
            "rationale": "Test data: generated without an interview.",
            "evidence": [{"segment_id": "seg-2", "start": 6.5, "end": 20.0, "quote": segments[1]["text"]}],
        }
        dimensions.append(entry)
    overall = round(weighted * 100)
    positive, negative = _labels(template)
    analysis: dict[str, Any] = {
        "is_test_data": True,
        "notice": "Generated for a test session. It assesses nobody and must not inform any decision.",
        "general": {
            "overallRating": overall,
            "companyFitRating": "UNDEFINED",
            "education": EducationLevel.UNDEFINED.value,
            "experience": ExperienceLevel.UNDEFINED.value,
            "strongPoints": ["Test data: no strong points were observed."],
            "weakPoints": ["Test data: no weak points were observed."],
            "evaluation": ["Generated test analysis; no interview took place."],
            "status": ANALYSIS_COMPLETED,
            "createdAt": at.isoformat(),
            "updatedAt": at.isoformat(),
        },
        "conversationCheck": {"candidateInterest": True, "conversationCompleted": True},
    }
    flags = profile.scorecard
    if flags.include_score_breakdown:
        analysis["dimensions"] = dimensions
    if flags.include_recommendation:
        analysis["recommendation"] = positive if overall >= 60 else negative
    if flags.include_improvement_feedback:
        analysis["improvementFeedback"] = ["Test data: no feedback applies."]
    if flags.include_transcript:
        analysis["transcript"] = segments
    return analysis
