"""The recommendationLogic rule language: syntax, precedence, evaluation, errors with their positions,
hostile input, and how agent profiles check their rules against the rubric and vocabulary."""

from __future__ import annotations

import math
import operator
from collections.abc import Callable
from typing import Any

import httpx
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import ValidationError

from config.enums import SuccessOutcome, UseCase
from config.profiles import AgentProfileSpec, AgentProfileUpdate, Scoring, recommendation_labels
from engine.errors import ValidationFailed
from engine.services.common import validate_as
from scoring.rules import (
    MAX_DEPTH,
    MAX_LENGTH,
    MAX_RULES,
    And,
    Comparison,
    Dimension,
    Not,
    Number,
    Or,
    Overall,
    Quantifier,
    Rule,
    RuleError,
    RuleProgram,
    evaluate,
    parse,
    validate,
)
from tests.engine import created, field_error
from tests.helpers import profile_body

DIMS = ["System Design", "Communication", "Ownership"]


def run(text: str, overall: float = 5.0, **scores: float) -> str | None:
    """Evaluate `text` over scores given as sd=, comm=, own= (the three DIMS)."""
    names = {"sd": "System Design", "comm": "Communication", "own": "Ownership"}
    return evaluate(parse(text), {names[k]: v for k, v in scores.items()}, overall)


def error_of(text: str) -> RuleError:
    with pytest.raises(RuleError) as exc:
        parse(text)
    return exc.value


def cmp(a: str, op: str, b: str) -> Comparison:
    def operand(s: str) -> Any:
        return Number(float(s)) if s[0].isdigit() else Dimension(s)

    return Comparison((operand(a), operand(b)), (op,))


# --- parsing --------------------------------------------------------------------------------------


def test_the_documented_example_parses_into_its_tree() -> None:
    program = parse(
        '# hiring bar\nall >= 6 and "System Design" >= 7 -> hire\n\n"Communication" < 4 -> no_hire\n'
        "otherwise -> no_hire\n"
    )
    assert program == RuleProgram(
        (
            Rule(
                And((Comparison((Quantifier("all"), Number(6.0)), (">=",)), cmp("System Design", ">=", "7"))),
                "hire",
            ),
            Rule(cmp("Communication", "<", "4"), "no_hire"),
            Rule(None, "no_hire"),
        )
    )
    assert [r.line for r in program.rules] == [2, 4, 5]
    assert (program.rules[0].label_line, program.rules[0].label_column) == (2, 38)
    assert program.dimensions_used() == ("System Design", "Communication")
    assert program.labels() == ("hire", "no_hire")


def test_and_binds_tighter_than_or_and_not_tighter_than_and() -> None:
    program = parse('"A" >= 8 or "B" >= 6 and not "C" < 3 -> x')
    assert program.rules[0].condition == Or(
        (cmp("A", ">=", "8"), And((cmp("B", ">=", "6"), Not(cmp("C", "<", "3")))))
    )
    grouped = parse('("A" >= 8 or "B" >= 6) and not ("C" < 3) -> x')
    assert grouped.rules[0].condition == And(
        (Or((cmp("A", ">=", "8"), cmp("B", ">=", "6"))), Not(cmp("C", "<", "3")))
    )


@pytest.mark.parametrize(
    ("sd", "comm", "own", "expected"),
    [
        (9, 0, 0, "x"),  # the left of `or` alone
        (0, 7, 5, "x"),  # the `and` branch
        (0, 7, 2, None),  # `not` spoils the `and` branch
        (0, 5, 5, None),
    ],
)
def test_precedence_decides_the_outcome(sd: float, comm: float, own: float, expected: str | None) -> None:
    text = '"System Design" >= 8 or "Communication" >= 6 and not "Ownership" < 3 -> x'
    assert run(text, sd=sd, comm=comm, own=own) == expected


