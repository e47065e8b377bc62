"""The immutable tree a program is parsed into: operands, conditions, rules, and the program itself."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Literal

# Positions are kept for error messages but left out of equality, so trees compare by meaning.


@dataclass(frozen=True, slots=True)
class Number:
    value: float
    line: int = field(default=1, compare=False)
    column: int = field(default=1, compare=False)


@dataclass(frozen=True, slots=True)
class Dimension:
    name: str  # as written, without the quotes
    line: int = field(default=1, compare=False)
    column: int = field(default=1, compare=False)


@dataclass(frozen=True, slots=True)
class Overall:
    line: int = field(default=1, compare=False)
    column: int = field(default=1, compare=False)


@dataclass(frozen=True, slots=True)
class Aggregate:
    kind: Literal["min", "max", "avg"]
    line: int = field(default=1, compare=False)
    column: int = field(default=1, compare=False)


@dataclass(frozen=True, slots=True)
class Quantifier:
    kind: Literal["all", "any"]
    line: int = field(default=1, compare=False)
    column: int = field(default=1, compare=False)


Operand = Number | Dimension | Overall | Aggregate | Quantifier


@dataclass(frozen=True, slots=True)
class Comparison:
    """`operands[0] operators[0] operands[1] [operators[1] operands[2]]`."""

    operands: tuple[Operand, ...]
    operators: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Not:
    condition: Condition


@dataclass(frozen=True, slots=True)
class And:
    conditions: tuple[Condition, ...]


@dataclass(frozen=True, slots=True)
class Or:
    conditions: tuple[Condition, ...]


Condition = Comparison | Not | And | Or


@dataclass(frozen=True, slots=True)
class Rule:
    condition: Condition | None  # None: `otherwise`
    label: str
    line: int = field(default=1, compare=False)  # where the rule starts
    column: int = field(default=1, compare=False)
    label_line: int = field(default=1, compare=False)
    label_column: int = field(default=1, compare=False)


@dataclass(frozen=True, slots=True)
class RuleProgram:
    rules: tuple[Rule, ...]

    def dimensions_used(self) -> tuple[str, ...]:
        """The quoted dimension names, as first written, each once (ignoring case)."""
        return tuple(_unique(d.name for d in self._dimension_nodes()))

    def labels(self) -> tuple[str, ...]:
        """The labels the rules can give, in rule order, each once (ignoring case)."""
        return tuple(_unique(rule.label for rule in self.rules))

    def _operands(self) -> Iterator[Operand]:
        for rule in self.rules:
            if rule.condition is not None:
                yield from _operands_of(rule.condition)

    def _dimension_nodes(self) -> Iterator[Dimension]:
        return (op for op in self._operands() if isinstance(op, Dimension))


def _operands_of(condition: Condition) -> Iterator[Operand]:
    if isinstance(condition, Comparison):
        yield from condition.operands
    elif isinstance(condition, Not):
        yield from _operands_of(condition.condition)
    else:
        for part in condition.conditions:
            yield from _operands_of(part)


def _unique(names: Iterator[str]) -> Iterator[str]:
    seen: set[str] = set()
    for name in names:
        key = _key(name)
        if key not in seen:
            seen.add(key)
            yield name


def _key(name: str) -> str:
    return name.strip().casefold()
