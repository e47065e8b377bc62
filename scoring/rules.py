"""The rule language of an agent profile's `recommendationLogic`: dimension scores in, a label out.

A program is a list of rules. Each rule is a condition on the scores, an arrow, and the label to give
when the condition holds. Rules are tried from the top; the first one whose condition holds decides::

    # Strong everywhere, and a real systems thinker: hire.
    all >= 6 and "System Design" >= 7 -> hire
    "Communication" < 4 -> no_hire
    otherwise -> no_hire

Rules
-----
One rule per line; `;` also ends a rule, so `overall >= 7 -> pass; otherwise -> fail` is two rules.
Blank lines are ignored, and `#` starts a comment that runs to the end of the line. A rule is::

    condition -> label

The last rule may be `otherwise -> label`, which always matches; nothing may follow it. Without it, a
program where no rule matches gives no label (`evaluate` returns None).

Conditions
----------
A condition is one or more comparisons joined by `and`, `or` and `not`, with parentheses to group.
`not` binds tightest, then `and`, then `or`, so::

    "A" >= 8 or "B" >= 6 and not "C" < 3     means     "A" >= 8 or ("B" >= 6 and (not "C" < 3))

A comparison is two operands and one of `>=`, `>`, `<=`, `<`, `==`, `!=`, or three operands and two
operators pointing the same way (`<`/`<=` or `>`/`>=`), which means both comparisons hold::

    4 <= "Ownership" < 7         # "Ownership" is at least 4 and below 7
    max > 9 > min                # some score above 9, some below 9

At least one side of a comparison must be a score: `3 > 2` is refused.

Operands
--------
- a number: `6`, `7.5`. Numbers are written in plain decimal, finite and never negative.
- a dimension, its name in double quotes: `"System Design"`. Matched against the rubric's dimension
  names ignoring case and surrounding spaces. Names cannot contain `"`, backslashes have no special meaning,
  and a string may not span lines.
- `overall`: the weighted average of the dimension scores, on the same scale as they are.
- `min`, `max`, `avg`: the lowest, highest and plain (unweighted) mean of all dimension scores.
- `all`, `any`: every dimension / at least one dimension. `all >= 6` holds when each dimension scores
  at least 6; `any < 3` when one or more scores below 3; `5 > any` when one or more scores below 5.
  `all` and `any` stand alone on one side of a two-operand comparison whose other side is a number, a
  dimension or `overall`.

Scores and numbers that differ by less than one part in a billion count as equal, so the rounding of a
weighted average (6.9999999999 for 7) does not flip `overall >= 7`.

Labels
------
A label is a word of lower-case letters, digits and underscores starting with a letter (`hire`,
`no_hire`, `needs_training`), or any text in double quotes (`"strong hire"`). The words of the language
(`and or not otherwise overall all any min max avg`) cannot be bare labels; quote them.

Keywords are case-insensitive (`ALL >= 6 AND Overall > 5 -> Hire`); bare labels are read in lower case.

In an agent profile
-------------------
`scoring.recommendationLogic` is checked when the profile is saved: every quoted dimension must be in
the profile's rubric, and every label one of a recommendation vocabulary (hire/no_hire, admit/reject,
pass/fail, ready/needs_training, certified/not_certified) or `positive`/`negative`, which stand for the
positive and negative label of whatever vocabulary the template uses. With `rule_based` scoring the text
must be a program; with `weighted_average`, text without any `->` is free-form guidance, stored unchecked.

Limits and errors
-----------------
At most 4000 characters, 50 rules, and 20 levels of nesting (each `(` and each `not` is a level).
Text that breaks a limit or the grammar is refused with a `RuleError` naming the line and column (both
counted from 1), e.g. `line 2, column 14: expected '->' after the condition, found 'hire'`.

Grammar
-------
::

    program     := rule ((newline | ";") rule)*          blank lines and # comments anywhere
    rule        := condition "->" label | "otherwise" "->" label        (otherwise: last rule only)
    condition   := and_expr ("or" and_expr)*
    and_expr    := not_expr ("and" not_expr)*
    not_expr    := "not" not_expr | "(" condition ")" | comparison
    comparison  := operand op operand [op operand]
    op          := ">=" | ">" | "<=" | "<" | "==" | "!="
    operand     := number | string | "overall" | "min" | "max" | "avg" | "all" | "any"
    label       := [a-z][a-z0-9_]* | string
    number      := [0-9]+ ["." [0-9]+]
    string      := '"' (any character but '"' and newline)+ '"'

Nothing in a program is ever executed as Python: the text is read by a hand-written tokenizer and a
recursive-descent parser into the immutable tree below, which `evaluate` walks.

API
---
- `parse(text)` -> `RuleProgram` (syntax only), raising `RuleError`.
- `validate(text, dimensions, labels=None)` -> `RuleProgram`: also checks every quoted dimension is in
  `dimensions` and, when given, every label is in `labels` (both ignoring case); the returned program
  spells each label as `labels` does.
- `evaluate(program, scores, overall)` -> the first matching rule's label, or None.
"""

