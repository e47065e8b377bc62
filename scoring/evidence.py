"""What the transcript holds on each rubric dimension, before anyone scores it: the evidence gate.

Both scorers, and the engine after them, go by the same rule: a dimension is scored only when the
interview asked about it and the candidate said enough on it. How that is decided:

1. **Exchanges.** The transcript is cut into exchanges: the interviewer's lines, then the candidate's
   segments until the interviewer speaks again.
2. **Questions.** When the session had an interview plan, an interviewer line that contains most of
   the words of a planned wording opens that question; the follow-ups after it stay with it, and its
   dimension, skill and keywords come from the plan. An exchange the plan does not explain is placed
   by `place` (the embedded scorer passes a semantic placer; the default compares the words of the
   exchange with each dimension's name, description and related skills or traits). An exchange that
   cannot be placed on one dimension is evidence for none: a dimension is never judged on answers to
   other questions.
3. **Sufficiency.** A dimension with no question on it, or with fewer than `min_words` candidate words
   in the answers to its questions, has insufficient evidence; so has one whose answers hold fewer than
   `CONTENT_SHARE` of `min_words` distinct content words (not stop words, not repeats): "Oh, sorry,
   sorry, that's the nursery calling, I'm so sorry, I'll have to go" is 25 words and says nothing about
   the question. Across the calibration sets every answer a panel could judge had at least 18 distinct
   content words, and every one it could not at most 11. Long answers that miss the point are still
   evidence (of a weak answer): relevance is the scorer's job, not the gate's.

`enforce` applies the verdict to any scorer's output, so an LLM that scores a dimension nobody asked
about is overruled, whatever it says.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field

from scoring.model import CANDIDATE, DimensionScore, QuestionHint, Rubric, Segment

__all__ = [
    "CONTENT_SHARE",
    "DEFAULT_MIN_WORDS",
    "DimensionEvidence",
    "Exchange",
    "Placer",
    "Question",
    "content_words",
    "dimension_text",
    "enforce",
    "exchanges",
    "lexical_placer",
    "questions",
    "sufficiency",
    "word_count",
]

DEFAULT_MIN_WORDS = 20  # candidate words on a dimension below which it is not scored
CONTENT_SHARE = 0.6  # distinct content words needed, as a share of min_words (12 of 20)
PLAN_MATCH = 0.6  # share of a planned wording's words an interviewer line must contain

_WORD = re.compile(r"[a-z0-9+#']+")
_STOP = frozenset(
    [
        "a",
        "an",
        "and",
        "are",
        "as",
        "at",
        "be",
        "but",
        "by",
        "can",
        "could",
        "did",
        "do",
        "does",
        "for",
        "from",
        "had",
        "has",
        "have",
        "how",
        "i",
        "if",
        "in",
        "into",
        "is",
        "it",
        "its",
        "me",
        "my",
        "of",
        "on",
        "or",
        "our",
        "so",
        "that",
        "the",
        "their",
        "them",
        "then",
        "there",
        "they",
        "this",
        "to",
        "was",
        "we",
        "were",
        "what",
        "when",
        "where",
        "which",
        "who",
        "why",
        "will",
        "with",
        "would",
        "you",
        "your",
        "about",
        "tell",
        "describe",
        "walk",
        "through",
        "give",
        "example",
        "time",
    ]
)
_SUFFIXES = ("ations", "ation", "ings", "ing", "ship", "ment", "ers", "er", "ed", "es", "ate", "ly", "s")


@dataclass(slots=True)
class Exchange:
    prompt: str  # what the interviewer said before the answer
    answers: list[Segment] = field(default_factory=list)

    @property
    def answer_text(self) -> str:
        return " ".join(s.text.strip() for s in self.answers if s.text.strip())


@dataclass(slots=True)
class Question:
    """One planned (or placed) question and its follow-ups."""

    dimension: str | None  # None: could not be placed on one dimension; evidence for none
    skill: str | None
    keywords: tuple[str, ...]
    wording: str  # the question as asked (the first exchange's prompt)
    planned: tuple[str, ...] = ()  # the plan's wordings, when the plan explains it
    exchanges: list[Exchange] = field(default_factory=list)

    @property
    def answer_text(self) -> str:
        return " ".join(e.answer_text for e in self.exchanges if e.answer_text)

    @property
    def words(self) -> int:
        return word_count(self.answer_text)


@dataclass(frozen=True, slots=True)
class DimensionEvidence:
    name: str
    questions: int  # questions placed on it
    words: int  # candidate words in their answers
    sufficient: bool
    why: str  # for an insufficient one: the rationale the scorecard shows


Placer = Callable[[Rubric, Exchange], str | None]


def word_count(text: str) -> int:
    return len(_WORD.findall(text.lower()))


def exchanges(transcript: Sequence[Segment]) -> list[Exchange]:
    found: list[Exchange] = []
    prompt: list[str] = []
    for segment in sorted(transcript, key=lambda s: (s.start, s.end)):
        if segment.speaker == CANDIDATE:
            if prompt or not found:
                found.append(Exchange(" ".join(prompt)))
                prompt = []
            found[-1].answers.append(segment)
        else:
            prompt.append(segment.text.strip())
    return [e for e in found if e.answer_text]


def _stem(word: str) -> str:
    """A light suffix stripper ("designed", "designs" -> "design"), enough to match a question's words
    with a dimension's name; two passes at most."""
    for _ in range(2):
        for suffix in _SUFFIXES:
            if word.endswith(suffix) and len(word) - len(suffix) >= 3:
                word = word[: -len(suffix)]
                break
        else:
            break
    return word


