"""The recursive-descent parser: tokens to a `RuleProgram`, within the length, rule and nesting limits."""

from __future__ import annotations

from typing import Literal

from scoring.rules.errors import RuleError
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
    Rule,
    RuleProgram,
)
from scoring.rules.tokens import KEYWORDS, _clip, _Token, _tokenize

MAX_LENGTH = 4000
MAX_RULES = 50
MAX_DEPTH = 20

_QUANTIFIERS: dict[str, Literal["all", "any"]] = {"all": "all", "any": "any"}
_AGGREGATES: dict[str, Literal["min", "max", "avg"]] = {"min": "min", "max": "max", "avg": "avg"}
_UP = frozenset({"<", "<="})
_DOWN = frozenset({">", ">="})


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