def test_parentheses_change_the_outcome() -> None:
    flat = '"System Design" >= 8 or "Communication" >= 6 and "Ownership" >= 6 -> x'
    grouped = '("System Design" >= 8 or "Communication" >= 6) and "Ownership" >= 6 -> x'
    assert run(flat, sd=9, comm=0, own=0) == "x"
    assert run(grouped, sd=9, comm=0, own=0) is None
    assert run(grouped, sd=9, comm=0, own=6) == "x"


def test_not_negates_and_double_not_cancels() -> None:
    assert run('not "Ownership" >= 5 -> x', own=4) == "x"
    assert run('not "Ownership" >= 5 -> x', own=5) is None
    assert run('not not "Ownership" >= 5 -> x', own=5) == "x"
    assert run('not ("Ownership" >= 5 and overall >= 5) -> x', overall=4, own=9) == "x"


@pytest.mark.parametrize(
    ("own", "expected"),
    [(3.99, None), (4, "mid"), (6.5, "mid"), (7, None), (7.01, None)],
)
def test_chained_comparison_is_both_comparisons(own: float, expected: str | None) -> None:
    assert run('4 <= "Ownership" < 7 -> mid', own=own) == expected


def test_downward_chains_and_chains_of_scores() -> None:
    assert run('9 >= "Ownership" > 6 -> x', own=7) == "x"
    assert run('9 >= "Ownership" > 6 -> x', own=6) is None
    assert run("max > 8 > min -> spread", sd=9, comm=2, own=5) == "spread"
    assert run("max > 8 > min -> spread", sd=8, comm=2, own=5) is None
    assert run('overall <= "System Design" <= max -> x', overall=5, sd=6, comm=7, own=1) == "x"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("all >= 6 -> x", False),  # Ownership is 5
        ("all >= 5 -> x", True),
        ("any > 8 -> x", True),
        ("any > 9 -> x", False),
        ("10 > all -> x", True),  # a quantifier on the right: 10 > every score
        ("9 > all -> x", False),
        ("6 > any -> x", True),
        ("all < overall -> x", False),
        ('all <= "System Design" -> x', True),  # System Design is the highest score
        ("min == 5 -> x", True),
        ("max == 9 -> x", True),
        ("avg == 7 -> x", True),  # (9 + 7 + 5) / 3, unweighted
        ("overall == 8 -> x", True),
        ("overall != 8 -> x", False),
        ("min > 5 -> x", False),
    ],
)
def test_aggregates_and_quantifiers(text: str, expected: bool) -> None:
    assert (run(text, overall=8, sd=9, comm=7, own=5) == "x") is expected


def test_overall_is_the_value_passed_not_the_plain_mean() -> None:
    assert run("overall >= 7 -> x", overall=7.0, sd=1, comm=1, own=1) == "x"
    assert run("avg >= 7 -> x", overall=7.0, sd=1, comm=1, own=1) is None


def test_rounding_of_a_weighted_average_does_not_flip_a_boundary() -> None:
    overall = sum(7.3 * weight / 100 for weight in (33.33, 33.33, 33.34))
    assert overall < 7.3  # the premise: binary floats miss 7.3
    assert run("overall >= 7.3 -> x", overall=overall) == "x"
    assert run("overall == 7.3 -> x", overall=overall) == "x"
    assert run("overall < 7.3 -> x", overall=overall) is None
    assert run("overall > 7 -> x", overall=7 + 1e-12) is None
    assert run("overall > 7 -> x", overall=7.001) == "x"
    assert run("overall < 7 -> x", overall=6.999) == "x"


def test_names_and_keywords_ignore_case() -> None:
    text = 'ALL >= 1 AnD "system DESIGN" > 5 Or NOT Overall < 3 -> HIRE\nOTHERWISE -> No_Hire'
    program = parse(text)
    assert program.labels() == ("hire", "no_hire")
    assert evaluate(program, {"SYSTEM design": 6, "communication": 2}, 4) == "hire"
    assert evaluate(program, {"System Design": 0, "Communication": 0}, 2) == "no_hire"
    assert evaluate(parse('" System Design " > 5 -> x'), {"system design": 6}, 0) == "x"


