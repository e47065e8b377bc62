"""The checks on the transcript (words, fillers, self-repairs) and on the page events: `pause_then_fluent`,
`reading_like` and `focus_lost`."""

from __future__ import annotations

import itertools
import math
import re
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from scoring.authenticity.model import Moment, PageEvent, Result, ramp
from scoring.model import CANDIDATE, INTERVIEWER, Segment

_WORD = re.compile(r"[a-z0-9]+(?:'[a-z]+)?")
_FILLER = re.compile(
    r"\b(?:u+m+|u+h+|uhm+|e+r+m*|a+h+|h+m+|m+h*m+)\b"
    r"|\byou know\b|\bi mean\b"
    r"|(?:^|[,;.]\s*)like\b|\blike\s*[,;]"
)
_CUT_OFF = re.compile(r"\b[a-z]+-(?=\s|$|[,.])")
_VOWELS = re.compile(r"[aeiouy]+")


def _words(text: str) -> list[str]:
    return _WORD.findall(text.lower())


def _disfluencies(text: str) -> int:
    """Fillers, immediately repeated words ("I I", "the the") and cut-off words ("wh- what")."""
    lowered = text.lower()
    words = _words(lowered)
    repeats = sum(1 for a, b in itertools.pairwise(words) if a == b)
    return len(_FILLER.findall(lowered)) + repeats + len(_CUT_OFF.findall(lowered))


@dataclass(slots=True)
class _Answer:
    pause_start: float  # end of the interviewer's question
    segments: list[Segment]

    @property
    def start(self) -> float:
        return self.segments[0].start

    @property
    def end(self) -> float:
        return max(s.end for s in self.segments)

    @property
    def text(self) -> str:
        return " ".join(s.text for s in self.segments)


def _answers(ordered: Sequence[Segment]) -> list[_Answer]:
    """Runs of candidate segments that follow an interviewer segment."""
    answers: list[_Answer] = []
    question_end: float | None = None
    current: _Answer | None = None
    for segment in ordered:
        if segment.speaker == INTERVIEWER:
            # A question split over several segments ends with the last of them.
            if current is None and question_end is not None:
                question_end = max(question_end, segment.end)
            else:
                question_end = segment.end
            current = None
        elif segment.speaker == CANDIDATE and question_end is not None:
            if current is None:
                current = _Answer(question_end, [])
                answers.append(current)
            current.segments.append(segment)
    return answers


def pause_then_fluent(ordered: Sequence[Segment]) -> Result:
    scored: list[tuple[float, _Answer, int, int]] = []
    for answer in _answers(ordered):
        words = len(_words(answer.text))
        disfluent = _disfluencies(answer.text)
        pause = answer.start - answer.pause_start
        fluency = ramp(words, 25, 60) * ramp(100 * disfluent / max(words, 1), 3.0, 0.5)
        scored.append((ramp(pause, 4.0, 8.0) * fluency, answer, words, disfluent))
    if not scored:
        return Result(0.0, "No answers following an interviewer question in the transcript.", [])
    scored.sort(key=lambda item: -item[0])
    best = scored[0][0]
    strong = [item for item in scored if item[0] >= 0.5]
    confidence = best + 0.1 * max(len(strong) - 1, 0)
    shown = strong or (scored[:1] if best > 0 else [])
    evidence: list[Moment] = []
    for _score, answer, words, disfluent in sorted(shown, key=lambda item: item[1].start):
        pause = answer.start - answer.pause_start
        evidence.append(
            Moment(answer.pause_start, answer.start, f"{pause:.1f} s of silence after the question")
        )
        evidence.append(
            Moment(answer.start, answer.end, f"{words} words, {disfluent} fillers or self-repairs")
        )
    longest = max(item[1].start - item[1].pause_start for item in strong or scored)
    if strong:
        summary = (
            f"{len(strong)} answer(s) came after a silence of up to {longest:.1f} s and were very fluent."
        )
    else:
        summary = f"No long silence followed by an unusually fluent answer (longest pause {longest:.1f} s)."
    return Result(confidence, summary, evidence)


def _syllables(word: str) -> int:
    """Vowel groups, less a silent final e: close enough in English to even out long and short words."""
    count = len(_VOWELS.findall(word))
    if count > 1 and word.endswith("e") and not word.endswith(("le", "ee")):
        count -= 1
    return max(count, 1)


def reading_like(ordered: Sequence[Segment]) -> Result:
    usable = [
        s for s in ordered if s.speaker == CANDIDATE and len(_words(s.text)) >= 3 and s.end - s.start >= 1.0
    ]
    total_words = sum(len(_words(s.text)) for s in usable)
    if len(usable) < 4 or total_words < 60:
        return Result(
            0.0,
            f"Too little candidate speech to judge ({len(usable)} segments, {total_words} words; "
            "needs 4 and 60).",
            [],
        )
    syllables = np.array([sum(map(_syllables, _words(s.text))) for s in usable], dtype=np.float64)
    rates = syllables / np.array([s.end - s.start for s in usable], dtype=np.float64)
    cv = float(np.std(rates) / np.mean(rates))
    per_100 = 100 * sum(_disfluencies(s.text) for s in usable) / total_words
    confidence = ramp(cv, 0.20, 0.08) * ramp(per_100, 2.0, 0.3) * (0.6 + 0.4 * ramp(len(usable), 4, 8))
    summary = (
        f"Speaking rate varies by {100 * cv:.0f} % across {len(usable)} segments "
        f"(mean {float(np.mean(rates)):.1f} syllables/s), "
        f"{per_100:.1f} fillers or self-repairs per 100 words."
    )
    evidence = [Moment(s.start, s.end, f"{r:.1f} syllables/s") for s, r in zip(usable, rates, strict=True)]
    return Result(confidence, summary, evidence if confidence > 0 else [])


def focus_lost(ordered: Sequence[Segment], events: Sequence[PageEvent]) -> Result:
    if not events:
        return Result(0.0, "No page visibility or focus changes were reported.", [])
    window_start = ordered[0].start if ordered else min(e.at for e in events)
    window_end = max(s.end for s in ordered) if ordered else max(e.at for e in events)
    spans = [
        (max(start, window_start), min(end, window_end))
        for start, end in _away_spans(events, window_end)
        if min(end, window_end) > max(start, window_start)
    ]
    if not spans:
        return Result(0.0, "The page stayed visible and focused during the interview.", [])
    total = sum(end - start for start, end in spans)
    confidence = 1.0 - math.exp(-(total / 40.0 + (len(spans) - 1) / 3.0))
    evidence = [
        Moment(start, end, f"page hidden or unfocused for {end - start:.1f} s") for start, end in spans
    ]
    return Result(
        confidence, f"Left the interview page {len(spans)} time(s), {total:.0f} s in all.", evidence
    )


def _away_spans(events: Sequence[PageEvent], end_of_interview: float) -> list[tuple[float, float]]:
    """Spans while the page was hidden or blurred; a span still open at the end runs to `end_of_interview`."""
    hidden = blurred = False
    away_since: float | None = None
    spans: list[tuple[float, float]] = []
    for event in sorted(events, key=lambda e: e.at):
        if event.kind in ("hidden", "visible"):
            hidden = event.kind == "hidden"
        else:
            blurred = event.kind == "blur"
        if (hidden or blurred) and away_since is None:
            away_since = event.at
        elif not (hidden or blurred) and away_since is not None:
            spans.append((away_since, event.at))
            away_since = None
    if away_since is not None:
        spans.append((away_since, max(end_of_interview, away_since)))
    return spans
