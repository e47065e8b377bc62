"""All live sessions of this engine process, and the one TaskGroup that owns them.

A join link may connect again while its previous connection is still up (a page reload, a second
tab): the older live session is hung up and fully closed before the new one opens the recording,
so the two never write the same file.
"""

from __future__ import annotations

import asyncio
import logging
import weakref
from pathlib import Path
from types import TracebackType

from aiortc import RTCSessionDescription

from config.enums import SessionStatus
from engine.clock import Clock
from engine.errors import Conflict, NotFound, ServiceUnavailable
from engine.live.abandoned import end_abandoned
from engine.live.runtime import MediaRuntime
from engine.live.session import EndReason, LiveSession
from engine.live.store import LiveStore
from engine.services import join
from engine.store.database import Database

__all__ = ["LiveSessions", "recording_name"]

logger = logging.getLogger(__name__)


class LiveSessions:
    def __init__(self, runtime: MediaRuntime, database: Database, clock: Clock) -> None:
        self._runtime = runtime
        self._database = database
        self._clock = clock
        self._live: dict[str, LiveSession] = {}
        self._done: dict[str, asyncio.Event] = {}
        self._locks: weakref.WeakValueDictionary[str, asyncio.Lock] = weakref.WeakValueDictionary()
        self._tg = asyncio.TaskGroup()
        self._closing = False
        self._sweeper: asyncio.Task[None] | None = None

    @property
    def runtime(self) -> MediaRuntime:
        return self._runtime

    def __len__(self) -> int:
        return len(self._live)

    def get(self, session_id: str) -> LiveSession | None:
        return self._live.get(session_id)

    async def __aenter__(self) -> LiveSessions:
        await self._tg.__aenter__()
        return self

    async def __aexit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self._closing = True
        if self._sweeper is not None:
            self._sweeper.cancel()  # it sleeps between sweeps: it must not hold the shutdown up
        for live in list(self._live.values()):
            live.hang_up(EndReason.SHUTDOWN)
        await self._tg.__aexit__(kind, exc, tb)

    async def connect(self, token: str, offer: RTCSessionDescription) -> RTCSessionDescription:
        if self._closing:
            raise ServiceUnavailable("the engine is shutting down; try again in a moment")
        async with self._database.transaction() as db:
            row = await join.by_token(db, token)
        lock = self._locks.setdefault(row.id, asyncio.Lock())
        async with lock:
            await self._replace(row.id)
            async with self._database.transaction() as db:
                row = await join.by_token(db, token)
                status = SessionStatus(row.status)
                if status.is_terminal:
                    raise Conflict(join.status_message(status), {"status": status.value})
                interview = await join.interview_of(db, row)
            self._check_capacity()
            store = LiveStore(self._database, self._clock, interview.company_id, interview.session_id)
            name = recording_name(interview.company_id, interview.session_id)
            path = self._runtime.settings.recordings_dir / name
            live = LiveSession(interview, self._runtime, store, path, name)
            answer = await live.accept(offer)
            self._live[row.id] = live
            done = self._done[row.id] = asyncio.Event()
            self._tg.create_task(self._run(live, done), name=f"live-session-{row.id}")
            return answer

    def _check_capacity(self) -> None:
        """Connected sessions count against `max_live_sessions`; peers still connecting against their
        own `max_connecting` (an offer that never connects holds no live slot, and goes after
        `connect_timeout_s`). A session that connects while the live slots are full is still let in:
        at most `max_connecting` over, never a candidate cut off mid-call."""
        media = self._runtime.settings.media
        connected = sum(1 for live in self._live.values() if live.connected)
        if connected >= media.max_live_sessions:
            raise ServiceUnavailable("all interview slots are busy; please try again in a minute")
        if len(self._live) - connected >= media.max_connecting:
            raise ServiceUnavailable("too many calls are connecting right now; please try again in a minute")

    async def _replace(self, session_id: str) -> None:
        previous, done = self._live.get(session_id), self._done.get(session_id)
        if previous is None or done is None:
            return
        logger.info("session %s connected again; closing the earlier connection", session_id)
        previous.hang_up(EndReason.REPLACED)
        await done.wait()

    async def _run(self, live: LiveSession, done: asyncio.Event) -> None:
        try:
            await live.run()
        except Exception:
            # run() handles its own errors; this only guards the registry's other sessions.
            logger.exception("live session %s crashed", live.session_id)
        finally:
            if self._live.get(live.session_id) is live:
                del self._live[live.session_id]
            if self._done.get(live.session_id) is done:
                del self._done[live.session_id]
            done.set()

    def end_abandoned_sessions(self) -> None:
        """At start-up and every `abandon_check_s`: end the sessions nobody came back to (see
        engine/live/abandoned.py)."""
        if self._sweeper is None:
            self._sweeper = self._tg.create_task(self._sweep_abandoned(), name="abandoned-sessions")

    async def _sweep_abandoned(self) -> None:
        settings = self._runtime.settings

        def path(company_id: str, session_id: str) -> tuple[Path, str]:
            name = recording_name(company_id, session_id)
            return settings.recordings_dir / name, name

        while not self._closing:
            try:
                await end_abandoned(self._database, self._clock, settings, lambda s: s in self._live, path)
            except Exception:
                logger.exception("looking for abandoned sessions failed; trying again later")
            await asyncio.sleep(settings.media.abandon_check_s)

    def preload(self) -> None:
        """Load the speech models in the background so the first interview does not wait for them."""
        self._tg.create_task(self._preload(), name="asr-preload")
        if self._runtime.turn_model is not None:
            self._tg.create_task(self._preload_turn_model(), name="smart-turn-preload")

    async def _preload(self) -> None:
        try:
            await self._runtime.asr.warm_up()
        except Exception:
            logger.exception("loading the speech recognition model failed; sessions will retry")

    async def _preload_turn_model(self) -> None:
        runner = self._runtime.turn_model
        assert runner is not None
        try:
            await runner.warm_up()
        except Exception:
            logger.exception("loading the end-of-turn model failed; sessions will retry at each pause")

    def hang_up(self, session_id: str, reason: str) -> bool:
        live = self._live.get(session_id)
        if live is None:
            return False
        live.hang_up(reason)
        return True

    async def wait_closed(self, session_id: str) -> None:
        event = self._done.get(session_id)
        if event is not None:
            await event.wait()


def recording_name(company_id: str, session_id: str) -> str:
    if not all(part.replace("-", "").isalnum() for part in (company_id, session_id)):
        raise NotFound("session not found")
    return str(Path(company_id) / f"{session_id}.wav")
