"""Rendered interviewer lines are shared across sessions: rendered once per line and voice, bounded."""

from __future__ import annotations

import asyncio

import pytest

from engine.live import voice_cache
from engine.live.voice import render
from engine.live.voice_cache import UtteranceCache
from media.outbound import Utterance
from media.tts import Speech, Voice

RATE = 16_000


class CountingTts:
    def __init__(self) -> None:
        self.calls: list[str] = []

    def synthesize(self, text: str, voice: Voice) -> Speech:
        self.calls.append(text)
        return Speech(b"\x10\x00" * (RATE // 10), RATE)


async def test_the_same_line_in_the_same_voice_is_rendered_once() -> None:
    tts = CountingTts()
    question = "Tell me about a system you designed."
    first = await render(tts, question, Voice())
    again = await render(tts, question, Voice())
    assert again is first
    await render(tts, question, Voice(rate=200))  # another voice: its own rendering
    # Sessions asking at the same moment share one rendering.
    together = await asyncio.gather(*(render(tts, "Thank you.", Voice()) for _ in range(5)))
    assert all(u is together[0] for u in together)
    assert tts.calls == [question, question, "Thank you."]


async def test_caching_can_be_turned_off() -> None:
    tts = CountingTts()
    voice_cache.configure(tts, 0)
    await render(tts, "Thank you.", Voice())
    await render(tts, "Thank you.", Voice())
    assert tts.calls == ["Thank you.", "Thank you."]


def line(text: str, seconds: float) -> Utterance:
    return Utterance(text, b"\x00" * int(96_000 * seconds), b"\x00" * int(32_000 * seconds))


async def test_the_least_recently_used_line_goes_first_and_failures_are_not_kept() -> None:
    cache = UtteranceCache(max_bytes=128_000 * 4)  # four seconds of speech

    async def rendered(text: str, seconds: float = 1.0) -> Utterance:
        async def make() -> Utterance:
            return line(text, seconds)

        return await cache.get(text, Voice(), make)

    for text in ("a", "b", "c", "d"):
        await rendered(text)
    await rendered("a")  # used again: now the newest
    await rendered("e")  # pushes out the oldest, "b"
    assert cache.size_bytes == 128_000 * 4
    misses = cache.misses
    await rendered("a")
    assert cache.misses == misses
    await rendered("b")
    assert cache.misses == misses + 1
    await rendered("long", seconds=1.5)  # over a quarter of the cache: played, not kept
    assert (await rendered("long", seconds=1.5)) is not None
    assert cache.misses == misses + 3

    async def broken() -> Utterance:
        raise RuntimeError("synthesis broke")

    with pytest.raises(RuntimeError):
        await cache.get("x", Voice(), broken)
    assert (await rendered("x")).text == "x"  # rendered again, not a cached failure
