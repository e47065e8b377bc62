"""A real uvicorn server on loopback in a background thread, for tests that need TCP (fuzzers, browsers)."""

from __future__ import annotations

import asyncio
import contextlib
import threading
import time
from collections.abc import Callable, Coroutine, Iterator
from pathlib import Path
from typing import Any, TypeVar

import uvicorn
from fastapi import FastAPI

from config.settings import Settings
from engine.app import create_app
from engine.clock import SystemClock

__all__ = ["ServerThread", "serve_seeded"]

T = TypeVar("T")


class ServerThread:
    """A real uvicorn server (lifespan included) on 127.0.0.1 and a free port, in a background thread."""

    def __init__(self, app: FastAPI) -> None:
        config = uvicorn.Config(
            app, host="127.0.0.1", port=0, log_config=None, access_log=False, lifespan="on"
        )
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=self.server.run, name="uvicorn-test", daemon=True)

    def start(self) -> str:
        self.thread.start()
        deadline = time.monotonic() + 60
        while not self.server.started:
            if not self.thread.is_alive():
                raise RuntimeError("uvicorn exited during start-up")
            if time.monotonic() > deadline:
                self.stop()
                raise TimeoutError("uvicorn did not start within 60s")
            time.sleep(0.02)
        port = self.server.servers[0].sockets[0].getsockname()[1]
        return f"http://127.0.0.1:{port}"

    def stop(self) -> None:
        self.server.should_exit = True
        self.thread.join(30)
        assert not self.thread.is_alive(), "uvicorn did not shut down"


@contextlib.contextmanager
def serve_seeded(
    tmp_path: Path, seed: Callable[[Settings], Coroutine[Any, Any, T]]
) -> Iterator[tuple[str, T]]:
    """An engine on SQLite under `tmp_path`, filled by `seed(settings)` first, then served over TCP:
    the base URL and what `seed` returned."""
    settings = Settings(
        _env_file=None, data_dir=tmp_path / "data", database_url=f"sqlite+aiosqlite:///{tmp_path / 'e.db'}"
    )
    seeded = asyncio.run(seed(settings))
    thread = ServerThread(create_app(settings, clock=SystemClock()))
    base = thread.start()
    try:
        yield base, seeded
    finally:
        thread.stop()
