"""LlmClient against a real OpenAI-compatible server on loopback (tests/llm_server.py)."""

from __future__ import annotations

import logging
import socket
import time
from collections.abc import Iterator
from typing import Any

import pytest
from pydantic import SecretStr

from config.settings import LlmSettings
from llm import ChatMessage, LlmClient, LlmError
from tests.llm_server import LlmServer, Script

SECRET = "sk-test-0123456789abcdef-secret"
MESSAGES = [ChatMessage("system", "You are an interviewer."), ChatMessage("user", "Hi.")]


@pytest.fixture
def server(llm_server: LlmServer) -> Iterator[LlmServer]:
    llm_server.reset()
    yield llm_server
    llm_server.release.set()  # never leave a stream held


def _settings(base_url: str, **overrides: Any) -> LlmSettings:
    values: dict[str, Any] = {
        "base_url": base_url,
        "model": "test-model",
        "first_token_timeout_s": 2.0,
        "idle_timeout_s": 2.0,
        "max_tokens": 123,
        "temperature": 0.3,
    }
    values.update(overrides)
    return LlmSettings(**values)


async def _collect(client: LlmClient) -> list[str]:
    return [s async for s in client.sentences(MESSAGES)]


async def _collect_into(client: LlmClient, got: list[str]) -> None:
    async for sentence in client.sentences(MESSAGES):
        got.append(sentence)


async def test_streams_sentences_before_the_reply_is_complete(server: LlmServer) -> None:
    server.reset(
        Script(tokens=["Hello", " there.", " How are", " you", " today?", " Tell me", " more."], hold_after=3)
    )
    got: list[str] = []
    async with LlmClient(_settings(server.base_url)) as llm:
        async for sentence in llm.sentences(MESSAGES):
            if not got:
                # The server is still holding back the rest of the reply.
                assert not server.release.is_set()
                assert server.tokens_sent == 3
                server.release.set()
            got.append(sentence)
    assert got == ["Hello there.", "How are you today?", "Tell me more."]
    assert server.tokens_sent == 7


async def test_request_body_and_no_auth_without_key(server: LlmServer) -> None:
    async with LlmClient(_settings(server.base_url + "/")) as llm:
        reply = await llm.reply(MESSAGES)
    assert reply == "Hello there. How are you?"
    [request] = server.requests
    assert request.path == "/v1/chat/completions"
    assert request.body == {
        "model": "test-model",
        "messages": [
            {"role": "system", "content": "You are an interviewer."},
            {"role": "user", "content": "Hi."},
        ],
        "stream": True,
        "max_tokens": 123,
        "temperature": 0.3,
    }
    assert "authorization" not in request.headers
    assert request.headers["content-type"] == "application/json"


async def test_bearer_token_sent_when_key_set(server: LlmServer) -> None:
    settings = _settings(server.base_url, api_key=SecretStr(SECRET))
    async with LlmClient(settings) as llm:
        assert await _collect(llm) == ["Hello there.", "How are you?"]
        assert SECRET not in repr(llm)
    assert server.requests[0].headers["authorization"] == f"Bearer {SECRET}"


async def test_keepalive_comments_are_ignored(server: LlmServer) -> None:
    server.reset(Script(tokens=["One.", " Two."], keepalive=True, token_delay_s=0.05))
    async with LlmClient(_settings(server.base_url)) as llm:
        assert await _collect(llm) == ["One.", "Two."]


async def test_non_streaming_json_reply_is_accepted(server: LlmServer) -> None:
    server.reset(Script(mode="json", tokens=["Fine. ", "Next question?"]))
    async with LlmClient(_settings(server.base_url)) as llm:
        assert await _collect(llm) == ["Fine.", "Next question?"]


async def test_finish_reason_without_done_counts_as_complete(server: LlmServer) -> None:
    server.reset(Script(mode="finish_without_done", tokens=["All", " good."]))
    async with LlmClient(_settings(server.base_url)) as llm:
        assert await _collect(llm) == ["All good."]