def test_the_first_matching_rule_wins() -> None:
    text = "overall >= 9 -> strong\noverall >= 7 -> hire\noverall >= 0 -> no_hire"
    assert run(text, overall=9.5) == "strong"
    assert run(text, overall=8) == "hire"
    assert run(text, overall=1) == "no_hire"


def test_otherwise_always_matches_and_without_it_no_match_is_none() -> None:
    assert run("overall >= 7 -> hire; otherwise -> no_hire", overall=3) == "no_hire"
    assert run("overall >= 7 -> hire", overall=3) is None
    assert run("otherwise -> pass", overall=0) == "pass"


def test_separators_comments_and_blank_lines() -> None:
    text = '\n\n  # a comment\r\noverall > 1 -> a ; # trailing\n\t"Ownership" > 1 -> b;;\n\n'
    assert [r.label for r in parse(text).rules] == ["a", "b"]
    assert parse('overall > 1 -> "#not a comment"').labels() == ("#not a comment",)


def test_quoted_labels_and_numbers() -> None:
    program = parse('overall >= 7.5 -> "Strong Hire"\n"Ownership" > 007 -> needs_training_2')
    assert program.labels() == ("Strong Hire", "needs_training_2")
    assert program.rules[0].condition == Comparison((Overall(), Number(7.5)), (">=",))
    assert program.rules[1].condition == cmp("Ownership", ">", "7")
    assert parse('overall > 1 -> "all"').labels() == ("all",)


def test_dimensions_used_and_labels_are_unique_ignoring_case() -> None:
    program = parse('"A" > 1 and "a" > 2 or "B" > 3 -> Hire\n"b" > 1 -> "HIRE"\notherwise -> fail')
    assert program.dimensions_used() == ("A", "B")
    assert program.labels() == ("hire", "fail")


# --- errors and their positions -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "line", "column", "message"),
    [
        ("", 1, 1, "no rules"),
        ("\n  # nothing\n\n", 4, 1, "no rules"),
        ('overall > 1 -> a\n"Ownership" >= 7 hire', 2, 18, "expected '->' after the condition, found 'hire'"),
        ("otherwise hire", 1, 11, "expected '->' after 'otherwise'"),
        ("overall > 1 ->", 1, 15, "expected a label after '->'"),
        ("overall > 1 ->\notherwise -> b", 1, 15, "expected a label after '->', found the end of the line"),
        ("overall > 1 -> ; otherwise -> b", 1, 16, "expected a label after '->', found ';'"),
        ("overall > 1 -> 7", 1, 16, "expected a label"),
        ("overall > 1 -> and", 1, 16, "'and' is a keyword"),
        ('overall > 1 -> "  "', 1, 16, "empty label"),
        ("overall > 1 -> hire now", 1, 21, "unexpected 'now' after the label"),
        ("overall > 1 -> hire)", 1, 20, "unexpected ')' after the label"),
        ('"Ownership -> x', 1, 1, "unterminated string"),
        ('overall > 1 -> "hire\n', 1, 16, "unterminated string"),
        ("overall > 1 -> x\n  overall $ 1 -> y", 2, 11, "unexpected character '$'"),
        ("overall = 1 -> y", 1, 9, "compare with '=='"),
        ("overall > 1 && overall < 2 -> y", 1, 13, "unexpected character '&'"),
        ("overall > -1 -> y", 1, 11, "numbers must not be negative"),
        ("overall > 1. -> y", 1, 13, "expected digits after the decimal point"),
        ("overall > 1e3 -> y", 1, 12, "unexpected 'e' right after the number 1"),
        ("overall > 1.5.2 -> y", 1, 14, "unexpected '.' right after the number 1.5"),
        ("overall > " + "9" * 400 + " -> y", 1, 11, "number too large"),
        ("overall -> y", 1, 9, "expected a comparison operator"),
        ("overall > -> y", 1, 11, 'expected a number, a "dimension"'),
        ("Ownership > 5 -> y", 1, 1, "unknown word 'ownership'; put dimension names in double quotes"),
        ("-> y", 1, 1, 'expected a number, a "dimension"'),
        ('"" > 1 -> y', 1, 1, "empty dimension name"),
        ("3 > 2 -> y", 1, 1, "compares only numbers"),
        ("1 < overall > 0 -> y", 1, 13, "must point one way"),
        ("1 == overall == 1 -> y", 1, 14, "must point one way"),
        ("1 < overall < 2 < 3 -> y", 1, 17, "at most two comparison operators"),
        ("all > any -> y", 1, 1, "'all' must be one side of a comparison"),
        ("all >= min -> y", 1, 1, "'all' must be one side"),
        ("1 < any < 3 -> y", 1, 5, "'any' must be one side"),
        ("(overall > 1 -> y", 1, 14, "expected ')' to close the '(' of line 1, column 1, found '->'"),
        ("overall > 1 and -> y", 1, 17, 'expected a number, a "dimension"'),
        ("not -> y", 1, 5, 'expected a number, a "dimension"'),
        ("otherwise -> a\noverall > 1 -> b", 2, 1, "'otherwise' must be the last rule"),
        ("overall > 1 or otherwise -> b", 1, 16, 'expected a number, a "dimension"'),
    ],
)
def test_errors_name_their_line_and_column(text: str, line: int, column: int, message: str) -> None:
    err = error_of(text)
    assert (err.line, err.column) == (line, column), err
    assert message in err.message
    assert str(err) == f"line {line}, column {column}: {err.message}"
    assert isinstance(err, ValueError)


