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
from scoring.scorecard import EMBEDDED_LIMITS, LLM_LIMITS, ScorecardInputs, build_scorecard
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


def card(spec: AgentProfileSpec, scores: Mapping[str, float | None], **extra: Any) -> dict[str, Any]:
    """The scorecard of `scores`; a None score is a dimension the evidence gate left unassessed."""
    dims = [
        DimensionScore(name, value, f"{name} rationale.")
        if value is not None
        else DimensionScore.insufficient(name, f"Not assessed: {name} was never asked.")
        for name, value in scores.items()
    ]
    inputs = ScorecardInputs(
        profile=spec,
        template=extra.pop("template", template()),
        participant=extra.pop("participant", {}),
        scores=dims,
        transcript=TRANSCRIPT,
        scorer=extra.pop("scorer", "embedded"),
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


@pytest.mark.parametrize(
    ("rating_scores", "expected"),
    [
        ({"System Design": 6.5, "Communication": 6.5, "Ownership": 6.5}, "needs_review"),  # 65: 5 above
        ({"System Design": 5.5, "Communication": 5.5, "Ownership": 5.5}, "needs_review"),  # 55: 5 below
        ({"System Design": 7, "Communication": 7, "Ownership": 7}, "hire"),  # 70: the margin is exclusive
        ({"System Design": 5, "Communication": 5, "Ownership": 5}, "no_hire"),  # 50
    ],
)
def test_a_close_call_goes_to_a_human(rating_scores: dict[str, float], expected: str) -> None:
    result = card(profile(), rating_scores, review_margin=10.0)
    assert result["recommendation"] == expected
    assert result["needsReview"] is (expected == "needs_review")
    if expected == "needs_review":
        basis = result["recommendationBasis"]
        assert "within 10 points of the pass mark of 60" in basis
        assert "embedded scorer" in basis
        assert result["reviewReasons"] == [basis]
        # Coverage was not the reason: the rubric was assessed in full.
        assert result["coverage"]["sufficient"] is True


def test_the_close_call_margin_is_around_the_stages_own_pass_mark() -> None:
    scores = {"System Design": 7, "Communication": 7, "Ownership": 7}  # 70
    assert card(profile(), scores, review_margin=5.0, pass_threshold=72)["recommendation"] == "needs_review"
    assert card(profile(), scores, review_margin=5.0, pass_threshold=80)["recommendation"] == "no_hire"
    assert card(profile(), scores, review_margin=0.0, pass_threshold=70)["recommendation"] == "hire"


def test_rule_based_recommendations_have_no_close_call() -> None:
    # The rules decide on dimension scores, not on the rating against a pass mark: no margin applies.
    spec = profile(scoringMethod="rule_based", recommendationLogic="all >= 6 -> hire\notherwise -> negative")
    result = card(spec, {"System Design": 6, "Communication": 6, "Ownership": 6}, review_margin=10.0)
    assert result["recommendation"] == "hire"


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


# --- Evidence first: unassessed dimensions, coverage and needs_review ---------------------------------

LOW_COVERAGE = {"System Design": None, "Communication": 8, "Ownership": 6}  # 50% of the weight assessed


def test_unassessed_dimensions_are_left_out_and_the_weights_renormalised() -> None:
    result = card(profile(), {"System Design": 8, "Communication": None, "Ownership": 6})
    # Over the assessed 70% of the weight only: not (0.8 * 50 + 0 * 30 + 0.6 * 20) = 52.
    assert result["general"]["overallRating"] == round((0.8 * 50 + 0.6 * 20) / 70 * 100) == 74
    assert result["coverage"] == {
        "assessedWeight": 70.0,
        "threshold": 70.0,
        "sufficient": True,
        "assessed": ["System Design", "Ownership"],
        "insufficientEvidence": ["Communication"],
    }
    # Exactly at the threshold there is enough evidence for a verdict.
    assert (result["recommendation"], result["needsReview"], result["reviewReasons"]) == ("hire", False, [])
    assert result["general"]["evaluation"][0].startswith(
        "Overall rating 74/100 over 2 of 3 rubric dimensions (70% of the rubric weight)"
    )


def test_dimension_entries_say_whether_they_were_assessed() -> None:
    result = card(profile(), {"System Design": 8, "Communication": None, "Ownership": 6})
    assert [(d["name"], d["score"], d["status"]) for d in result["dimensions"]] == [
        ("System Design", 8, "assessed"),
        ("Communication", None, "insufficient_evidence"),
        ("Ownership", 6, "assessed"),
    ]
    unassessed = result["dimensions"][1]
    assert unassessed["rationale"] == "Not assessed: Communication was never asked."
    assert (unassessed["weight"], unassessed["evidence"]) == (30, [])


@pytest.mark.parametrize(
    ("overrides", "positive"),
    [
        ({}, "hire"),
        ({"use_case": "hiring"}, "hire"),
        ({"use_case": "admissions"}, "admit"),
        ({"use_case": "certification"}, "certified"),
        ({"success_outcome": "pass_fail"}, "pass"),
        (
            {
                "success_outcome": "custom",
                "custom_outcome_labels": {"positive": "advance", "negative": "hold"},
            },
            "advance",
        ),
    ],
)
def test_too_little_coverage_needs_review_in_every_vocabulary(
    overrides: dict[str, Any], positive: str
) -> None:
    vocabulary = template(**overrides)
    full = card(profile(), {"System Design": 8, "Communication": 8, "Ownership": 6}, template=vocabulary)
    assert (full["recommendation"], full["needsReview"]) == (positive, False)  # the vocabulary is in force
    result = card(profile(), LOW_COVERAGE, template=vocabulary)
    assert result["recommendation"] == "needs_review"
    assert result["needsReview"] is True
    assert result["coverage"]["assessedWeight"] == 50.0
    assert result["coverage"]["sufficient"] is False
    # The rating of what was assessed is still shown: (0.8 * 30 + 0.6 * 20) / 50.
    assert result["general"]["overallRating"] == 72
    assert "50%" in result["recommendationBasis"]
    assert "70%" in result["recommendationBasis"]
    assert result["reviewReasons"][0] == result["recommendationBasis"]
    assert any("System Design" in reason and "50%" in reason for reason in result["reviewReasons"])


def test_a_rule_based_profile_also_needs_review_when_coverage_is_too_low() -> None:
    spec = profile(scoringMethod="rule_based", recommendationLogic="all >= 5 -> hire\notherwise -> negative")
    result = card(spec, LOW_COVERAGE)
    assert (result["recommendation"], result["needsReview"]) == ("needs_review", True)


@pytest.mark.parametrize(
    ("threshold", "scores", "verdict"),
    [
        (50.0, LOW_COVERAGE, "hire"),  # 50% assessed, threshold 50: a verdict
        (50.1, LOW_COVERAGE, "needs_review"),
        (70.0, {"System Design": 8, "Communication": None, "Ownership": 6}, "hire"),  # 70 of 70
        (80.0, {"System Design": 8, "Communication": None, "Ownership": 6}, "needs_review"),
        (100.0, {"System Design": 8, "Communication": 8, "Ownership": 6}, "hire"),
    ],
)
def test_the_coverage_threshold_is_inclusive(
    threshold: float, scores: Mapping[str, float | None], verdict: str
) -> None:
    result = card(profile(), scores, coverage_threshold=threshold)
    assert result["recommendation"] == verdict
    assert result["needsReview"] is (verdict == "needs_review")
    assert result["coverage"]["threshold"] == threshold
    assert result["coverage"]["sufficient"] is (verdict != "needs_review")


def test_nothing_assessed_has_no_overall_rating_and_needs_review() -> None:
    result = card(profile(), dict.fromkeys(("System Design", "Communication", "Ownership")))
    general = result["general"]
    assert general["overallRating"] is None
    assert (result["recommendation"], result["needsReview"]) == ("needs_review", True)
    assert result["coverage"] == {
        "assessedWeight": 0.0,
        "threshold": 70.0,
        "sufficient": False,
        "assessed": [],
        "insufficientEvidence": ["System Design", "Communication", "Ownership"],
    }
    assert (general["strongPoints"], general["weakPoints"]) == ([], [])
    assert general["evaluation"][0] == (
        "No overall rating: none of the 3 rubric dimensions had enough evidence to score."
    )
    assert result["reviewReasons"]
    assert all(d["score"] is None and d["status"] == "insufficient_evidence" for d in result["dimensions"])
    # Even with a threshold of 0 there is nothing to rate, so a human decides.
    assert (
        card(profile(), dict.fromkeys(("System Design", "Communication", "Ownership")), coverage_threshold=0)[
            "recommendation"
        ]
        == "needs_review"
    )


def test_rule_based_logic_naming_an_unassessed_dimension_needs_review() -> None:
    logic = '"Ownership" >= 7 -> hire\notherwise -> negative'
    spec = profile(scoringMethod="rule_based", recommendationLogic=logic)
    scores = {"System Design": 9, "Communication": 9, "Ownership": None}  # 80% assessed: enough coverage
    result = card(spec, scores)
    assert result["coverage"]["sufficient"] is True
    assert (result["recommendation"], result["needsReview"]) == ("needs_review", True)
    basis = result["recommendationBasis"]
    assert "cannot be applied" in basis
    assert '"Ownership"' in basis
    assert "a human decides" in basis
    assert result["reviewReasons"] == [basis]
    # Logic that does not name it judges the assessed dimensions as usual.
    other = profile(scoringMethod="rule_based", recommendationLogic='"System Design" >= 7 -> hire')
    assert card(other, scores)["recommendation"] == "hire"


def test_an_incomplete_interview_is_named_in_the_review_reasons() -> None:
    completion = {
        "complete": False,
        "endReason": "hangup",
        "summary": "The interview ended early: the candidate ended the interview after 2 of 3 planned questions.",
    }
    scores = {"System Design": 8, "Communication": 8, "Ownership": None}
    result = card(profile(), scores, completion=completion)
    assert result["completion"] == completion
    assert result["reviewReasons"] == [completion["summary"]]
    # What it left out weighs less than the threshold allows: still a verdict.
    assert (result["recommendation"], result["needsReview"]) == ("hire", False)
    short = card(profile(), LOW_COVERAGE, completion=completion)
    assert short["needsReview"] is True
    assert completion["summary"] in short["reviewReasons"]
    assert short["reviewReasons"][0] == short["recommendationBasis"]
    done = card(profile(), scores, completion={"complete": True, "summary": "Covered all 3."})
    assert done["reviewReasons"] == []
    assert card(profile(), scores)["completion"] is None


@pytest.mark.parametrize(
    "scores",
    [
        {"System Design": 2, "Communication": None, "Ownership": 9},  # enough coverage: a verdict
        {"System Design": None, "Communication": 2, "Ownership": 9},  # too little: needs review
    ],
)
def test_points_and_feedback_never_mention_unassessed_dimensions(scores: Mapping[str, float | None]) -> None:
    result = card(profile(), scores)
    missing = next(name for name, value in scores.items() if value is None)
    weak = next(name for name, value in scores.items() if value == 2)
    general = result["general"]
    assert [p.split(" (")[0] for p in general["strongPoints"]] == ["Ownership"]
    assert [p.split(" (")[0] for p in general["weakPoints"]] == [weak]
    assert len(result["improvementFeedback"]) == 1
    assert weak in result["improvementFeedback"][0]
    for line in (*general["strongPoints"], *general["weakPoints"], *result["improvementFeedback"]):
        assert missing not in line


def test_an_unassessed_fit_dimension_leaves_company_fit_undefined() -> None:
    fit = AgentProfileSpec.model_validate(
        profile_body(rubric=[{"name": "System Design", "weight": 80}, {"name": "Culture Fit", "weight": 20}])
    )
    result = card(fit, {"System Design": 8, "Culture Fit": None})
    assert result["general"]["companyFitRating"] == "UNDEFINED"  # not LOW: nobody measured it
    assert result["coverage"]["assessedWeight"] == 80.0


@pytest.mark.parametrize(("scorer", "limits"), [("embedded", EMBEDDED_LIMITS), ("llm", LLM_LIMITS)])
def test_the_scorecard_states_what_its_scorer_cannot_judge(scorer: str, limits: str) -> None:
    result = card(profile(), {"System Design": 8, "Communication": 6, "Ownership": 4}, scorer=scorer)
    assert result["scorer"] == scorer
    assert result["scorerLimits"] == limits
    assert ("not correctness" in limits) is (scorer == "embedded")
    assert ("quotes" in limits) is (scorer == "llm")
