"""The analysis (scorecard) of a completed session, as `Session.analysis` and each analysis version show it.

Built by `scoring.scorecard` (or `scoring.synthetic` for test sessions) and stored as built; see
`config.stored` for why these models only type it. Its keys are camelCase, as the interview platforms
this API mirrors name them, so stored analyses and integrators' parsers stay compatible; a few keys that
predate that convention (`is_test_data`, the evidence's `segment_id`) keep their snake_case.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import ConfigDict, Field

from config.enums import EducationLevel, ExperienceLevel, Scale, ScoringMethod
from config.stored import DateTimeText, Number, StoredModel

__all__ = [
    "ANALYSIS_EXAMPLE",
    "Analysis",
    "AnalysisCoverage",
    "AnalysisDimension",
    "AnalysisGeneral",
    "AnalysisTranscriptSegment",
    "AuthenticityFlag",
    "AuthenticityKind",
    "AuthenticityMoment",
    "ConversationCheck",
    "DimensionEvidence",
    "InterviewCompletion",
]

_AT = "2026-03-02T09:25:41.512000+00:00"

ANALYSIS_EXAMPLE: dict[str, Any] = {
    "is_test_data": False,
    "scorer": "embedded",
    "scorerLimits": "Measures structure and relevance, not correctness; confirm with an LLM scorer or a human.",
    "scoringMethod": "weighted_average",
    "scale": "0-10",
    "general": {
        "overallRating": 72,
        "companyFitRating": "UNDEFINED",
        "education": "BACHELOR_LEVEL",
        "experience": "FIVE_TO_10_YEARS",
        "strongPoints": ["System design (8/10): Strongest answer: the cache invalidation story."],
        "weakPoints": ["Testing (4/10): Few specifics on how the change was verified."],
        "evaluation": ["Overall rating 72/100 over 2 of 2 rubric dimensions (100% of the rubric weight)."],
        "status": 3,
        "createdAt": _AT,
        "updatedAt": _AT,
    },
    "coverage": {
        "assessedWeight": 100.0,
        "threshold": 70.0,
        "sufficient": True,
        "assessed": ["System design", "Testing"],
        "insufficientEvidence": [],
    },
    "completion": {
        "complete": True,
        "endReason": "completed",
        "questionsPlanned": 6,
        "questionsAsked": 6,
        "notAsked": [],
        "dimensionsNotReached": [],
        "summary": "The interview covered all 6 planned questions.",
    },
    "needsReview": False,
    "reviewReasons": [],
    "authenticity": [
        {
            "kind": "reading_like",
            "confidence": 12,
            "threshold": 70,
            "flagged": False,
            "summary": "Answers sound spoken, not read out.",
            "evidence": [],
        }
    ],
    "dimensions": [
        {
            "name": "System design",
            "weight": 60,
            "score": 8.0,
            "status": "assessed",
            "scale": "0-10",
            "rationale": "Clear trade-offs. Strongest answer: the cache invalidation story.",
            "evidence": [
                {
                    "segment_id": "seg-12",
                    "start": 81.2,
                    "end": 96.0,
                    "quote": "we moved invalidation to events",
                }
            ],
        },
        {
            "name": "Testing",
            "weight": 40,
            "score": 4.0,
            "status": "assessed",
            "scale": "0-10",
            "rationale": "Few specifics on how the change was verified.",
            "evidence": [
                {"segment_id": "seg-20", "start": 140.5, "end": 151.0, "quote": "we had some tests"}
            ],
        },
    ],
    "recommendation": "hire",
    "recommendationBasis": "Overall rating 72 reaches the pass mark of 60.",
    "improvementFeedback": ["Back answers on Testing with specifics: numbers, the tools you used."],
    "transcript": [
        {
            "id": "seg-12",
            "speaker": "candidate",
            "start": 81.2,
            "end": 96.0,
            "text": "So we moved invalidation to events.",
        }
    ],
    "version": 1,
}


class AnalysisGeneral(StoredModel):
    """The overall assessment (the fields every interview platform of this kind shares)."""

    overall_rating: int | None = Field(
        alias="overallRating",
        description="0-100: the rubric-weighted average of the assessed dimensions; null when none was assessed.",
    )
    company_fit_rating: Literal["UNDEFINED", "LOW", "MEDIUM", "HIGH"] = Field(
        alias="companyFitRating",
        description="From a rubric dimension about culture, values or fit; UNDEFINED when there is none.",
    )
    education: EducationLevel = Field(description="Highest education the candidate stated outright.")
    experience: ExperienceLevel = Field(description="Experience the candidate (or their profile) stated.")
    strong_points: list[str] = Field(
        alias="strongPoints", description="Dimensions at or above 60% of the scale."
    )
    weak_points: list[str] = Field(alias="weakPoints", description="Dimensions below 50% of the scale.")
    evaluation: list[str] = Field(description="How the rating and recommendation came about, in sentences.")
    status: int = Field(
        description="Analysis status as a number: 1 PENDING, 2 PROCESSING, 3 COMPLETED, 4 FAILED."
    )
    created_at: DateTimeText = Field(alias="createdAt", description="When the analysis was built (ISO 8601).")
    updated_at: DateTimeText = Field(alias="updatedAt", description="Last change (ISO 8601).")


class DimensionEvidence(StoredModel):
    """A quote from one of the candidate's transcript segments that the score rests on."""

    segment_id: str = Field(description="The transcript segment quoted (its `id`).")
    start: Number = Field(description="Segment start, seconds on the recording's timeline.")
    end: Number = Field(description="Segment end, seconds on the recording's timeline.")
    quote: str = Field(description="Words the candidate said, verbatim from that segment.")


