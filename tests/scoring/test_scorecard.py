"""The scorecard's arithmetic and rules: weighted overall on every scale, the recommendation in the
template's vocabulary (weighted or rule-based), include flags, company fit, levels."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

import pytest

from config.profiles import AgentProfileSpec
from config.templates import EvaluationTemplateSpec
from scoring.model import DimensionScore, Segment
from scoring.scorecard import ScorecardInputs, build_scorecard
from tests.helpers import profile_body, template_body

AT = datetime(2026, 11, 22, 12, 0, tzinfo=UTC)
TRANSCRIPT = [
    Segment("s1", "interviewer", 0, 4, "Tell me about yourself."),
    Segment("s2", "candidate", 5, 20, "I have 7 years of experience and an MSc in computer science."),
]


def profile(**scoring: Any) -> AgentProfileSpec:
    return AgentProfileSpec.model_validate(profile_body(scoring=scoring) if scoring else profile_body())


def template(**overrides: Any) -> EvaluationTemplateSpec:
    body = {k: v for k, v in template_body(**overrides).items() if k != "preset"}
    return EvaluationTemplateSpec.model_validate(body)


def card(spec: AgentProfileSpec, scores: Mapping[str, float], **extra: Any) -> dict[str, Any]:
    dims = [DimensionScore(name, value, f"{name} rationale.") for name, value in scores.items()]
    inputs = ScorecardInputs(
        profile=spec,
        template=extra.pop("template", template()),
        participant=extra.pop("participant", {}),
        scores=dims,
        transcript=TRANSCRIPT,
        scorer="embedded",
        at=AT,
        **extra,
    )
    return build_scorecard(inputs)


@pytest.mark.parametrize(("scale", "factor"), [("0-10", 1), ("0-5", 0.5), ("0-100", 10)])
def test_the_overall_rating_is_the_weighted_average_on_any_scale(scale: str, factor: float) -> None:
    spec = profile(scale=scale)
    scores = {"System Design": 8 * factor, "Communication": 6 * factor, "Ownership": 4 * factor}
    result = card(spec, scores)
    # 0.8 * 50 + 0.6 * 30 + 0.4 * 20 = 66
    assert result["general"]["overallRating"] == 66
    assert [d["score"] for d in result["dimensions"]] == list(scores.values())
    assert {d["scale"] for d in result["dimensions"]} == {scale}


def test_weighted_average_recommends_against_the_stage_pass_mark() -> None:
    scores = {"System Design": 7, "Communication": 7, "Ownership": 7}
    assert card(profile(), scores)["recommendation"] == "hire"  # 70 >= 60 (default)
    strict = card(profile(), scores, pass_threshold=75)
    assert strict["recommendation"] == "no_hire"
    assert "below the pass mark of 75" in strict["recommendationBasis"]


def test_rule_based_recommendation_in_the_templates_vocabulary() -> None:
    logic = '"System Design" >= 7 and all >= 5 -> hire\nany < 3 -> no_hire\notherwise -> negative'
    spec = profile(scoringMethod="rule_based", recommendationLogic=logic)
    assert card(spec, {"System Design": 8, "Communication": 5, "Ownership": 6})["recommendation"] == "hire"
    assert card(spec, {"System Design": 9, "Communication": 2, "Ownership": 9})["recommendation"] == "no_hire"
    assert card(spec, {"System Design": 6, "Communication": 6, "Ownership": 6})["recommendation"] == "no_hire"
    # A training template speaks of ready / needs_training; an admissions one of admit / reject.
    training = template(use_case="training")
    assert (
        card(spec, {"System Design": 8, "Communication": 5, "Ownership": 6}, template=training)[
            "recommendation"
        ]
        == "ready"
    )
    custom = template(
        success_outcome="custom", custom_outcome_labels={"positive": "advance", "negative": "hold"}
    )
    result = card(spec, {"System Design": 1, "Communication": 1, "Ownership": 1}, template=custom)
    assert result["recommendation"] == "hold"
    assert "gave 'no_hire'" in result["recommendationBasis"]


def test_no_rule_holding_is_a_negative_recommendation() -> None:
    spec = profile(scoringMethod="rule_based", recommendationLogic="all >= 9 -> hire")
    result = card(spec, {"System Design": 8, "Communication": 8, "Ownership": 8})
    assert result["recommendation"] == "no_hire"
    assert "No rule" in result["recommendationBasis"]


def test_include_flags_decide_what_the_scorecard_shows() -> None:
    spec = AgentProfileSpec.model_validate(
        profile_body(
            scorecard={
                "includeTranscript": False,
                "includeScoreBreakdown": False,
                "includeRecommendation": False,
                "includeImprovementFeedback": False,
            }
        )
    )
    result = card(spec, {"System Design": 8, "Communication": 6, "Ownership": 4})
    assert not {"transcript", "dimensions", "recommendation", "improvementFeedback"} & result.keys()
    assert result["general"]["overallRating"] == 66
    full = card(profile(), {"System Design": 8, "Communication": 6, "Ownership": 4})
    assert {"transcript", "dimensions", "recommendation", "improvementFeedback"} <= full.keys()
    assert [s["id"] for s in full["transcript"]] == ["s1", "s2"]


def test_points_feedback_levels_and_company_fit() -> None:
    result = card(profile(), {"System Design": 8, "Communication": 6, "Ownership": 2})
    general = result["general"]
    assert [p.split(" (")[0] for p in general["strongPoints"]] == ["System Design", "Communication"]
    assert [p.split(" (")[0] for p in general["weakPoints"]] == ["Ownership"]
    assert any("Ownership" in tip for tip in result["improvementFeedback"])
    assert general["experience"] == "FIVE_TO_10_YEARS"
    assert general["education"] == "MASTER_LEVEL"
    assert general["companyFitRating"] == "UNDEFINED"  # no rubric dimension measures fit
    fit = AgentProfileSpec.model_validate(
        profile_body(
            rubric=[
                {"name": "System Design", "weight": 50},
                {"name": "Culture Fit", "weight": 50},
            ]
        )
    )
    assert card(fit, {"System Design": 5, "Culture Fit": 8})["general"]["companyFitRating"] == "HIGH"
    assert card(fit, {"System Design": 5, "Culture Fit": 5})["general"]["companyFitRating"] == "MEDIUM"
    assert card(fit, {"System Design": 5, "Culture Fit": 2})["general"]["companyFitRating"] == "LOW"


def test_flagged_authenticity_signals_are_named_in_the_evaluation_but_change_no_score() -> None:
    flags = [
        {"kind": "focus_lost", "flagged": True, "confidence": 80},
        {"kind": "reading_like", "flagged": False},
    ]
    scores = {"System Design": 8, "Communication": 6, "Ownership": 4}
    with_flags = card(profile(), scores, authenticity=flags)
    without = card(profile(), scores)
    assert with_flags["general"]["overallRating"] == without["general"]["overallRating"]
    assert with_flags["recommendation"] == without["recommendation"]
    assert any("focus_lost" in line for line in with_flags["general"]["evaluation"])
    assert with_flags["authenticity"] == flags