def test_the_documented_message_shape() -> None:
    err = error_of('overall > 1 -> a\n"Ownership" >= 7 hire')
    assert str(err).startswith("line 2, column 18: expected '->' after the condition")


def test_length_limit() -> None:
    at_limit = "overall >= 1 -> x" + " " * (MAX_LENGTH - 17)
    assert len(at_limit) == MAX_LENGTH
    assert parse(at_limit).labels() == ("x",)
    too_long = "overall >= 1 -> x" + " " * MAX_LENGTH
    err = error_of(too_long)
    assert (err.line, err.column) == (1, MAX_LENGTH + 1)
    assert f"at most {MAX_LENGTH}" in err.message
    multi_line = "overall > 1 -> x\n" * 300
    err = error_of(multi_line)
    assert err.line == MAX_LENGTH // 17 + 1  # 17 characters a line: the line holding character 4001
    assert err.column == MAX_LENGTH % 17 + 1


def test_rule_count_limit() -> None:
    assert len(parse("overall > 1 -> x\n" * MAX_RULES).rules) == MAX_RULES
    err = error_of("overall > 1 -> x\n" * (MAX_RULES + 1))
    assert (err.line, err.column) == (MAX_RULES + 1, 1)
    assert f"at most {MAX_RULES}" in err.message


def test_nesting_limit() -> None:
    deepest = "(" * MAX_DEPTH + "overall > 1" + ")" * MAX_DEPTH + " -> x"
    assert run(deepest, overall=2) == "x"
    err = error_of("(" * (MAX_DEPTH + 1) + "overall > 1" + ")" * (MAX_DEPTH + 1) + " -> x")
    assert (err.line, err.column) == (1, MAX_DEPTH + 1)
    assert "nested too deeply" in err.message
    nots = "not " * MAX_DEPTH + "overall > 1 -> x"
    assert run(nots, overall=2) == "x"  # an even number of nots
    err = error_of("not " * (MAX_DEPTH + 1) + "overall > 1 -> x")
    assert (err.line, err.column) == (1, 4 * MAX_DEPTH + 1)
    mixed = "not (" * 10 + "overall > 1" + ")" * 10 + " -> x"
    assert "nested too deeply" in error_of("(" + mixed).message


def test_long_flat_conditions_are_not_nesting() -> None:
    text = " and ".join(["overall > 1"] * 200) + " -> x"
    assert run(text, overall=2) == "x"


