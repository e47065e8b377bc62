"""The embedded scorer: offline and deterministic (same transcript, same scores), built on a small
sentence-embedding model (`scoring.embeddings`) and explainable answer features.

What it measures, per planned question (its follow-ups included):

1. **Evidence first** (`scoring.evidence`). A dimension nobody asked about, or with fewer than
   `min_words` candidate words on it, is not scored: `score: None`, status `insufficient_evidence`.
2. **Relevance, in meaning.** How close the answer is to the question asked and to the dimension's
   description, by cosine similarity of sentence embeddings, mapped to 0-1 (`RELEVANT_LOW` ..
   `RELEVANT_HIGH`). Everything else is multiplied by it: an off-topic or evasive answer scores low
   however long it is, and names, numbers and "I led" in an answer that does not address the question
   earn little.
3. **Originality.** Each stretch of the answer (a sentence, or a window of a long one) is compared in
   meaning with what the candidate said in answer to earlier questions; a near-duplicate
   (`DUPLICATE_HIGH`) earns nothing new, a partial one partial credit. A canned story given to every
   question counts once.
4. **Substance**, over the original part of the answer: specifics (numbers, named tools, a concrete
   example; a list of names with nothing around it counts less), reasoning (why: because, so that,
   instead of, trade-offs), ownership (what the candidate did: "I decided"), an outcome, and how much
   was said (elaboration, full at `FULL_WORDS`). Hedges ("I think", "maybe") cost nothing: a careful
   speaker who is right is not marked down for sounding careful.
5. **Meaning** (`scoring.answer_quality`): a linear model on the answer's sentence embeddings, fitted on
   answers a panel scored, reads what the counted parts cannot (a vague answer that echoes the
   question, a fluent story about something else, other people's work, definitions without a case).
   Per question the value is `MODEL_SHARE` of its reading (gated by clearly low relevance,
   `READ_GATE`) plus the rest of the counted value (relevance x substance, spread by
   `CALIBRATION_SLOPE`), mapped onto the panel's scale (`AnswerQualityModel.spread`), times
   originality.
6. **Per dimension**: the mean over its questions, weighted by original words (up to `FULL_WORDS`),
   mapped onto the rubric's scale.

Evidence: up to three stretches of the candidate's own segments, quoted verbatim and cut at word
boundaries, chosen for relevance and substance, with the segment id and times.

**What it cannot judge:** whether anything said is true or correct (a fluent, specific, wrong
explanation of an index or a consensus protocol scores like a right one), the quality of a design,
tone of voice, or anything the recogniser misheard. It measures structure and relevance, not
correctness: confirm with an LLM scorer or a human.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Sequence
from dataclasses import dataclass, replace

import numpy as np
import numpy.typing as npt

from scoring import evidence
from scoring.answer_quality import SCALARS, AnswerQualityModel, answer_features
from scoring.embeddings import SentenceEncoder
from scoring.evidence import DimensionEvidence, Exchange, Question
from scoring.model import CANDIDATE, DimensionScore, Rubric, Segment
from scoring.stretches import SENTENCE, Stretch, pick_evidence
from scoring.stretches import stretches as stretches_of
from scoring.wording import FULL_WORDS, substance

__all__ = ["MODEL_SHARE", "PART_WEIGHTS", "AnswerReading", "EmbeddedScorer", "blend"]

# How the substance parts add up (they sum to 1); relevance and originality multiply the result.
PART_WEIGHTS = {
    "specificity": 0.2,
    "reasoning": 0.25,
    "ownership": 0.2,
    "outcome": 0.15,
    "elaboration": 0.2,
}
RELEVANT_LOW = 0.06  # cosine (answer, question) at or below which an answer is off-topic
RELEVANT_HIGH = 0.20  # at or above which it addresses it
# Off-topic talk drifts to a few stock subjects (oneself, the company, hobbies, plans): an answer much
# closer in meaning to one of `_DRIFT` than to the question asked is about that instead. The margin is
# cosine(answer, closest drift topic) - cosine(answer, question): from DRIFT_LOW it starts to cost, at
# DRIFT_HIGH the answer counts as off-topic. The absolute similarity alone cannot tell: a small sentence
# model puts "why I love this company" about as close to a support question as a real account.
DRIFT_LOW = 0.10
DRIFT_HIGH = 0.25
DRIFT_SAME_AS_ASKED = 0.5  # a drift topic this close to the question asked is the question: not drift
DUPLICATE_LOW = 0.62  # cosine to an earlier answer's stretch from which repetition starts to cost
DUPLICATE_HIGH = 0.82  # at or above which a stretch is a repeat and earns nothing
JUDGEMENT_SHARE = 0.3
SEMANTIC_SHARE = 0.5  # of each of specificity, reasoning, ownership and outcome: the prototypes
PROTOTYPE_LOW = 0.2  # cosine to a part's prototypes below which the semantic half is 0
PROTOTYPE_HIGH = 0.45  # at or above which it is 1
PLACE_MIN = 0.15  # without a plan: least cosine for an exchange to be placed on a dimension
PLACE_MARGIN = 0.03  # and its lead over the second-best dimension
# The product of the parts is compressed (a strong answer rarely has every part at 1): this spreads it
# over the scale so that a strong interview reaches the top band. Fitted on half of the calibration
# set (bench/calibration, the support and backend roles) by mapping the median weak and strong
# interviews onto the panel's, and checked on the other half; monotone, so it changes no ranking.
CALIBRATION_SLOPE = 1.25
CALIBRATION_OFFSET = -0.05
# How much of an answer's value is the meaning model's reading (`scoring.answer_quality`) rather than
# the counted parts; chosen by cross-validation on the model's training answers, role by role.
MODEL_SHARE = 0.7
# Relevance below which the model's reading is scaled down with it. Above it the measure is noise on
# answers that do address the question (two wordings of one answer differ by up to 0.13 there); on
# the model's 842 training answers, fewer than 1% of on-topic ones fall below it.
READ_GATE = 0.8
# The call ended on the candidate's words to the last question, and they are not about it (relevance
# below this; "sorry, my son's nursery is calling, I have to go" reads 0.22): a leaving, not an answer,
# and evidence for nothing. Only the last question, and only when the candidate had the last word: an
# off-topic answer anywhere else is still scored (low).
DEPARTURE_RELEVANCE = 0.5
_PROTOTYPES = {
    "reasoning": (
        "I did it this way because it avoided the bigger risk, and the trade-off was worth it.",
        "The reason I chose this option instead of the other one was the cost.",
        "I realised the real cause was something else, so I changed my approach.",
    ),
    "ownership": (
        "I took responsibility for it and did the work myself.",
        "I decided what to do, then I did it and followed up personally.",
    ),
    "outcome": (
        "As a result the problem was solved and the numbers improved.",
        "In the end it worked: the customer was happy and it never happened again.",
    ),
    "specificity": (
        "For example, last year at my previous job there was one specific situation with a customer.",
        "It took 3 days, cost 40 thousand dollars and involved the billing database.",
    ),
}
# Stock subjects an interview answer drifts to instead of the question (see DRIFT_LOW). General, not
# about any role: a question on one of them (a motivation question) is excluded by DRIFT_SAME_AS_ASKED.
_DRIFT = (
    "Tell me about yourself and your background.",
    "Why do you want to work for our company?",
    "What do you know about our company and its products?",
    "What do you like to do in your free time? What are your hobbies?",
    "Tell me about your family and your personal life.",
    "Where did you go on your last holiday?",
    "What sports or games do you play?",
    "What are your greatest strengths and weaknesses?",
    "What salary are you expecting?",
    "Where do you see yourself in five years?",
    "What is your favourite book, film or TV show?",
    "What do you think about the latest technology trends and the news?",
    "How was your weekend?",
    "What are you passionate about?",
)


@dataclass(frozen=True, slots=True)
class AnswerReading:
    """One answer as the scorer read it (see `EmbeddedScorer.readings`)."""

    dimension: str
    features: np.ndarray  # the meaning model's input (`scoring.answer_quality.answer_features`)
    counted: float  # 0-1: the counted parts' value, on the panel's scale
    relevance: float  # 0-1
    value: float  # 0-1: what the scorer made of it (before the dimension's weighting)


@dataclass(frozen=True, slots=True)
class _Assessed:
    value: float  # 0-1
    weight: float  # original words, capped
    parts: dict[str, float]
    stretches: tuple[tuple[Stretch, float, float], ...]  # (stretch, relevance, originality)
    follow_ups: int
    repeated_from: str  # the earlier question most of it repeats, or ""
    features: np.ndarray  # scoring.answer_quality's input for this answer


class EmbeddedScorer:
    """The offline scorer. The sentence model loads on first use (in a worker thread) unless given."""

    name = "embedded"

    def __init__(
        self,
        encoder: SentenceEncoder | None = None,
        *,
        min_words: int = evidence.DEFAULT_MIN_WORDS,
        quality: AnswerQualityModel | bool = True,
    ) -> None:
        """`quality`: True reads answers with the shipped meaning model (`scoring.answer_quality`),
        False with the counted parts alone, or the given model."""
        self._encoder = encoder
        self._load_lock = threading.Lock()
        self.min_words = min_words
        self._quality: AnswerQualityModel | None = (
            quality if isinstance(quality, AnswerQualityModel) else None
        )
        self._use_quality = quality is not False

    async def score(self, rubric: Rubric, transcript: Sequence[Segment]) -> list[DimensionScore]:
        # Embedding a transcript takes tens to hundreds of milliseconds of numpy: off the event loop.
        return await asyncio.to_thread(self.score_sync, rubric, transcript)

    async def sufficiency(
        self, rubric: Rubric, transcript: Sequence[Segment]
    ) -> dict[str, DimensionEvidence]:
        """The evidence gate's verdicts, with exchanges placed as this scorer places them."""
        return await asyncio.to_thread(self._sufficiency_sync, rubric, transcript)

    def score_sync(self, rubric: Rubric, transcript: Sequence[Segment]) -> list[DimensionScore]:
        grouped = self._questions(rubric, transcript)
        assessed = self._assess_all(rubric, grouped)
        verdicts = self._verdicts(rubric, transcript, grouped, assessed)
        return [
            _dimension(rubric, item.name, verdicts[item.name], grouped, assessed) for item in rubric.items
        ]

    def _sufficiency_sync(
        self, rubric: Rubric, transcript: Sequence[Segment]
    ) -> dict[str, DimensionEvidence]:
        grouped = self._questions(rubric, transcript)
        # Only the last answer can be a leaving (`_departure`), and its relevance does not depend on the
        # answers before it: embed that one alone, not the whole interview `score_sync` embeds anyway.
        last = self._assess_all(rubric, grouped[-1:]) if _ends_on_candidate(transcript) else {}
        assessed = {len(grouped) - 1: last[0]} if 0 in last else {}
        return self._verdicts(rubric, transcript, grouped, assessed)

    def _verdicts(
        self,
        rubric: Rubric,
        transcript: Sequence[Segment],
        grouped: Sequence[Question],
        assessed: dict[int, _Assessed],
    ) -> dict[str, DimensionEvidence]:
        """The evidence gate, without the candidate's leaving words (`_departure`): they are dropped
        from `assessed`, and a dimension they alone would have covered is not assessed, saying why."""
        left = _departure(transcript, grouped, assessed)
        if left is None:
            return evidence.sufficiency(rubric, grouped, self.min_words)
        del assessed[left]
        verdicts = evidence.sufficiency(
            rubric, [q for i, q in enumerate(grouped) if i != left], self.min_words
        )
        name = grouped[left].dimension
        if name is not None and name in verdicts and not verdicts[name].sufficient:
            verdicts[name] = replace(
                verdicts[name],
                why="Not assessed: the call ended after this dimension's question was asked, and the "
                "candidate's last words were not an answer to it.",
            )
        return verdicts

    # -- the model ---------------------------------------------------------------------------------

    def encoder(self) -> SentenceEncoder:
        with self._load_lock:
            if self._encoder is None:
                self._encoder = SentenceEncoder.shared()
            return self._encoder

    def quality_model(self) -> AnswerQualityModel | None:
        if not self._use_quality:
            return None
        with self._load_lock:
            if self._quality is None:
                self._quality = AnswerQualityModel.load()
            return self._quality

    def readings(self, rubric: Rubric, transcript: Sequence[Segment]) -> list[AnswerReading]:
        """How each placed question's answer was read, in order: what `bench/fit_answer_quality.py`
        fits the meaning model on."""
        grouped = self._questions(rubric, transcript)
        assessed = self._assess_all(rubric, grouped)
        return [
            AnswerReading(q.dimension, a.features, a.parts["counted"], a.parts["relevance"], a.value)
            for i, q in enumerate(grouped)
            if q.dimension is not None and (a := assessed.get(i)) is not None
        ]

    def _questions(self, rubric: Rubric, transcript: Sequence[Segment]) -> list[Question]:
        return evidence.questions(rubric, evidence.exchanges(transcript), self._place)

    def _place(self, rubric: Rubric, exchange: Exchange) -> str | None:
        """Without a plan: the dimension closest in meaning to the exchange, when one clearly is."""
        if not rubric.items:
            return None
        texts = [evidence.dimension_text(rubric, i.name) for i in rubric.items]
        vectors = self.encoder().encode([f"{exchange.prompt} {exchange.answer_text}", *texts])
        sims = vectors[1:] @ vectors[0]
        order = np.argsort(-sims)
        best = float(sims[order[0]])
        second = float(sims[order[1]]) if len(order) > 1 else -1.0
        if best < PLACE_MIN or best - second < PLACE_MARGIN:
            return None
        return rubric.items[int(order[0])].name

    # -- assessing questions -------------------------------------------------------------------------

    def _assess_all(self, rubric: Rubric, grouped: Sequence[Question]) -> dict[int, _Assessed]:
        encoder = self.encoder()
        earlier: list[tuple[str, np.ndarray]] = []  # (question wording, stretch vectors) in order
        assessed: dict[int, _Assessed] = {}
        for index, question in enumerate(grouped):
            stretches = [s for e in question.exchanges for seg in e.answers for s in stretches_of(seg)]
            if not stretches:
                continue
            vectors = encoder.encode([s.text for s in stretches])
            if question.dimension is not None:
                assessed[index] = _assess(
                    encoder, self.quality_model(), rubric, question, stretches, vectors, earlier
                )
            earlier.append((question.wording, vectors))
        return assessed


