"""The interviewer's mouth in a live session: synthesis, the outbound track, captions, and the
interviewer's transcript segments (only the words that were actually played).

Sentences the interviewer will probably say next (its likely reply, predicted while the candidate is
still answering) can be rendered ahead (`prepare`): a neural voice takes ~150 ms of CPU per sentence,
which would otherwise sit between the end of the turn and the first reply frame. A rendered sentence
is used when exactly that sentence is spoken; the few kept are bounded (`READY_MAX`), the oldest go.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import logging
from collections import OrderedDict
from collections.abc import AsyncIterator, Callable, Sequence

from config.enums import Speaker
from config.profiles import VoiceSettings
from engine.dialogue.interviewer import Spoken
from engine.live.store import LiveStore
from engine.live.transport import PageSink
from engine.live.voice import render, voice_of
from engine.services.transcripts import NewSegment
from media.outbound import InterviewerTrack, Playback, Utterance
from media.tts import TextToSpeech

__all__ = ["READY_MAX", "InterviewerSpeech"]

READY_MAX = 8  # sentences rendered ahead and kept: about two predicted replies

logger = logging.getLogger(__name__)


class InterviewerSpeech:
    def __init__(
        self,
        track: InterviewerTrack,
        channel: PageSink,
        store: LiveStore,
        tts: TextToSpeech,
        voice: VoiceSettings,
        ahead: concurrent.futures.Executor | None = None,
    ) -> None:
        """`ahead`: where sentences rendered ahead are synthesised (lower-priority threads, so a guess never
        takes the core from a final that a turn waits for); None: the loop's default pool."""
        self._track = track
        self._channel = channel
        self._store = store
        self._tts = tts
        self._voice = voice_of(voice)
        self._ahead = ahead
        self._cut = False
        self._ready: OrderedDict[str, asyncio.Task[Utterance | None]] = OrderedDict()

    def prepare(self, sentences: Sequence[str], tg: asyncio.TaskGroup) -> None:
        """Render `sentences` ahead, in tasks of `tg`, unless they already are."""
        for sentence in sentences:
            if not sentence.strip() or sentence in self._ready:
                continue
            self._ready[sentence] = tg.create_task(self._render_ahead(sentence))
            while len(self._ready) > READY_MAX:
                _, oldest = self._ready.popitem(last=False)
                oldest.cancel()

    @property
    def ready(self) -> tuple[str, ...]:
        """The sentences rendered (or being rendered) ahead, oldest first."""
        return tuple(self._ready)

    async def _render_ahead(self, sentence: str) -> Utterance | None:
        try:
            return await render(self._tts, sentence, self._voice, self._ahead)
        except Exception:
            # Only a guess: the sentence is rendered again when it is actually said.
            logger.warning("rendering ahead failed", exc_info=True)
            return None

    async def _rendered(self, sentence: str) -> Utterance:
        ahead = self._ready.pop(sentence, None)
        if ahead is not None:
            try:
                utterance = await ahead
            except asyncio.CancelledError:
                current = asyncio.current_task()
                if current is not None and current.cancelling():
                    raise
                utterance = None
            if utterance is not None:
                return utterance
        return await render(self._tts, sentence, self._voice)

    def interrupt(self) -> None:
        self._cut = True
        self._track.interrupt()

    async def say(self, text: str) -> Spoken:
        async def one() -> AsyncIterator[str]:
            yield text

        return await self.speak(one(), lambda _sentence: None)

    async def speak(self, sentences: AsyncIterator[str], started: Callable[[str], None]) -> Spoken:
        """Renders each sentence as it arrives and queues it behind the one playing, so the first words
        are heard while later ones are still being written or synthesised."""
        self._cut = False
        queued: list[tuple[str, Utterance, Playback]] = []
        self._channel.send({"type": "state", "state": "speaking"})
        async for sentence in sentences:
            if self._cut:
                break
            utterance = await self._rendered(sentence)
            if self._cut:
                break
            playback = self._track.play(utterance)
            self._channel.send({"type": "caption", "speaker": "interviewer", "text": sentence, "final": True})
            playback.started.add_done_callback(_when_heard(sentence, started))
            queued.append((sentence, utterance, playback))
        heard: list[str] = []
        interrupted = self._cut
        for sentence, utterance, playback in queued:
            result = await playback.done
            interrupted = interrupted or result.interrupted
            if playback.started.cancelled() or not playback.started.done():
                continue
            start = playback.started.result()
            spoken = utterance.spoken_text(result.played_s) if result.interrupted else sentence
            if spoken:
                heard.append(spoken)
                end = result.ended_at if result.ended_at is not None else start + result.played_s
                await self._store.append(
                    NewSegment(Speaker.INTERVIEWER, round(start, 3), round(end, 3), spoken)
                )
        self._channel.send({"type": "state", "state": "listening"})
        return Spoken(" ".join(heard), interrupted)


def _when_heard(sentence: str, started: Callable[[str], None]) -> Callable[[asyncio.Future[float]], None]:
    def callback(future: asyncio.Future[float]) -> None:
        if not future.cancelled():
            started(sentence)

    return callback
