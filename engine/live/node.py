"""This engine as one node of several on one database: its row in the node registry, kept fresh by a
heartbeat task, its draining flag, and the routing answers a join offer gets (engine.services.nodes
holds the SQL; engine.live.forward sends an offer on).

The heartbeat also checks the interviews live here against the registry: one that another engine took
over (this one was silent too long: a stall, a cut-off database) is ended here, so one interview never
runs on two engines for longer than a heartbeat.
"""

from __future__ import annotations

import asyncio
import logging
import math
import os
import secrets
import socket
from collections.abc import Callable, Collection
from datetime import datetime, timedelta
from types import TracebackType

import httpx

from config.settings import Settings
from engine.clock import Clock
from engine.errors import EngineError, ServiceUnavailable
from engine.services import nodes
from engine.store.database import Database

__all__ = ["EngineNode", "LiveElsewhere", "RetryLater", "draining_refusal", "new_node_id"]

logger = logging.getLogger(__name__)

# A node silent this long is deleted from the registry (with what it held); until then its row shows
# operators which engine died, and when.
PRUNE_AFTER = timedelta(hours=1)
# Forwarding an offer waits for the owner's answer, which includes its ICE gathering (seconds).
FORWARD_TIMEOUT_S = 30.0
# While draining, a new interview is refused with this Retry-After: long enough for a restarted engine
# (or the load balancer's next health check) to be there, short enough for a candidate waiting.
DRAINING_RETRY_AFTER_S = 30


def new_node_id() -> str:
    """Readable (host and process) and unique (a restarted process is a new node, even with its pid)."""
    return f"{socket.gethostname()[:40]}:{os.getpid()}:{secrets.token_hex(3)}"


class RetryLater(ServiceUnavailable):
    """503 with a Retry-After: the interview cannot start here now, but will shortly."""

    def __init__(self, message: str, retry_after_s: float) -> None:
        retry = max(1, math.ceil(retry_after_s))
        super().__init__(message, {"retry_after_s": retry})
        self.retry_after_s = retry

    @property
    def headers(self) -> dict[str, str]:
        return {"Retry-After": str(self.retry_after_s)}


def draining_refusal() -> RetryLater:
    return RetryLater(
        "this interview server is restarting; please try again in a minute", DRAINING_RETRY_AFTER_S
    )


class LiveElsewhere(EngineError):
    """The offer belongs on another engine: the one holding the live interview, or (this one draining)
    one that takes new interviews."""

    def __init__(self, node_url: str, node_id: str | None, reason: str) -> None:
        super().__init__(f"{reason}: {node_url}")
        self.node_url = node_url
        self.node_id = node_id
        self.reason = reason


