"""The interviewer's mouth in a live session: synthesis, the outbound track, captions, and the
interviewer's transcript segments (only the words that were actually played)."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Callable

from config.enums import Speaker
from config.profiles import VoiceSettings
from engine.dialogue.interviewer import Spoken
from engine.live.channel import EventChannel
from engine.live.store import LiveStore
from engine.live.voice import render, voice_of
from engine.services.transcripts import NewSegment
from media.outbound import InterviewerTrack, Playback, Utterance
from media.tts import TextToSpeech

__all__ = ["InterviewerSpeech"]

logger = logging.getLogger(__name__)


class InterviewerSpeech:
    def __init__(
        self,
        track: InterviewerTrack,
        channel: EventChannel,
        store: LiveStore,
        tts: TextToSpeech,
        voice: VoiceSettings,
    ) -> None:
        self._track = track
        self._channel = channel
        self._store = store
        self._tts = tts
        self._voice = voice_of(voice)
        self._cut = False

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
            utterance = await render(self._tts, sentence, self._voice)
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