@pytest.mark.parametrize(
    "text",
    [
        "__import__('os').system('true')",
        "__import__('os') -> x",
        "1 if True else 2",
        "1 if True else 2 -> x",
        "lambda: 1",
        "(lambda: 1)() > 0 -> x",
        'eval("1") > 0 -> x',
        "overall.__class__ > 1 -> x",
        "[x for x in ()] -> x",
        "overall > 1 -> x\\\n y",
        "overall > 1 -> x \\",
        '"\\"" > 1 -> x',
        "\\x41 > 1 -> x",
        "overall > 1 -> x\x00",
        "overall > 1 -> \u0127ire",
        "overall > \u00b2 -> x",
        "overall > \u0663 -> x",
        "{overall} > 1 -> x",
        "overall > 1 -> x" + "\n" * 5000,
        "(" * 10_000,
        "not " * 2_000 + "overall > 1 -> x",
        "'hire'",
        "`id` > 1 -> x",
        "${HOME} > 1 -> x",
        "overall > 1e308 -> x",
        "overall > 0x10 -> x",
        "overall > 1_000 -> x",
    ],
)
def test_hostile_input_is_a_rule_error(text: str) -> None:
    with pytest.raises(RuleError):
        parse(text)


def test_backslashes_inside_names_are_plain_characters() -> None:
    program = parse('"C:\\path" > 1 -> x')
    assert program.dimensions_used() == ("C:\\path",)
    assert evaluate(program, {"c:\\path": 2}, 0) == "x"


# --- validate -------------------------------------------------------------------------------------


def test_validate_accepts_known_dimensions_and_labels_ignoring_case() -> None:
    program = validate(
        '"system design" >= 7 and all > 3 -> HIRE\notherwise -> "No_Hire"', DIMS, ["hire", "no_hire"]
    )
    assert program.labels() == ("hire", "no_hire")  # spelled as the vocabulary spells them
    assert evaluate(program, {d: 8 for d in DIMS}, 8) == "hire"


def test_validate_without_labels_accepts_any_label() -> None:
    assert validate('"Ownership" > 1 -> "anything at all"', DIMS).labels() == ("anything at all",)


def test_validate_names_an_unknown_dimension_and_lists_the_known_ones() -> None:
    with pytest.raises(RuleError) as exc:
        validate('overall > 1 -> hire\n"Ownership" > 1 and "Sytem Design" > 4 -> hire', DIMS)
    err = exc.value
    assert (err.line, err.column) == (2, 21)
    assert 'unknown dimension "Sytem Design"' in err.message
    assert '"System Design", "Communication", "Ownership"' in err.message


def test_validate_names_an_unknown_label_where_it_is() -> None:
    with pytest.raises(RuleError) as exc:
        validate("overall > 7 -> hire\notherwise -> hyre", DIMS, ("hire", "no_hire"))
    err = exc.value
    assert (err.line, err.column) == (2, 14)
    assert "unknown label 'hyre'; use one of hire, no_hire" in err.message


def test_validate_reports_syntax_before_names() -> None:
    with pytest.raises(RuleError) as exc:
        validate('"Nope" > 1 -> hire extra', DIMS, ["hire"])
    assert "after the label" in exc.value.message


# --- evaluate edge cases --------------------------------------------------------------------------


def test_evaluate_needs_every_dimension_the_rules_name() -> None:
    program = parse('overall > 100 -> a\n"Ownership" > 1 -> b')
    with pytest.raises(RuleError) as exc:
        evaluate(program, {"System Design": 1}, 1)  # refused even though rule 1 decides nothing
    assert (exc.value.line, exc.value.column) == (2, 1)
    assert 'no score for dimension "Ownership"' in exc.value.message


@pytest.mark.parametrize(
    "text", ["all > 1 -> x", "any > 1 -> x", "min > 1 -> x", "max > 1 -> x", "avg > 1 -> x"]
)
def test_aggregates_need_scores(text: str) -> None:
    with pytest.raises(RuleError, match="needs at least one dimension score"):
        evaluate(parse(text), {}, 5)
    assert evaluate(parse("overall > 1 -> x"), {}, 5) == "x"


