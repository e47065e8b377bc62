"""Speculative finals (a final guessed at a pause, which a turn may wait for) go ahead of revisions and
caption partials, after finals, and their queue wait counts with the finals' (the overload signal)."""

from __future__ import annotations

import asyncio

from media.asr_scheduler import AsrScheduler
from tests.media.test_asr_scheduler import FakeRecognizer, settle, started, text, utterance


async def test_speculative_finals_go_after_finals_and_before_partials() -> None:
    fake = FakeRecognizer(blocked=1)
    async with AsrScheduler(lambda: fake, max_batch=8) as asr:
        busy = asyncio.create_task(asr.final(utterance(1)))
        await started(fake)  # the lane is stuck in batch [1]
        captions = [asyncio.create_task(asr.partial(key, utterance(n))) for key, n in (("a", 10), ("b", 20))]
        revision = asyncio.create_task(asr.revise(utterance(40)))
        await settle()
        guesses = [
            asyncio.create_task(asr.partial((key, "final"), utterance(n), speculative=True))
            for key, n in (("a", 30), ("b", 31))
        ]
        await settle()
        # One speculation per key, as for partials: a newer guess replaces the queued one.
        newer = asyncio.create_task(asr.partial(("a", "final"), utterance(32), speculative=True))
        await settle()
        assert await guesses[0] is None
        final = asyncio.create_task(asr.final(utterance(2)))
        await settle()
        assert asr.stats().queued_partials == 4  # two captions, two guesses
        fake.gate.set()
        results = await asyncio.gather(busy, final, guesses[1], newer, *captions)
        assert [text(r) for r in results] == ["u1", "u2", "u31", "u32", "u10", "u20"]
        assert await revision is None  # the fake cannot revise; it still waited its turn
        stats = asr.stats()
        assert stats.final_waits == 4  # [1], [2] and the two guesses decoded
        assert stats.final_wait_s > 0
    # "a"'s newer guess kept "a"'s place in the queue; the captions, queued first, went last.
    assert fake.batches == [[1], [2], [32, 31], [10, 20]]
