"""What the turn taker reads in the candidate's words: whether a transcript looks like a finished
answer, a backchannel, an echo of the interviewer, or a request to hear the question again. Text
heuristics only, no state (the state machine is `engine.dialogue.turns`)."""

from __future__ import annotations

import re
from collections import Counter
from typing import Literal

__all__ = [
    "DEFAULT_BACKCHANNELS",
    "Request",
    "detect_request",
    "echo_similarity",
    "is_backchannel",
    "looks_complete",
    "split_words",
]

Request = Literal["repeat", "rephrase"]

DEFAULT_BACKCHANNELS: frozenset[str] = frozenset(
    {
        "mm-hmm",
        "mhm",
        "mhmm",
        "mm",
        "mmm",
        "hmm",
        "uh-huh",
        "aha",
        "ah",
        "oh",
        "uh",
        "um",
        "okay",
        "ok",
        "yeah",
        "yes",
        "right",
        "sure",
        "got it",
        "i see",
    }
)


_WORD = re.compile(r"[a-z0-9']+")


def split_words(text: str) -> list[str]:
    """Lower-case words; hyphens split ("mm-hmm" -> mm, hmm), apostrophes stay ("don't")."""
    return _WORD.findall(text.lower().replace("\u2019", "'").replace("-", " "))


_TRAILING_WORDS = frozenset(
    {
        # conjunctions and connectives
        "and", "but", "so", "because", "cause", "or", "nor", "if", "when", "while", "then", "plus",
        # fillers
        "um", "umm", "uh", "uhh", "er", "erm", "hmm", "like",
        # articles, prepositions, possessives and subject pronouns that cannot end a sentence
        "the", "a", "an", "to", "with", "of", "for", "from", "my", "your", "our", "their", "i", "we",
    }
)  # fmt: skip
_OPEN_ENDINGS = (",", "...", "\u2026", "-", "\u2013", "\u2014", ":", ";")
_TERMINAL = (".", "!", "?")
_MIN_UNPUNCTUATED_WORDS = 3


def looks_complete(text: str) -> bool:
    """Whether a transcript reads like a finished answer. A heuristic over the words and punctuation
    of the recogniser's output, nothing more:

    - empty text, a trailing comma, ellipsis, dash, colon or semicolon, or a last word that cannot
      end a sentence (and / but / so / because / or, um / uh / like, the / a / to / with / of, ...):
      unfinished, whatever punctuation the recogniser added after it;
    - terminal punctuation (. ! ?): finished;
    - no terminal punctuation: finished only with at least three words (a very short fragment waits).

    It cannot judge meaning: a grammatical sentence that stops halfway through the candidate's
    thought ("I worked on the backend.") reads as finished, and it relies on the recogniser's
    punctuation, which reflects pauses as much as grammar. Its only effect is how long the turn
    waits, so a wrong guess costs `incomplete_extra_s`, or a reply that comes too early.
    """
    stripped = text.strip()
    if not stripped or stripped.endswith(_OPEN_ENDINGS):
        return False
    words = split_words(stripped)
    if not words or words[-1] in _TRAILING_WORDS:
        return False
    if stripped.endswith(_TERMINAL):
        return True
    return len(words) >= _MIN_UNPUNCTUATED_WORDS


def is_backchannel(text: str, phrases: frozenset[str] = DEFAULT_BACKCHANNELS) -> bool:
    """True when `text` is made only of backchannel phrases ("Mm-hmm.", "okay, okay", "yeah, right");
    False for empty text and for anything with another word in it ("okay so I think")."""
    words = split_words(text)
    if not words:
        return False
    patterns = [tuple(split_words(p)) for p in phrases]
    patterns = [p for p in patterns if p]
    # covered[i]: words[:i] is a sequence of phrases.
    covered = [True] + [False] * len(words)
    for i in range(len(words)):
        if not covered[i]:
            continue
        for p in patterns:
            if tuple(words[i : i + len(p)]) == p:
                covered[i + len(p)] = True
    return covered[-1]


def echo_similarity(text: str, reference: str) -> float:
    """The share of `text`'s words (with multiplicity) that also occur in `reference`: 1.0 when the
    candidate's text is a chunk of what the interviewer is saying, 0.0 for empty text. Word order is
    ignored, so a short candidate text made of common words ("you", "the question") can score high."""
    words = Counter(split_words(text))
    total = sum(words.values())
    if not total:
        return 0.0
    ref = Counter(split_words(reference))
    return sum(min(n, ref[w]) for w, n in words.items()) / total


_MAX_REQUEST_WORDS = 25
_NORMALISE_APOSTROPHES = str.maketrans({"\u2019": "'", "\u2018": "'"})
_REQUEST_RULES: tuple[tuple[str, Request], ...] = (
    # an explicit rephrase
    (r"\b(rephrase|reword|paraphrase)\b", "rephrase"),
    (r"\b(say|put|ask|phrase|explain) (it|that|this|the question) (in )?(another|a different|other|different|simpler) (way|words)\b", "rephrase"),
    (r"\b(explain|clarify) (the|that|this|your) question\b", "rephrase"),
    # an explicit repeat
    (r"\brepeat\b", "repeat"),
    (r"\b(say|ask|read) (that|it|this|the question) again\b", "repeat"),
    (r"\b(come again|pardon|one more time)\b", "repeat"),
    (r"\bwhat (was|is) the question\b", "repeat"),
    (r"\bwhat did you (just )?(say|ask)\b", "repeat"),
    (r"\b(didn't|did not|couldn't|could not) (catch|hear)\b", "repeat"),
    # not understood: asking for it again in other words
    (r"\b(don't|do not|didn't|did not) (really |quite |fully )?(understand|get|follow)\b", "rephrase"),
    (r"\bnot sure (what|i understand) ", "rephrase"),
    (r"\bwhat do you mean\b", "rephrase"),
)  # fmt: skip
_REQUEST_PATTERNS = tuple((re.compile(pattern), kind) for pattern, kind in _REQUEST_RULES)


def detect_request(text: str) -> Request | None:
    """Return "repeat" or "rephrase" when a (short) turn asks for the question again, else None.

    Only turns of at most 25 words count, so an answer that mentions repeating something ("we had to
    repeat the experiment, and then ...") is still an answer. An explicit rephrase wins over a repeat
    ("can you repeat, or rephrase it?"), and a repeat over "I don't understand" ("I don't understand,
    could you say that again?")."""
    lowered = text.lower().translate(_NORMALISE_APOSTROPHES)
    if not split_words(lowered) or len(split_words(lowered)) > _MAX_REQUEST_WORDS:
        return None
    for pattern, kind in _REQUEST_PATTERNS:
        if pattern.search(lowered):
            return kind
    return None