def _assess(
    encoder: SentenceEncoder,
    model: AnswerQualityModel | None,
    rubric: Rubric,
    question: Question,
    stretches: Sequence[Stretch],
    vectors: np.ndarray,
    earlier: Sequence[tuple[str, np.ndarray]],
) -> _Assessed:
    assert question.dimension is not None
    targets = encoder.encode([*_asked(question), evidence.dimension_text(rubric, question.dimension)])
    answer = encoder.encode([question.answer_text])[0]
    # Relevance is the answer as a whole against the question (its closest wording). The dimension's
    # description is too broad to judge by (talk about the company is "about" customer support), and
    # single sentences too noisy; the stretches' similarity picks the evidence instead.
    whole = float(np.max(targets[:-1] @ answer))
    per_stretch = np.max(vectors @ targets.T, axis=1)
    asked_each = np.max(vectors @ targets[:-1].T, axis=1)
    words = np.array([s.words for s in stretches], dtype=np.float64)
    top = float(np.max(asked_each))
    drift = _drift(encoder, targets[:-1], answer)
    relevance = _ramp(max(whole, 0.8 * top), RELEVANT_LOW, RELEVANT_HIGH) * (1.0 - drift)
    originality_each = np.ones(len(stretches))
    repeated_from = ""
    if earlier:
        best_sim = np.full(len(stretches), -1.0)
        best_from = [""] * len(stretches)
        for wording, previous in earlier:
            sims = np.max(vectors @ previous.T, axis=1)
            for i, sim in enumerate(sims):
                if sim > best_sim[i]:
                    best_sim[i], best_from[i] = float(sim), wording
        originality_each = 1.0 - np.clip((best_sim - DUPLICATE_LOW) / (DUPLICATE_HIGH - DUPLICATE_LOW), 0, 1)
        repeated = words * (1.0 - originality_each)
        if repeated.sum() > 0.5 * words.sum():
            repeated_from = max(
                set(best_from),
                key=lambda w: sum(r for r, f in zip(repeated, best_from, strict=True) if f == w),
            )
    originality = float((originality_each * words).sum() / max(words.sum(), 1.0))
    original_text = " ".join(s.text for s, o in zip(stretches, originality_each, strict=True) if o >= 0.5)
    original_words = float((originality_each * words).sum())
    parts = substance(original_text, original_words, question.skill, question.keywords)
    _blend_prototypes(encoder, vectors[originality_each >= 0.5], parts)
    quality = sum(PART_WEIGHTS[k] * parts[k] for k in PART_WEIGHTS)
    counted = relevance * quality * (1 - JUDGEMENT_SHARE * (1 - parts["measured"]))
    # The counted parts' product is compressed: spread it over the panel's scale (see CALIBRATION_SLOPE).
    value = min(max(CALIBRATION_SLOPE * counted + CALIBRATION_OFFSET, 0.0), 1.0)
    kept = originality_each >= 0.5
    features = answer_features(
        vectors[kept] if kept.any() else vectors,
        words[kept] if kept.any() else words,
        {
            "asked_whole": whole,
            "asked_best": top,
            "asked_mean": float((asked_each * words).sum() / max(words.sum(), 1.0)),
            "dimension": float(targets[-1] @ answer),
            "drift": drift,
            **{k: parts[k] for k in SCALARS if k in parts},
        },
    )
    parts["counted"] = value
    if model is not None:
        read = model.predict(features)
        parts["meaning"] = read
        # Off-topic talk is capped by the relevance gate whatever it resembles.
        value = model.spread(float(blend(value, read, relevance)))
    value *= originality
    parts = {"relevance": relevance, "originality": originality, **parts}
    return _Assessed(
        round(min(max(value, 0.0), 1.0), 4),
        min(max(original_words, 1.0), FULL_WORDS),
        {k: round(v, 3) for k, v in parts.items()},
        tuple(zip(stretches, per_stretch.tolist(), originality_each.tolist(), strict=True)),
        len(question.exchanges) - 1,
        repeated_from,
        features,
    )


