"""The HTTP server `interview-engine serve` runs: uvicorn's, with a drain before it stops on SIGTERM.

uvicorn on SIGTERM stops listening at once, closes idle connections, waits for requests in flight,
runs the lifespan's shutdown (which ends every live interview with SHUTDOWN), and then raises the
signal again, so the process dies of it (status 143). Here the first SIGTERM instead drains first,
with the server still listening: new interviews get 503 with Retry-After (or are forwarded to another
engine), the interviews running go on for up to IE_NODE__DRAIN_S (a page reload still reaches this
engine, and the API stays up), the rest end resumable, and only then does uvicorn shut down as
usual; the signal is not raised again, so the process exits 0: it stopped as asked. A second
SIGTERM, or SIGINT (Ctrl+C), stops at once, as plain uvicorn does.
"""

from __future__ import annotations

import asyncio
import logging
import signal
import socket
import sys
from collections.abc import Awaitable, Callable
from types import FrameType
from typing import Any

import uvicorn
from fastapi import FastAPI
from uvicorn.config import STARTUP_FAILURE

__all__ = ["DrainingServer", "run"]

logger = logging.getLogger(__name__)


class DrainingServer(uvicorn.Server):
    def __init__(self, config: uvicorn.Config, app: FastAPI) -> None:
        super().__init__(config)
        self._app = app
        self._loop: asyncio.AbstractEventLoop | None = None
        self._draining: asyncio.Task[None] | None = None

    async def serve(self, sockets: list[socket.socket] | None = None) -> None:
        self._loop = asyncio.get_running_loop()
        await super().serve(sockets)

    def handle_exit(self, sig: int, frame: FrameType | None) -> None:
        """Called by the signal handler uvicorn installs (signal.signal: in the main thread, between two
        bytecodes of whatever runs), so it only schedules the drain on the loop."""
        first_term = sig == signal.SIGTERM and self._draining is None and not self.should_exit
        if not first_term or self._loop is None or self._drain_hook() is None:
            super().handle_exit(sig, frame)
            return
        self._loop.call_soon_threadsafe(self._start_drain)

    def _drain_hook(self) -> Callable[[], Awaitable[None]] | None:
        """What the app's lifespan left to run before stopping (engine.app); None before it started."""
        hook = getattr(self._app.state, "drain", None)
        return hook if callable(hook) else None

    def _start_drain(self) -> None:
        if self._draining is None and not self.should_exit:
            self._draining = asyncio.get_running_loop().create_task(self._drain(), name="drain")

    async def _drain(self) -> None:
        hook = self._drain_hook()
        logger.info("SIGTERM: draining before the server stops")
        try:
            if hook is not None:
                await hook()
        except Exception:
            logger.exception("draining failed; stopping anyway")
        finally:
            self.should_exit = True


def run(app: FastAPI, **config: Any) -> None:
    """`uvicorn.run(app, **config)` with the draining server; exits with uvicorn's status 3 when the
    server did not start (the lifespan failed, the port was taken)."""
    server = DrainingServer(uvicorn.Config(app, **config), app)
    server.run()
    if not server.started:
        sys.exit(STARTUP_FAILURE)
