"""AgentProfile validation: rubric weights and names, scoring rules, behaviour enums, defaults, aliases."""

from __future__ import annotations

from typing import Any

import pytest
from pydantic import ValidationError

from config.enums import Difficulty, Focus, ProbingDepth, Scale, ScoringMethod, Style, Tone, UseCase
from config.profiles import (
    AgentProfileCreate,
    AgentProfileSpec,
    AgentProfileUpdate,
    Behavior,
    RubricDimension,
    ScorecardOptions,
    Scoring,
)


def _rubric(*weights: Any) -> list[dict[str, Any]]:
    return [{"name": f"Dimension {i}", "weight": w} for i, w in enumerate(weights)]


def _profile(**overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {"name": "Interviewer", "rubric": _rubric(50, 30, 20)}
    body.update(overrides)
    return body


def _errors(exc: pytest.ExceptionInfo[ValidationError]) -> list[tuple[tuple[int | str, ...], str]]:
    return [(tuple(e["loc"]), e["msg"]) for e in exc.value.errors()]


@pytest.mark.parametrize(
    "weights",
    [
        (100,),
        (50, 50),
        (33.33, 33.33, 33.34),
        (33.34, 33.33, 33.33),
        (0.01, 99.99),
        (10.1, 20.2, 30.3, 39.4),
        (12.5, 12.5, 25, 50),
        tuple([5] * 20),
        (0.1, 0.2, 99.7),  # 0.1 + 0.2 != 0.3 in binary floats; the sum must still be exact
    ],
)
def test_rubric_weights_summing_to_exactly_100_are_accepted(weights: tuple[float, ...]) -> None:
    profile = AgentProfileCreate.model_validate(_profile(rubric=_rubric(*weights)))
    assert [d.weight for d in profile.rubric] == [float(w) for w in weights]


@pytest.mark.parametrize(
    "weights",
    [
        (33.33, 33.33, 33.33),  # 99.99
        (50, 50.01),
        (60, 30),
        (100, 0.01),
        (99.99,),
    ],
)
def test_rubric_weights_not_summing_to_100_are_refused(weights: tuple[float, ...]) -> None:
    with pytest.raises(ValidationError) as exc:
        AgentProfileCreate.model_validate(_profile(rubric=_rubric(*weights)))
    [(loc, msg)] = _errors(exc)
    assert loc == ("rubric",)
    assert "sum to exactly 100" in msg


@pytest.mark.parametrize(
    ("weight", "fragment"),
    [
        (33.333, "at most 2 decimal places"),
        (0.001, "at most 2 decimal places"),
        (0, "greater than 0"),
        (-5, "greater than 0"),
        (100.01, "less than or equal to 100"),
        (float("nan"), "finite number"),
        (float("inf"), "finite number"),
        ("50", "valid number"),
        (True, "valid number"),
        (None, "valid number"),
    ],
)
def test_a_bad_weight_is_reported_at_its_dimension(weight: Any, fragment: str) -> None:
    rubric = [{"name": "A", "weight": 50}, {"name": "B", "weight": weight}]
    with pytest.raises(ValidationError) as exc:
        AgentProfileCreate.model_validate(_profile(rubric=rubric))
    (loc, msg), *_ = _errors(exc)
    assert loc == ("rubric", 1, "weight")
    assert fragment in msg


def test_integer_weights_are_accepted_and_kept_as_numbers() -> None:
    dim = RubricDimension.model_validate({"name": "A", "weight": 40})
    assert dim.weight == 40.0
    assert dim.description == ""


@pytest.mark.parametrize(
    "names",
    [("Communication", "Communication"), ("Communication", "communication"), ("  Design", "DESIGN  ")],
)
def test_duplicate_dimension_names_are_refused_case_insensitively(names: tuple[str, str]) -> None:
    rubric = [{"name": names[0], "weight": 50}, {"name": names[1], "weight": 50}]
    with pytest.raises(ValidationError) as exc:
        AgentProfileCreate.model_validate(_profile(rubric=rubric))
    [(loc, msg)] = _errors(exc)
    assert loc == ("rubric",)
    assert "unique" in msg


def test_dimension_names_are_stripped_and_must_not_be_blank() -> None:
    dim = RubricDimension.model_validate({"name": "  System Design  ", "weight": 100})
    assert dim.name == "System Design"
    with pytest.raises(ValidationError) as exc:
        RubricDimension.model_validate({"name": "   ", "weight": 100})
    assert _errors(exc)[0][0] == ("name",)


@pytest.mark.parametrize("rubric", [[], _rubric(*([5] * 19), 2.5, 2.5)])
def test_rubric_needs_one_to_twenty_dimensions(rubric: list[dict[str, Any]]) -> None:
    with pytest.raises(ValidationError) as exc:
        AgentProfileCreate.model_validate(_profile(rubric=rubric))
    assert _errors(exc)[0][0] == ("rubric",)


def test_rubric_is_required() -> None:
    body = _profile()
    del body["rubric"]
    with pytest.raises(ValidationError) as exc:
        AgentProfileCreate.model_validate(body)
    assert _errors(exc) == [(("rubric",), "Field required")]


def test_defaults_follow_the_seed() -> None:
    profile = AgentProfileCreate.model_validate(_profile())
    assert profile.use_case is UseCase.HIRING
    assert profile.focus is Focus.SCREENING
    assert profile.intro == ""
    assert profile.behavior == Behavior(
        tone=Tone.PROFESSIONAL,
        style=Style.STRUCTURED,
        difficulty=Difficulty.MEDIUM,
        probing_depth=ProbingDepth.MEDIUM,
    )
    assert profile.scoring.scale is Scale.TEN
    assert profile.scoring.scoring_method is ScoringMethod.WEIGHTED_AVERAGE
    assert profile.scoring.recommendation_logic is None
    card = profile.scorecard
    assert card.include_transcript
    assert card.include_score_breakdown
    assert card.include_recommendation
    assert card.include_improvement_feedback
    assert profile.grounding.organization_context is None


def test_camel_case_aliases_are_accepted_and_serialised() -> None:
    body = _profile(
        behavior={"tone": "challenging", "style": "adaptive", "difficulty": "hard", "probingDepth": "high"},
        scoring={"scale": "0-100", "scoringMethod": "rule_based", "recommendationLogic": "all >= 7 -> hire"},
        grounding={"organizationContext": "Acme", "domainContext": "Payments", "scenarioContext": "Outage"},
        scorecard={"includeTranscript": False, "includeImprovementFeedback": False},
    )
    profile = AgentProfileCreate.model_validate(body)
    assert profile.behavior.probing_depth is ProbingDepth.HIGH
    assert profile.scoring.scale.maximum == 100
    dumped = profile.model_dump(mode="json")
    assert dumped["behavior"] == body["behavior"]
    assert dumped["scoring"] == body["scoring"]
    assert dumped["grounding"] == body["grounding"]
    assert dumped["scorecard"] == {
        "includeTranscript": False,
        "includeScoreBreakdown": True,
        "includeRecommendation": True,
        "includeImprovementFeedback": False,
    }


def test_python_field_names_are_accepted_too() -> None:
    behavior = Behavior.model_validate({"probing_depth": "low"})
    assert behavior.probing_depth is ProbingDepth.LOW
    card = ScorecardOptions.model_validate({"include_transcript": False})
    assert card.include_transcript is False


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("tone", "rude"),
        ("style", "chaotic"),
        ("difficulty", "impossible"),
        ("probingDepth", "extreme"),
    ],
)
def test_behaviour_values_are_closed_vocabularies(field: str, value: str) -> None:
    with pytest.raises(ValidationError) as exc:
        AgentProfileCreate.model_validate(_profile(behavior={field: value}))
    assert _errors(exc)[0][0] == ("behavior", field)