@pytest.mark.parametrize(
    ("scores", "overall"),
    [({"A": math.nan}, 1.0), ({"A": math.inf}, 1.0), ({"A": 1.0}, math.nan), ({"A": 1.0, "a": 2.0}, 1.0)],
)
def test_evaluate_refuses_bad_scores(scores: dict[str, float], overall: float) -> None:
    with pytest.raises(ValueError, match=r"finite|two scores"):
        evaluate(parse("overall > 0 -> x"), scores, overall)


# --- properties -----------------------------------------------------------------------------------

LANGUAGE_CHARS = "abcdeghilmnortvwxy_ 0123456789.()<>=!-\";#\n\t\\'AOR"


@settings(max_examples=300, deadline=None)
@given(st.one_of(st.text(max_size=200), st.text(alphabet=LANGUAGE_CHARS, max_size=200)))
def test_any_text_is_a_program_or_a_rule_error(text: str) -> None:
    program = _parse_or_error(text)
    if isinstance(program, RuleError):
        assert program.line >= 1
        assert program.column >= 1
        return
    try:
        result = evaluate(program, {"a": 1.0}, 1.0)
    except RuleError:
        return  # names a dimension the scores lack
    assert result is None or result in program.labels()


def _parse_or_error(text: str) -> RuleProgram | RuleError:
    try:
        return parse(text)
    except RuleError as err:
        return err


_OPS: dict[str, Callable[[float, float], bool]] = {
    ">=": operator.ge,
    ">": operator.gt,
    "<=": operator.le,
    "<": operator.lt,
    "==": operator.eq,
    "!=": operator.ne,
}
_NAMES = ["Alpha", "Beta Two", "gamma"]
# Whole numbers 0-10 keep the reference model free of the tolerance for rounding.
_small = st.integers(min_value=0, max_value=10)

Reference = Callable[[dict[str, float], float], bool]


def _operand() -> st.SearchStrategy[tuple[str, Callable[[dict[str, float], float], float]]]:
    def number(n: int) -> tuple[str, Callable[[dict[str, float], float], float]]:
        return str(n), lambda s, o: float(n)

    def dimension(
        name: str, case: Callable[[str], str]
    ) -> tuple[str, Callable[[dict[str, float], float], float]]:
        return f'"{case(name)}"', lambda s, o: s[name]

    aggregates: list[tuple[str, Callable[[dict[str, float], float], float]]] = [
        ("overall", lambda s, o: o),
        ("MIN", lambda s, o: min(s.values())),
        ("max", lambda s, o: max(s.values())),
        ("Avg", lambda s, o: sum(s.values()) / len(s)),
    ]
    cases = st.sampled_from([str.lower, str.upper, str])
    return st.one_of(
        _small.map(number), st.builds(dimension, st.sampled_from(_NAMES), cases), st.sampled_from(aggregates)
    )


@st.composite
def _comparison(draw: st.DrawFn) -> tuple[str, Reference]:
    if draw(st.booleans()):
        kind = draw(st.sampled_from(["all", "any"]))
        op = draw(st.sampled_from(list(_OPS)))
        n = draw(_small)
        check = all if kind == "all" else any
        if draw(st.booleans()):
            return f"{kind} {op} {n}", lambda s, o: check(_OPS[op](v, n) for v in s.values())
        return f"{n} {op} {kind}", lambda s, o: check(_OPS[op](n, v) for v in s.values())
    left_text, left = draw(_operand())
    op = draw(st.sampled_from(list(_OPS)))
    right_text, right = draw(_operand().filter(lambda p: not (left_text.isdigit() and p[0].isdigit())))
    return f"{left_text} {op} {right_text}", lambda s, o: _OPS[op](left(s, o), right(s, o))


