"""The speculative final: started at a pause, used when the utterance ends in that pause, dropped when
the voice comes back, and never able to lose an utterance or take the session down."""

from __future__ import annotations

import asyncio

import pytest

from engine.live.speculation import Speculation, outcome
from media.asr import Recognition


def recognition(text: str) -> Recognition:
    return Recognition(text=text, confidence=0.9, audio_s=1.0, compute_s=0.1)


class Recognizer:
    """Answers each call after `release` is set; counts what it was asked."""

    def __init__(self, fail: bool = False, shed: bool = False) -> None:
        self.calls: list[bytes] = []
        self.prompts: list[str] = []
        self.release = asyncio.Event()
        self.cancelled = 0
        self.fail = fail
        self.shed = shed

    async def __call__(self, audio: bytes, prompt: str = "") -> Recognition | None:
        self.calls.append(audio)
        self.prompts.append(prompt)
        try:
            await self.release.wait()
        except asyncio.CancelledError:
            self.cancelled += 1
            raise
        if self.fail:
            raise RuntimeError("recognizer broke")
        return None if self.shed else recognition(f"{len(audio)} bytes")


async def test_the_utterance_ending_in_the_pause_gets_the_speculation() -> None:
    asr = Recognizer()
    async with asyncio.TaskGroup() as tg:
        speculation = Speculation(asr)
        speculation.start(3, 2.5, b"x" * 10, tg, "what came before")
        task = speculation.take(3, 2.5)
        assert task is not None
        asr.release.set()
        result = await outcome(task)
    assert result is not None
    assert result.text == "10 bytes"
    assert asr.calls == [b"x" * 10]
    assert asr.prompts == ["what came before"]
    assert speculation.take(3, 2.5) is None, "a speculation is used once"


async def test_voice_coming_back_cancels_it() -> None:
    asr = Recognizer()
    async with asyncio.TaskGroup() as tg:
        speculation = Speculation(asr)
        speculation.start(1, 1.0, b"ab", tg)
        await asyncio.sleep(0)
        speculation.drop()
        await asyncio.sleep(0)
        assert speculation.take(1, 1.0) is None
    assert asr.cancelled == 1


async def test_an_utterance_that_ended_elsewhere_does_not_use_it() -> None:
    """Voice came back after the pause and the utterance ended later (or was cut by the length cap)."""
    asr = Recognizer()
    async with asyncio.TaskGroup() as tg:
        speculation = Speculation(asr)
        speculation.start(1, 1.0, b"ab", tg)
        await asyncio.sleep(0)
        assert speculation.take(1, 4.2) is None
        assert speculation.take(2, 1.0) is None
    assert asr.cancelled == 1


async def test_a_new_pause_replaces_the_older_speculation() -> None:
    asr = Recognizer()
    async with asyncio.TaskGroup() as tg:
        speculation = Speculation(asr)
        speculation.start(1, 1.0, b"a", tg)
        await asyncio.sleep(0)
        speculation.start(1, 2.0, b"ab", tg)
        asr.release.set()
        task = speculation.take(1, 2.0)
        assert task is not None
        result = await outcome(task)
    assert result is not None
    assert result.text == "2 bytes"
    assert asr.cancelled == 1


@pytest.mark.parametrize("asr", [Recognizer(fail=True), Recognizer(shed=True)], ids=["fails", "shed"])
async def test_a_failed_or_shed_speculation_gives_none_and_the_group_survives(asr: Recognizer) -> None:
    async with asyncio.TaskGroup() as tg:
        speculation = Speculation(asr, name="s1")
        speculation.start(1, 1.0, b"a", tg)
        asr.release.set()
        task = speculation.take(1, 1.0)
        assert task is not None
        assert await outcome(task) is None


async def test_a_cancelled_speculation_gives_none_but_a_cancelled_caller_is_cancelled() -> None:
    asr = Recognizer()
    async with asyncio.TaskGroup() as tg:
        speculation = Speculation(asr)
        speculation.start(1, 1.0, b"a", tg)
        task = speculation.take(1, 1.0)
        assert task is not None
        await asyncio.sleep(0)
        task.cancel()
        assert await outcome(task) is None

        speculation.start(2, 1.0, b"a", tg)
        second = speculation.take(2, 1.0)
        assert second is not None
        waiter = asyncio.create_task(outcome(second))
        await asyncio.sleep(0)
        waiter.cancel()
        with pytest.raises(asyncio.CancelledError):
            await waiter
        second.cancel()
