"""A scorer that asks an LLM to grade each rubric dimension against the transcript.

One request per dimension, so every prompt carries that dimension's description, weight and planned
questions (a single request for the whole rubric lets dimensions bleed into each other), and
behaviourally anchored levels for it: what a low, a middle and a top answer on *this* dimension look
like (`anchors`), placed on the rubric's scale. The model is told that length, jargon, tool names,
numbers and a confident tone earn nothing by themselves, that a repeated answer earns nothing new, that
an off-topic answer scores low however long, and that technical correctness matters.

The reply is one JSON object with the quotes first, then the rationale, then the score, so the model
writes down what the candidate said before it decides. It may abstain (`insufficient_evidence: true`,
`score: null`) when the dimension was never asked about or the candidate said too little on it; that
becomes `DimensionScore.insufficient`. The reply is validated, and a bad one earns a short correction
and another try. With `samples` > 1 each dimension is asked that many times and the median score kept
(a majority of abstentions makes the dimension insufficient), which damps a model's run-to-run noise.

The model's evidence is never taken on trust: a quote is kept only if it really occurs in one of the
candidate's own segments, and is stored as the segment's exact words (widened to whole words) with its
times, so a recruiter can check every number against what was said.

The scorer does not know about HTTP: it is given `complete(messages) -> reply text` (in production
`LlmClient.reply`), so any endpoint, or a test double, can stand behind it.
"""

from __future__ import annotations

import asyncio
import json
import logging
import statistics
import string
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Any, Self

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    ValidationInfo,
    field_validator,
    model_validator,
)

from llm import ChatMessage, LlmError
from scoring.llm_prompt import LEVELS, MAX_EVIDENCE, REPLY_FORMAT, anchors, system_prompt, transcript_text
from scoring.model import CANDIDATE, DimensionScore, Evidence, Rubric, RubricItem, ScoringError, Segment

__all__ = ["LEVELS", "REPLY_FORMAT", "Complete", "LlmScorer", "anchors"]

logger = logging.getLogger(__name__)

Complete = Callable[[list[ChatMessage]], Awaitable[str]]

MAX_RATIONALE_CHARS = 400
NO_QUOTE_NOTE = "(no verifiable quote)"
_MAX_PROBLEM_CHARS = 300

# Typographic quotes become ASCII ones, so a model that "prettifies" a quote still matches the transcript.
_QUOTES = str.maketrans(
    {
        "\u2018": "'",
        "\u2019": "'",
        "\u201a": "'",
        "\u201b": "'",
        "\u2032": "'",
        "\u201c": '"',
        "\u201d": '"',
        "\u201e": '"',
        "\u201f": '"',
        "\u2033": '"',
        "\u00ab": '"',
        "\u00bb": '"',
    }
)
_APOSTROPHES = "'\u2019"
_END_CHARS = string.punctuation + string.whitespace + "\u2026\u2013\u2014"


class _EvidenceReply(BaseModel):
    model_config = ConfigDict(extra="ignore")

    segment_id: str
    quote: str

    @field_validator("segment_id", mode="before")
    @classmethod
    def _id_as_text(cls, value: Any) -> Any:
        # Segment ids are strings, but a model may echo a numeric-looking one as a JSON number.
        if isinstance(value, int) and not isinstance(value, bool):
            return str(value)
        return value


class _Reply(BaseModel):
    """The reply's JSON (in any key order); `scale_max` comes in the validation context."""

    model_config = ConfigDict(extra="ignore")

    evidence: list[_EvidenceReply] = Field(default_factory=list, max_length=MAX_EVIDENCE)
    rationale: str
    score: float | None = Field(allow_inf_nan=False)  # required: null only with insufficient_evidence
    insufficient_evidence: bool = False

    @field_validator("score", mode="before")
    @classmethod
    def _number(cls, value: Any) -> Any:
        # Pydantic would accept true or "7"; a reply that gets the type wrong is not trusted on the value.
        if value is not None and (isinstance(value, bool) or not isinstance(value, int | float)):
            raise ValueError("must be a JSON number (or null with insufficient_evidence true)")
        return value

    @field_validator("score")
    @classmethod
    def _on_scale(cls, value: float | None, info: ValidationInfo) -> float | None:
        scale_max = (info.context or {}).get("scale_max")
        if value is not None and scale_max is not None and not 0 <= value <= scale_max:
            raise ValueError(f"must be between 0 and {scale_max}")
        return value

    @field_validator("insufficient_evidence", mode="before")
    @classmethod
    def _flag(cls, value: Any) -> Any:
        if value is None:
            return False
        if not isinstance(value, bool):
            raise ValueError("must be true or false")
        return value

    @field_validator("rationale")
    @classmethod
    def _rationale(cls, value: str) -> str:
        value = " ".join(value.split())
        if not value:
            raise ValueError("must not be empty")
        if len(value) > MAX_RATIONALE_CHARS:
            # Too long is not wrong: cut it rather than spend another request on it.
            value = value[: MAX_RATIONALE_CHARS - 1].rstrip() + "\u2026"
        return value

    @model_validator(mode="after")
    def _abstains_without_a_score(self) -> Self:
        if self.insufficient_evidence and self.score is not None:
            raise ValueError("score must be null when insufficient_evidence is true")
        if not self.insufficient_evidence and self.score is None:
            raise ValueError("score is null but insufficient_evidence is not true")
        return self


