"""Shared input rules: unstorable text (NUL, lone surrogates) is refused where it appears; ids."""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from pydantic import TypeAdapter, ValidationError

from config.base import ResourceId
from config.participants import ParticipantCreate
from config.profiles import AgentProfileCreate
from config.sessions import SessionCreate
from config.templates import EvaluationTemplateCreate

NUL = "a\x00b"
SURROGATE = "a\ud800b"
BAD_TEXT = [NUL, SURROGATE]


def _locs(exc: pytest.ExceptionInfo[ValidationError]) -> list[tuple[int | str, ...]]:
    return [tuple(e["loc"]) for e in exc.value.errors()]


def _profile(**body: Any) -> dict[str, Any]:
    return {"name": "Interviewer", "rubric": [{"name": "A", "weight": 100}], **body}


@pytest.mark.parametrize("bad", BAD_TEXT)
@pytest.mark.parametrize(
    ("make", "loc"),
    [
        (lambda s: _profile(name=s), ("name",)),
        (lambda s: _profile(intro=s), ("intro",)),
        (
            lambda s: _profile(rubric=[{"name": "A", "weight": 100, "description": s}]),
            ("rubric", 0, "description"),
        ),
        (lambda s: _profile(grounding={"scenarioContext": s}), ("grounding", "scenarioContext")),
        (
            lambda s: _profile(scoring={"scoringMethod": "rule_based", "recommendationLogic": s}),
            ("scoring", "recommendationLogic"),
        ),
    ],
)
def test_profile_text_with_nul_or_lone_surrogate_is_refused_at_its_path(
    bad: str, make: Any, loc: tuple[Any, ...]
) -> None:
    with pytest.raises(ValidationError) as exc:
        AgentProfileCreate.model_validate(make(bad))
    assert _locs(exc) == [loc]


@pytest.mark.parametrize("bad", BAD_TEXT)
def test_template_lists_are_checked_item_by_item(bad: str) -> None:
    with pytest.raises(ValidationError) as exc:
        EvaluationTemplateCreate.model_validate({"name": "T", "skills": ["Go", bad]})
    assert _locs(exc)[0][0] == "skills"
    with pytest.raises(ValidationError) as exc:
        EvaluationTemplateCreate.model_validate({"name": "T", "objective": bad})
    assert _locs(exc) == [("objective",)]


@pytest.mark.parametrize("bad", BAD_TEXT)
def test_participant_text_is_checked(bad: str) -> None:
    base = {"name": "Jane", "email": "jane@example.com"}
    for body, loc in (
        ({**base, "name": bad}, ("name",)),
        ({**base, "external_id": bad}, ("external_id",)),
        ({**base, "profile": {"location": bad}}, ("profile", "location")),
    ):
        with pytest.raises(ValidationError) as exc:
            ParticipantCreate.model_validate(body)
        assert _locs(exc) == [loc]


@pytest.mark.parametrize("bad", BAD_TEXT)
def test_free_form_metadata_is_checked_in_values_and_keys(bad: str) -> None:
    for metadata in ({"note": bad}, {"deep": {"list": ["ok", bad]}}, {bad: 1}, {"deep": {bad: 1}}):
        with pytest.raises(ValidationError) as exc:
            SessionCreate.model_validate({"metadata": metadata})
        [error] = exc.value.errors()
        assert tuple(error["loc"]) == ("metadata",)
        assert "without NUL characters" in error["msg"]


def test_metadata_error_names_the_item() -> None:
    with pytest.raises(ValidationError) as exc:
        SessionCreate.model_validate({"metadata": {"deep": {"list": ["ok", NUL]}}})
    assert "deep.list[1]: text must be valid UTF-8" in exc.value.errors()[0]["msg"]


def test_ordinary_unicode_is_kept() -> None:
    text = "Zoë Ångström — 面试 🎤"
    profile = AgentProfileCreate.model_validate(_profile(name=text, intro=text))
    assert (profile.name, profile.intro) == (text, text)
    session = SessionCreate.model_validate({"metadata": {text: text}})
    assert session.metadata == {text: text}


def test_resource_ids_are_lower_cased_uuids() -> None:
    adapter: TypeAdapter[str] = TypeAdapter(ResourceId)
    value = str(uuid.uuid4())
    assert adapter.validate_python(f" {value.upper()} ") == value
    for bad in ("", "123", value + "0", value.replace("-", ""), "g" * 8 + value[8:]):
        with pytest.raises(ValidationError):
            adapter.validate_python(bad)
