"""The embedded scorer: explainable answer features mapped to rubric dimensions (offline, deterministic).

Same transcript, same scores: there is no model and no randomness. What it does:

1. **Exchanges.** The transcript is cut into exchanges: the interviewer's lines, then the candidate's
   segments until the interviewer speaks again.
2. **Which dimension an exchange is about.** When the session had an interview plan, an interviewer
   line that matches a planned question's wording (most of its words) opens that question, and the
   follow-ups after it stay with it; its dimension, skill and keywords come from the plan. Without a
   plan match, the exchange goes to the dimension whose name, description and related template skills
   or traits share the most words with the question and the answer; with no overlap at all, to every
   dimension (general evidence).
3. **Features per question** (`scoring.answers.analyse`, from the transcript text only):
   - relevance: the skill and keywords asked about, named in the answer (`coverage`);
   - specificity: numbers, named tools and technologies, a concrete example;
   - ownership: first-person actions ("I built") against collective "we";
   - structure: situation, task, action, result cues (STAR);
   - depth under follow-ups: the strongest answer reached across the question and its follow-ups,
     and whether the follow-ups added specifics the first answer lacked;
   - coverage of the question: answer length up to 80 words; hedges ("kind of", "I guess") count against.
4. **Score.** Per question, `0.25 relevance + 0.25 specificity + 0.2 ownership + 0.15 structure +
   0.15 depth`, each part 0-1 (weights below, `QUESTION_WEIGHTS`), less a hedge penalty. A dimension's
   value is the mean over its questions, weighting a question by its answer length (at most 80 words),
   then scaled to the rubric's scale. A dimension nobody answered about scores 0 and says so.
5. **Evidence.** Up to three sentences from the candidate's own segments that carry the most features
   (numbers, named things, first-person actions, outcomes), with the segment id and times.

What it cannot judge: whether anything said is true or correct, whether the reasoning or a design is
good, tone of voice, confidence, or anything the recogniser misheard. A fluent, specific-sounding
answer scores well whatever its substance, and a correct but terse one scores low. It measures how an
answer is built, not whether it is right: read its scores next to the evidence.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field

from scoring.answers import AnswerFeatures, analyse
from scoring.model import CANDIDATE, DimensionScore, Evidence, QuestionHint, Rubric, Segment

__all__ = ["QUESTION_WEIGHTS", "EmbeddedScorer", "score_transcript"]

QUESTION_WEIGHTS = {
    "relevance": 0.25,
    "specificity": 0.25,
    "ownership": 0.2,
    "structure": 0.15,
    "depth": 0.15,
}
FULL_LENGTH_WORDS = 80
PLAN_MATCH = 0.6  # share of a planned wording's words an interviewer line must contain
MAX_EVIDENCE = 3
MAX_QUOTE_CHARS = 300

_WORD = re.compile(r"[a-z0-9+#']+")
_SENTENCE = re.compile(r"[^.!?]+[.!?]*")
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


@dataclass(slots=True)
class _Exchange:
    prompt: str
    answers: list[Segment] = field(default_factory=list)

    @property
    def answer_text(self) -> str:
        return " ".join(s.text.strip() for s in self.answers if s.text.strip())


@dataclass(slots=True)
class _Question:
    """One planned (or inferred) question and its follow-ups."""

    dimension: str | None  # None: general evidence for every dimension
    skill: str | None
    keywords: tuple[str, ...]
    exchanges: list[_Exchange] = field(default_factory=list)


class EmbeddedScorer:
    name = "embedded"

    async def score(self, rubric: Rubric, transcript: Sequence[Segment]) -> list[DimensionScore]:
        # Pure Python over a few thousand words: milliseconds, so no worker thread is needed.
        return score_transcript(rubric, transcript)


def score_transcript(rubric: Rubric, transcript: Sequence[Segment]) -> list[DimensionScore]:
    questions = _questions(rubric, _exchanges(transcript))
    return [_score_dimension(rubric, item.name, questions) for item in rubric.items]


# -- exchanges and questions ------------------------------------------------------------------------


def _exchanges(transcript: Sequence[Segment]) -> list[_Exchange]:
    exchanges: list[_Exchange] = []
    prompt: list[str] = []
    for segment in sorted(transcript, key=lambda s: (s.start, s.end)):
        if segment.speaker == CANDIDATE:
            if prompt or not exchanges:
                exchanges.append(_Exchange(" ".join(prompt)))
                prompt = []
            exchanges[-1].answers.append(segment)
        else:
            prompt.append(segment.text.strip())
    return [e for e in exchanges if e.answer_text]


_SUFFIXES = ("ations", "ation", "ings", "ing", "ship", "ment", "ers", "er", "ed", "es", "ate", "ly", "s")


def _stem(word: str) -> str:
    """A light suffix stripper ("designed", "designs" -> "design"; "ownership" -> "own"), enough to
    match a question's words with a dimension's name; two passes at most."""
    for _ in range(2):
        for suffix in _SUFFIXES:
            if word.endswith(suffix) and len(word) - len(suffix) >= 3:
                word = word[: -len(suffix)]
                break
        else:
            break
    return word


def _words(text: str) -> set[str]:
    return {_stem(w) for w in _WORD.findall(text.lower()) if w not in _STOP and len(w) > 2}


def _plan_match(prompt: str, hints: Sequence[QuestionHint]) -> QuestionHint | None:
    said = _words(prompt)
    best, best_share = None, 0.0
    for hint in hints:
        for wording in hint.wordings:
            wanted = _words(wording)
            if not wanted:
                continue
            share = len(wanted & said) / len(wanted)
            if share > best_share:
                best, best_share = hint, share
    return best if best_share >= PLAN_MATCH else None


def _dimension_words(rubric: Rubric, name: str) -> set[str]:
    item = next(i for i in rubric.items if i.name == name)
    words = _words(f"{item.name} {item.description}")
    # Template skills and traits that share a word with the dimension widen its vocabulary.
    for extra in (*rubric.skills, *rubric.traits):
        extra_words = _words(extra)
        if extra_words & words or extra.casefold() in item.name.casefold():
            words |= extra_words
    return words


def _infer_dimension(rubric: Rubric, exchange: _Exchange) -> str | None:
    said = _words(f"{exchange.prompt} {exchange.answer_text}")
    overlaps = [(len(_dimension_words(rubric, i.name) & said), i.name) for i in rubric.items]
    best = max(overlaps, default=(0, ""))
    if best[0] == 0 or sum(1 for n, _ in overlaps if n == best[0]) > 1:
        return None
    return best[1]


def _questions(rubric: Rubric, exchanges: Sequence[_Exchange]) -> list[_Question]:
    questions: list[_Question] = []
    current: _Question | None = None
    for exchange in exchanges:
        hint = _plan_match(exchange.prompt, rubric.questions) if rubric.questions else None
        if hint is not None:
            current = _Question(hint.dimension, hint.skill or None, hint.keywords)
            questions.append(current)
        elif current is None or not rubric.questions:
            # No plan to follow: each exchange stands alone, placed by the words it uses.
            current = _Question(_infer_dimension(rubric, exchange), None, ())
            questions.append(current)
        current.exchanges.append(exchange)
    return questions


# -- scoring ----------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Assessed:
    value: float  # 0-1
    words: int
    best: AnswerFeatures
    parts: dict[str, float]
    follow_ups: int
    deepened: bool


def _assess(question: _Question) -> _Assessed:
    features = [analyse(e.answer_text, question.skill, question.keywords) for e in question.exchanges]
    joined = analyse(" ".join(e.answer_text for e in question.exchanges), question.skill, question.keywords)
    first, best = features[0], max(features, key=lambda f: f.strength)
    specifics = len(joined.numbers) + len(joined.technologies) + (2 if joined.has_example else 0)
    parts = {
        "relevance": joined.coverage
        if question.skill or question.keywords
        else min(joined.word_count / 40, 1.0),
        "specificity": min(specifics / 4, 1.0),
        "ownership": min(joined.first_person_actions / 2, 1.0)
        if joined.first_person_actions
        else (0.3 if joined.we_statements else 0.0),
        "structure": len(joined.star) / 4,
        "depth": best.strength,
    }
    # Follow-ups that brought out specifics the first answer lacked count as depth reached.
    deepened = len(features) > 1 and best.strength > first.strength + 0.1
    if deepened:
        parts["depth"] = min(parts["depth"] + 0.1, 1.0)
    value = sum(QUESTION_WEIGHTS[k] * v for k, v in parts.items())
    value *= min(joined.word_count / FULL_LENGTH_WORDS, 1.0) ** 0.5  # a two-word answer cannot score high
    value -= min(0.05 * joined.hedges, 0.15)
    return _Assessed(
        round(min(max(value, 0.0), 1.0), 4), joined.word_count, best, parts, len(features) - 1, deepened
    )


def _score_dimension(rubric: Rubric, name: str, questions: Sequence[_Question]) -> DimensionScore:
    mine = [q for q in questions if q.dimension == name]
    general = not mine
    if general:
        mine = [q for q in questions if q.dimension is None]
    if not mine:
        return DimensionScore(
            name, 0.0, "Not assessed: no answer in the transcript addressed this dimension."
        )
    assessed = [_assess(q) for q in mine]
    weights = [max(min(a.words, FULL_LENGTH_WORDS), 1) for a in assessed]
    value = sum(a.value * w for a, w in zip(assessed, weights, strict=True)) / sum(weights)
    score = _on_scale(value, rubric.scale_max)
    evidence = _evidence([s for q in mine for e in q.exchanges for s in e.answers])
    parts = tuple((k, round(sum(a.parts[k] for a in assessed) / len(assessed), 3)) for k in QUESTION_WEIGHTS)
    return DimensionScore(name, score, _rationale(assessed, general, len(mine)), tuple(evidence), parts)


def _on_scale(value: float, scale_max: int) -> float:
    scaled = value * scale_max
    return float(round(scaled)) if scale_max >= 100 else round(scaled, 1)


def _rationale(assessed: Sequence[_Assessed], general: bool, questions: int) -> str:
    parts = {k: sum(a.parts[k] for a in assessed) / len(assessed) for k in QUESTION_WEIGHTS}
    words = sum(a.words for a in assessed)
    follow_ups = sum(a.follow_ups for a in assessed)
    best = max(assessed, key=lambda a: a.best.strength).best
    lead = (
        "No question was tied to this dimension; judged on the whole interview. "
        if general
        else f"{questions} question{'s' if questions != 1 else ''}"
        f"{f' and {follow_ups} follow-up' + ('s' if follow_ups != 1 else '') if follow_ups else ''}, "
        f"{words} words. "
    )
    notes = [
        f"relevance {parts['relevance']:.0%}",
        f"specificity {parts['specificity']:.0%}",
        f"ownership {parts['ownership']:.0%}",
        f"structure {parts['structure']:.0%}",
        f"depth {parts['depth']:.0%}",
    ]
    named = ", ".join(best.technologies[:4])
    detail = []
    if named:
        detail.append(f"named {named}")
    if best.numbers:
        detail.append(f"gave numbers ({', '.join(best.numbers[:3])})")
    if best.first_person_actions:
        detail.append("described own actions")
    elif best.we_statements:
        detail.append("spoke of the team rather than own actions")
    if any(a.deepened for a in assessed):
        detail.append("follow-ups brought out more detail")
    if best.hedges:
        detail.append(f"{best.hedges} hedge{'s' if best.hedges != 1 else ''}")
    tail = f" Strongest answer: {'; '.join(detail)}." if detail else ""
    return f"{lead}{', '.join(notes).capitalize()}.{tail}"


def _sentence_weight(sentence: str) -> float:
    f = analyse(sentence, None)
    return (
        len(f.numbers) + len(f.technologies) + 1.5 * f.first_person_actions + f.outcomes + 0.01 * f.word_count
    )


def _evidence(segments: Sequence[Segment]) -> list[Evidence]:
    candidates: list[tuple[float, int, Segment, str]] = []
    for order, segment in enumerate(segments):
        for match in _SENTENCE.finditer(segment.text):
            sentence = match.group(0).strip()
            if len(_WORD.findall(sentence.lower())) < 4:
                continue
            candidates.append((_sentence_weight(sentence), -order, segment, sentence[:MAX_QUOTE_CHARS]))
    candidates.sort(key=lambda c: (c[0], c[1]), reverse=True)
    chosen: list[Evidence] = []
    for weight, _, segment, quote in candidates:
        if weight < 1 or len(chosen) == MAX_EVIDENCE:
            break
        chosen.append(Evidence(segment.id, segment.start, segment.end, quote))
    return sorted(chosen, key=lambda e: (e.start, e.segment_id))