def blend(
    counted: npt.ArrayLike, read: npt.ArrayLike, relevance: npt.ArrayLike, share: float = MODEL_SHARE
) -> np.ndarray:
    """The counted parts' value (relevance already in it) and the meaning model's reading of one
    answer, both 0-1, as one (before `AnswerQualityModel.spread`). The reading is gated by clearly low
    relevance (`READ_GATE`): the model reads how good an answer sounds, mostly from the answer alone, and
    a good story about something else (a motorbike restored) is not an answer. Works on arrays too, so
    that `bench/fit_answer_quality.py` measures the same formula with other shares."""
    gate = np.minimum(1.0, np.asarray(relevance, dtype=np.float64) / READ_GATE)
    return np.asarray((1 - share) * np.asarray(counted, dtype=np.float64) + share * np.asarray(read) * gate)


def _drift(encoder: SentenceEncoder, asked: np.ndarray, answer: np.ndarray) -> float:
    """0 when the answer is about the question, 1 when it is about a stock subject instead (`_DRIFT`)."""
    topics = encoder.encode(list(_DRIFT))
    # A drift topic that is itself what was asked ("why this company?") cannot be drift.
    topics = topics[np.max(topics @ asked.T, axis=1) < DRIFT_SAME_AS_ASKED]
    if not len(topics):
        return 0.0
    margin = float(np.max(topics @ answer)) - float(np.max(asked @ answer))
    return _ramp(margin, DRIFT_LOW, DRIFT_HIGH)