class _BadReply(Exception):
    """The reply could not be used; the message tells the model what to fix."""


@dataclass(frozen=True, slots=True)
class _Verified:
    evidence: tuple[Evidence, ...]
    discarded: int
    reattributed: int


class LlmScorer:
    """Scores every rubric dimension with `samples` LLM requests each (the median is kept). Raises
    `ScoringError` when a dimension cannot be scored (every sample failed after `retries` further
    attempts), or when the candidate said nothing."""

    name = "llm"

    def __init__(
        self,
        complete: Complete,
        *,
        retries: int = 2,
        timeout_s: float | None = 120.0,
        retry_delay_s: float = 1.0,
        concurrency: int = 2,
        samples: int = 1,
    ) -> None:
        if retries < 0:
            raise ValueError("retries must be >= 0")
        if timeout_s is not None and timeout_s <= 0:
            raise ValueError("timeout_s must be > 0 (or None for no limit)")
        if retry_delay_s < 0:
            raise ValueError("retry_delay_s must be >= 0")
        if concurrency < 1:
            raise ValueError("concurrency must be >= 1")
        if samples < 1:
            raise ValueError("samples must be >= 1")
        self._complete = complete
        self._retries = retries
        self._timeout_s = timeout_s
        self._retry_delay_s = retry_delay_s
        self._concurrency = concurrency
        self._samples = samples

    async def score(self, rubric: Rubric, transcript: Sequence[Segment]) -> list[DimensionScore]:
        segments = list(transcript)
        if not any(_is_candidate(s) and s.text.strip() for s in segments):
            raise ScoringError("no candidate speech")
        if not rubric.items:
            return []
        user = ChatMessage("user", transcript_text(segments))
        # A local endpoint serves one or two requests at a time; more would only queue there and time out.
        # Every request (each sample of each dimension) waits its turn here.
        limit = asyncio.Semaphore(self._concurrency)
        try:
            async with asyncio.TaskGroup() as group:
                tasks = [
                    group.create_task(self._dimension(rubric, item, user, segments, limit))
                    for item in rubric.items
                ]
        except* ScoringError as failed:
            # One failed dimension fails the scorecard; the caller wants the plain error, not a group.
            raise failed.exceptions[0] from None
        return [task.result() for task in tasks]

    async def _dimension(
        self,
        rubric: Rubric,
        item: RubricItem,
        user: ChatMessage,
        segments: list[Segment],
        limit: asyncio.Semaphore,
    ) -> DimensionScore:
        if self._samples == 1:
            async with limit:
                replies = [await self._ask(rubric, item, user)]
            failed = 0
        else:
            replies, failed = await self._sample(rubric, item, user, limit)
        return _combine(rubric, item, replies, failed, segments)

    async def _sample(
        self, rubric: Rubric, item: RubricItem, user: ChatMessage, limit: asyncio.Semaphore
    ) -> tuple[list[_Reply], int]:
        """`samples` independent requests with the same prompt: the usable replies and how many failed.
        A failed sample is left out (and said so); the dimension fails only when every sample did."""

        async def one() -> _Reply | ScoringError:
            try:
                async with limit:
                    return await self._ask(rubric, item, user)
            except ScoringError as exc:
                return exc

        outcomes = await asyncio.gather(*(one() for _ in range(self._samples)))
        replies = [o for o in outcomes if isinstance(o, _Reply)]
        errors = [o for o in outcomes if isinstance(o, ScoringError)]
        if not replies:
            raise errors[0]
        if errors:
            logger.warning(
                "LLM scorer: %s of %s samples failed for dimension %r; scoring from the others",
                len(errors),
                self._samples,
                item.name,
            )
        return replies, len(errors)

    async def _ask(self, rubric: Rubric, item: RubricItem, user: ChatMessage) -> _Reply:
        base = [ChatMessage("system", system_prompt(rubric, item)), user]
        messages = list(base)
        attempts = self._retries + 1
        problem = ""
        for attempt in range(1, attempts + 1):
            try:
                async with asyncio.timeout(self._timeout_s):
                    text = await self._complete(messages)
            except (LlmError, TimeoutError) as exc:
                problem = str(exc) if isinstance(exc, LlmError) else _timed_out(self._timeout_s)
                logger.warning(
                    "LLM scorer: dimension %r, attempt %s of %s failed: %s",
                    item.name,
                    attempt,
                    attempts,
                    problem,
                )
                if attempt < attempts and self._retry_delay_s:
                    await asyncio.sleep(self._retry_delay_s)
                continue
            try:
                return _parse_reply(text, rubric.scale_max)
            except _BadReply as exc:
                problem = str(exc)
                logger.warning(
                    "LLM scorer: dimension %r, attempt %s of %s gave an unusable reply: %s",
                    item.name,
                    attempt,
                    attempts,
                    problem,
                )
                # Only the latest bad reply is shown back: the prompt stays small and the fix specific.
                messages = [
                    *base,
                    ChatMessage("assistant", text),
                    ChatMessage("user", _correction(problem, rubric.scale_max)),
                ]
        raise ScoringError(
            f"LLM scoring of dimension {item.name!r} failed after {attempts} attempt(s): {problem}"
        )


