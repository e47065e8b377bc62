"""The tokenizer: program text to numbers, strings, words, operators, arrows, parentheses and
separators, with the line and column of each."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Literal

from scoring.rules.errors import RuleError

KEYWORDS = frozenset({"and", "or", "not", "otherwise", "overall", "all", "any", "min", "max", "avg"})
OPERATORS = (">=", "<=", "==", "!=", ">", "<")  # two-character ones first: the tokenizer tries in order

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
