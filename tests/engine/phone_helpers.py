"""A scripted telephony provider for the phone tests: it connects to the engine's media-stream WebSocket
the way Twilio bridges a call (`connected`, `start`, a `media` message of 8 kHz μ-law every 20 ms, `stop`),
plays the caller's speech, and keeps what comes back: the interviewer's audio (decoded, timed by arrival),
`mark`s (echoed back at once, as if played, the way Twilio acknowledges them) and `clear`s."""

from __future__ import annotations

import asyncio
import base64
import contextlib
import json
from dataclasses import dataclass, field
from typing import Any

from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed

from engine.live.phone import PHONE_RATE, pcm_to_ulaw, ulaw_to_pcm
from media.audio import rms_dbfs
from media.scripted_candidate import SOUND_DBFS
from tests.engine.paced_mic import FRAME_S, PacedMic, note_sound

FRAME_BYTES = PHONE_RATE // 50  # one 20 ms μ-law frame
SILENCE = pcm_to_ulaw(bytes(FRAME_BYTES * 2))


@dataclass
class Heard:
    """What the engine sent back."""

    pcm: bytearray = field(default_factory=bytearray)  # 8 kHz int16 of every media message, in order
    sound_runs: list[tuple[float, float]] = field(default_factory=list)  # (first, last) arrival
    marks: list[tuple[str, float]] = field(default_factory=list)
    clears: list[float] = field(default_factory=list)
    other: list[dict[str, Any]] = field(default_factory=list)

    def sound_s(self) -> float:
        frame = FRAME_BYTES * 2
        pcm = bytes(self.pcm)
        loud = sum(rms_dbfs(pcm[i : i + frame]) > SOUND_DBFS for i in range(0, len(pcm) - frame + 1, frame))
        return loud * FRAME_S


