"""EvaluationTemplate validation: presets, success_outcome derivation, custom labels, list rules."""

from __future__ import annotations

from typing import Any

import pytest
from pydantic import ValidationError

from config.enums import Depth, SessionMode, SuccessOutcome, UseCase
from config.templates import (
    PRESETS,
    EvaluationTemplateCreate,
    EvaluationTemplateSpec,
    EvaluationTemplateUpdate,
    PublicLinkUpdate,
)


def _errors(exc: pytest.ExceptionInfo[ValidationError]) -> list[tuple[tuple[int | str, ...], str]]:
    return [(tuple(e["loc"]), e["msg"]) for e in exc.value.errors()]


def _create(**body: Any) -> EvaluationTemplateCreate:
    return EvaluationTemplateCreate.model_validate({"name": "Backend Engineer", **body})


@pytest.mark.parametrize(
    ("use_case", "outcome", "labels"),
    [
        ("hiring", "hire_no_hire", ("hire", "no_hire")),
        ("training", "ready_needs_training", ("ready", "needs_training")),
        ("admissions", "admit_reject", ("admit", "reject")),
        ("assessment", "pass_fail", ("pass", "fail")),
        ("certification", "certified_not_certified", ("certified", "not_certified")),
    ],
)
def test_success_outcome_is_derived_from_each_use_case(
    use_case: str, outcome: str, labels: tuple[str, str]
) -> None:
    template = _create(use_case=use_case)
    assert template.success_outcome is SuccessOutcome(outcome)
    assert template.success_outcome.labels() == labels
    assert SuccessOutcome.for_use_case(UseCase(use_case)) is SuccessOutcome(outcome)


def test_custom_use_case_derives_custom_and_needs_labels() -> None:
    with pytest.raises(ValidationError) as exc:
        _create(use_case="custom")
    [(loc, msg)] = _errors(exc)
    assert loc == ("custom_outcome_labels",)
    assert "required when success_outcome is custom" in msg
    template = _create(
        use_case="custom", custom_outcome_labels={"positive": "shortlist", "negative": "decline"}
    )
    assert template.success_outcome is SuccessOutcome.CUSTOM
    assert template.success_outcome.labels() is None
    assert template.custom_outcome_labels is not None
    assert template.custom_outcome_labels.positive == "shortlist"


def test_every_use_case_has_an_outcome() -> None:
    assert {SuccessOutcome.for_use_case(u) for u in UseCase} == set(SuccessOutcome)


def test_explicit_success_outcome_wins_over_derivation() -> None:
    template = _create(use_case="hiring", success_outcome="pass_fail")
    assert template.success_outcome is SuccessOutcome.PASS_FAIL
    null = _create(use_case="admissions", success_outcome=None)
    assert null.success_outcome is SuccessOutcome.ADMIT_REJECT


def test_explicit_custom_outcome_on_another_use_case_needs_labels() -> None:
    with pytest.raises(ValidationError) as exc:
        _create(use_case="hiring", success_outcome="custom")
    assert _errors(exc)[0][0] == ("custom_outcome_labels",)
    ok = _create(
        use_case="hiring", success_outcome="custom", custom_outcome_labels={"positive": "a", "negative": "b"}
    )
    assert ok.success_outcome is SuccessOutcome.CUSTOM


@pytest.mark.parametrize("body", [{"use_case": "hiring"}, {"success_outcome": "pass_fail"}])
def test_custom_labels_are_refused_unless_the_outcome_is_custom(body: dict[str, Any]) -> None:
    with pytest.raises(ValidationError) as exc:
        _create(**body, custom_outcome_labels={"positive": "a", "negative": "b"})
    [(loc, msg)] = _errors(exc)
    assert loc == ("custom_outcome_labels",)
    assert "only allowed when success_outcome is custom" in msg


@pytest.mark.parametrize(
    "labels",
    [
        {"positive": "a"},
        {"negative": "b"},
        {"positive": " ", "negative": "b"},
        {"positive": "a", "negative": "b", "x": 1},
    ],
)
def test_custom_labels_need_both_non_blank_and_nothing_else(labels: dict[str, Any]) -> None:
    with pytest.raises(ValidationError) as exc:
        _create(use_case="custom", custom_outcome_labels=labels)
    assert _errors(exc)[0][0][0] == "custom_outcome_labels"


def test_defaults() -> None:
    template = _create()
    assert template.use_case is UseCase.HIRING
    assert template.success_outcome is SuccessOutcome.HIRE_NO_HIRE
    assert template.duration_minutes == 30
    assert template.depth is Depth.INTERMEDIATE
    assert template.default_session_mode is SessionMode.LIVE_AI_INTERVIEW
    assert template.skills == []
    assert template.traits == []
    assert template.objective == ""
    assert template.pass_criteria == ""
    assert template.preset is None


@pytest.mark.parametrize(
    ("preset", "use_case", "objective", "outcome", "mode"),
    [
        ("hiring", "hiring", "Can they do the job?", "hire_no_hire", "live_ai_interview"),
        ("training", "training", "Are they ready to perform?", "ready_needs_training", "roleplay_simulation"),
        ("mock", "training", "Are they ready for the real thing?", "pass_fail", "practice_session"),
    ],
)
def test_presets_follow_the_seed_table(
    preset: str, use_case: str, objective: str, outcome: str, mode: str
) -> None:
    template = _create(preset=preset)
    assert (template.use_case, template.objective) == (UseCase(use_case), objective)
    assert template.success_outcome is SuccessOutcome(outcome)
    assert template.default_session_mode is SessionMode(mode)
    assert PRESETS[preset].success_outcome is SuccessOutcome(outcome)


