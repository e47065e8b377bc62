"""Incremental sentence splitting of a streamed LLM reply, so speech can start before the reply is done.

`SentenceSplitter.feed` takes tokens as they arrive and returns each sentence as soon as its end is
certain; `flush` returns what is left once the stream ends. A decision only ever looks at text already
received, and is put off while more text could change it, so the sentences do not depend on where the
token boundaries fall.

A sentence ends at `.`, `?`, `!` or an ellipsis (optionally followed by closing quotes or brackets) that
is followed by whitespace, or at a line break. Not at: abbreviations ("e.g.", "Dr.", "U.S."), decimals
("3.5"), dotted names ("example.com"), or an ellipsis / "etc." followed by a lower-case word. A clause
that runs past `max_chars` without a sentence end is cut at its last comma, semicolon or colon, and one
running past `hard_limit_chars` without any at its last space, so text-to-speech never waits long.
"""

from __future__ import annotations

import re

__all__ = ["SentenceSplitter", "split_sentences"]

_TERMINATORS = ".?!…"
_CLOSERS = "\"')]}\u201d\u2019\u00bb"  # incl. curly quotes
_OPENERS = "\"'([{\u201c\u2018\u00ab"
_CLAUSE_BREAKS = ",;:"
_ABBREVIATIONS = frozenset(
    {
        "mr", "mrs", "ms", "mx", "dr", "prof", "sr", "jr", "st", "vs", "cf", "approx", "dept", "est",
        "fig", "inc", "ltd", "co", "corp", "jan", "feb", "mar", "apr", "jun", "jul", "aug", "sep",
        "sept", "oct", "nov", "dec", "mon", "tue", "wed", "thu", "fri", "sat", "sun", "ph.d", "gen",
        "gov", "sen", "rep", "capt", "lt", "col", "sgt", "min", "max", "ave", "blvd", "resp",
    }
)  # fmt: skip
# Abbreviations that often end a sentence too: one only when the next word starts in upper case.
_MAYBE_FINAL = frozenset({"etc"})
_DOTTED_INITIALS = re.compile(r"(?:[a-z]\.)+[a-z]")  # e.g, i.e, u.s, a.m


def _clean(text: str) -> str:
    return " ".join(text.split())


def _speakable(text: str) -> bool:
    return any(ch.isalnum() for ch in text)


def _word_before(text: str, index: int) -> str:
    start = index
    while start > 0 and not text[start - 1].isspace():
        start -= 1
    return text[start:index].lstrip(_OPENERS).casefold()


class SentenceSplitter:
    """Splits streamed text into sentences; feed tokens, then flush once at the end."""

    def __init__(self, *, max_chars: int = 200, hard_limit_chars: int = 400) -> None:
        if not 0 < max_chars <= hard_limit_chars:
            raise ValueError("need 0 < max_chars <= hard_limit_chars")
        self._max = max_chars
        self._hard = hard_limit_chars
        self._buffer = ""

    @property
    def pending(self) -> str:
        """Text received that is not yet part of a returned sentence."""
        return self._buffer

    def feed(self, token: str) -> list[str]:
        """Add a token; return the sentences it completed (often none)."""
        self._buffer += token
        return self._drain(final=False)

    def flush(self) -> list[str]:
        """End of stream: return the remaining sentences, the last one possibly unterminated."""
        sentences = self._drain(final=True)
        rest, self._buffer = _clean(self._buffer), ""
        if _speakable(rest):
            sentences.append(rest)
        return sentences

    def _drain(self, *, final: bool) -> list[str]:
        sentences: list[str] = []
        while True:
            self._buffer = self._buffer.lstrip()
            cut = self._next_cut(final=final)
            if cut is None:
                return sentences
            sentence = _clean(self._buffer[:cut])
            self._buffer = self._buffer[cut:]
            if _speakable(sentence):
                sentences.append(sentence)

    def _next_cut(self, *, final: bool) -> int | None:
        """Where the first sentence of the buffer ends, or None while that is not yet certain."""
        text = self._buffer
        n = len(text)
        last_clause = -1
        last_space = -1
        j = 0
        while j < n:
            if j >= self._max and last_clause > 0:
                return last_clause
            if j >= self._hard and last_space > 0:
                return last_space
            ch = text[j]
            if ch == "\n":
                if text[:j].strip():
                    return j
            elif ch in _TERMINATORS:
                end = j
                while end < n and text[end] in _TERMINATORS:
                    end += 1
                cut = self._decide(text, j, end, final=final)
                if cut is None:
                    return None
                if cut >= 0:
                    return cut
                j = end
                continue
            elif ch in _CLAUSE_BREAKS and j + 1 < n and text[j + 1].isspace():
                last_clause = j + 1
            elif ch.isspace():
                last_space = j
            j += 1
        return None

    @staticmethod
    def _decide(text: str, start: int, end: int, *, final: bool) -> int | None:
        """For the run of terminators text[start:end]: the cut index if it ends a sentence, -1 if it
        does not, None if the text so far cannot tell."""
        n = len(text)
        if end == n:
            return n if final else None
        k = end
        while k < n and text[k] in _CLOSERS:
            k += 1
        if k == n:
            return k if final else None
        if not text[k].isspace():
            return -1  # 3.5, example.com, e.g., "Really?!"...
        run = text[start:end]
        look_ahead = "…" in run or ".." in run
        if run == ".":
            word = _word_before(text, start)
            if word in _ABBREVIATIONS or _DOTTED_INITIALS.fullmatch(word):
                return -1
            look_ahead = word in _MAYBE_FINAL
        if look_ahead:
            m = k
            while m < n and text[m].isspace() and text[m] != "\n":
                m += 1
            if m == n:
                return k if final else None
            if text[m].islower():
                return -1
        return k


def split_sentences(text: str, *, max_chars: int = 200, hard_limit_chars: int = 400) -> list[str]:
    """All sentences of a complete text."""
    splitter = SentenceSplitter(max_chars=max_chars, hard_limit_chars=hard_limit_chars)
    return splitter.feed(text) + splitter.flush()