def _blend_prototypes(encoder: SentenceEncoder, kept: np.ndarray, parts: dict[str, float]) -> None:
    """Each part the word patterns count, averaged with how close in meaning the answer's two closest
    stretches come to what that part sounds like (`_PROTOTYPES`). Counting words alone swings with the
    wording (the same story told with "I wrote" or "got a page from me"); the blend keeps the same
    content within a point however it is put."""
    if not len(kept):
        return
    protos = encoder.encode([p for group in _PROTOTYPES.values() for p in group])
    at = 0
    for part, group in _PROTOTYPES.items():
        sims = np.max(kept @ protos[at : at + len(group)].T, axis=1)
        at += len(group)
        closest = float(np.sort(sims)[-2:].mean())
        # Jargon sounds like all of these, so the semantic half is discounted like the counted one.
        semantic = _ramp(closest, PROTOTYPE_LOW, PROTOTYPE_HIGH) * parts["concreteness"]
        if part == "reasoning":
            # A creed sounds like reasoning ("because nulls break your numbers") without weighing anything.
            semantic *= parts["measured"]
        parts[part] = round((1 - SEMANTIC_SHARE) * parts[part] + SEMANTIC_SHARE * semantic, 3)


def _asked(question: Question) -> list[str]:
    """What the question was: the plan's wordings when it has them (an interviewer's preamble,
    "Hello, this is the interview for ...", would otherwise make any talk about the job look
    relevant), else the last sentences of what the interviewer said."""
    if question.planned:
        return [w for w in question.planned if w.strip()]
    sentences = [m.group(0).strip() for m in SENTENCE.finditer(question.wording) if m.group(0).strip()]
    # The question is at the end ("Thanks. Next one: tell me about X. How did you go about it?").
    return [" ".join(sentences[-2:]), sentences[-1]] if sentences else [question.wording]


