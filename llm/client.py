"""Client for any OpenAI-compatible chat-completions endpoint (Ollama, vLLM, llama.cpp's server, hosted
APIs), streaming the reply token by token and sentence by sentence.

Every failure (connection, HTTP status, malformed stream, timeout, a stream cut off mid-reply) raises
`LlmError`, so a caller can fall back: the interviewer to the embedded director, the LLM scorer to the
embedded scorer. Sentences already yielded before the failure stay valid: they were complete.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import AsyncGenerator, Sequence
from contextlib import aclosing
from dataclasses import dataclass
from types import TracebackType
from typing import Any, Literal, Self

import httpx

from config.settings import LlmSettings
from llm.sentences import SentenceSplitter

__all__ = ["ChatMessage", "LlmClient", "LlmError", "Role"]

logger = logging.getLogger(__name__)

Role = Literal["system", "user", "assistant"]

_MAX_ERROR_CHARS = 300
_REDACTED = "[redacted]"


class LlmError(Exception):
    """The endpoint failed or misbehaved; the message is safe to log (no credentials)."""


@dataclass(frozen=True, slots=True)
class ChatMessage:
    role: Role
    content: str

    def as_json(self) -> dict[str, str]:
        return {"role": self.role, "content": self.content}


class LlmClient:
    """One endpoint, one connection pool. Use as `async with LlmClient(settings) as llm:`."""

    def __init__(self, settings: LlmSettings, *, transport: httpx.AsyncBaseTransport | None = None) -> None:
        if not settings.base_url.strip():
            raise ValueError("LlmSettings.base_url is empty: no LLM endpoint is configured")
        self._settings = settings
        self._url = settings.base_url.strip().rstrip("/") + "/chat/completions"
        key = settings.api_key.get_secret_value() if settings.api_key is not None else ""
        self._secret = key
        headers = {"Accept": "text/event-stream, application/json"}
        if key:
            headers["Authorization"] = f"Bearer {key}"
        timeout = httpx.Timeout(
            connect=settings.connect_timeout_s,
            read=None,  # enforced per token below (first-token and idle timeouts)
            write=settings.connect_timeout_s,
            pool=settings.connect_timeout_s,
        )
        self._client = httpx.AsyncClient(headers=headers, timeout=timeout, transport=transport)

    @property
    def url(self) -> str:
        return self._url

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        await self._client.aclose()

    def __repr__(self) -> str:
        return f"LlmClient(url={self._url!r}, model={self._settings.model!r})"

    def _redact(self, text: str) -> str:
        if self._secret:
            text = text.replace(self._secret, _REDACTED)
        return text

    def _error(self, message: str) -> LlmError:
        message = self._redact(message)
        logger.warning("LLM %s failed: %s", self._url, message)
        return LlmError(message)

    async def stream(self, messages: Sequence[ChatMessage]) -> AsyncGenerator[str, None]:
        """The reply's text, in the pieces the endpoint streams it in. Raises LlmError on any failure,
        including a stream that ends before `[DONE]` (or a chunk with a finish_reason)."""
        settings = self._settings
        body = {
            "model": settings.model,
            "messages": [m.as_json() for m in messages],
            "stream": True,
            "max_tokens": settings.max_tokens,
            "temperature": settings.temperature,
        }
        logger.debug("LLM request to %s: model=%s, %d messages", self._url, settings.model, len(messages))
        loop = asyncio.get_running_loop()
        deadline = loop.time() + settings.first_token_timeout_s
        waiting_for = "the first token"
        try:
            request = self._client.build_request("POST", self._url, json=body)
            async with asyncio.timeout_at(deadline):
                response = await self._client.send(request, stream=True)
            try:
                if response.status_code >= 400:
                    async with asyncio.timeout_at(loop.time() + settings.idle_timeout_s):
                        raw = await response.aread()
                    raise self._error(f"HTTP {response.status_code} from the endpoint: {_error_text(raw)}")
                if response.headers.get("content-type", "").startswith("application/json"):
                    async with asyncio.timeout_at(deadline):
                        raw = await response.aread()
                    text = _whole_reply(raw)
                    if text is None:
                        raise self._error(f"malformed JSON reply: {_truncate(raw.decode(errors='replace'))}")
                    if text:
                        yield text
                    return
                lines = response.aiter_lines()
                finished = False
                while True:
                    try:
                        async with asyncio.timeout_at(deadline):
                            line = await anext(lines)
                    except StopAsyncIteration:
                        break
                    event = _parse_line(line)
                    if event is None:
                        continue  # blank line, comment/keep-alive, or another SSE field
                    if event == "[DONE]":
                        return
                    token, done = self._chunk(event)
                    finished = finished or done
                    if token:
                        deadline = loop.time() + settings.idle_timeout_s
                        waiting_for = "the next token"
                        yield token
                if not finished:
                    raise self._error("the stream ended mid-reply, without [DONE]")
            finally:
                await response.aclose()
        except TimeoutError:
            limit = (
                settings.first_token_timeout_s
                if waiting_for == "the first token"
                else settings.idle_timeout_s
            )
            raise self._error(f"timed out after {limit:g} s waiting for {waiting_for}") from None
        except (httpx.HTTPError, httpx.InvalidURL) as exc:
            raise self._error(f"{type(exc).__name__}: {exc or 'request failed'}") from None

    def _chunk(self, data: str) -> tuple[str, bool]:
        """One `data:` payload: its content delta and whether it finishes the reply."""
        try:
            chunk = json.loads(data)
        except json.JSONDecodeError:
            raise self._error(f"malformed JSON in the stream: {_truncate(data)}") from None
        if not isinstance(chunk, dict):
            raise self._error(f"unexpected stream chunk: {_truncate(data)}")
        if "error" in chunk:
            raise self._error(f"error in the stream: {_error_message(chunk) or _truncate(data)}")
        choices = chunk.get("choices")
        if not isinstance(choices, list) or not choices:
            return "", False  # e.g. a usage-only chunk
        choice = choices[0]
        if not isinstance(choice, dict):
            raise self._error(f"unexpected stream chunk: {_truncate(data)}")
        delta = choice.get("delta")
        content = delta.get("content") if isinstance(delta, dict) else None
        return (content if isinstance(content, str) else ""), bool(choice.get("finish_reason"))

    async def sentences(self, messages: Sequence[ChatMessage]) -> AsyncGenerator[str, None]:
        """The reply, one complete sentence (or long clause) at a time, each as soon as it is certain."""
        splitter = SentenceSplitter()
        async with aclosing(self.stream(messages)) as tokens:
            async for token in tokens:
                for sentence in splitter.feed(token):
                    yield sentence
        for sentence in splitter.flush():
            yield sentence

    async def reply(self, messages: Sequence[ChatMessage]) -> str:
        """The whole reply as one string."""
        parts: list[str] = []
        async with aclosing(self.stream(messages)) as tokens:
            async for token in tokens:
                parts.append(token)
        return "".join(parts).strip()


def _parse_line(line: str) -> str | None:
    """The payload of an SSE `data:` line; None for anything else."""
    if not line.startswith("data:"):
        return None
    payload = line[5:].strip()
    return payload or None


def _truncate(text: str) -> str:
    text = " ".join(text.split())
    return text if len(text) <= _MAX_ERROR_CHARS else text[: _MAX_ERROR_CHARS - 3] + "..."


def _error_message(body: Any) -> str:
    """The message of an OpenAI-style error body ({"error": {"message": ...}}) or a FastAPI one."""
    if not isinstance(body, dict):
        return ""
    error = body.get("error", body.get("detail"))
    if isinstance(error, dict):
        error = error.get("message")
    return _truncate(str(error)) if error else ""


def _error_text(raw: bytes) -> str:
    text = raw.decode(errors="replace")
    try:
        message = _error_message(json.loads(text))
    except json.JSONDecodeError:
        message = ""
    return message or _truncate(text) or "(empty body)"


def _whole_reply(raw: bytes) -> str | None:
    """The content of a non-streamed chat completion; None if it is not one."""
    try:
        body = json.loads(raw)
        content = body["choices"][0]["message"]["content"]
    except (json.JSONDecodeError, UnicodeDecodeError, KeyError, IndexError, TypeError):
        return None
    return content if isinstance(content, str) else ("" if content is None else None)
