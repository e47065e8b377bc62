"""A real HTTP webhook receiver on loopback (uvicorn in a thread), as an ATS would run one: it records
every request and answers with scripted statuses (200 once the script runs out)."""

from __future__ import annotations

import threading
from collections import deque
from dataclasses import dataclass, field

from fastapi import FastAPI, Request, Response

from tests.server_thread import ServerThread

__all__ = ["Received", "WebhookReceiver"]


@dataclass(frozen=True)
class Received:
    headers: dict[str, str]
    body: bytes


@dataclass
class WebhookReceiver:
    """`answers` holds (status, headers) to give, in order; `url` after `start()`."""

    answers: deque[tuple[int, dict[str, str]]] = field(default_factory=deque)
    received: list[Received] = field(default_factory=list)
    url: str = ""

    def __post_init__(self) -> None:
        self._lock = threading.Lock()
        self._thread = ServerThread(self._app())

    def start(self) -> str:
        self.url = self._thread.start() + "/hooks"
        return self.url

    def stop(self) -> None:
        self._thread.stop()

    def answer(self, *answers: tuple[int, dict[str, str]]) -> None:
        with self._lock:
            self.answers.extend(answers)

    def _app(self) -> FastAPI:
        app = FastAPI()

        @app.post("/hooks")
        async def hook(request: Request) -> Response:
            body = await request.body()
            with self._lock:
                self.received.append(Received({k.lower(): v for k, v in request.headers.items()}, body))
                status, headers = self.answers.popleft() if self.answers else (200, {})
            return Response(status_code=status, headers=headers)

        return app