def _departure(
    transcript: Sequence[Segment], grouped: Sequence[Question], assessed: dict[int, _Assessed]
) -> int | None:
    """The last question, when the call ended on the candidate's words to it, without a follow-up, and
    those words are not about it (relevance below `DEPARTURE_RELEVANCE`). A candidate who says "sorry,
    I have to go" and hangs up as a question is asked has not answered it: scored, that dimension got
    0 and pulled the interview down, where a dimension the call never reached is not assessed."""
    if not grouped or not _ends_on_candidate(transcript):
        return None  # the interviewer had the last word: the call ended normally, or on a question
    index = len(grouped) - 1
    last = assessed.get(index)
    if last is None or len(grouped[index].exchanges) != 1:
        return None
    return index if last.parts["relevance"] < DEPARTURE_RELEVANCE else None


def _ends_on_candidate(transcript: Sequence[Segment]) -> bool:
    return bool(transcript) and max(transcript, key=lambda s: (s.end, s.start)).speaker == CANDIDATE


def _ramp(value: float, low: float, high: float) -> float:
    return float(min(max((value - low) / (high - low), 0.0), 1.0))


# -- dimensions ---------------------------------------------------------------------------------------


def _dimension(
    rubric: Rubric,
    name: str,
    verdict: DimensionEvidence,
    grouped: Sequence[Question],
    assessed: dict[int, _Assessed],
) -> DimensionScore:
    mine = [assessed[i] for i, q in enumerate(grouped) if q.dimension == name and i in assessed]
    if not verdict.sufficient or not mine:
        return DimensionScore.insufficient(name, verdict.why or "Not assessed: no answer on this dimension.")
    weights = [a.weight for a in mine]
    value = sum(a.value * w for a, w in zip(mine, weights, strict=True)) / sum(weights)
    parts = {
        k: round(sum(a.parts[k] * w for a, w in zip(mine, weights, strict=True)) / sum(weights), 3)
        for k in mine[0].parts
    }
    return DimensionScore(
        name,
        _on_scale(value, rubric.scale_max),
        _rationale(mine, parts, verdict),
        tuple(pick_evidence(item for a in mine for item in a.stretches)),
        tuple(parts.items()),
    )