def _combine(
    rubric: Rubric, item: RubricItem, replies: Sequence[_Reply], failed: int, segments: Sequence[Segment]
) -> DimensionScore:
    """One dimension's score from its samples' replies: the median score, unless most samples abstain.
    The rationale and evidence are those of the sample(s) closest to the median."""
    abstained = [r for r in replies if r.insufficient_evidence]
    scored = [r for r in replies if r.score is not None]
    asked = len(replies) + failed
    if len(abstained) * 2 > len(replies):
        rationale = abstained[0].rationale
        if asked > 1:
            rationale = f"{rationale} ({len(abstained)} of {asked} samples found too little evidence)"
        return DimensionScore.insufficient(item.name, rationale)
    values = [r.score for r in scored if r.score is not None]
    median = statistics.median(values)
    distance = min(abs(v - median) for v in values)
    closest = [r for r in scored if r.score is not None and abs(r.score - median) == distance]
    evidence: list[Evidence] = []
    discarded = reattributed = 0
    for reply in closest:
        verified = _verify_evidence(reply.evidence, segments)
        discarded += verified.discarded
        reattributed += verified.reattributed
        evidence.extend(e for e in verified.evidence if e not in evidence)
    if discarded:
        logger.info(
            "LLM scorer: discarded %s unverifiable evidence quote(s) for dimension %r", discarded, item.name
        )
    if reattributed:
        logger.info(
            "LLM scorer: re-attributed %s evidence quote(s) to the segment they occur in, dimension %r",
            reattributed,
            item.name,
        )
    rationale = closest[0].rationale
    if asked > 1:
        rationale = f"{rationale} {_samples_note(values, len(abstained), failed)}"
    if median > rubric.scale_max / 2 and not evidence:
        # A good score the transcript cannot back up stays, but the reader is told so.
        rationale = f"{rationale} {NO_QUOTE_NOTE}"
    return DimensionScore(item.name, median, rationale, tuple(evidence[:MAX_EVIDENCE]))


def _samples_note(values: Sequence[float], abstained: int, failed: int) -> str:
    """E.g. "(median of 3 samples: 4, 6, 9)" or "(median of 2 samples: 4, 9; 1 found too little evidence)"."""
    listed = ", ".join(f"{v:g}" for v in sorted(values))
    count = f"{len(values)} samples" if len(values) > 1 else "1 sample"
    note = f"median of {count}: {listed}"
    if abstained:
        note += f"; {abstained} found too little evidence"
    if failed:
        note += f"; {failed} failed"
    return f"({note})"