from __future__ import annotations

import math
from collections.abc import Collection, Iterator, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Literal

__all__ = [
    "MAX_DEPTH",
    "MAX_LENGTH",
    "MAX_RULES",
    "Aggregate",
    "And",
    "Comparison",
    "Condition",
    "Dimension",
    "Not",
    "Number",
    "Operand",
    "Or",
    "Overall",
    "Quantifier",
    "Rule",
    "RuleError",
    "RuleProgram",
    "evaluate",
    "parse",
    "validate",
]

MAX_LENGTH = 4000
MAX_RULES = 50
MAX_DEPTH = 20

KEYWORDS = frozenset({"and", "or", "not", "otherwise", "overall", "all", "any", "min", "max", "avg"})
OPERATORS = (">=", "<=", "==", "!=", ">", "<")  # two-character ones first: the tokenizer tries in order
_QUANTIFIERS: dict[str, Literal["all", "any"]] = {"all": "all", "any": "any"}
_AGGREGATES: dict[str, Literal["min", "max", "avg"]] = {"min": "min", "max": "max", "avg": "avg"}
_UP = frozenset({"<", "<="})
_DOWN = frozenset({">", ">="})
# One part in a billion: far below any score's meaningful precision, far above float rounding.
_REL_TOL = 1e-9


class RuleError(ValueError):
    """A program that cannot be read or used, with the 1-based line and column of the offending text."""

    def __init__(self, message: str, line: int, column: int) -> None:
        super().__init__(f"line {line}, column {column}: {message}")
        self.message = message
        self.line = line
        self.column = column


# --- the tree -------------------------------------------------------------------------------------
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


# --- tokenizer ------------------------------------------------------------------------------------

TokenKind = Literal["number", "string", "word", "op", "arrow", "lparen", "rparen", "sep", "end"]


@dataclass(frozen=True, slots=True)
class _Token:
    kind: TokenKind
    text: str  # words lower-cased, strings without their quotes
    line: int
    column: int

    def describe(self) -> str:
        if self.kind == "end":
            return "the end of the rules"
        if self.kind == "sep":
            return "the end of the line" if self.text == "\n" else "';'"
        if self.kind == "string":
            return f'"{_clip(self.text)}"'
        return f"'{_clip(self.text)}'"


def _clip(text: str) -> str:
    return text if len(text) <= 30 else text[:27] + "..."


def _is_letter(ch: str) -> bool:
    return "a" <= ch <= "z" or "A" <= ch <= "Z"


def _is_digit(ch: str) -> bool:
    # str.isdigit() also accepts '²' and other digits float() refuses.
    return "0" <= ch <= "9"


