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
recursive-descent parser into an immutable tree (`syntax.py`), which `evaluate` walks.

API
---
- `parse(text)` -> `RuleProgram` (syntax only), raising `RuleError`.
- `validate(text, dimensions, labels=None)` -> `RuleProgram`: also checks every quoted dimension is in
  `dimensions` and, when given, every label is in `labels` (both ignoring case); the returned program
  spells each label as `labels` does.
- `evaluate(program, scores, overall)` -> the first matching rule's label, or None.
"""

from scoring.rules.errors import RuleError
from scoring.rules.evaluation import evaluate, validate
from scoring.rules.parser import MAX_DEPTH, MAX_LENGTH, MAX_RULES, parse
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
from scoring.rules.tokens import KEYWORDS as KEYWORDS
from scoring.rules.tokens import OPERATORS as OPERATORS
from scoring.rules.tokens import TokenKind as TokenKind

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