class PhoneCaller:
    """One call's media stream. `start()` sends `connected` and `start`; from then on 20 ms frames go out
    in real time (silence, or what `speak` queued)."""

    def __init__(self, url: str, call_sid: str = "CA0123456789abcdef0123456789abcdef") -> None:
        self.url = url
        self.call_sid = call_sid
        self.stream_sid = "MZ" + call_sid[2:]
        self.heard = Heard()
        self.ws: ClientConnection | None = None
        self._loop = asyncio.get_running_loop()
        self._mic = PacedMic(SILENCE, self.now)
        self._tasks: list[asyncio.Task[None]] = []
        self._sounded = asyncio.Event()
        self._cleared = asyncio.Event()
        self.closed = asyncio.Event()

    def now(self) -> float:
        return self._loop.time()

    async def open(self) -> PhoneCaller:
        self.ws = await connect(self.url, open_timeout=10, max_size=1 << 20)
        self._tasks.append(asyncio.create_task(self._receive()))
        return self

    async def send(self, message: dict[str, Any] | str | bytes) -> None:
        assert self.ws is not None
        with contextlib.suppress(ConnectionClosed):
            await self.ws.send(json.dumps(message) if isinstance(message, dict) else message)

    def media_message(self, ulaw: bytes) -> dict[str, Any]:
        payload = base64.b64encode(ulaw).decode()
        return {
            "event": "media",
            "streamSid": self.stream_sid,
            "media": {"track": "inbound", "payload": payload},
        }

    async def start(self, **custom: str) -> None:
        await self.send({"event": "connected", "protocol": "Call", "version": "1.0.0"})
        await self.send(
            {
                "event": "start",
                "sequenceNumber": "1",
                "streamSid": self.stream_sid,
                "start": {
                    "accountSid": "AC0123456789abcdef0123456789abcdef",
                    "streamSid": self.stream_sid,
                    "callSid": self.call_sid,
                    "tracks": ["inbound"],
                    "customParameters": custom,
                    "mediaFormat": {"encoding": "audio/x-mulaw", "sampleRate": 8000, "channels": 1},
                },
            }
        )
        self._tasks.append(asyncio.create_task(self._mic.run(self._send_media)))

    def speak(self, pcm8k: bytes) -> asyncio.Future[float]:
        """Queues speech (8 kHz int16); resolves with when its last frame was sent."""
        return self._mic.queue(pcm_to_ulaw(pcm8k))

    async def stop(self) -> None:
        """The caller hangs up: Twilio's `stop`."""
        await self.send({"event": "stop", "streamSid": self.stream_sid, "stop": {"callSid": self.call_sid}})

    async def _send_media(self, ulaw: bytes) -> None:
        await self.send(self.media_message(ulaw))

    async def _receive(self) -> None:
        assert self.ws is not None
        try:
            async for raw in self.ws:
                message = json.loads(raw)
                event = message.get("event")
                now = self.now()
                if event == "media":
                    pcm = ulaw_to_pcm(base64.b64decode(message["media"]["payload"]))
                    self.heard.pcm += pcm
                    if rms_dbfs(pcm) > SOUND_DBFS:
                        note_sound(self.heard.sound_runs, now)
                        self._sounded.set()
                elif event == "mark":
                    self.heard.marks.append((message["mark"]["name"], now))
                    await self.send({"event": "mark", "streamSid": self.stream_sid, "mark": message["mark"]})
                elif event == "clear":
                    self.heard.clears.append(now)
                    self._cleared.set()
                else:
                    self.heard.other.append(message)
        except ConnectionClosed:
            pass
        finally:
            self.closed.set()

    async def wait_for_question(
        self, after: float = 0.0, quiet_s: float = 0.8, timeout_s: float = 60.0
    ) -> float:
        """Until the interviewer has finished a line heard after `after` (its mark came behind it) and
        stayed quiet for `quiet_s`; returns when its last sound was heard."""
        try:
            async with asyncio.timeout(timeout_s):
                while True:
                    await asyncio.sleep(0.05)
                    runs, marks = self.heard.sound_runs, self.heard.marks
                    if not runs or not marks:
                        continue
                    last = runs[-1][1]
                    if last > after and marks[-1][1] >= last and self.now() - last >= quiet_s:
                        return last
        except TimeoutError as exc:
            # What was heard says which condition never held (no sound, no mark, never quiet).
            raise AssertionError(
                f"no question after {after:.2f} s by {self.now():.2f} s: sound {self.heard.sound_runs}, "
                f"marks {self.heard.marks}, other {self.heard.other[-3:]}, closed "
                f"{self.closed.is_set() and self.ws is not None and (self.ws.close_code, self.ws.close_reason)}"
            ) from exc

    async def wait_for_sound(self, after: float, timeout_s: float = 30.0) -> float:
        """Until the interviewer is heard again after `after`; returns when that run started."""
        async with asyncio.timeout(timeout_s):
            while True:
                for start, _end in self.heard.sound_runs:
                    if start > after:
                        return start
                self._sounded.clear()
                await self._sounded.wait()

    async def wait_for_clear(self, timeout_s: float = 10.0) -> float:
        """Until the engine has sent `clear`; returns when the first came."""
        async with asyncio.timeout(timeout_s):
            await self._cleared.wait()
        return self.heard.clears[0]

    async def wait_for_speaking(self, after: float, into_s: float = 0.3, timeout_s: float = 30.0) -> float:
        """Until the interviewer is speaking, `into_s` into a run of sound that started after `after`;
        returns when that run started."""
        async with asyncio.timeout(timeout_s):
            while True:
                now = self.now()
                for start, end in self.heard.sound_runs:
                    if start > after and end - start >= into_s and now - end < 0.1:
                        return start
                await asyncio.sleep(0.02)

    @property
    def close_code(self) -> int | None:
        return None if self.ws is None else self.ws.close_code

    @property
    def close_reason(self) -> str | None:
        return None if self.ws is None else self.ws.close_reason

    async def wait_closed(self, timeout_s: float = 30.0) -> tuple[int | None, str | None]:
        async with asyncio.timeout(timeout_s):
            await self.closed.wait()
        return self.close_code, self.close_reason

    async def close(self) -> None:
        for task in self._tasks:
            task.cancel()
        for task in self._tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task
        if self.ws is not None:
            await self.ws.close()


async def refused(url: str, *messages: dict[str, Any] | str | bytes) -> tuple[int | None, str | None]:
    """Connects, sends `messages` and returns how the engine closed the stream."""
    caller = await PhoneCaller(url).open()
    try:
        for message in messages:
            await caller.send(message)
        return await caller.wait_closed(15)
    finally:
        await caller.close()
