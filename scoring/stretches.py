"""The candidate's words as the embedded scorer reads and quotes them: each segment cut into stretches
(sentences, long ones in windows, short ones joined to the next), and the stretches quoted as evidence.

Every stretch is a verbatim, word-bounded slice of one candidate segment, so every quote the scorecard
shows is found, to the letter, in what the candidate said (the benchmark checks it: 100%).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

from scoring.answers import analyse
from scoring.model import Evidence, Segment
from scoring.wording import REASONING

__all__ = [
    "MAX_EVIDENCE",
    "MAX_QUOTE_CHARS",
    "MIN_STRETCH_WORDS",
    "SENTENCE",
    "WINDOW_WORDS",
    "Stretch",
    "pick_evidence",
    "quote",
    "stretches",
]

MAX_EVIDENCE = 3
MAX_QUOTE_CHARS = 300
WINDOW_WORDS = 30  # long sentences are compared in windows of about this many words
MIN_STRETCH_WORDS = 4

SENTENCE = re.compile(r"[^.!?]+(?:[.!?]+|$)")
_WORD_SPAN = re.compile(r"\S+")


@dataclass(frozen=True, slots=True)
class Stretch:
    """A sentence (or a window of a long one) of one candidate segment, quoted verbatim."""

    segment: Segment
    text: str
    words: int


def stretches(segment: Segment) -> list[Stretch]:
    """The segment's sentences, long ones cut into windows, short ones joined to the next; each one a
    verbatim, word-bounded slice of the segment's text."""
    text = segment.text
    spans: list[tuple[int, int]] = []
    for match in SENTENCE.finditer(text):
        words = list(_WORD_SPAN.finditer(match.group(0)))
        base = match.start()
        for start in range(0, len(words), WINDOW_WORDS):
            chunk = words[start : start + WINDOW_WORDS]
            if chunk:
                spans.append((base + chunk[0].start(), base + chunk[-1].end()))
    merged: list[tuple[int, int]] = []
    for start, end in spans:
        if merged and len(text[merged[-1][0] : merged[-1][1]].split()) < MIN_STRETCH_WORDS:
            merged[-1] = (merged[-1][0], end)
        else:
            merged.append((start, end))
    if len(merged) > 1 and len(text[merged[-1][0] : merged[-1][1]].split()) < MIN_STRETCH_WORDS:
        last = merged.pop()
        merged[-1] = (merged[-1][0], last[1])
    return [Stretch(segment, text[a:b], len(text[a:b].split())) for a, b in merged if text[a:b].strip()]


def quote(text: str) -> str:
    """At most MAX_QUOTE_CHARS, cut at a word boundary, never mid-word: still verbatim."""
    text = text.strip()
    if len(text) <= MAX_QUOTE_CHARS:
        return text
    cut = text[:MAX_QUOTE_CHARS]
    if not text[MAX_QUOTE_CHARS].isspace():
        cut = cut.rsplit(None, 1)[0] if " " in cut else cut
    return cut.rstrip()


def pick_evidence(scored: Iterable[tuple[Stretch, float, float]]) -> list[Evidence]:
    """Up to MAX_EVIDENCE quotes from (stretch, relevance, originality) triples: original stretches,
    most relevant first with a little weight for substance, in the order they were said."""
    ranked: list[tuple[float, float, Stretch]] = []
    for stretch, relevance, originality in scored:
        if originality < 0.5 or stretch.words < MIN_STRETCH_WORDS:
            continue
        features = analyse(stretch.text, None)
        substance = min(
            len(features.numbers)
            + len(features.technologies)
            + features.first_person_actions
            + features.outcomes
            + len(REASONING.findall(stretch.text)),
            4,
        )
        ranked.append((relevance + 0.05 * substance, -stretch.segment.start, stretch))
    ranked.sort(key=lambda r: (r[0], r[1]), reverse=True)
    chosen: list[Evidence] = []
    seen: set[tuple[str, str]] = set()
    for _, _, stretch in ranked:
        quoted = quote(stretch.text)
        if (stretch.segment.id, quoted) in seen:
            continue
        seen.add((stretch.segment.id, quoted))
        chosen.append(Evidence(stretch.segment.id, stretch.segment.start, stretch.segment.end, quoted))
        if len(chosen) == MAX_EVIDENCE:
            break
    return sorted(chosen, key=lambda e: (e.start, e.segment_id))
