"""The candidate's audio is processed in a thread of its own per call. In the engine's shared worker pool
(which also renders speech, encodes every call's outbound audio in aiortc and runs file I/O) it queued
behind that work under load, fell seconds behind the interviewer's channel and was dropped from the
recording as late (bench/memory_bursts.py saw 1-30 s lost per session on a busy host).

Here every thread of the engine's shared pool is held busy while the candidate answers: the answer must
still be heard and transcribed before the pool frees up. The engine runs in its own thread and event
loop (a real uvicorn server), the candidate's aiortc peer in the test's, so holding the engine's pool
does not hold the candidate's encoder.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from config.settings import Settings
from engine.app import create_app
from engine.bootstrap import create_key
from engine.clock import SystemClock
from media.scripted_candidate import ScriptedCandidate
from tests.engine.live_helpers import ANSWERS, booked_session, offer_poster
from tests.server_thread import ServerThread
from tests.speech import synthesize

HELD_S = 60.0  # the longest the pool is held; the test releases it as soon as it has its answer


class _Served:
    def __init__(self, base: str, key: str) -> None:
        self.base = base
        self.key = key
        self.loop: asyncio.AbstractEventLoop | None = None


@pytest.fixture
def served(tmp_path: Path) -> Iterator[_Served]:
    settings = Settings(
        _env_file=None,
        data_dir=tmp_path / "data",
        database_url=f"sqlite+aiosqlite:///{tmp_path / 'e.db'}",
        tts={"engine": "espeak"},
    )
    issued = asyncio.run(create_key(settings, "pool", None, SystemClock()))
    app = create_app(settings)
    loops: list[asyncio.AbstractEventLoop] = []

    async def recorded(scope: Any, receive: Any, send: Any) -> None:
        # The lifespan call comes first, on the server's own loop: that is the loop whose pool to hold.
        if not loops:
            loops.append(asyncio.get_running_loop())
        await app(scope, receive, send)

    thread = ServerThread(recorded)  # type: ignore[arg-type]
    served = _Served(thread.start(), issued.secret_key)
    served.loop = loops[0]
    try:
        yield served
    finally:
        thread.stop()


async def _hold_the_pool(release: threading.Event, holders: int) -> None:
    """More blocking waits than the pool has threads: every worker is taken until `release`."""
    loop = asyncio.get_running_loop()
    await asyncio.gather(*(loop.run_in_executor(None, release.wait, HELD_S) for _ in range(holders)))


async def test_a_busy_shared_pool_does_not_hold_up_the_candidates_audio(served: _Served) -> None:
    assert served.loop is not None
    headers = {"Authorization": f"Bearer {served.key}"}
    async with httpx.AsyncClient(base_url=served.base, headers=headers, timeout=30) as client:
        _, token = await booked_session(client)
        candidate = ScriptedCandidate([])
        release = threading.Event()
        held: Any = None
        try:
            await candidate.connect(offer_poster(client, token))
            async with asyncio.timeout(60):
                await candidate.wait_for_question()
            # 64 holders: more than any default pool (at most 32 threads) can run at once.
            held = asyncio.run_coroutine_threadsafe(_hold_the_pool(release, 64), served.loop)
            await asyncio.sleep(0.5)  # the holders have every worker
            await candidate.speak(synthesize(ANSWERS[0]))
            for _ in range(300):
                if candidate.report.finals():
                    break
                await asyncio.sleep(0.1)
            heard_while_held = list(candidate.report.finals())
            assert not held.done(), "the pool was free after all"
        finally:
            release.set()
            if held is not None:
                await asyncio.wrap_future(held)
            candidate.hang_up()
            await candidate.close()
    assert heard_while_held, "the candidate's answer waited for the shared pool"
    assert "billing" in " ".join(heard_while_held).lower(), heard_while_held