class AnalysisDimension(StoredModel):
    """One rubric dimension's score, with why and the evidence."""

    name: str = Field(description="The rubric dimension.")
    weight: Number | None = Field(description="Its rubric weight (the weights sum to 100).")
    score: Number | None = Field(
        description="On the profile's scale; null when there was too little evidence."
    )
    status: Literal["assessed", "insufficient_evidence"] | None = Field(
        default=None,
        description="assessed, or insufficient_evidence (then `score` is null). Absent in test data.",
    )
    scale: Scale = Field(description="The scale of `score`.")
    rationale: str = Field(description="Why this score, or why there is none.")
    evidence: list[DimensionEvidence] = Field(description="Quotes the score rests on.")


class AnalysisCoverage(StoredModel):
    """How much of the rubric had enough evidence to score."""

    assessed_weight: Number = Field(
        alias="assessedWeight", description="Percent of the rubric weight assessed."
    )
    threshold: Number = Field(description="Percent needed for a verdict without a human review.")
    sufficient: bool = Field(description="Whether the assessed weight reaches the threshold.")
    assessed: list[str] = Field(description="Dimensions that were scored.")
    insufficient_evidence: list[str] = Field(
        alias="insufficientEvidence", description="Dimensions left unscored for lack of evidence."
    )


class InterviewCompletion(StoredModel):
    """Whether the interview covered its plan of questions."""

    complete: bool = Field(
        description="True when every planned question was asked and the interview ended normally."
    )
    end_reason: str = Field(
        alias="endReason",
        description="completed, hangup, idle, lost, shutdown, error, abandoned or unknown.",
    )
    questions_planned: int = Field(alias="questionsPlanned", description="Questions in the plan.")
    questions_asked: int = Field(alias="questionsAsked", description="Planned questions asked.")
    not_asked: list[str] = Field(alias="notAsked", description="Planned questions never asked.")
    dimensions_not_reached: list[str] = Field(
        alias="dimensionsNotReached", description="Rubric dimensions none of whose questions was asked."
    )
    summary: str = Field(description="One sentence for the reviewer.")


class AuthenticityMoment(StoredModel):
    """A stretch of the recording a reviewer should listen to."""

    start: Number = Field(description="Seconds on the recording's timeline.")
    end: Number = Field(description="Seconds on the recording's timeline.")
    note: str = Field(description="What happens there.")


# The checks of scoring.authenticity (its KINDS; a test keeps the two equal).
AuthenticityKind = Literal[
    "pause_then_fluent", "reading_like", "multiple_voices", "source_changed", "focus_lost", "background_voice"
]