def _parse_reply(text: str, scale_max: int) -> _Reply:
    """The first JSON object in `text` (code fences and prose around it are ignored), validated."""
    found = _first_object(text)
    if found is None:
        raise _BadReply("no JSON object found")
    try:
        return _Reply.model_validate(found, context={"scale_max": scale_max})
    except ValidationError as exc:
        details = "; ".join(
            f"{'.'.join(str(p) for p in error['loc']) or 'reply'}: {error['msg']}"
            for error in exc.errors()[:3]
        )
        raise _BadReply(_clip(details)) from None


def _verify_evidence(items: Sequence[_EvidenceReply], segments: Sequence[Segment]) -> _Verified:
    """Keeps the quotes that occur in a candidate segment, as that segment's exact words and times.

    A quote found in another candidate segment than claimed moves there; a claim on an interviewer
    segment is dropped even if the words also occur in the candidate's speech, since the model read them
    as the interviewer's."""
    by_id = {s.id: s for s in segments}
    candidates = [s for s in segments if _is_candidate(s)]
    kept: list[Evidence] = []
    seen: set[tuple[str, str]] = set()
    discarded = reattributed = 0
    for item in items:
        claimed = by_id.get(item.segment_id.strip().strip("[]").strip())
        quote = _normalise(item.quote)[0].strip(_END_CHARS)
        if (claimed is not None and not _is_candidate(claimed)) or not quote:
            discarded += 1
            continue
        order = candidates if claimed is None else [claimed, *(s for s in candidates if s is not claimed)]
        match = next(((s, words) for s in order if (words := _find(s.text, quote)) is not None), None)
        if match is None:
            discarded += 1
            continue
        segment, words = match
        if segment is not claimed:
            reattributed += 1
        if (segment.id, words) in seen:
            continue
        seen.add((segment.id, words))
        kept.append(Evidence(segment.id, segment.start, segment.end, words))
    return _Verified(tuple(kept), discarded, reattributed)


def _is_candidate(segment: Segment) -> bool:
    return segment.speaker.strip().casefold() == CANDIDATE


def _normalise(text: str) -> tuple[str, list[int]]:
    """Case-folded text with typographic quotes made plain and whitespace runs made one space, and for
    every character of it the index of the original character it came from."""
    chars: list[str] = []
    origin: list[int] = []
    space = False
    for index, char in enumerate(text.translate(_QUOTES)):
        if char.isspace():
            space = bool(chars)
            continue
        if space:
            chars.append(" ")
            origin.append(index)
            space = False
        for folded in char.casefold():
            chars.append(folded)
            origin.append(index)
    return "".join(chars), origin


def _find(text: str, quote: str) -> str | None:
    """The words of `text` that the normalised `quote` matches, exactly as they are written there, widened
    to whole words where the quote starts or ends inside one ("dempotency ke" -> "idempotency keys")."""
    normalised, origin = _normalise(text)
    at = normalised.find(quote)
    if at < 0:
        return None
    start, end = origin[at], origin[at + len(quote) - 1] + 1
    while start > 0 and _in_word(text, start - 1) and _in_word(text, start):
        start -= 1
    while end < len(text) and _in_word(text, end) and _in_word(text, end - 1):
        end += 1
    return text[start:end]


def _in_word(text: str, index: int) -> bool:
    """A letter or digit, or an apostrophe between two of them ("don't", "Acme's")."""
    char = text[index]
    if char.isalnum():
        return True
    return (
        char in _APOSTROPHES
        and 0 < index < len(text) - 1
        and text[index - 1].isalnum()
        and text[index + 1].isalnum()
    )


def _first_object(text: str) -> dict[str, Any] | None:
    decoder = json.JSONDecoder()
    start = text.find("{")
    while start >= 0:
        try:
            value, _ = decoder.raw_decode(text, start)
        except json.JSONDecodeError:
            value = None
        if isinstance(value, dict):
            return value
        start = text.find("{", start + 1)
    return None


def _correction(problem: str, scale_max: int) -> str:
    return (
        f"That reply could not be used ({problem}). Reply again with only the JSON object "
        f"{REPLY_FORMAT}, with score a number from 0 to {scale_max} (or null, only with "
        "insufficient_evidence true) and no other text."
    )


def _timed_out(limit: float | None) -> str:
    return "timed out" if limit is None else f"timed out after {limit:g} s"


def _clip(text: str) -> str:
    text = " ".join(text.split())
    return text if len(text) <= _MAX_PROBLEM_CHARS else text[: _MAX_PROBLEM_CHARS - 3] + "..."