@pytest.mark.parametrize(
    "scoring",
    [
        {"scoringMethod": "rule_based"},
        {"scoringMethod": "rule_based", "recommendationLogic": None},
        {"scoringMethod": "rule_based", "recommendationLogic": ""},
        {"scoringMethod": "rule_based", "recommendationLogic": "   "},
    ],
)
def test_rule_based_scoring_needs_recommendation_logic(scoring: dict[str, Any]) -> None:
    with pytest.raises(ValidationError) as exc:
        AgentProfileCreate.model_validate(_profile(scoring=scoring))
    [(loc, msg)] = _errors(exc)
    assert loc == ("scoring", "recommendationLogic")
    assert "recommendationLogic is required" in msg


def test_rule_based_with_logic_and_weighted_average_without_are_fine() -> None:
    rules = Scoring.model_validate(
        {"scoringMethod": "rule_based", "recommendationLogic": " all >= 6 -> hire "}
    )
    assert rules.recommendation_logic == "all >= 6 -> hire"
    plain = Scoring.model_validate({"scoringMethod": "weighted_average"})
    assert plain.recommendation_logic is None
    optional = Scoring.model_validate({"recommendationLogic": "advisory only"})
    assert optional.scoring_method is ScoringMethod.WEIGHTED_AVERAGE


