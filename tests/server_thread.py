"""A real uvicorn server on loopback in a background thread, for tests that need TCP (fuzzers, browsers)."""

from __future__ import annotations

import threading
import time

import uvicorn
from fastapi import FastAPI

__all__ = ["ServerThread"]


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