def test_a_preset_fills_only_fields_not_sent() -> None:
    template = _create(
        preset="training",
        objective="Can they de-escalate an angry customer?",
        default_session_mode="live_ai_interview",
        duration_minutes=45,
    )
    assert template.objective == "Can they de-escalate an angry customer?"
    assert template.default_session_mode is SessionMode.LIVE_AI_INTERVIEW
    assert template.duration_minutes == 45
    assert template.use_case is UseCase.TRAINING  # from the preset
    assert template.success_outcome is SuccessOutcome.READY_NEEDS_TRAINING  # from the preset


def test_a_preset_keeps_sent_falsy_values() -> None:
    template = _create(preset="hiring", objective="")
    assert template.objective == ""


def test_a_sent_use_case_derives_its_own_outcome_instead_of_the_presets() -> None:
    template = _create(preset="hiring", use_case="admissions")
    assert template.use_case is UseCase.ADMISSIONS
    assert template.success_outcome is SuccessOutcome.ADMIT_REJECT
    assert template.objective == "Can they do the job?"
    custom = _create(
        preset="mock", use_case="custom", custom_outcome_labels={"positive": "go", "negative": "stop"}
    )
    assert custom.success_outcome is SuccessOutcome.CUSTOM
    explicit = _create(preset="hiring", use_case="training", success_outcome="pass_fail")
    assert explicit.success_outcome is SuccessOutcome.PASS_FAIL


def test_a_sent_outcome_overrides_the_presets() -> None:
    template = _create(preset="mock", success_outcome="certified_not_certified")
    assert template.success_outcome is SuccessOutcome.CERTIFIED_NOT_CERTIFIED
    assert template.use_case is UseCase.TRAINING


@pytest.mark.parametrize("preset", ["interview", "Hiring", "", 3])
def test_unknown_preset_is_refused_at_the_preset_field(preset: Any) -> None:
    with pytest.raises(ValidationError) as exc:
        _create(preset=preset)
    assert _errors(exc)[0][0] == ("preset",)


def test_spec_drops_the_preset_and_keeps_the_applied_values() -> None:
    spec = _create(preset="mock").spec()
    assert type(spec) is EvaluationTemplateSpec
    assert "preset" not in spec.model_dump()
    assert spec.success_outcome is SuccessOutcome.PASS_FAIL
    assert spec.default_session_mode is SessionMode.PRACTICE_SESSION


def test_a_spec_refuses_the_preset_field() -> None:
    with pytest.raises(ValidationError) as exc:
        EvaluationTemplateSpec.model_validate({"name": "x", "preset": "hiring"})
    assert _errors(exc) == [(("preset",), "Extra inputs are not permitted")]


@pytest.mark.parametrize("field", ["skills", "traits"])
def test_skills_and_traits_must_not_repeat(field: str) -> None:
    with pytest.raises(ValidationError) as exc:
        _create(**{field: ["Go", "SQL", "go"]})
    [(loc, msg)] = _errors(exc)
    assert loc == (field,)
    assert "must not repeat" in msg
    assert getattr(_create(**{field: [" Go ", "SQL"]}), field) == ["Go", "SQL"]


@pytest.mark.parametrize("field", ["skills", "traits"])
def test_skills_and_traits_are_bounded(field: str) -> None:
    with pytest.raises(ValidationError) as exc:
        _create(**{field: [f"s{i}" for i in range(51)]})
    assert _errors(exc)[0][0] == (field,)
    with pytest.raises(ValidationError) as exc:
        _create(**{field: ["ok", ""]})
    assert _errors(exc)[0][0] == (field, 1)


@pytest.mark.parametrize("minutes", [4, 241, 0, -30])
def test_duration_is_bounded(minutes: int) -> None:
    with pytest.raises(ValidationError) as exc:
        _create(duration_minutes=minutes)
    assert _errors(exc)[0][0] == ("duration_minutes",)


@pytest.mark.parametrize(
    ("field", "value"), [("depth", "shallow"), ("default_session_mode", "phone"), ("use_case", "fun")]
)
def test_closed_vocabularies(field: str, value: str) -> None:
    with pytest.raises(ValidationError) as exc:
        _create(**{field: value})
    assert _errors(exc)[0][0] == (field,)


def test_unknown_field_is_refused() -> None:
    with pytest.raises(ValidationError) as exc:
        _create(objectiv="typo")
    assert _errors(exc) == [(("objectiv",), "Extra inputs are not permitted")]


def test_update_model_is_partial() -> None:
    patch = EvaluationTemplateUpdate.model_validate({"use_case": "training"})
    assert patch.model_dump(exclude_unset=True) == {"use_case": UseCase.TRAINING}
    with pytest.raises(ValidationError) as exc:
        EvaluationTemplateUpdate.model_validate({"duration_minutes": 1})
    assert _errors(exc)[0][0] == ("duration_minutes",)


def test_public_link_update_needs_a_boolean() -> None:
    assert PublicLinkUpdate.model_validate({"enabled": True}).enabled is True
    with pytest.raises(ValidationError) as exc:
        PublicLinkUpdate.model_validate({})
    assert _errors(exc)[0][0] == ("enabled",)
