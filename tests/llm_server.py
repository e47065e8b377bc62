"""A small, real OpenAI-compatible chat-completions server on loopback, with a scripted reply per test.

It speaks the real protocol over TCP (uvicorn): `POST /v1/chat/completions` answers with an SSE stream
of `chat.completion.chunk` objects ending in `data: [DONE]`, or with a whole JSON completion, or with an
OpenAI-style error body; it can also stall, send keep-alive comments, stop mid-reply, drop the
connection, or send garbage. Every request it gets is recorded for the test to inspect. A test that needs
a different answer per request (e.g. one per prompt, or a failure then a success) sets `responder`.
"""

from __future__ import annotations

import asyncio
import json
import threading
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from typing import Any, Literal

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, Response, StreamingResponse
from starlette.types import Receive, Scope, Send

from tests.server_thread import ServerThread

__all__ = ["LlmServer", "RecordedRequest", "Responder", "Script"]

Mode = Literal["stream", "json", "error", "truncate", "drop", "malformed", "finish_without_done"]


@dataclass
class Script:
    """How the server answers the next requests."""

    tokens: list[str] = field(default_factory=lambda: ["Hello", " there", ".", " How are", " you?"])
    mode: Mode = "stream"
    status: int = 500
    error_message: str = "The server had an error while processing your request."
    headers_delay_s: float = 0.0  # before the response starts (e.g. a model loading)
    first_token_delay_s: float = 0.0  # after the headers, before the first token
    token_delay_s: float = 0.0  # between tokens
    hold_after: int | None = None  # after this many tokens, wait until `LlmServer.release` is set
    keepalive: bool = False  # send an SSE comment before every token


Responder = Callable[[dict[str, Any]], Script]


class _DroppedResponse(Response):
    """Starts an SSE stream, sends the first half of the reply, then returns without ending the body:
    uvicorn closes the connection mid-reply (logging one line, 'ASGI callable returned without
    completing response')."""

    def __init__(self, server: LlmServer, script: Script, model: str) -> None:
        super().__init__(media_type="text/event-stream")
        self._server, self._script, self._model = server, script, model

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        headers = [(b"content-type", b"text/event-stream")]
        await send({"type": "http.response.start", "status": 200, "headers": headers})
        tokens = self._script.tokens[: len(self._script.tokens) // 2 + 1]
        body = _sse(_chunk(self._model, {"role": "assistant", "content": ""}))
        body += "".join(_sse(_chunk(self._model, {"content": token})) for token in tokens)
        self._server.tokens_sent += len(tokens)
        await send({"type": "http.response.body", "body": body.encode(), "more_body": True})


@dataclass(frozen=True)
class RecordedRequest:
    path: str
    headers: dict[str, str]
    body: dict[str, Any]


class LlmServer:
    """Start with `start()` (returns the base URL, ending in /v1), stop with `stop()`."""

    def __init__(self) -> None:
        self.script = Script()
        # Picks the Script for each request from its JSON body; it runs on the server's thread.
        self.responder: Responder | None = None
        self.requests: list[RecordedRequest] = []
        self.release = threading.Event()  # lets a held stream go on
        self.tokens_sent = 0
        self._stopping = threading.Event()
        self._thread = ServerThread(self._app())
        self.base_url = ""

    def start(self) -> str:
        self.base_url = self._thread.start() + "/v1"
        return self.base_url

    def stop(self) -> None:
        self._stopping.set()
        self.release.set()
        self._thread.stop()

    def reset(self, script: Script | None = None, responder: Responder | None = None) -> None:
        self.script = script or Script()
        self.responder = responder
        self.requests.clear()
        self.release.clear()
        self.tokens_sent = 0

    async def _sleep(self, seconds: float) -> None:
        """Sleep, but wake at once when the server is stopping (so shutdown never waits on a stall)."""
        if seconds > 0:
            await asyncio.to_thread(self._stopping.wait, seconds)

    async def _hold(self) -> None:
        await asyncio.to_thread(self.release.wait, 30)  # stop() sets it too

    def _app(self) -> FastAPI:
        app = FastAPI()

        @app.post("/v1/chat/completions")
        async def completions(request: Request) -> Response:
            body = await request.json()
            self.requests.append(
                RecordedRequest(request.url.path, {k.lower(): v for k, v in request.headers.items()}, body)
            )
            script = self.script if self.responder is None else self.responder(body)
            model = str(body.get("model", ""))
            await self._sleep(script.headers_delay_s)
            if script.mode == "error":
                kind = "invalid_request_error" if script.status < 500 else "server_error"
                error = {"message": script.error_message, "type": kind, "param": None, "code": None}
                return JSONResponse({"error": error}, status_code=script.status)
            if script.mode == "drop":
                return _DroppedResponse(self, script, model)
            if script.mode == "json" or not body.get("stream"):
                return JSONResponse(_completion(model, "".join(script.tokens)))
            return StreamingResponse(self._events(script, model), media_type="text/event-stream")

        return app

    async def _events(self, script: Script, model: str) -> AsyncIterator[str]:
        yield _sse(_chunk(model, {"role": "assistant", "content": ""}))  # role-only delta, as OpenAI does
        if script.mode == "malformed":
            yield "data: {this is not json\n\n"
            return
        await self._sleep(script.first_token_delay_s)
        for index, token in enumerate(script.tokens):
            if script.hold_after is not None and index == script.hold_after:
                await self._hold()
            elif index:
                await self._sleep(script.token_delay_s)
            if script.keepalive:
                yield ": keep-alive\n\n"
            self.tokens_sent += 1  # counted before it is handed over, so a client never sees more
            yield _sse(_chunk(model, {"content": token}))
            if script.mode == "truncate" and index == len(script.tokens) // 2:
                return  # a clean end of body, but no finish_reason and no [DONE]
        yield _sse(_chunk(model, {}, finish_reason="stop"))
        if script.mode != "finish_without_done":
            yield "data: [DONE]\n\n"


def _chunk(model: str, delta: dict[str, Any], finish_reason: str | None = None) -> dict[str, Any]:
    return {
        "id": "chatcmpl-test",
        "object": "chat.completion.chunk",
        "created": 0,
        "model": model,
        "choices": [{"index": 0, "delta": delta, "finish_reason": finish_reason}],
    }


def _sse(payload: dict[str, Any]) -> str:
    return f"data: {json.dumps(payload)}\n\n"


def _completion(model: str, text: str) -> dict[str, Any]:
    return {
        "id": "chatcmpl-test",
        "object": "chat.completion",
        "created": 0,
        "model": model,
        "choices": [{"index": 0, "message": {"role": "assistant", "content": text}, "finish_reason": "stop"}],
        "usage": {"prompt_tokens": 1, "completion_tokens": 1, "total_tokens": 2},
    }