def _condition() -> st.SearchStrategy[tuple[str, Reference]]:
    def combine(
        children: st.SearchStrategy[tuple[str, Reference]],
    ) -> st.SearchStrategy[tuple[str, Reference]]:
        def both(word: str, a: tuple[str, Reference], b: tuple[str, Reference]) -> tuple[str, Reference]:
            if word == "and":
                return f"({a[0]}) AND ({b[0]})", lambda s, o: a[1](s, o) and b[1](s, o)
            return f"({a[0]}) or ({b[0]})", lambda s, o: a[1](s, o) or b[1](s, o)

        def negate(a: tuple[str, Reference]) -> tuple[str, Reference]:
            return f"not ({a[0]})", lambda s, o: not a[1](s, o)

        return st.one_of(
            st.builds(both, st.sampled_from(["and", "or"]), children, children), children.map(negate)
        )

    return st.recursive(_comparison(), combine, max_leaves=8)


@settings(max_examples=300, deadline=None)
@given(
    st.lists(st.tuples(_condition(), st.sampled_from(["hire", "no_hire", "pass"])), min_size=1, max_size=5),
    st.booleans(),
    st.fixed_dictionaries({name: _small.map(float) for name in _NAMES}),
    _small.map(float),
)
def test_evaluation_matches_a_reference_model(
    rules: list[tuple[tuple[str, Reference], str]], otherwise: bool, scores: dict[str, float], overall: float
) -> None:
    text = "\n".join(f"{cond[0]} -> {label}" for cond, label in rules)
    if otherwise:
        text += "\notherwise -> fail"
    program = _parse_or_error(text)
    if isinstance(program, RuleError):
        # Only the nesting limit may refuse a generated program.
        assert "nested too deeply" in program.message, (text, program)
        return
    expected = next(
        (label for cond, label in rules if cond[1](scores, overall)), "fail" if otherwise else None
    )
    assert evaluate(program, {k.upper(): v for k, v in scores.items()}, overall) == expected, text


# --- agent profiles -------------------------------------------------------------------------------

GOOD_RULES = 'all >= 6 and "system design" >= 7 -> hire\n"Communication" < 4 -> no_hire\notherwise -> no_hire'


def _logic_error(body: dict[str, Any]) -> str:
    with pytest.raises(ValidationError) as exc:
        AgentProfileSpec.model_validate(body)
    [error] = exc.value.errors()
    assert error["loc"] == ("scoring", "recommendationLogic")
    return str(error["msg"])


def test_a_profile_accepts_rules_over_its_rubric() -> None:
    body = profile_body(scoring={"scoringMethod": "rule_based", "recommendationLogic": GOOD_RULES})
    profile = AgentProfileSpec.model_validate(body)
    assert profile.scoring.recommendation_logic == GOOD_RULES  # stored as written
    assert AgentProfileSpec.model_validate(profile.model_dump(mode="json")) == profile


def test_a_profile_refuses_rules_naming_a_dimension_outside_its_rubric() -> None:
    body = profile_body(
        scoring={"scoringMethod": "rule_based", "recommendationLogic": '"Leadership" > 5 -> hire'}
    )
    msg = _logic_error(body)
    assert 'line 1, column 1: unknown dimension "Leadership"' in msg
    assert '"System Design", "Communication", "Ownership"' in msg


def test_a_profile_refuses_syntax_errors_at_the_field() -> None:
    msg = _logic_error(profile_body(scoring={"recommendationLogic": "overall >= 7 -> hire\nall > 3 pass"}))
    assert "line 2, column 9: expected '->' after the condition" in msg
    with pytest.raises(ValidationError) as exc:
        Scoring.model_validate({"recommendationLogic": "overall >= -> hire"})
    assert exc.value.errors()[0]["loc"] == ("recommendationLogic",)
    with pytest.raises(ValidationError) as exc:
        AgentProfileUpdate.model_validate({"scoring": {"recommendationLogic": "all >= 6 -> hire extra"}})
    assert exc.value.errors()[0]["loc"] == ("scoring", "recommendationLogic")