def _tokenize(text: str) -> list[_Token]:
    tokens: list[_Token] = []
    i, line, line_start, n = 0, 1, 0, len(text)

    def fail(message: str, at: int) -> RuleError:
        return RuleError(message, line, at - line_start + 1)

    while i < n:
        ch = text[i]
        column = i - line_start + 1
        if ch == "\n":
            tokens.append(_Token("sep", "\n", line, column))
            i += 1
            line, line_start = line + 1, i
        elif ch == "#":
            while i < n and text[i] != "\n":
                i += 1
        elif ch.isspace():
            i += 1
        elif ch == ";":
            tokens.append(_Token("sep", ";", line, column))
            i += 1
        elif ch == "(":
            tokens.append(_Token("lparen", "(", line, column))
            i += 1
        elif ch == ")":
            tokens.append(_Token("rparen", ")", line, column))
            i += 1
        elif text.startswith("->", i):
            tokens.append(_Token("arrow", "->", line, column))
            i += 2
        elif ch == "-" and i + 1 < n and (_is_digit(text[i + 1]) or text[i + 1] == "."):
            raise fail("numbers must not be negative", i)
        elif _is_digit(ch):
            start = i
            while i < n and _is_digit(text[i]):
                i += 1
            if i < n and text[i] == ".":
                i += 1
                if i >= n or not _is_digit(text[i]):
                    raise fail("expected digits after the decimal point", i)
                while i < n and _is_digit(text[i]):
                    i += 1
            if i < n and (_is_letter(text[i]) or text[i] in "._"):
                raise fail(f"unexpected {text[i]!r} right after the number {text[start:i]}", i)
            value = float(text[start:i])
            if not math.isfinite(value):
                raise fail("number too large", start)
            tokens.append(_Token("number", text[start:i], line, column))
        elif _is_letter(ch):
            start = i
            while i < n and (_is_letter(text[i]) or _is_digit(text[i]) or text[i] == "_"):
                i += 1
            tokens.append(_Token("word", text[start:i].lower(), line, column))
        elif ch == '"':
            end = i + 1
            while end < n and text[end] not in '"\n':
                end += 1
            if end >= n or text[end] == "\n":
                raise fail("unterminated string: a closing '\"' is missing on this line", i)
            tokens.append(_Token("string", text[i + 1 : end], line, column))
            i = end + 1
        else:
            op = next((o for o in OPERATORS if text.startswith(o, i)), None)
            if op is None:
                raise fail(_unknown_character(ch), i)
            tokens.append(_Token("op", op, line, column))
            i += len(op)
    tokens.append(_Token("end", "", line, n - line_start + 1))
    return tokens


def _unknown_character(ch: str) -> str:
    hints = {
        "=": "; compare with '=='",
        "!": "; write 'not', or '!=' to compare",
        "'": "; quote names and labels with double quotes",
        "&": "; write 'and'",
        "|": "; write 'or'",
        "-": "; numbers are never negative, and rules use '->'",
    }
    return f"unexpected character {ch!r}{hints.get(ch, '')}"


# --- parser ---------------------------------------------------------------------------------------


