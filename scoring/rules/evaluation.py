"""A parsed program in use: checked against a profile's rubric and label vocabulary (`validate`), and
run on a session's scores (`evaluate`)."""

from __future__ import annotations

import math
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass, replace

from scoring.rules.errors import RuleError
from scoring.rules.parser import parse
from scoring.rules.syntax import (
    Aggregate,
    And,
    Comparison,
    Condition,
    Dimension,
    Not,
    Number,
    Operand,
    Or,
    Overall,
    Quantifier,
    RuleProgram,
    _key,
)
from scoring.rules.tokens import _clip

# One part in a billion: far below any score's meaningful precision, far above float rounding.
_REL_TOL = 1e-9


def validate(text: str, dimensions: Sequence[str], labels: Collection[str] | None = None) -> RuleProgram:
    """Parse, then check the quoted dimensions against the rubric and, when given, the labels against
    the vocabulary (both ignoring case). The program returned spells its labels as `labels` does."""
    program = parse(text)
    known = {_key(d) for d in dimensions}
    for dim in program._dimension_nodes():
        if _key(dim.name) not in known:
            listed = ", ".join(f'"{d}"' for d in dimensions) or "none"
            raise RuleError(
                f'unknown dimension "{_clip(dim.name)}"; the rubric has {listed}', dim.line, dim.column
            )
    if labels is None:
        return program
    spelled: dict[str, str] = {}
    for allowed in labels:
        spelled.setdefault(_key(allowed), allowed)
    rules = []
    for rule in program.rules:
        canonical = spelled.get(_key(rule.label))
        if canonical is None:
            listed = ", ".join(spelled.values()) or "none"
            raise RuleError(
                f"unknown label '{_clip(rule.label)}'; use one of {listed}",
                rule.label_line,
                rule.label_column,
            )
        rules.append(replace(rule, label=canonical))
    return RuleProgram(tuple(rules))


def evaluate(program: RuleProgram, scores: Mapping[str, float], overall: float) -> str | None:
    """The label of the first rule whose condition holds, or None when none does.

    `scores` maps each rubric dimension's name (any case) to its score, `overall` is the weighted
    average. A dimension the program names but `scores` lacks is a `RuleError`, as is `min`, `max`,
    `avg`, `all` or `any` with no scores at all; a score that is not a finite number is a ValueError.
    """
    by_key: dict[str, float] = {}
    for name, score in scores.items():
        if not math.isfinite(score):
            raise ValueError(f"the score of {name!r} is not a finite number: {score!r}")
        if _key(name) in by_key:
            raise ValueError(f"two scores for dimension {name!r} (names are compared ignoring case)")
        by_key[_key(name)] = float(score)
    if not math.isfinite(overall):
        raise ValueError(f"overall is not a finite number: {overall!r}")
    # Checked up front so a missing score fails every time, not only when its rule is reached.
    for op in program._operands():
        if isinstance(op, Dimension) and _key(op.name) not in by_key:
            raise RuleError(f'no score for dimension "{_clip(op.name)}"', op.line, op.column)
        if isinstance(op, Aggregate | Quantifier) and not by_key:
            raise RuleError(f"'{op.kind}' needs at least one dimension score", op.line, op.column)
    context = _Scores(by_key, float(overall))
    for rule in program.rules:
        if rule.condition is None or context.holds(rule.condition):
            return rule.label
    return None


@dataclass(frozen=True, slots=True)
class _Scores:
    by_key: dict[str, float]
    overall: float

    def holds(self, condition: Condition) -> bool:
        if isinstance(condition, Or):
            return any(self.holds(part) for part in condition.conditions)
        if isinstance(condition, And):
            return all(self.holds(part) for part in condition.conditions)
        if isinstance(condition, Not):
            return not self.holds(condition.condition)
        return self.compare(condition)

    def compare(self, comparison: Comparison) -> bool:
        ops, operands = comparison.operators, comparison.operands
        left, right = operands[0], operands[1]
        if isinstance(left, Quantifier) or isinstance(right, Quantifier):
            # The parser allows a quantifier only in a two-operand comparison against a plain value.
            quantifier = left if isinstance(left, Quantifier) else right
            assert isinstance(quantifier, Quantifier)
            if isinstance(left, Quantifier):
                other = self.value(right)
                outcomes = (_compare(score, ops[0], other) for score in self.by_key.values())
            else:
                other = self.value(left)
                outcomes = (_compare(other, ops[0], score) for score in self.by_key.values())
            return all(outcomes) if quantifier.kind == "all" else any(outcomes)
        values = [self.value(op) for op in operands]
        return all(_compare(values[i], op, values[i + 1]) for i, op in enumerate(ops))

    def value(self, operand: Operand) -> float:
        if isinstance(operand, Number):
            return operand.value
        if isinstance(operand, Dimension):
            return self.by_key[_key(operand.name)]
        if isinstance(operand, Overall):
            return self.overall
        if isinstance(operand, Aggregate):
            values = self.by_key.values()
            if operand.kind == "min":
                return min(values)
            if operand.kind == "max":
                return max(values)
            return math.fsum(values) / len(values)
        raise AssertionError(f"{operand.kind} is not a single value")  # the parser never allows this


def _compare(a: float, op: str, b: float) -> bool:
    equal = math.isclose(a, b, rel_tol=_REL_TOL, abs_tol=_REL_TOL)
    if op == "==":
        return equal
    if op == "!=":
        return not equal
    if op == ">=":
        return a > b or equal
    if op == ">":
        return a > b and not equal
    if op == "<=":
        return a < b or equal
    return a < b and not equal
