"""The candidates of bench/phone_latency.py, one per path, each answering a booked session with the same
synthetic speech and reporting when each answer's speech ended and when the interviewer was next heard.

- phone: tests/engine/phone_helpers.py's `PhoneCaller` (Twilio Media Streams: 8 kHz μ-law every 20 ms in
  real time, marks echoed) on the session's `GET /v1/sessions/{id}/phone-stream` URL;
- webrtc: media/scripted_candidate.py's aiortc candidate on the join link (as bench/media_latency.py);
- websocket: the browsers' WebSocket fallback (16 kHz PCM, 640-byte binary frames every 20 ms) on
  `/join/{token}/stream`, used only where the engine has it.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import time
from collections.abc import Awaitable
from dataclasses import dataclass, field
from typing import Any, TypeVar

import httpx
from websockets.asyncio.client import connect

from bench.media_latency import SKILLS, offer_poster
from engine.live.phone import PHONE_RATE
from media.audio import SAMPLE_RATE, resample_pcm, rms_dbfs
from media.scripted_candidate import SOUND_DBFS, ScriptedCandidate, trailing_quiet_s
from tests.engine.phone_helpers import PhoneCaller

__all__ = ["Booked", "Outcome", "book", "phone_clip", "run_phone", "run_webrtc", "run_websocket"]

# How long the interviewer must stay quiet after a line (its mark echoed) before the caller answers: it
# pauses between the greeting and the first question only to render the next line (as the phone test).
QUIET_S = 1.2
FRAME_S = 0.02
# The stream's close reasons for an interview that ended well: finished, or hung up after enough turns.
ENDED_WELL = ("the interview is complete", "the caller hung up")
T = TypeVar("T")


@dataclass
class Booked:
    session_id: str
    token: str  # the join link's


@dataclass
class Outcome:
    """One session's answers: (speech end, first interviewer sound after it or None) per answer spoken."""

    turns: list[tuple[float, float | None]] = field(default_factory=list)
    completed: bool = False
    detail: str = ""

    @property
    def spoken(self) -> int:
        return len(self.turns)


async def book(client: httpx.AsyncClient, questions: int, index: int) -> Booked:
    """A session on a 10-minute template with `questions` skills, as bench/media_latency.py books it (that
    helper returns only the join token; the phone stream and the transcript need the session's id)."""

    async def created(path: str, body: dict[str, Any]) -> dict[str, Any]:
        response = await client.post(path, json=body)
        response.raise_for_status()
        data: dict[str, Any] = response.json()
        return data

    profile = await created(
        "/v1/agent-profiles",
        {"name": "Bench Interviewer", "intro": "Alex", "rubric": [{"name": "Skill", "weight": 100}]},
    )
    template = await created(
        "/v1/templates", {"name": "Bench Role", "skills": SKILLS[:questions], "duration_minutes": 10}
    )
    stage = await created(
        f"/v1/templates/{template['id']}/stages", {"name": "Screen", "agent_profile_id": profile["id"]}
    )
    session = await created(
        "/v1/sessions",
        {
            "stage_id": stage["id"],
            "participant": {
                "name": f"Phone Bench Candidate {index}",
                "email": f"phone-bench-{index}-{time.time_ns()}@example.com",
                "gdpr_expiry_date": "2030-01-01",
            },
        },
    )
    return Booked(str(session["id"]), str(session["join_url"]).rsplit("/", 1)[1])


def phone_clip(pcm16k: bytes) -> bytes:
    """An answer as the phone carries it: 8 kHz, padded to whole 20 ms frames so that its end is the end
    of a frame the caller sends."""
    pcm = resample_pcm(pcm16k, SAMPLE_RATE, PHONE_RATE)
    frame = PHONE_RATE // 50 * 2
    return pcm + bytes(-len(pcm) % frame)


async def _unless_closed(closed: asyncio.Event, waiting: Awaitable[T]) -> T | None:
    """`waiting`'s result, or None once `closed` is set first."""
    task = asyncio.ensure_future(waiting)
    ender = asyncio.create_task(closed.wait())
    try:
        await asyncio.wait({task, ender}, return_when=asyncio.FIRST_COMPLETED)
        return task.result() if task.done() else None
    finally:
        for pending in (task, ender):
            pending.cancel()
            with contextlib.suppress(asyncio.CancelledError, TimeoutError):
                await pending


def _first_after(runs: list[tuple[float, float]], moment: float) -> float | None:
    return next((start for start, _ in runs if start > moment), None)


async def run_phone(
    client: httpx.AsyncClient, booked: Booked, answers8k: list[bytes], limit_s: float
) -> Outcome:
    """A call that answers each question in turn until the engine ends the interview (closes the stream)."""
    response = await client.get(f"/v1/sessions/{booked.session_id}/phone-stream")
    response.raise_for_status()
    caller = PhoneCaller(response.json()["url"], call_sid="CA" + booked.session_id[-32:].rjust(32, "0"))
    await caller.open()
    ends: list[float] = []
    outcome = Outcome()
    try:
        async with asyncio.timeout(limit_s):
            await caller.start(source="bench")
            asked = await _unless_closed(caller.closed, caller.wait_for_question(quiet_s=QUIET_S))
            for answer in answers8k:
                if asked is None:
                    break
                sent = await caller.speak(answer)
                # As the WebRTC candidate counts it: the end of the last frame with sound in it (the
                # frame that left at `sent` holds the 20 ms up to `sent + FRAME_S`).
                end = sent + FRAME_S - trailing_quiet_s(answer, PHONE_RATE)
                ends.append(end)
                asked = await _unless_closed(
                    caller.closed, caller.wait_for_question(after=sent, quiet_s=QUIET_S, timeout_s=120)
                )
            if asked is not None:
                await caller.stop()  # enough turns: the caller hangs up, which ends the interview
            await caller.wait_closed(30)
    except TimeoutError:
        outcome.detail = "timed out waiting for a question or the end"
    finally:
        await caller.close()
    outcome.turns = [(end, _first_after(caller.heard.sound_runs, end)) for end in ends]
    outcome.completed = caller.close_code == 1000 and caller.close_reason in ENDED_WELL
    if not outcome.detail:
        outcome.detail = f"closed {caller.close_code} {caller.close_reason!r}"
    return outcome


