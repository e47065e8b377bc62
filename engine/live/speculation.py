"""Transcribing an answer before its utterance is over: a speculative final at the first silent frames.

The VAD closes an utterance only after its hangover (300 ms of silence), and the final transcript is
what the turn waits for. When the segmenter reports a silence (`SilenceBegan`, `IE_TURN__SPECULATE_AFTER_MS`
into it, or `PauseStarted` at `IE_TURN__PAUSE_MS` when that comes first), the audio so far is sent to the
recogniser at once. If the utterance then ends in that
same pause, its final is the speculation's result (the audio after the pause start is silence, so the
text is the same) and the hangover's wait no longer adds to the reply; if the voice comes back, the
speculation is cancelled.

The speculation runs at partial priority: under load the scheduler sheds it (it gets None) rather than
delay anybody's final, and the utterance is then transcribed as usual. Nothing is lost either way.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from media.asr import Recognition

__all__ = ["Speculation", "outcome"]

logger = logging.getLogger(__name__)

Transcribe = Callable[[bytes, str], Awaitable[Recognition | None]]
"""(audio, prompt) -> recognition, or None when shed."""


@dataclass(slots=True)
class _Pending:
    index: int
    speech_end: float
    task: asyncio.Task[Recognition | None]


class Speculation:
    """One live session's speculative final; every method runs on the event loop."""

    def __init__(self, transcribe: Transcribe, *, name: str = "") -> None:
        self._transcribe = transcribe
        self._name = name
        self._pending: _Pending | None = None

    def start(
        self, index: int, speech_end: float, audio: bytes, tg: asyncio.TaskGroup, prompt: str = ""
    ) -> None:
        """The utterance `index` paused after voice ending at `speech_end`; `audio` is all of it so far,
        `prompt` what was said just before it."""
        self.drop()
        self._pending = _Pending(index, speech_end, tg.create_task(self._run(audio, prompt)))

    def started(self, index: int, speech_end: float) -> bool:
        """A speculation is already running for this silence (begun at its first silent frames)."""
        pending = self._pending
        return pending is not None and (pending.index, pending.speech_end) == (index, speech_end)

    def drop(self) -> None:
        """The voice came back (or a new utterance began): what was transcribed is not the final."""
        pending, self._pending = self._pending, None
        if pending is not None and not pending.task.done():
            pending.task.cancel()

    def take(self, index: int, end: float) -> asyncio.Task[Recognition | None] | None:
        """The speculation for an utterance that ended, when it ended in the very pause speculated on."""
        pending, self._pending = self._pending, None
        if pending is None:
            return None
        if (pending.index, pending.speech_end) != (index, end):
            if not pending.task.done():
                pending.task.cancel()
            return None
        return pending.task

    async def _run(self, audio: bytes, prompt: str) -> Recognition | None:
        try:
            return await self._transcribe(audio, prompt)
        except asyncio.CancelledError:
            raise
        except Exception:
            # The real final will be asked for; a failed guess must not take the session down.
            logger.warning("session %s: speculative transcription failed", self._name, exc_info=True)
            return None


async def outcome(task: asyncio.Task[Recognition | None]) -> Recognition | None:
    """The speculation's result; None when it was shed, failed or cancelled (and we were not)."""
    try:
        return await task
    except asyncio.CancelledError:
        current = asyncio.current_task()
        if current is not None and current.cancelling():
            raise
        return None
