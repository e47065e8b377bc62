"""A second, whole-answer pass over the candidate's words: what the stored transcript finally says.

Live, each utterance is transcribed on its own as soon as it ends, because the conversation waits for
it. But the VAD ends an utterance at every pause of ~0.3 s, and Whisper hears a two-second fragment
far worse than the same words inside a whole answer: on real spontaneous speech (bench/asr_real_speech.py)
the live path's word error rate was about three times that of faster-whisper's `transcribe()` over the
whole recording, almost all of it from short fragments ("the acoustic corpus" heard as "a mistake of
the purpose"), not from the codec.

So the utterances of one answer (each starting within `CONTEXT_GAP_S` of the one before) are kept
together, and once the answer is over (the candidate's next utterance comes later, or the session
ends) they are transcribed again as one stretch of audio, at the recogniser's revision priority (after
any final), with word times. Each word goes back to the live segment it was spoken in, so the
segments keep their times and ids and only their text improves. An answer of one utterance gets the
pass only when its final was hurried (heard in a shorter window during a burst of finals,
`Recognition.hurried`). The live text stays when the pass cannot help: any other answer of one
utterance, a pass that finds fewer words than the live one did (it may have skipped something; nothing
is dropped on its say-so), a segment that would be left with no word, or a recogniser that cannot do it.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass

import numpy as np

from media.asr import TimedTranscript
from media.audio import SAMPLE_RATE

__all__ = [
    "BOUNDARY_SLACK_S",
    "CONTEXT_GAP_S",
    "MIN_KEPT_WORDS",
    "Answer",
    "Heard",
    "Said",
    "assign_words",
    "revise",
]

logger = logging.getLogger(__name__)

CONTEXT_GAP_S = 3.0
"""Utterances this close together are one answer (a breath or a hesitation between them; the
interviewer's reply comes later than this)."""

MIN_KEPT_WORDS = 0.8
"""The whole-answer pass must find at least this share of the live words to replace them."""

BOUNDARY_SLACK_S = 0.5
"""How far outside a segment a word's time may be and still be taken as that segment's, when the segment
would otherwise have none: Whisper's word times are off by about this much. Farther, the pass probably
missed the segment's words and the live text stays."""


@dataclass(frozen=True, slots=True)
class Heard:
    """What one utterance's live final left in the transcript: its text and stored segment (None when
    nothing was heard)."""

    text: str
    segment_id: str | None
    hurried: bool = False  # heard in a burst's shorter window (`Recognition.hurried`)


@dataclass(frozen=True, slots=True)
class Said:
    """One utterance of an answer: where it starts on the session timeline, its audio (int16 mono at the
    media plane's rate) and its live final."""

    start: float
    end: float
    audio: bytes
    final: asyncio.Task[Heard]


class Answer:
    """Groups utterances into answers; runs on the event loop."""

    def __init__(self) -> None:
        self._said: list[Said] = []

    def previous_final(self, start: float) -> asyncio.Task[Heard] | None:
        """The final of the utterance before one starting at `start`, when both are one answer."""
        if not self._said or start - self._said[-1].end > CONTEXT_GAP_S:
            return None
        return self._said[-1].final

    def add(self, said: Said) -> list[Said]:
        """Add an utterance; returns the answer it closed (the utterances before it), if any."""
        closed: list[Said] = []
        if self._said and said.start - self._said[-1].end > CONTEXT_GAP_S:
            closed, self._said = self._said, []
        self._said.append(said)
        return closed

    def close(self) -> list[Said]:
        """The answer still open (the session is ending)."""
        closed, self._said = self._said, []
        return closed


Revise = Callable[[bytes], Awaitable[TimedTranscript | None]]
Store = Callable[[dict[str, str], float], Awaitable[None]]


async def revise(said: Sequence[Said], transcribe: Revise, store: Store, *, name: str = "") -> bool:
    """Transcribe the answer `said` again in one pass and store the better text; True when it did."""
    heard = [await _heard(s.final) for s in said]
    if len(said) < 2 and not any(h is not None and h.hurried for h in heard):
        return False  # one utterance, heard in the finals' own window: nothing to gain
    stored = [(s, h) for s, h in zip(said, heard, strict=True) if h is not None and h.segment_id]
    if not stored:
        return False
    origin = said[0].start
    audio = _joined(said, origin)
    revised = await transcribe(audio)
    if revised is None or not revised.words:
        return False
    live_words = sum(len(h.text.split()) for _, h in stored)
    if len(revised.words) < MIN_KEPT_WORDS * live_words:
        logger.info(
            "session %s: revision kept the live text (%s words against %s)",
            name,
            len(revised.words),
            live_words,
        )
        return False
    starts = [s.start - origin for s, _ in stored]
    texts = assign_words(revised, starts)
    if any(not text for text in texts):
        return False
    await store(
        {h.segment_id: text for (_, h), text in zip(stored, texts, strict=True) if h.segment_id},
        revised.recognition.confidence,
    )
    return True


def assign_words(revised: TimedTranscript, starts: Sequence[float]) -> list[str]:
    """The words of `revised` split between segments starting at `starts` (seconds into its audio,
    ascending): each word goes to the last segment that starts before the word's middle.

    Whisper's word times are off by a few hundred milliseconds, so a short segment (a long answer is
    cut every few seconds while the candidate talks) can end up with no word although its words were
    heard, at a boundary. Such a segment takes the neighbouring word nearest to it, when that word lies
    within `BOUNDARY_SLACK_S` of it and its segment has more than one: a boundary word moves, nothing is
    dropped or duplicated."""
    parts: list[list[tuple[float, str]]] = [[] for _ in starts]
    for word in revised.words:
        middle = (word.start + word.end) / 2
        index = 0
        for i, start in enumerate(starts):
            if start <= middle:
                index = i
        parts[index].append((middle, word.word))
    for i, part in enumerate(parts):
        if part:
            continue
        options: list[tuple[float, int, int]] = []  # (distance outside this span, neighbour, word index)
        if i > 0 and len(parts[i - 1]) > 1:
            options.append((starts[i] - parts[i - 1][-1][0], i - 1, -1))
        if i + 1 < len(parts) and len(parts[i + 1]) > 1:
            options.append((parts[i + 1][0][0] - starts[i + 1], i + 1, 0))
        options = [o for o in options if o[0] <= BOUNDARY_SLACK_S]
        if options:
            _, neighbour, at = min(options)
            part.append(parts[neighbour].pop(at))
    return [" ".join(word for _, word in part) for part in parts]


def _joined(said: Sequence[Said], origin: float) -> bytes:
    """The answer's audio on its own timeline: each utterance where it was spoken, silence between."""
    end = max(s.start + len(s.audio) / 2 / SAMPLE_RATE for s in said)
    out = np.zeros(round((end - origin) * SAMPLE_RATE), dtype="<i2")
    for s in said:
        samples = np.frombuffer(s.audio, dtype="<i2")
        at = max(0, round((s.start - origin) * SAMPLE_RATE))
        take = min(len(samples), len(out) - at)
        out[at : at + take] = samples[:take]
    return out.tobytes()


async def _heard(final: asyncio.Task[Heard]) -> Heard | None:
    try:
        return await asyncio.shield(final)
    except asyncio.CancelledError:
        if final.cancelled():
            return None
        raise
    except Exception:
        return None
