"""All live sessions of this engine process, and the one TaskGroup that owns them.

A join link may connect again while its previous connection is still up (a page reload, a second
tab): the older live session is hung up and fully closed before the new one opens the recording,
so the two never write the same file.
"""

from __future__ import annotations

import asyncio
import functools
import logging
import weakref
from pathlib import Path
from types import TracebackType

from config.enums import SessionStatus
from engine.clock import Clock
from engine.errors import Conflict, NotFound, ServiceUnavailable
from engine.live.abandoned import end_abandoned
from engine.live.load import EngineAtCapacity
from engine.live.node import EngineNode, RetryLater, draining_refusal
from engine.live.runtime import MediaRuntime
from engine.live.session import EndReason, LiveSession
from engine.live.store import LiveStore
from engine.live.transport import Transport
from engine.observability.context import bind_session
from engine.services import join, nodes
from engine.store.database import Database

__all__ = ["LiveSessions", "recording_name"]

logger = logging.getLogger(__name__)

DRAIN_POLL_S = 0.25


class LiveSessions:
    def __init__(
        self, runtime: MediaRuntime, database: Database, clock: Clock, *, node: EngineNode | None = None
    ) -> None:
        self._runtime = runtime
        self._database = database
        self._clock = clock
        self._live: dict[str, LiveSession] = {}
        self._done: dict[str, asyncio.Event] = {}
        self._locks: weakref.WeakValueDictionary[str, asyncio.Lock] = weakref.WeakValueDictionary()
        self._tg = asyncio.TaskGroup()
        self._closing = False
        self._draining = False
        self._sweeper: asyncio.Task[None] | None = None
        # With several engines on one database, the node registry says which engine holds a session's
        # live interview (engine.live.node); without one (node None) this process is alone.
        self._node = node
        if node is not None:
            node.live_ids = lambda: list(self._live)
            node.on_taken_over = self._taken_over

    @property
    def runtime(self) -> MediaRuntime:
        return self._runtime

    @property
    def node(self) -> EngineNode | None:
        return self._node

    @property
    def draining(self) -> bool:
        """SIGTERM was received: running interviews go on, new ones are refused or sent elsewhere."""
        return self._draining

    def __len__(self) -> int:
        return len(self._live)

    def connected_count(self) -> int:
        """Live sessions whose peer connection is up (the others are still connecting)."""
        return sum(1 for live in self._live.values() if live.connected)

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

    async def connect(self, token: str, transport: Transport, *, routed: bool = False) -> LiveSession:
        """Starts (or continues) the interview here, over `transport` (closed on any failure). Raises
        LiveElsewhere when it belongs on another engine (the one holding it live; or, this one draining,
        one taking new interviews), unless the offer was `routed` here by another engine already: then
        503, never a second hop."""
        try:
            return await self._connect(token, transport, routed=routed)
        except BaseException:
            await transport.close()
            raise

    async def _connect(self, token: str, transport: Transport, *, routed: bool) -> LiveSession:
        if self._closing:
            raise ServiceUnavailable("the engine is shutting down; try again in a moment")
        async with self._database.transaction() as db:
            row = await join.by_token(db, token)
        lock = self._locks.setdefault(row.id, asyncio.Lock())
        async with lock:
            if self._draining and row.id not in self._live:
                await self._refuse_while_draining(row.id, routed)
            replaced = await self._replace(row.id)
            async with self._database.transaction() as db:
                row = await join.by_token(db, token)
                status = SessionStatus(row.status)
                if status.is_terminal:
                    raise Conflict(join.status_message(status), {"status": status.value})
                interview = await join.interview_of(db, row)
            claimed = await self._claim(row.id, routed)
            try:
                self._check_capacity(measured=not replaced)
                store = LiveStore(self._database, self._clock, interview.company_id, interview.session_id)
                name = recording_name(interview.company_id, interview.session_id)
                path = self._runtime.settings.recordings_dir / name
                live = LiveSession(interview, self._runtime, store, path, name, transport)
                await live.start()
            except BaseException:
                if claimed and self._node is not None:
                    await self._node.release(row.id)
                raise
            self._live[row.id] = live
            done = self._done[row.id] = asyncio.Event()
            self._tg.create_task(self._run(live, done), name=f"live-session-{row.id}")
            return live

    def _check_capacity(self, *, measured: bool = True) -> None:
        """Connected sessions count against `max_live_sessions`; peers still connecting against their
        own `max_connecting` (an offer that never connects holds no live slot, and goes after
        `connect_timeout_s`). A session that connects while the live slots are full is still let in:
        at most `max_connecting` over, never a candidate cut off mid-call. `measured`: also refuse when
        the engine is overloaded (a page reload that replaced its own connection adds no load)."""
        media = self._runtime.settings.media
        connected = self.connected_count()
        if connected >= media.max_live_sessions:
            raise EngineAtCapacity(
                "all interview slots are busy; please try again in a minute",
                self._runtime.settings.load.retry_after_s,
                "max_live_sessions",
            )
        if len(self._live) - connected >= media.max_connecting:
            raise ServiceUnavailable("too many calls are connecting right now; please try again in a minute")
        # Measured, not counted: refuse before the sessions already talking slow down (load.py).
        if measured:
            self._runtime.load.admit(connected)

    async def _claim(self, session_id: str, routed: bool) -> bool:
        """Holds the session on this engine (taking it over from a dead one), or raises where it is held:
        LiveElsewhere, or 503 for an offer another engine already routed here. True once held here."""
        if self._node is None:
            return False
        claimed = await self._node.claim(session_id)
        if isinstance(claimed, nodes.Owner):
            if routed:
                raise RetryLater("this interview is held by another server; please try again in a moment", 2)
            raise self._node.elsewhere(claimed)
        return True

    async def _refuse_while_draining(self, session_id: str, routed: bool) -> None:
        """A new interview (not live here) while this engine drains: LiveElsewhere to the engine holding
        it or to one taking new interviews, else 503 with Retry-After."""
        if self._node is None or routed:
            raise draining_refusal()
        # Nothing is live here for it: a row naming this engine is left over, and must not send the
        # engine this offer goes to back here.
        await self._node.release(session_id)
        raise await self._node.route_new(session_id)

    def _taken_over(self, session_ids: set[str]) -> None:
        for session_id in session_ids:
            self.hang_up(session_id, EndReason.REPLACED)

    async def drain(self, limit_s: float) -> None:
        """SIGTERM: new interviews are refused (or sent to another engine) from now on; those running go
        on for up to `limit_s`, then the rest end with SHUTDOWN, resumable from their links (on any
        engine). Returns once none is live."""
        self._draining = True
        if self._node is not None:
            await self._node.start_draining()
        loop = asyncio.get_running_loop()
        deadline = loop.time() + limit_s
        if self._live:
            logger.info("draining: %d live interview(s) may go on for up to %.0f s", len(self._live), limit_s)
        # Polled: sessions come and go meanwhile (a page reload replaces one), and a poll costs nothing.
        while self._live and loop.time() < deadline:  # noqa: ASYNC110
            await asyncio.sleep(DRAIN_POLL_S)
        left = list(self._live.values())
        if left:
            logger.warning(
                "draining: interrupting %d interview(s) still live; they stay resumable", len(left)
            )
        for live in left:
            live.hang_up(EndReason.SHUTDOWN)
        for live in left:
            await self.wait_closed(live.session_id)

    async def _replace(self, session_id: str) -> bool:
        previous, done = self._live.get(session_id), self._done.get(session_id)
        if previous is None or done is None:
            return False
        logger.info("session %s connected again; closing the earlier connection", session_id)
        previous.hang_up(EndReason.REPLACED)
        await done.wait()
        return True

    async def _run(self, live: LiveSession, done: asyncio.Event) -> None:
        # This task (and those it starts) logs as the session's, no longer as the offer request's.
        bind_session(live.session_id)
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
            if self._node is not None and live.session_id not in self._live:
                await self._node.release(live.session_id)
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
                # Live on another engine that is alive counts as live too.
                elsewhere = await self._node.held_elsewhere() if self._node is not None else set()
                await end_abandoned(
                    self._database,
                    self._clock,
                    settings,
                    functools.partial(self._live_somewhere, elsewhere),
                    path,
                )
            except Exception:
                logger.exception("looking for abandoned sessions failed; trying again later")
            await asyncio.sleep(settings.media.abandon_check_s)

    def _live_somewhere(self, elsewhere: set[str], session_id: str) -> bool:
        return session_id in self._live or session_id in elsewhere

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