@pytest.mark.parametrize("scale", ["0-1", "1-10", "10", ""])
def test_scale_is_one_of_three(scale: str) -> None:
    with pytest.raises(ValidationError) as exc:
        Scoring.model_validate({"scale": scale})
    assert _errors(exc)[0][0] == ("scale",)


def test_scale_maximum() -> None:
    assert [s.maximum for s in Scale] == [10, 5, 100]


@pytest.mark.parametrize(
    ("body", "loc"),
    [
        (_profile(colour="blue"), ("colour",)),
        (_profile(behavior={"tone": "friendly", "volume": 11}), ("behavior", "volume")),
        (_profile(rubric=[{"name": "A", "weight": 100, "extra": 1}]), ("rubric", 0, "extra")),
        (_profile(scorecard={"includeEverything": True}), ("scorecard", "includeEverything")),
    ],
)
def test_unknown_fields_are_refused_where_they_appear(body: dict[str, Any], loc: tuple[Any, ...]) -> None:
    with pytest.raises(ValidationError) as exc:
        AgentProfileCreate.model_validate(body)
    assert (loc, "Extra inputs are not permitted") in _errors(exc)


@pytest.mark.parametrize("name", ["", "   ", "x" * 201])
def test_profile_name_is_required_and_bounded(name: str) -> None:
    with pytest.raises(ValidationError) as exc:
        AgentProfileCreate.model_validate(_profile(name=name))
    assert _errors(exc)[0][0] == ("name",)


def test_focus_values() -> None:
    assert {f.value for f in Focus} == {"screening", "outreach", "generic", "language_test"}
    profile = AgentProfileCreate.model_validate(_profile(focus="generic"))
    assert profile.focus is Focus.GENERIC


def test_update_model_is_partial_and_checks_a_sent_rubric() -> None:
    patch = AgentProfileUpdate.model_validate({"behavior": {"probingDepth": "high"}})
    assert patch.model_dump(exclude_unset=True, by_alias=True) == {"behavior": {"probingDepth": "high"}}
    with pytest.raises(ValidationError) as exc:
        AgentProfileUpdate.model_validate({"rubric": _rubric(60, 60)})
    assert _errors(exc)[0][0] == ("rubric",)
    with pytest.raises(ValidationError) as exc:
        AgentProfileUpdate.model_validate({"rubric": [{"name": "A", "weight": 100.001}]})
    assert _errors(exc)[0][0] == ("rubric", 0, "weight")
    assert AgentProfileUpdate.model_validate({"rubric": None}).rubric is None


def test_spec_round_trips_through_its_json_dump() -> None:
    body = _profile(
        rubric=_rubric(33.33, 33.33, 33.34),
        scoring={"scoringMethod": "rule_based", "recommendationLogic": "otherwise -> pass"},
        behavior={"probingDepth": "low"},
    )
    spec = AgentProfileSpec.model_validate(body)
    again = AgentProfileSpec.model_validate(spec.model_dump(mode="json"))
    assert again == spec