class _Parser:
    def __init__(self, tokens: list[_Token]) -> None:
        self.tokens = tokens
        self.pos = 0
        self.depth = 0

    def peek(self) -> _Token:
        return self.tokens[self.pos]

    def advance(self) -> _Token:
        token = self.tokens[self.pos]
        if token.kind != "end":
            self.pos += 1
        return token

    def at_word(self, word: str) -> bool:
        token = self.peek()
        return token.kind == "word" and token.text == word

    def skip_separators(self) -> None:
        while self.peek().kind == "sep":
            self.advance()

    @staticmethod
    def error(message: str, token: _Token) -> RuleError:
        return RuleError(message, token.line, token.column)

    def program(self) -> RuleProgram:
        self.skip_separators()
        if self.peek().kind == "end":
            raise self.error("no rules: write at least one 'condition -> label' line", self.peek())
        rules: list[Rule] = []
        while True:
            if len(rules) == MAX_RULES:
                raise self.error(f"too many rules: at most {MAX_RULES}", self.peek())
            rule = self.rule()
            rules.append(rule)
            after = self.peek()
            if after.kind not in ("sep", "end"):
                raise self.error(f"unexpected {after.describe()} after the label; one rule per line", after)
            self.skip_separators()
            following = self.peek()
            if following.kind == "end":
                return RuleProgram(tuple(rules))
            if rule.condition is None:
                raise self.error("'otherwise' must be the last rule", following)

    def rule(self) -> Rule:
        start = self.peek()
        condition: Condition | None
        if self.at_word("otherwise"):
            self.advance()
            condition, what = None, "'otherwise'"
        else:
            condition, what = self.or_expr(), "the condition"
        arrow = self.peek()
        if arrow.kind != "arrow":
            raise self.error(f"expected '->' after {what}, found {arrow.describe()}", arrow)
        self.advance()
        at = self.peek()
        return Rule(condition, self.label(), start.line, start.column, at.line, at.column)

    def label(self) -> str:
        token = self.peek()
        if token.kind == "string":
            label = token.text.strip()
            if not label:
                raise self.error("empty label", token)
        elif token.kind == "word":
            if token.text in KEYWORDS:
                raise self.error(f"'{token.text}' is a keyword; quote it to use it as a label", token)
            label = token.text
        else:
            raise self.error(f"expected a label after '->', found {token.describe()}", token)
        self.advance()
        return label

    def or_expr(self) -> Condition:
        parts = [self.and_expr()]
        while self.at_word("or"):
            self.advance()
            parts.append(self.and_expr())
        return parts[0] if len(parts) == 1 else Or(tuple(parts))

    def and_expr(self) -> Condition:
        parts = [self.not_expr()]
        while self.at_word("and"):
            self.advance()
            parts.append(self.not_expr())
        return parts[0] if len(parts) == 1 else And(tuple(parts))

    def not_expr(self) -> Condition:
        token = self.peek()
        if self.at_word("not"):
            self.enter(token)
            self.advance()
            inner = self.not_expr()
            self.depth -= 1
            return Not(inner)
        if token.kind == "lparen":
            self.enter(token)
            self.advance()
            grouped = self.or_expr()
            close = self.peek()
            if close.kind != "rparen":
                raise self.error(
                    f"expected ')' to close the '(' of line {token.line}, column {token.column}, "
                    f"found {close.describe()}",
                    close,
                )
            self.advance()
            self.depth -= 1
            return grouped
        return self.comparison()

    def enter(self, token: _Token) -> None:
        # Bounds the recursion too: the parser and evaluate() recurse once per level.
        self.depth += 1
        if self.depth > MAX_DEPTH:
            raise self.error(f"nested too deeply: at most {MAX_DEPTH} levels of '(' and 'not'", token)

    def comparison(self) -> Comparison:
        first = self.peek()
        operands = [self.operand()]
        operators: list[_Token] = []
        while self.peek().kind == "op":
            if len(operators) == 2:
                raise self.error("at most two comparison operators in a row", self.peek())
            operators.append(self.advance())
            operands.append(self.operand())
        if not operators:
            found = self.peek()
            raise self.error(
                f"expected a comparison operator (>=, >, <=, <, ==, !=), found {found.describe()}", found
            )
        if len(operators) == 2 and not (
            {operators[0].text, operators[1].text} <= _UP or {operators[0].text, operators[1].text} <= _DOWN
        ):
            raise self.error(
                'a chained comparison must point one way, like 4 <= "Ownership" < 7 or 9 > max >= 7',
                operators[1],
            )
        if all(isinstance(op, Number) for op in operands):
            raise self.error("this compares only numbers; compare a score with something", first)
        for index, op in enumerate(operands):
            if isinstance(op, Quantifier):
                others = [o for j, o in enumerate(operands) if j != index]
                if len(operands) != 2 or not isinstance(others[0], Number | Dimension | Overall):
                    raise RuleError(
                        f"'{op.kind}' must be one side of a comparison with a number, a dimension or "
                        f"overall, like {op.kind} >= 6",
                        op.line,
                        op.column,
                    )
        return Comparison(tuple(operands), tuple(o.text for o in operators))

    def operand(self) -> Operand:
        token = self.peek()
        at = (token.line, token.column)
        if token.kind == "number":
            self.advance()
            return Number(float(token.text), *at)
        if token.kind == "string":
            if not token.text.strip():
                raise self.error("empty dimension name", token)
            self.advance()
            return Dimension(token.text, *at)
        if token.kind == "word":
            word = token.text
            if word == "overall":
                self.advance()
                return Overall(*at)
            if word in _QUANTIFIERS:
                self.advance()
                return Quantifier(_QUANTIFIERS[word], *at)
            if word in _AGGREGATES:
                self.advance()
                return Aggregate(_AGGREGATES[word], *at)
            if word not in KEYWORDS:
                raise self.error(
                    f"unknown word '{_clip(word)}'; put dimension names in double quotes, "
                    f'like "{_clip(word)}"',
                    token,
                )
        raise self.error(
            f'expected a number, a "dimension", overall, all, any, min, max or avg, found {token.describe()}',
            token,
        )


def parse(text: str) -> RuleProgram:
    """Read a program; raise `RuleError` for anything that is not one."""
    if len(text) > MAX_LENGTH:
        line = text.count("\n", 0, MAX_LENGTH) + 1
        column = MAX_LENGTH - (text.rfind("\n", 0, MAX_LENGTH) + 1) + 1
        raise RuleError(f"the rules are {len(text)} characters long; at most {MAX_LENGTH}", line, column)
    return _Parser(_tokenize(text)).program()


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


# --- evaluation -----------------------------------------------------------------------------------


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