class EngineNode:
    """Register on entry, heartbeat every `IE_NODE__HEARTBEAT_S` in a task of the caller's TaskGroup,
    deregister on exit (after the live sessions have ended)."""

    def __init__(
        self,
        settings: Settings,
        database: Database,
        clock: Clock,
        tasks: asyncio.TaskGroup,
        *,
        node_id: str | None = None,
    ) -> None:
        self.id = node_id or new_node_id()
        self.url = settings.node_url
        self._settings = settings.node
        self._database = database
        self._clock = clock
        self._tasks = tasks
        self._beating: asyncio.Task[None] | None = None
        self.draining = False
        # Set by the live sessions: which are live here, and what to do with those taken over elsewhere.
        self.live_ids: Callable[[], Collection[str]] = frozenset
        self.on_taken_over: Callable[[set[str]], None] = lambda _ids: None
        # For forwarding offers (engine.live.forward); closed when the node deregisters.
        self.http = httpx.AsyncClient(timeout=FORWARD_TIMEOUT_S, follow_redirects=False)

    @property
    def dead_after(self) -> timedelta:
        return timedelta(seconds=self._settings.dead_after_s)

    def fresh_since(self) -> datetime:
        return self._clock.now() - self.dead_after

    async def __aenter__(self) -> EngineNode:
        try:
            async with self._database.transaction() as db:
                await nodes.register(db, self.id, self.url, self._clock.now())
        except BaseException:
            await self.http.aclose()
            raise
        logger.info("engine node %s registered at %s", self.id, self.url)
        self._beating = self._tasks.create_task(self._beat_forever(), name=f"node-heartbeat-{self.id}")
        return self

    async def __aexit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        if self._beating is not None:
            self._beating.cancel()
            await asyncio.gather(self._beating, return_exceptions=True)
        try:
            async with self._database.transaction() as db:
                await nodes.deregister(db, self.id)
            logger.info("engine node %s deregistered", self.id)
        except Exception:
            # Its row then goes stale: the other engines take what it held over, as after a crash.
            logger.exception("engine node %s: deregistering failed", self.id)
        finally:
            await self.http.aclose()

    async def _beat_forever(self) -> None:
        while True:
            await asyncio.sleep(self._settings.heartbeat_s)
            try:
                await self.beat()
            except Exception:
                logger.warning("engine node %s: heartbeat failed; trying again", self.id, exc_info=True)

    async def beat(self) -> None:
        """One heartbeat: refresh this node's row, prune long-dead nodes, check what is live here."""
        now = self._clock.now()
        live = set(self.live_ids())
        async with self._database.transaction() as db:
            await nodes.beat(db, self.id, self.url, now, self.draining)
            await nodes.prune(db, now - PRUNE_AFTER)
            taken = await nodes.taken_over(db, self.id, live)
        if taken:
            logger.warning(
                "engine node %s: %d live interview(s) were taken over by another engine (this one was "
                "silent too long); ending them here",
                self.id,
                len(taken),
            )
            self.on_taken_over(taken)

    async def start_draining(self) -> None:
        """Refuse new interviews from now on, and tell the other engines at once (not at the next beat)."""
        self.draining = True
        try:
            async with self._database.transaction() as db:
                await nodes.beat(db, self.id, self.url, self._clock.now(), True)
        except Exception:
            logger.warning("engine node %s: recording the drain failed", self.id, exc_info=True)

    async def claim(self, session_id: str) -> nodes.Claimed | nodes.Owner:
        async with self._database.transaction() as db:
            claimed = await nodes.claim(db, session_id, self.id, self._clock.now(), self.fresh_since())
        if isinstance(claimed, nodes.Claimed) and claimed.took_over_from is not None:
            logger.warning(
                "session %s: engine %s stopped answering; this engine takes the interview over",
                session_id,
                claimed.took_over_from,
            )
        return claimed

    async def release(self, session_id: str) -> None:
        try:
            async with self._database.transaction() as db:
                await nodes.release(db, session_id, self.id)
        except Exception:
            # The row then names this node until it stops (deregister) or goes silent: a later offer
            # is sent here, and this node, holding nothing live, simply starts the interview again.
            logger.exception("session %s: releasing it failed", session_id)

    async def route_new(self, session_id: str) -> LiveElsewhere:
        """Where a new interview goes while this node drains: the engine holding it if one does, or the
        least busy engine taking new ones; RetryLater if there is none."""
        fresh_since = self.fresh_since()
        async with self._database.transaction() as db:
            owner = await nodes.owner_of(db, session_id)
            if owner is not None and owner.node_id != self.id and owner.url and owner.alive(fresh_since):
                return LiveElsewhere(owner.url, owner.node_id, "held by another engine")
            url = await nodes.other_node(db, self.id, fresh_since)
        if url is None:
            raise draining_refusal()
        return LiveElsewhere(url, None, "this engine is draining")

    def elsewhere(self, owner: nodes.Owner) -> LiveElsewhere:
        assert owner.url is not None  # an owner that is alive has a row
        return LiveElsewhere(owner.url, owner.node_id, "held by another engine")

    def unreachable(self, target: LiveElsewhere) -> RetryLater:
        """The engine an offer was forwarded to did not answer: try again once the registry knows (its
        heartbeat goes stale, and then this engine takes the interview over)."""
        logger.warning("engine %s at %s did not answer a forwarded offer", target.node_id, target.node_url)
        return RetryLater(
            "the interview server holding this call is not answering; please try again in a moment",
            self._settings.dead_after_s,
        )

    async def held_elsewhere(self) -> set[str]:
        async with self._database.transaction() as db:
            return await nodes.held_elsewhere(db, self.id, self.fresh_since())