@pytest.mark.parametrize(
    ("status", "message"),
    [(500, "The server had an error while processing your request."), (401, "Invalid API key.")],
)
async def test_http_errors_raise_with_the_servers_message(
    server: LlmServer, status: int, message: str
) -> None:
    server.reset(Script(mode="error", status=status, error_message=message))
    async with LlmClient(_settings(server.base_url)) as llm:
        with pytest.raises(LlmError, match=f"HTTP {status}") as info:
            await _collect(llm)
    assert message in str(info.value)


async def test_long_error_bodies_are_truncated(server: LlmServer) -> None:
    server.reset(Script(mode="error", status=400, error_message="x" * 5000))
    async with LlmClient(_settings(server.base_url)) as llm:
        with pytest.raises(LlmError) as info:
            await _collect(llm)
    assert len(str(info.value)) < 400


async def test_unknown_path_404_raises(server: LlmServer) -> None:
    async with LlmClient(_settings(server.base_url + "/nope")) as llm:
        with pytest.raises(LlmError, match="HTTP 404"):
            await _collect(llm)


@pytest.mark.parametrize(
    ("mode", "match"),
    [("truncate", "mid-reply"), ("drop", "RemoteProtocolError"), ("malformed", "malformed JSON")],
)
async def test_stream_failures_mid_reply_raise(server: LlmServer, mode: Any, match: str) -> None:
    server.reset(Script(mode=mode, tokens=["First sentence.", " Second", " sentence", " never", " ends."]))
    got: list[str] = []
    async with LlmClient(_settings(server.base_url)) as llm:
        with pytest.raises(LlmError, match=match):
            await _collect_into(llm, got)
    if mode != "malformed":
        assert got == ["First sentence."]  # spoken before the failure; the rest never comes


async def test_first_token_timeout(server: LlmServer) -> None:
    server.reset(Script(first_token_delay_s=5))
    started = time.monotonic()
    async with LlmClient(_settings(server.base_url, first_token_timeout_s=0.3)) as llm:
        with pytest.raises(LlmError, match="first token"):
            await _collect(llm)
    assert time.monotonic() - started < 2


async def test_first_token_timeout_covers_slow_headers(server: LlmServer) -> None:
    server.reset(Script(headers_delay_s=5))
    started = time.monotonic()
    async with LlmClient(_settings(server.base_url, first_token_timeout_s=0.3)) as llm:
        with pytest.raises(LlmError, match="first token"):
            await _collect(llm)
    assert time.monotonic() - started < 2


async def test_idle_timeout_between_tokens(server: LlmServer) -> None:
    server.reset(Script(tokens=["Quick.", " Then", " nothing."], token_delay_s=5, keepalive=True))
    async with LlmClient(_settings(server.base_url, idle_timeout_s=0.3)) as llm:
        with pytest.raises(LlmError, match="next token"):
            await _collect(llm)


async def test_connection_refused_raises() -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    async with LlmClient(_settings(f"http://127.0.0.1:{port}/v1", connect_timeout_s=1)) as llm:
        with pytest.raises(LlmError, match="Connect"):
            await _collect(llm)


async def test_secret_never_logged_or_in_errors(server: LlmServer, caplog: pytest.LogCaptureFixture) -> None:
    server.reset(Script(mode="error", status=401, error_message=f"Incorrect API key provided: {SECRET}."))
    caplog.set_level(logging.DEBUG)
    async with LlmClient(_settings(server.base_url, api_key=SecretStr(SECRET))) as llm:
        with pytest.raises(LlmError) as info:
            await _collect(llm)
        server.reset(Script(mode="truncate"))
        with pytest.raises(LlmError):
            await _collect(llm)
    assert SECRET not in str(info.value)
    assert "Incorrect API key provided" in str(info.value)
    assert caplog.records, "failures are logged"
    for record in caplog.records:
        assert SECRET not in record.getMessage()
        assert SECRET not in str(record.args)


def test_empty_base_url_is_rejected() -> None:
    with pytest.raises(ValueError, match="base_url"):
        LlmClient(LlmSettings())


async def test_invalid_base_url_raises_llm_error() -> None:
    async with LlmClient(_settings("not a url")) as llm:
        with pytest.raises(LlmError):
            await _collect(llm)