def content_words(text: str) -> set[str]:
    return {_stem(w) for w in _WORD.findall(text.lower()) if w not in _STOP and len(w) > 2}


def _plan_match(prompt: str, hints: Sequence[QuestionHint]) -> QuestionHint | None:
    said = content_words(prompt)
    best, best_share = None, 0.0
    for hint in hints:
        for wording in hint.wordings:
            wanted = content_words(wording)
            if not wanted:
                continue
            share = len(wanted & said) / len(wanted)
            if share > best_share:
                best, best_share = hint, share
    return best if best_share >= PLAN_MATCH else None


def dimension_text(rubric: Rubric, name: str) -> str:
    """A dimension's name and description, with the template skills and traits that share a word."""
    item = next(i for i in rubric.items if i.name == name)
    words = content_words(f"{item.name} {item.description}")
    extras = [
        extra
        for extra in (*rubric.skills, *rubric.traits)
        if content_words(extra) & words or extra.casefold() in item.name.casefold()
    ]
    return ". ".join([f"{item.name}: {item.description}".strip(": "), *extras])


def lexical_placer(rubric: Rubric, exchange: Exchange) -> str | None:
    """The dimension sharing the most words with the exchange; None on no overlap or a tie."""
    said = content_words(f"{exchange.prompt} {exchange.answer_text}")
    overlaps = [(len(content_words(dimension_text(rubric, i.name)) & said), i.name) for i in rubric.items]
    best = max(overlaps, default=(0, ""))
    if best[0] == 0 or sum(1 for n, _ in overlaps if n == best[0]) > 1:
        return None
    return best[1]


def questions(rubric: Rubric, found: Sequence[Exchange], place: Placer = lexical_placer) -> list[Question]:
    grouped: list[Question] = []
    current: Question | None = None
    for exchange in found:
        hint = _plan_match(exchange.prompt, rubric.questions) if rubric.questions else None
        if hint is not None:
            current = Question(
                hint.dimension, hint.skill or None, hint.keywords, exchange.prompt, hint.wordings
            )
            grouped.append(current)
        elif current is None or not rubric.questions:
            # No plan to follow: each exchange stands alone, placed by what it is about.
            current = Question(place(rubric, exchange), None, (), exchange.prompt)
            grouped.append(current)
        current.exchanges.append(exchange)
    return grouped


def sufficiency(
    rubric: Rubric, grouped: Sequence[Question], min_words: int = DEFAULT_MIN_WORDS
) -> dict[str, DimensionEvidence]:
    verdicts: dict[str, DimensionEvidence] = {}
    for item in rubric.items:
        mine = [q for q in grouped if q.dimension == item.name]
        words = sum(q.words for q in mine)
        distinct = len(content_words(" ".join(q.answer_text for q in mine)))
        min_distinct = math.ceil(CONTENT_SHARE * min_words)
        if not mine:
            planned = any(h.dimension == item.name for h in rubric.questions)
            why = (
                "Not assessed: the interview ended before any question on this dimension was asked."
                if planned
                else "Not assessed: no question in the interview was about this dimension."
            )
        elif words < min_words:
            why = (
                f"Not assessed: the candidate said {words} word{'s' if words != 1 else ''} on this "
                f"dimension, fewer than the {min_words} needed to judge it."
            )
        elif distinct < min_distinct:
            why = (
                f"Not assessed: the candidate's {words} words on this dimension hold {distinct} distinct "
                f"content word{'s' if distinct != 1 else ''} (fewer than the {min_distinct} needed): "
                "too little said about the question to judge it."
            )
        else:
            why = ""
        verdicts[item.name] = DimensionEvidence(item.name, len(mine), words, not why, why)
    return verdicts


def enforce(
    scores: Sequence[DimensionScore], verdicts: Mapping[str, DimensionEvidence]
) -> list[DimensionScore]:
    """Any scorer's scores with the gate applied: a dimension without enough evidence has no score."""
    kept: list[DimensionScore] = []
    for score in scores:
        verdict = verdicts.get(score.name)
        if verdict is not None and not verdict.sufficient and score.assessed:
            kept.append(DimensionScore.insufficient(score.name, verdict.why))
        else:
            kept.append(score)
    return kept