def _on_scale(value: float, scale_max: int) -> float:
    scaled = value * scale_max
    return float(round(scaled)) if scale_max >= 100 else round(scaled, 1)


def _rationale(mine: Sequence[_Assessed], parts: dict[str, float], verdict: DimensionEvidence) -> str:
    follow_ups = sum(a.follow_ups for a in mine)
    lead = (
        f"{verdict.questions} question{'s' if verdict.questions != 1 else ''}"
        f"{f' and {follow_ups} follow-up' + ('s' if follow_ups != 1 else '') if follow_ups else ''}, "
        f"{verdict.words} words. "
    )
    # "counted" is the word-pattern parts' value and "meaning" the meaning model's reading, both 0-1.
    listed = ", ".join(f"{k} {v:.0%}" for k, v in parts.items())
    notes: list[str] = []
    if parts.get("relevance", 1.0) < 0.4:
        notes.append("The answers did not address what was asked, so little else counts.")
    repeats = [a.repeated_from for a in mine if a.repeated_from]
    if repeats:
        notes.append(
            f"Most of it repeated an earlier answer (to \u201c{_clip(repeats[0], 80)}\u201d), "
            "which earns nothing new."
        )
    tail = f" {' '.join(notes)}" if notes else ""
    return f"{lead}{listed[:1].upper()}{listed[1:]}.{tail}"


def _clip(text: str, limit: int) -> str:
    text = " ".join(text.split())
    if len(text) <= limit:
        return text
    cut = text[:limit].rsplit(" ", 1)[0]
    return f"{cut}\u2026"