async def run_webrtc(base: str, booked: Booked, answers16k: list[bytes], limit_s: float) -> Outcome:
    """bench/media_latency.py's aiortc candidate on the join link; once it has spoken every answer and
    heard the reply to the last, it hangs up (the page's End button)."""
    candidate = ScriptedCandidate(answers16k)
    report = candidate.report
    async with httpx.AsyncClient(base_url=base, timeout=30) as http:
        try:
            await candidate.connect(offer_poster(http, booked.token))
            running = asyncio.create_task(candidate.run(limit_s))
            while not running.done():
                await asyncio.wait({running}, timeout=0.2)
                last = report.turns[-1] if len(report.turns) == len(answers16k) else None
                runs = report.sound_runs
                # The reply to the last answer has been heard and has stopped for a second.
                if last and last.first_reply_audio and runs and candidate.now() - runs[-1][1] >= 1.0:
                    candidate.hang_up()
                    await running
        finally:
            await candidate.close()
    reason = report.ended.get("reason") if report.ended else None
    return Outcome(
        turns=[(t.speech_end, t.first_reply_audio) for t in report.turns],
        completed=reason in ("completed", "hangup"),
        detail=f"ended {reason}",
    )


async def run_websocket(base: str, booked: Booked, answers16k: list[bytes], limit_s: float) -> Outcome:
    """The browsers' WebSocket fallback: 640-byte frames of 16 kHz PCM every 20 ms (binary), the engine's
    JSON messages as text (the join page's events: `state` ... `listening`, `ended`) and its audio as
    binary 16 kHz PCM (engine/live/browser_stream.py, engine/api/join_stream.py)."""
    # Consent in the URL, as the page gives it when the candidate has already agreed.
    url = base.replace("http", "ws", 1) + f"/join/{booked.token}/stream?consent=true"
    frame = SAMPLE_RATE // 50 * 2
    loop = asyncio.get_running_loop()
    outcome = Outcome()
    runs: list[tuple[float, float]] = []
    listening = asyncio.Event()
    ended = asyncio.Event()
    queue: list[tuple[bytearray, asyncio.Future[float]]] = []

    async with connect(url, open_timeout=10, max_size=1 << 20) as ws:

        async def receive() -> None:
            try:
                await receive_all()
            finally:
                ended.set()  # the engine closed the stream, with or without `ended` first

        async def receive_all() -> None:
            async for raw in ws:
                now = loop.time()
                if isinstance(raw, bytes):
                    if rms_dbfs(raw) > SOUND_DBFS:
                        if runs and now - runs[-1][1] <= 0.1:
                            runs[-1] = (runs[-1][0], now)
                        else:
                            runs.append((now, now))
                    continue
                message = json.loads(raw)
                if message.get("type") == "state" and message.get("state") == "listening":
                    listening.set()
                elif message.get("type") == "ended":
                    outcome.completed = message.get("reason") in ("completed", "hangup")
                    outcome.detail = f"ended {message.get('reason')}"
                    ended.set()

        async def talk() -> None:
            origin, count = loop.time(), 0
            while True:
                await asyncio.sleep(max(0.0, origin + count * FRAME_S - loop.time()))
                chunk = bytes(frame)
                if queue:
                    pcm, done = queue[0]
                    chunk = bytes(pcm[:frame])
                    del pcm[:frame]
                    if not pcm:
                        queue.pop(0)
                        done.set_result(loop.time())
                    chunk += bytes(frame - len(chunk))
                count += 1
                await ws.send(chunk)

        async def question() -> bool:
            """Until a question: "listening", then quiet for 0.4 s (as the WebRTC candidate); False once
            the interview has ended."""
            while True:
                listening.clear()
                if await _unless_closed(ended, listening.wait()) is None:
                    return False
                quiet_from = runs[-1][1] if runs else loop.time()
                await asyncio.sleep(0.4)
                if not runs or runs[-1][1] <= quiet_from:
                    return not ended.is_set()

        tasks = [asyncio.create_task(receive()), asyncio.create_task(talk())]
        ends: list[float] = []
        try:
            async with asyncio.timeout(limit_s):
                for answer in answers16k:
                    if not await question():
                        break
                    await asyncio.sleep(0.3)
                    said: asyncio.Future[float] = loop.create_future()
                    queue.append((bytearray(answer + bytes(-len(answer) % frame)), said))
                    sent = await _unless_closed(ended, said)
                    if sent is None:
                        break
                    ends.append(sent + FRAME_S - trailing_quiet_s(answer, SAMPLE_RATE))
                if len(ends) == len(answers16k) and await question():
                    await ws.send(json.dumps({"type": "hangup"}))  # enough turns: the End button
                await ended.wait()
        except TimeoutError:
            outcome.detail = f"timed out after {limit_s:g} s"
        finally:
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)
    outcome.turns = [(end, _first_after(runs, end)) for end in ends]
    return outcome
