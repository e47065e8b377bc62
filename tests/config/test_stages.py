"""EvaluationStage validation: AI stage types need an agent profile; bounds and defaults."""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from pydantic import ValidationError

from config.enums import OnComplete, StageType
from config.stages import EvaluationStageCreate, EvaluationStageUpdate, StageOrder

PROFILE_ID = str(uuid.uuid4())
AI_TYPES = ["ai_interview", "roleplay_simulation", "practice_session", "async_assessment"]
HUMAN_TYPES = ["manual_review", "final_review"]


def _errors(exc: pytest.ExceptionInfo[ValidationError]) -> list[tuple[tuple[int | str, ...], str]]:
    return [(tuple(e["loc"]), e["msg"]) for e in exc.value.errors()]


def _stage(**body: Any) -> EvaluationStageCreate:
    return EvaluationStageCreate.model_validate({"name": "Technical Screen", **body})


def test_stage_type_vocabulary_is_split_into_ai_and_human() -> None:
    assert {t.value for t in StageType} == set(AI_TYPES) | set(HUMAN_TYPES)
    assert {t.value for t in StageType if t.needs_interviewer} == set(AI_TYPES)


@pytest.mark.parametrize("stage_type", AI_TYPES)
def test_ai_stage_types_need_a_profile(stage_type: str) -> None:
    with pytest.raises(ValidationError) as exc:
        _stage(type=stage_type)
    [(loc, msg)] = _errors(exc)
    assert loc == ("agent_profile_id",)
    assert f"required for a {stage_type} stage" in msg
    with pytest.raises(ValidationError):
        _stage(type=stage_type, agent_profile_id=None)
    assert _stage(type=stage_type, agent_profile_id=PROFILE_ID).agent_profile_id == PROFILE_ID


def test_default_type_is_ai_interview_and_so_needs_a_profile() -> None:
    with pytest.raises(ValidationError) as exc:
        _stage()
    assert _errors(exc)[0][0] == ("agent_profile_id",)


@pytest.mark.parametrize("stage_type", HUMAN_TYPES)
def test_human_stage_types_need_no_profile_but_may_name_one(stage_type: str) -> None:
    assert _stage(type=stage_type).agent_profile_id is None
    assert _stage(type=stage_type, agent_profile_id=PROFILE_ID).agent_profile_id == PROFILE_ID


def test_an_invalid_type_is_reported_once_at_type() -> None:
    with pytest.raises(ValidationError) as exc:
        _stage(type="coffee_chat")
    assert [loc for loc, _ in _errors(exc)] == [("type",)]


def test_defaults() -> None:
    stage = _stage(agent_profile_id=PROFILE_ID)
    assert stage.type is StageType.AI_INTERVIEW
    assert stage.order is None
    assert stage.pass_threshold == 60
    assert stage.allow_retry is False
    assert stage.on_complete is OnComplete.AUTO_ADVANCE
    assert stage.duration_minutes is None


def test_profile_id_is_lower_cased_and_must_be_a_uuid() -> None:
    assert _stage(agent_profile_id=PROFILE_ID.upper()).agent_profile_id == PROFILE_ID
    with pytest.raises(ValidationError) as exc:
        _stage(agent_profile_id="not-a-uuid")
    assert _errors(exc)[0][0] == ("agent_profile_id",)


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("order", -1),
        ("order", 100),
        ("pass_threshold", -0.5),
        ("pass_threshold", 100.5),
        ("duration_minutes", 4),
        ("duration_minutes", 241),
        ("on_complete", "whenever"),
        ("name", ""),
    ],
)
def test_bounds(field: str, value: Any) -> None:
    with pytest.raises(ValidationError) as exc:
        _stage(agent_profile_id=PROFILE_ID, **{field: value})
    assert _errors(exc)[0][0] == (field,)


def test_edge_values_are_accepted() -> None:
    stage = _stage(agent_profile_id=PROFILE_ID, order=99, pass_threshold=100, duration_minutes=240)
    assert (stage.order, stage.pass_threshold, stage.duration_minutes) == (99, 100, 240)
    zero = _stage(agent_profile_id=PROFILE_ID, order=0, pass_threshold=0, duration_minutes=5)
    assert (zero.order, zero.pass_threshold, zero.duration_minutes) == (0, 0, 5)


def test_update_is_partial_without_the_profile_rule() -> None:
    patch = EvaluationStageUpdate.model_validate({"type": "ai_interview"})
    assert patch.model_dump(exclude_unset=True) == {"type": StageType.AI_INTERVIEW}
    with pytest.raises(ValidationError) as exc:
        EvaluationStageUpdate.model_validate({"template_id": PROFILE_ID})
    assert _errors(exc) == [(("template_id",), "Extra inputs are not permitted")]


def test_stage_order_body() -> None:
    ids = [str(uuid.uuid4()) for _ in range(3)]
    assert StageOrder.model_validate({"stage_ids": [i.upper() for i in ids]}).stage_ids == ids
    with pytest.raises(ValidationError) as exc:
        StageOrder.model_validate({"stage_ids": []})
    assert _errors(exc)[0][0] == ("stage_ids",)
    with pytest.raises(ValidationError) as exc:
        StageOrder.model_validate({"stage_ids": [ids[0], "nope"]})
    assert _errors(exc)[0][0] == ("stage_ids", 1)
