"""The one error of the rule language: where in the text a program went wrong, and why."""

from __future__ import annotations


class RuleError(ValueError):
    """A program that cannot be read or used, with the 1-based line and column of the offending text."""

    def __init__(self, message: str, line: int, column: int) -> None:
        super().__init__(f"line {line}, column {column}: {message}")
        self.message = message
        self.line = line
        self.column = column
