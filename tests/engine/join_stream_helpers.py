"""A scripted join page on the WebSocket fallback (`/join/{token}/stream`): the `websockets` client sends a
20 ms frame of 16 kHz PCM every 20 ms in real time (silence, or the speech `speak` queued) and keeps what
comes back: the interviewer's PCM (timed by arrival) and the page messages (captions, state, ended)."""

from __future__ import annotations

import asyncio
import contextlib
import json
from dataclasses import dataclass, field
from typing import Any

from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed

from engine.live.browser_stream import FRAME_BYTES
from media.audio import rms_dbfs
from media.scripted_candidate import SOUND_DBFS
from tests.engine.paced_mic import FRAME_S, PacedMic, note_sound

SILENCE = bytes(FRAME_BYTES)


@dataclass
class Received:
    pcm: bytearray = field(default_factory=bytearray)
    sound_runs: list[tuple[float, float]] = field(default_factory=list)  # (first, last) arrival
    messages: list[dict[str, Any]] = field(default_factory=list)

    def sound_s(self) -> float:
        pcm = bytes(self.pcm)
        frames = range(0, len(pcm) - FRAME_BYTES + 1, FRAME_BYTES)
        return sum(rms_dbfs(pcm[i : i + FRAME_BYTES]) > SOUND_DBFS for i in frames) * FRAME_S

    def of_type(self, kind: str) -> list[dict[str, Any]]:
        return [m for m in self.messages if m.get("type") == kind]


class StreamPage:
    def __init__(self, url: str) -> None:
        self.url = url
        self.received = Received()
        self.ws: ClientConnection | None = None
        self._loop = asyncio.get_running_loop()
        self._mic = PacedMic(SILENCE, self.now)
        self._tasks: list[asyncio.Task[None]] = []
        self.closed = asyncio.Event()

    def now(self) -> float:
        return self._loop.time()

    async def open(self, *first: str | bytes) -> StreamPage:
        """Connects and sends `first` (a `start` message, or what must be refused), then reads."""
        self.ws = await connect(self.url, open_timeout=10, max_size=1 << 20)
        for message in first:
            await self.send(message)
        self._tasks.append(asyncio.create_task(self._receive()))
        return self

    def talk(self) -> None:
        """From now on a frame goes out every 20 ms, as the page's worklet sends them."""
        self._tasks.append(asyncio.create_task(self._mic.run(self.send)))

    async def send(self, message: dict[str, Any] | str | bytes) -> None:
        assert self.ws is not None
        with contextlib.suppress(ConnectionClosed):
            await self.ws.send(json.dumps(message) if isinstance(message, dict) else message)

    def speak(self, pcm: bytes) -> asyncio.Future[float]:
        """Queues speech (16 kHz int16); resolves with when its last frame was sent."""
        return self._mic.queue(pcm)

    async def _receive(self) -> None:
        assert self.ws is not None
        try:
            async for raw in self.ws:
                now = self.now()
                if isinstance(raw, bytes):
                    self.received.pcm += raw
                    if rms_dbfs(raw) > SOUND_DBFS:
                        note_sound(self.received.sound_runs, now)
                else:
                    self.received.messages.append(json.loads(raw) | {"_at": now})
        except ConnectionClosed:
            pass
        finally:
            self.closed.set()

    async def wait_for_question(
        self, after: float = 0.0, quiet_s: float = 1.2, timeout_s: float = 60.0
    ) -> float:
        """Until the interviewer has said a line after `after`, said `listening`, and stayed quiet for
        `quiet_s`; returns when its last sound came."""
        async with asyncio.timeout(timeout_s):
            while True:
                await asyncio.sleep(0.05)
                runs = self.received.sound_runs
                states = self.received.of_type("state")
                if not runs or not states:
                    continue
                last = runs[-1][1]
                if (
                    last > after
                    and states[-1]["state"] == "listening"
                    and states[-1]["_at"] >= runs[-1][0]
                    and self.now() - last >= quiet_s
                ):
                    return last

    async def wait_for(self, kind: str, timeout_s: float = 30.0, **fields: Any) -> dict[str, Any]:
        async with asyncio.timeout(timeout_s):
            while True:
                for message in self.received.of_type(kind):
                    if all(message.get(k) == v for k, v in fields.items()):
                        return message
                await asyncio.sleep(0.05)

    async def wait_for_sound(self, timeout_s: float = 30.0) -> None:
        async with asyncio.timeout(timeout_s):
            while not self.received.sound_runs:  # noqa: ASYNC110 (polled: a cheap check, as in wait_for)
                await asyncio.sleep(0.05)

    async def wait_closed(self, timeout_s: float = 30.0) -> tuple[int | None, str | None]:
        async with asyncio.timeout(timeout_s):
            await self.closed.wait()
        assert self.ws is not None
        return self.ws.close_code, self.ws.close_reason

    async def close(self) -> None:
        for task in self._tasks:
            task.cancel()
        for task in self._tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task
        if self.ws is not None:
            await self.ws.close()


async def refused(url: str, *messages: str | bytes) -> tuple[int | None, str | None]:
    """Connects, sends `messages` and returns how the engine closed the stream."""
    page = await StreamPage(url).open(*messages)
    try:
        return await page.wait_closed(15)
    finally:
        await page.close()
