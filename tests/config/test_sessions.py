"""Session rules: the status machine (every pair) and metadata limits (size, depth, keys, NaN)."""

from __future__ import annotations

import itertools
import json
import math
from typing import Any

import pytest
from pydantic import ValidationError

from config.enums import SessionStatus
from config.sessions import (
    ALLOWED_TRANSITIONS,
    MAX_METADATA_BYTES,
    MAX_METADATA_DEPTH,
    MAX_METADATA_KEYS,
    IllegalTransition,
    SessionCreate,
    SessionUpdate,
    check_transition,
    validate_metadata,
)

S = SessionStatus
LEGAL = {
    (S.SCHEDULED, S.IN_PROGRESS),
    (S.SCHEDULED, S.CANCELLED),
    (S.SCHEDULED, S.FAILED),
    (S.IN_PROGRESS, S.COMPLETED),
    (S.IN_PROGRESS, S.FAILED),
    (S.IN_PROGRESS, S.CANCELLED),
}
ALL_PAIRS = list(itertools.product(SessionStatus, SessionStatus))


def _errors(exc: pytest.ExceptionInfo[ValidationError]) -> list[tuple[tuple[int | str, ...], str]]:
    return [(tuple(e["loc"]), e["msg"]) for e in exc.value.errors()]


def test_the_table_matches_the_expected_machine() -> None:
    table = {(a, b) for a, targets in ALLOWED_TRANSITIONS.items() for b in targets}
    assert table == LEGAL
    assert set(ALLOWED_TRANSITIONS) == set(SessionStatus)


@pytest.mark.parametrize(("current", "target"), sorted(LEGAL))
def test_legal_transitions_pass(current: SessionStatus, target: SessionStatus) -> None:
    check_transition(current, target)


@pytest.mark.parametrize(("current", "target"), [p for p in ALL_PAIRS if p not in LEGAL])
def test_illegal_transitions_raise(current: SessionStatus, target: SessionStatus) -> None:
    with pytest.raises(IllegalTransition) as exc:
        check_transition(current, target)
    assert (exc.value.current, exc.value.target) == (current, target)
    assert f"a {current.value} session cannot become {target.value}" in str(exc.value)
    if current.is_terminal:
        assert "none: it is final" in str(exc.value)
    else:
        assert all(t.value in str(exc.value) for t in ALLOWED_TRANSITIONS[current])


def test_terminal_states_have_no_way_out_and_nothing_returns_to_scheduled() -> None:
    assert {s for s in SessionStatus if s.is_terminal} == {S.COMPLETED, S.CANCELLED, S.FAILED}
    assert all(not ALLOWED_TRANSITIONS[s] for s in SessionStatus if s.is_terminal)
    assert all(S.SCHEDULED not in targets for targets in ALLOWED_TRANSITIONS.values())
    assert all(s not in ALLOWED_TRANSITIONS[s] for s in SessionStatus)


def _nested(depth: int) -> dict[str, Any]:
    """An object `depth` levels deep: {"l1": {"l2": ... {"lN": 1}}}."""
    value: Any = 1
    for level in range(depth, 0, -1):
        value = {f"l{level}": value}
    assert isinstance(value, dict)
    return value


def _size(metadata: dict[str, Any]) -> int:
    return len(json.dumps(metadata, separators=(",", ":"), ensure_ascii=False).encode())


def test_metadata_within_every_limit_is_kept_unchanged() -> None:
    metadata = {"externalInterviewId": "INT-789", "notes": ["a", {"b": None}], "n": 1.5, "ok": True}
    assert validate_metadata(metadata) is metadata
    assert validate_metadata({}) == {}


def test_metadata_size_limit_is_10_kib_exactly() -> None:
    at_limit = {"a": "x" * (MAX_METADATA_BYTES - 8)}
    assert _size(at_limit) == MAX_METADATA_BYTES
    validate_metadata(at_limit)
    with pytest.raises(ValueError, match=f"10241 bytes serialised; the limit is {MAX_METADATA_BYTES}"):
        validate_metadata({"a": "x" * (MAX_METADATA_BYTES - 7)})


def test_metadata_size_counts_utf8_bytes_not_characters() -> None:
    text = "é" * (MAX_METADATA_BYTES // 2)  # fewer than 10240 characters, but 2 bytes each
    assert len(text) < MAX_METADATA_BYTES
    with pytest.raises(ValueError, match="bytes serialised"):
        validate_metadata({"a": text})


def test_metadata_depth_limit() -> None:
    validate_metadata(_nested(MAX_METADATA_DEPTH))
    with pytest.raises(ValueError, match="nested 6 levels deep; the limit is 5"):
        validate_metadata(_nested(MAX_METADATA_DEPTH + 1))


def test_lists_count_as_levels_too() -> None:
    validate_metadata({"a": [[[1]]]})  # object, list, list, list: 4 levels
    validate_metadata({"a": [[[[1]]]]})  # 5 levels
    with pytest.raises(ValueError, match="nested 6 levels"):
        validate_metadata({"a": [[[[[1]]]]]})
    with pytest.raises(ValueError, match="nested 6 levels"):
        validate_metadata({"a": [{"b": [{"c": {"d": 1}}]}]})


def test_an_empty_container_still_counts_as_a_level() -> None:
    with pytest.raises(ValueError, match="nested 6 levels"):
        validate_metadata({"a": {"b": {"c": {"d": {"e": {}}}}}})


def test_metadata_key_limit_counts_every_level() -> None:
    validate_metadata({f"k{i}": i for i in range(MAX_METADATA_KEYS)})
    with pytest.raises(ValueError, match="51 keys; the limit is 50"):
        validate_metadata({f"k{i}": i for i in range(MAX_METADATA_KEYS + 1)})
    validate_metadata({"outer": {f"k{i}": i for i in range(MAX_METADATA_KEYS - 1)}})
    with pytest.raises(ValueError, match="51 keys"):
        validate_metadata({"outer": {f"k{i}": i for i in range(MAX_METADATA_KEYS)}})
    with pytest.raises(ValueError, match="51 keys"):
        validate_metadata({"list": [{f"k{i}": i} for i in range(MAX_METADATA_KEYS)]})


@pytest.mark.parametrize("bad", [math.nan, math.inf, -math.inf])
def test_metadata_refuses_nan_and_infinity_anywhere(bad: float) -> None:
    for metadata in ({"a": bad}, {"a": {"b": [1, bad]}}):
        with pytest.raises(ValueError, match="NaN or Infinity"):
            validate_metadata(metadata)


def test_session_create_and_update_apply_the_limits_at_metadata() -> None:
    with pytest.raises(ValidationError) as exc:
        SessionCreate.model_validate({"metadata": _nested(6)})
    [(loc, msg)] = _errors(exc)
    assert loc == ("metadata",)
    assert "levels deep" in msg
    with pytest.raises(ValidationError) as exc:
        SessionUpdate.model_validate({"metadata": {"x": math.nan}})
    assert _errors(exc)[0][0] == ("metadata",)
    assert SessionUpdate.model_validate({"metadata": None}).metadata is None
    assert SessionCreate.model_validate({}).metadata == {}


def test_session_update_status_is_a_closed_vocabulary() -> None:
    assert SessionUpdate.model_validate({"status": "cancelled"}).status is S.CANCELLED
    with pytest.raises(ValidationError) as exc:
        SessionUpdate.model_validate({"status": "paused"})
    assert _errors(exc)[0][0] == ("status",)
