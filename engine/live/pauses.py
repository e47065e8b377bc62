"""Asking the end-of-turn voice model about the candidate's pauses, and keeping only verdicts that still
apply.

The segmenter reports each silence inside an utterance (`PauseStarted`) well before its hangover would
end the utterance. `PauseJudge` sends the last 8 s of the candidate's audio at that moment to the model
(`SmartTurnRunner`, on its own threads) and tells the interviewer the verdict (`CandidateTurnVerdict`)
only if the pause is still the latest: voice coming back (`PauseEnded`) or a new utterance makes the
answer stale, and it is dropped. A verdict already given when the voice comes back is withdrawn
(`CandidateSpeechResumed`). A finished-sounding pause in a still-open utterance is marked for closing
(`take_cut`), so its transcription starts at once instead of after the hangover.

One inference per session at a time: a pause that starts while one runs replaces any pause still
waiting (only the newest can matter). A failing model costs only the verdict: the turn then ends on
silence and transcript, as without the model, and the failure is logged once per session.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable

from engine.dialogue.events import CandidateSpeechResumed, CandidateTurnVerdict, MediaEvent
from media.segmenter import PauseEnded, PauseStarted, SegmenterEvent, UtteranceEnded, UtteranceStarted
from media.smart_turn import SmartTurnRunner

__all__ = ["PauseJudge", "PauseKey"]

logger = logging.getLogger(__name__)

PauseKey = tuple[int, float]
"""A pause inside an utterance: (utterance index, end of its last voiced frame)."""


class PauseJudge:
    """Per live session; every method runs on the event loop."""

    def __init__(
        self,
        runner: SmartTurnRunner,
        threshold: float,
        *,
        now: Callable[[], float],
        emit: Callable[[MediaEvent], None],
        name: str = "",
    ) -> None:
        self._runner = runner
        self._threshold = threshold
        self._now = now
        self._emit = emit
        self._name = name
        self._speaking = False  # an utterance is open
        self._pause: PauseKey | None = None  # the latest pause, while its verdict can still apply
        self._verdict_sent = False  # the interviewer has a verdict on `_pause`
        self._waiting: tuple[PauseKey, bytes] | None = None  # the newest pause not yet judged
        self._judging = False
        self._cut: PauseKey | None = None
        self._failed = False

    def heard(self, event: SegmenterEvent, recent: bytes | None, tg: asyncio.TaskGroup | None) -> None:
        """Follow the segmenter's events, one at a time and in order (before the session emits its own
        event for it); `recent` is the audio snapshot taken with a `PauseStarted`. Judging runs as a
        task of `tg` (None: the session is closing, nothing new is judged)."""
        if isinstance(event, UtteranceStarted):
            self._speaking = True
            self._forget()
        elif isinstance(event, PauseStarted):
            self._forget()
            self._pause = (event.index, event.speech_end)
            if recent is not None and tg is not None:
                self._judge_soon(self._pause, recent, tg)
        elif isinstance(event, PauseEnded):
            if self._pause is not None and self._pause[0] == event.index:
                if self._verdict_sent:
                    self._emit(CandidateSpeechResumed(self._now()))
                self._forget()
        elif isinstance(event, UtteranceEnded):
            self._speaking = False
            if self._pause != (event.index, event.end):
                # Ended by the length cap while voiced: nothing said about that pause applies.
                self._forget()
            # Otherwise the utterance ended in the pause being judged: a late verdict still applies.

    def take_cut(self) -> PauseKey | None:
        """The pause whose utterance should be closed now (`Segmenter.end_at_pause`), once."""
        cut, self._cut = self._cut, None
        return cut

    def _forget(self) -> None:
        self._pause, self._verdict_sent, self._cut = None, False, None

    def _judge_soon(self, pause: PauseKey, recent: bytes, tg: asyncio.TaskGroup) -> None:
        self._waiting = (pause, recent)
        if not self._judging:
            self._judging = True
            tg.create_task(self._judge())

    async def _judge(self) -> None:
        try:
            while self._waiting is not None:
                pause, recent = self._waiting
                self._waiting = None
                if pause != self._pause:
                    continue  # the voice came back before the model got to it
                try:
                    probability = await self._runner.probability(recent)
                except Exception:
                    if not self._failed:
                        logger.exception("session %s: the end-of-turn model failed", self._name)
                    self._failed = True
                    continue
                if pause != self._pause:
                    logger.debug("session %s: verdict %.2f dropped, speech resumed", self._name, probability)
                    continue
                complete = probability >= self._threshold
                self._verdict_sent = True
                self._emit(CandidateTurnVerdict(self._now(), complete, probability))
                if complete and self._speaking:
                    self._cut = pause
        finally:
            self._judging = False
