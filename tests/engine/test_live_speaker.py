"""The interviewer's mouth: sentences rendered ahead are played without being synthesised again, and a
guess that never comes true, fails or overflows the cache costs nothing but the rendering."""

from __future__ import annotations

import asyncio
import contextlib
import os
import threading
from collections.abc import AsyncIterator
from typing import Any

import pytest

from config.profiles import VoiceSettings
from engine.live.background import background_pool
from engine.live.channel import EventChannel
from engine.live.speaker import READY_MAX, InterviewerSpeech
from engine.services.transcripts import NewSegment
from media.outbound import InterviewerTrack
from media.tts import Speech, Voice

RATE = 16_000


class CountingTts:
    """60 ms of quiet tone per sentence; counts every synthesis, and can be told to fail."""

    def __init__(self) -> None:
        self.calls: list[str] = []
        self.fail_on: set[str] = set()
        self._lock = threading.Lock()

    def synthesize(self, text: str, voice: Voice) -> Speech:
        with self._lock:
            self.calls.append(text)
        if text in self.fail_on:
            raise RuntimeError("synthesis broke")
        return Speech(b"\x10\x00" * (RATE * 6 // 100), RATE)


class Store:
    def __init__(self) -> None:
        self.segments: list[NewSegment] = []

    async def append(self, segment: NewSegment) -> str:
        self.segments.append(segment)
        return str(len(self.segments))


async def sentences(*items: str) -> AsyncIterator[str]:
    for item in items:
        yield item


@pytest.fixture
async def speaker() -> AsyncIterator[tuple[InterviewerSpeech, CountingTts, Store, asyncio.TaskGroup]]:
    loop = asyncio.get_running_loop()
    t0 = loop.time()
    track = InterviewerTrack(lambda: loop.time() - t0)
    tts, store = CountingTts(), Store()
    mouth = InterviewerSpeech(track, EventChannel(lambda _m: None), store, tts, VoiceSettings())  # type: ignore[arg-type]

    async def listen() -> None:
        while True:
            await track.recv()

    async with asyncio.TaskGroup() as tg:
        ear = tg.create_task(listen())
        try:
            yield mouth, tts, store, tg
        finally:
            ear.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await ear
            track.stop()


async def test_a_sentence_rendered_ahead_is_played_without_rendering_it_again(speaker: Any) -> None:
    mouth, tts, store, tg = speaker
    mouth.prepare(["Thanks.", "Let's talk about design."], tg)
    await asyncio.sleep(0.2)
    assert sorted(tts.calls) == ["Let's talk about design.", "Thanks."]
    spoken = await mouth.speak(sentences("Thanks.", "Let's talk about design.", "Why?"), lambda _s: None)
    assert spoken.text == "Thanks. Let's talk about design. Why?"
    assert sorted(tts.calls) == ["Let's talk about design.", "Thanks.", "Why?"]
    assert [s.text for s in store.segments] == ["Thanks.", "Let's talk about design.", "Why?"]
    assert mouth.ready == (), "a prepared sentence is used once"


async def test_a_guess_that_failed_is_rendered_again_when_said(speaker: Any) -> None:
    mouth, tts, _store, tg = speaker
    tts.fail_on.add("Thanks.")
    mouth.prepare(["Thanks."], tg)
    await asyncio.sleep(0.1)
    tts.fail_on.clear()
    spoken = await mouth.speak(sentences("Thanks."), lambda _s: None)
    assert spoken.text == "Thanks."
    assert tts.calls == ["Thanks.", "Thanks."]


async def test_only_the_newest_guesses_are_kept(speaker: Any) -> None:
    mouth, tts, _store, tg = speaker
    lines = [f"Line number {i}." for i in range(READY_MAX + 3)]
    mouth.prepare(lines, tg)
    mouth.prepare(lines[-2:], tg)  # already there: not rendered twice
    assert mouth.ready == tuple(lines[-READY_MAX:])
    await asyncio.sleep(0.3)
    assert len(tts.calls) <= len(lines)
    spoken = await mouth.speak(sentences(lines[0]), lambda _s: None)
    assert spoken.text == lines[0]


class ThreadNoting(CountingTts):
    """Notes the thread and its nice value each sentence was synthesised on."""

    def __init__(self) -> None:
        super().__init__()
        self.where: dict[str, tuple[str, int]] = {}

    def synthesize(self, text: str, voice: Voice) -> Speech:
        thread = threading.get_native_id()
        self.where[text] = (threading.current_thread().name, os.getpriority(os.PRIO_PROCESS, thread))
        return super().synthesize(text, voice)


async def test_sentences_rendered_ahead_run_on_the_lower_priority_pool_and_the_rest_do_not() -> None:
    loop = asyncio.get_running_loop()
    track = InterviewerTrack(lambda: loop.time())
    tts = ThreadNoting()
    pool = background_pool(1, 5, name="ahead-test")
    normal = os.getpriority(os.PRIO_PROCESS, threading.get_native_id())
    try:
        mouth = InterviewerSpeech(track, EventChannel(lambda _m: None), Store(), tts, VoiceSettings(), pool)  # type: ignore[arg-type]
        async with asyncio.TaskGroup() as tg:
            mouth.prepare(["A guess."], tg)
        spoken = asyncio.ensure_future(mouth.speak(sentences("Not guessed."), lambda _s: None))
        while "Not guessed." not in tts.where:
            await track.recv()
        spoken.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await spoken
    finally:
        track.stop()
        pool.shutdown(wait=True)
    assert tts.where["A guess."] == ("ahead-test_0", min(19, normal + 5))
    name, nice = tts.where["Not guessed."]
    assert not name.startswith("ahead-test")
    assert nice == normal
