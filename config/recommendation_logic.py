"""Checking an agent profile's `recommendationLogic` while it is typed (POST
/v1/recommendation-logic/check), with exactly the rules a profile save applies (`config.profiles`):

* text without `->` is free-form guidance, unchecked, unless `scoring_method` is `rule_based`;
* a program is parsed (`scoring.rules.parse`) and, as on save, every quoted dimension must be one of
  `dimensions` (when they are given) and every label one the profile's `use_case` allows
  (`config.profiles.recommendation_labels`);
* the save strips surrounding whitespace before it checks; here positions are given in the text as
  sent, so the editor can mark the very character (lines and columns from 1, columns in characters).
"""

from __future__ import annotations

from typing import Annotated, get_args

from pydantic import Field, StringConstraints

from config.base import ApiModel, InputModel, LongText
from config.enums import ScoringMethod, UseCase
from config.profiles import MAX_DIMENSIONS, is_rule_program, recommendation_labels
from scoring import rules

__all__ = ["LogicCheck", "LogicCheckResult", "LogicIssue", "check_logic"]

# The profile field's own limit, read from its type so the two cannot drift apart.
_MAX_LOGIC = next(c.max_length for c in get_args(LongText)[1:] if isinstance(c, StringConstraints))
DimensionName = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=100)]


class LogicCheck(InputModel):
    """The text to check and what the profile around it says."""

    recommendation_logic: str = Field(
        max_length=_MAX_LOGIC, description="The profile's scoring.recommendationLogic as typed."
    )
    dimensions: list[DimensionName] | None = Field(
        default=None,
        max_length=MAX_DIMENSIONS,
        description="The rubric's dimension names; omitted, quoted dimensions are not checked.",
    )
    use_case: UseCase | None = Field(
        default=None, description="The profile's use case, which decides the labels (default hiring)."
    )
    scoring_method: ScoringMethod | None = Field(
        default=None,
        description="The profile's scoring.scoringMethod (default weighted_average); with rule_based the "
        "text must be a program even without `->`, and may not be empty.",
    )


class LogicIssue(ApiModel):
    line: int = Field(ge=1, description="Line of the error, from 1.")
    column: int = Field(ge=1, description="Column of the error, from 1, in characters.")
    message: str = Field(description="What is wrong there, e.g. \"expected '->' after the condition\".")


class LogicCheckResult(ApiModel):
    valid: bool = Field(description="Whether a profile save would accept the text.")
    is_rule_program: bool = Field(
        description="Whether the text is checked as rules (false: free-form guidance, stored as is)."
    )
    errors: list[LogicIssue] = Field(description="Empty when valid; otherwise the first error.")


def check_logic(body: LogicCheck) -> LogicCheckResult:
    """The verdict a profile save would give on this text, with the error's position in it."""
    raw = body.recommendation_logic
    text = raw.strip()
    rule_based = body.scoring_method is ScoringMethod.RULE_BASED
    if not text:
        if not rule_based:
            return LogicCheckResult(valid=True, is_rule_program=False, errors=[])
        message = "recommendationLogic is required when scoringMethod is rule_based"
        return LogicCheckResult(
            valid=False, is_rule_program=True, errors=[LogicIssue(line=1, column=1, message=message)]
        )
    if not (rule_based or is_rule_program(text)):
        return LogicCheckResult(valid=True, is_rule_program=False, errors=[])
    labels = recommendation_labels(body.use_case or UseCase.HIRING)
    try:
        dimensions = body.dimensions
        if dimensions is None:
            dimensions = list(rules.parse(text).dimensions_used())
        rules.validate(text, dimensions, labels)
    except rules.RuleError as err:
        line, column = _in_sent_text(raw, err.line, err.column)
        issue = LogicIssue(line=line, column=column, message=err.message)
        return LogicCheckResult(valid=False, is_rule_program=True, errors=[issue])
    return LogicCheckResult(valid=True, is_rule_program=True, errors=[])


def _in_sent_text(raw: str, line: int, column: int) -> tuple[int, int]:
    """A position in the stripped text, moved to where it is in the text as sent."""
    leading = raw[: len(raw) - len(raw.lstrip())]
    if line > 1:
        return line + leading.count("\n"), column
    return line + leading.count("\n"), column + len(leading) - (leading.rfind("\n") + 1)
