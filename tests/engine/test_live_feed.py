"""The live feed: late watchers get the finished lines and the state first, a slow watcher is dropped
rather than holding the interview up, and every stream ends with the interview."""

from __future__ import annotations

import asyncio

from engine.live.feed import QUEUE, LiveFeed


def caption(text: str, *, final: bool = True, speaker: str = "interviewer") -> dict[str, object]:
    kind = "caption" if speaker == "interviewer" else "transcript"
    return {"type": kind, "speaker": speaker, "text": text, "final": final}


async def test_a_late_watcher_gets_the_finished_lines_and_state_then_what_follows() -> None:
    feed = LiveFeed()
    feed.publish(caption("Hello, tell me about a project."))
    feed.publish({"type": "state", "state": "speaking"})
    feed.publish(caption("I built", final=False, speaker="candidate"))  # a partial: not kept
    feed.publish({"type": "state", "state": "listening"})
    feed.publish(caption("I built a billing system.", speaker="candidate"))
    async with feed.watch() as watcher:
        assert [m.get("text") or m.get("state") for m in watcher.snapshot] == [
            "Hello, tell me about a project.",
            "I built a billing system.",
            "listening",
        ]
        feed.publish(caption("Thanks. What was hard?"))
        feed.publish({"type": "ended", "reason": "completed"})
        assert (await watcher.next()) == caption("Thanks. What was hard?")
        assert (await watcher.next())["type"] == "ended"  # type: ignore[index]
        assert await watcher.next() is None
        assert not watcher.dropped
    assert feed.watchers == 0
    # After the end a newcomer gets everything at once, and its stream is already over.
    async with feed.watch() as late:
        assert late.snapshot[-1]["type"] == "ended"
        assert await asyncio.wait_for(late.next(), 1) is None


async def test_a_watcher_that_falls_behind_is_dropped_and_others_go_on() -> None:
    feed = LiveFeed()
    async with feed.watch() as slow, feed.watch() as keen:
        for i in range(QUEUE + 5):
            feed.publish(caption(f"line {i}"))
            assert await keen.next() == caption(f"line {i}")  # keeps up: each line as it comes
        received = []
        while (message := await slow.next()) is not None:
            received.append(message)
        assert slow.dropped
        assert len(received) == QUEUE
        assert feed.watchers == 1
        feed.close()
        assert await keen.next() is None
        assert not keen.dropped