@pytest.mark.parametrize("use_case", list(UseCase))
def test_a_profile_accepts_every_vocabulary_and_positive_negative(use_case: UseCase) -> None:
    every = [label for outcome in SuccessOutcome for label in outcome.labels() or ()]
    logic = (
        "\n".join(f"overall > {i} -> {label}" for i, label in enumerate(every)) + "\notherwise -> NEGATIVE"
    )
    body = profile_body(
        use_case=use_case.value, scoring={"recommendationLogic": f"overall > 50 -> positive\n{logic}"}
    )
    AgentProfileSpec.model_validate(body)
    labels = recommendation_labels(use_case)
    own = SuccessOutcome.for_use_case(use_case).labels()
    assert labels[: len(own or ())] == (own or ())
    assert {"positive", "negative", *every} == set(labels)
    assert len(labels) == len(set(labels))


def test_a_profile_refuses_labels_outside_every_vocabulary() -> None:
    msg = _logic_error(profile_body(scoring={"recommendationLogic": 'overall > 5 -> "strong hire"'}))
    assert "unknown label 'strong hire'; use one of hire, no_hire, positive, negative, admit" in msg
    msg = _logic_error(
        profile_body(use_case="training", scoring={"recommendationLogic": "otherwise -> hyre"})
    )
    assert "use one of ready, needs_training, positive, negative, hire" in msg


def test_free_form_logic_is_guidance_only_with_weighted_average() -> None:
    for text in ("hire if all >= 7", "Advisory: prefer candidates strong in System Design.", "r"):
        body = profile_body(scoring={"scoringMethod": "weighted_average", "recommendationLogic": text})
        assert AgentProfileSpec.model_validate(body).scoring.recommendation_logic == text
        # rule_based must have rules, whatever the text looks like.
        rule_based = profile_body(scoring={"scoringMethod": "rule_based", "recommendationLogic": text})
        assert _logic_error(rule_based)


def test_an_invalid_rubric_is_reported_alone() -> None:
    body = profile_body(
        rubric=[{"name": "A", "weight": 60}, {"name": "B", "weight": 60}],
        scoring={"recommendationLogic": '"Elsewhere" > 1 -> hire'},
    )
    with pytest.raises(ValidationError) as exc:
        AgentProfileSpec.model_validate(body)
    assert [e["loc"] for e in exc.value.errors()] == [("rubric",)]


def test_a_merged_patch_renaming_a_used_dimension_is_refused_at_the_field() -> None:
    stored = AgentProfileSpec.model_validate(
        profile_body(scoring={"recommendationLogic": '"Ownership" >= 5 -> hire'})
    ).model_dump(mode="json", by_alias=True)
    merged = {**stored, "rubric": [{"name": "Initiative", "weight": 100}]}
    with pytest.raises(ValidationFailed) as exc:
        validate_as(AgentProfileSpec, merged)
    details = exc.value.details
    assert isinstance(details, dict)
    [field] = details["fields"]
    assert field["path"] == "scoring.recommendationLogic"
    assert 'unknown dimension "Ownership"' in field["message"]


async def test_the_api_answers_422_at_scoring_recommendation_logic(client: httpx.AsyncClient) -> None:
    url = "/v1/agent-profiles"
    bad = profile_body(scoring={"scoringMethod": "rule_based", "recommendationLogic": '"Nope" > 1 -> hire'})
    error = field_error(await client.post(url, json=bad))
    assert (error["path"], error["in"]) == ("scoring.recommendationLogic", "body")
    assert 'unknown dimension "Nope"' in error["message"]
    syntax = profile_body(scoring={"recommendationLogic": "overall >> 1 -> hire"})
    assert field_error(await client.post(url, json=syntax))["path"] == "scoring.recommendationLogic"

    good = profile_body(scoring={"scoringMethod": "rule_based", "recommendationLogic": GOOD_RULES})
    profile = created(await client.post(url, json=good))
    assert profile["scoring"]["recommendationLogic"] == GOOD_RULES
    renamed = {"rubric": [{"name": "System Design", "weight": 100}]}
    error = field_error(await client.patch(f"{url}/{profile['id']}", json=renamed))
    assert error["path"] == "scoring.recommendationLogic"
    assert 'unknown dimension "Communication"' in error["message"]