class AuthenticityFlag(StoredModel):
    """One authenticity check: a signal for a human to review; it never changes a score."""

    kind: AuthenticityKind = Field(
        description="pause_then_fluent, reading_like, multiple_voices, source_changed, focus_lost or "
        "background_voice."
    )
    confidence: int = Field(description="0-100.")
    threshold: int = Field(description="Confidence at which this kind is flagged.")
    flagged: bool = Field(description="Whether confidence reached the threshold.")
    summary: str = Field(description="What was found, in a sentence.")
    evidence: list[AuthenticityMoment] = Field(description="Where to listen.")


class ConversationCheck(StoredModel):
    """Test data only: whether the (generated) conversation went through."""

    candidate_interest: bool = Field(alias="candidateInterest", description="Always true in test data.")
    conversation_completed: bool = Field(
        alias="conversationCompleted", description="Always true in test data."
    )


class AnalysisTranscriptSegment(StoredModel):
    """A transcript segment as the analysis quotes it."""

    id: str = Field(description="Segment id; evidence names it as `segment_id`.")
    speaker: str = Field(description="candidate or interviewer (participant in test data).")
    start: Number = Field(description="Seconds on the recording's timeline.")
    end: Number = Field(description="Seconds on the recording's timeline.")
    text: str = Field(description="What was said.")
    confidence: Number | None = Field(
        default=None, description="Transcription confidence 0-1 (test data only)."
    )


class Analysis(StoredModel):
    """The scorecard of a completed session. Parts the agent profile's include flags turn off
    (`dimensions`, `recommendation`, `improvementFeedback`, `transcript`) are absent, never null; a test
    session's generated analysis has `is_test_data: true`, a `notice` and no scorer details. There is no
    `specific` object: screening interviews are described by the general fields alone."""

    model_config = ConfigDict(json_schema_extra={"examples": [ANALYSIS_EXAMPLE]})

    is_test_data: bool = Field(
        description="True for a test session's generated analysis: it assesses nobody."
    )
    notice: str | None = Field(default=None, description="Test data only: what this analysis is not.")
    scorer: str | None = Field(default=None, description="What produced the scores: embedded or llm.")
    scorer_limits: str | None = Field(
        default=None, alias="scorerLimits", description="What that scorer cannot judge."
    )
    scoring_method: ScoringMethod | None = Field(
        default=None, alias="scoringMethod", description="How the recommendation was reached."
    )
    scale: Scale | None = Field(default=None, description="The scale of the dimension scores.")
    general: AnalysisGeneral = Field(description="The overall assessment.")
    coverage: AnalysisCoverage | None = Field(
        default=None, description="How much of the rubric was assessed."
    )
    completion: InterviewCompletion | None = Field(
        default=None, description="Whether the interview covered its plan; null when no plan was kept."
    )
    needs_review: bool | None = Field(
        default=None, alias="needsReview", description="True when a human must decide (too little evidence)."
    )
    review_reasons: list[str] | None = Field(
        default=None, alias="reviewReasons", description="Why a human should look, if anything calls for it."
    )
    authenticity: list[AuthenticityFlag] | None = Field(
        default=None, description="Authenticity checks (flags for review; they change no score)."
    )
    conversation_check: ConversationCheck | None = Field(
        default=None, alias="conversationCheck", description="Test data only."
    )
    dimensions: list[AnalysisDimension] | None = Field(
        default=None,
        description="Per rubric dimension: score, rationale and evidence (include_score_breakdown).",
    )
    recommendation: str | None = Field(
        default=None,
        description="In the template's vocabulary (hire / no_hire, ...), or needs_review (include_recommendation).",
    )
    recommendation_basis: str | None = Field(
        default=None, alias="recommendationBasis", description="The rule or pass mark that gave it."
    )
    improvement_feedback: list[str] | None = Field(
        default=None,
        alias="improvementFeedback",
        description="Advice for the candidate (include_improvement_feedback).",
    )
    transcript: list[AnalysisTranscriptSegment] | None = Field(
        default=None, description="The interview's transcript (include_transcript)."
    )
    version: int | None = Field(default=None, description="The analysis version this is (see /analyses).")
