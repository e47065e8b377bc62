"""JSON logs (`IE_LOG_FORMAT=json`): one object a line, with the request id that the response's
`X-Request-ID` header carries, a sane incoming id honoured and anything else replaced."""

from __future__ import annotations

import asyncio
import io
import json
import logging
import re
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from engine.observability.context import bind_session
from engine.observability.logs import log_handler
from tests.engine.live_helpers import booked_session
from tests.helpers import ApiClients

SQLITE = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)

GENERATED = re.compile(r"[0-9a-f]{32}")


class Captured:
    def __init__(self, stream: io.StringIO) -> None:
        self._stream = stream

    def lines(self) -> list[dict[str, Any]]:
        """Every line parsed: each must be one JSON object."""
        return [json.loads(line) for line in self._stream.getvalue().splitlines()]

    def text(self) -> str:
        """The engine's lines as written (not the test's own HTTP client's, which logs the URLs it gets)."""
        return "\n".join(
            line for line in self._stream.getvalue().splitlines() if '"logger": "httpx"' not in line
        )

    def access(self) -> list[dict[str, Any]]:
        return [line for line in self.lines() if line["logger"] == "engine.access"]


@pytest.fixture
def json_logs(caplog: pytest.LogCaptureFixture) -> Iterator[Captured]:
    """The root logger writes JSON to a buffer, at INFO, as `configure_logging(..., "json")` sets up."""
    stream = io.StringIO()
    handler = log_handler("json", stream)
    root = logging.getLogger()
    root.addHandler(handler)
    caplog.set_level(logging.INFO)
    try:
        yield Captured(stream)
    finally:
        root.removeHandler(handler)


@SQLITE
async def test_every_line_of_a_request_carries_the_id_in_its_header(
    api: ApiClients, json_logs: Captured
) -> None:
    client = await api.client()
    raw = api.raw_client()
    _, token = await booked_session(client)

    response = await raw.get(f"/join/{token}/state")
    assert response.status_code == 200
    request_id = response.headers["X-Request-ID"]
    assert GENERATED.fullmatch(request_id), request_id
    (line,) = [a for a in json_logs.access() if a["request_id"] == request_id]
    assert set(line) >= {"timestamp", "level", "logger", "message", "request_id"}
    assert line["level"] == "INFO"
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}\+00:00", line["timestamp"])
    assert '"GET /join/<token>/state" 200' in line["message"]
    assert token not in json_logs.text()

    # Each request gets its own id.
    again = await raw.get("/healthz")
    assert again.headers["X-Request-ID"] != request_id
    assert [a["request_id"] for a in json_logs.access()][-1] == again.headers["X-Request-ID"]


@SQLITE
async def test_the_session_a_request_is_about_is_on_its_lines(api: ApiClients, json_logs: Captured) -> None:
    client = await api.client()
    session_id, _ = await booked_session(client)
    response = await client.get(f"/v1/sessions/{session_id}")
    assert response.status_code == 200
    line = json_logs.access()[-1]
    assert line["session_id"] == session_id
    assert line["request_id"] == response.headers["X-Request-ID"]


@SQLITE
async def test_a_sane_incoming_id_is_honoured(api: ApiClients, json_logs: Captured) -> None:
    raw = api.raw_client()
    incoming = "lb-7f3a.9_Z-" + "x" * 116  # 128 characters, the most accepted
    response = await raw.get("/healthz", headers={"X-Request-ID": incoming})
    assert response.headers["X-Request-ID"] == incoming
    assert json_logs.access()[-1]["request_id"] == incoming


@SQLITE
@pytest.mark.parametrize(
    "incoming", ["has space", "semi;colon", "x" * 129, "", 'quote"d', "ünïcode"], ids=repr
)
async def test_a_bad_incoming_id_is_replaced(api: ApiClients, json_logs: Captured, incoming: str) -> None:
    raw = api.raw_client()
    response = await raw.get("/healthz", headers={b"X-Request-ID": incoming.encode()})
    replaced = response.headers["X-Request-ID"]
    assert GENERATED.fullmatch(replaced), replaced
    assert response.headers.get_list("X-Request-ID") == [replaced]
    assert json_logs.access()[-1]["request_id"] == replaced
    if incoming:
        assert incoming not in json_logs.text()


@SQLITE
async def test_an_unhandled_error_is_logged_under_the_request_id_it_answers_with(
    api: ApiClients, json_logs: Captured
) -> None:
    async def boom() -> None:
        raise RuntimeError("database password is hunter2")

    # Under the join prefix, so the logged path must come out redacted too.
    api.app.add_api_route("/join/{token}/boom", boom)
    transport = httpx.ASGITransport(app=api.app, raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as raw:
        response = await raw.get("/join/secret-token/boom", headers={"X-Request-ID": "req-500"})
    assert response.status_code == 500
    assert response.headers["X-Request-ID"] == "req-500"
    assert "hunter2" not in response.text
    (error,) = [line for line in json_logs.lines() if line["level"] == "ERROR"]
    assert error["request_id"] == "req-500"
    assert error["message"] == "unhandled error on GET /join/<token>/boom"
    assert "RuntimeError" in error["exc_info"]
    assert json_logs.access()[-1]["request_id"] == "req-500"
    assert "secret-token" not in json_logs.text()


async def test_a_live_session_task_logs_as_its_session(json_logs: Captured) -> None:
    logger = logging.getLogger("engine.live.session")

    async def live_session() -> None:
        bind_session("sess_123")
        try:
            raise RuntimeError("peer gone")
        except RuntimeError:
            logger.exception("live session failed")

    await asyncio.create_task(live_session())
    (line,) = [line for line in json_logs.lines() if line["message"] == "live session failed"]
    assert line["session_id"] == "sess_123"
    assert "request_id" not in line
    assert line["level"] == "ERROR"
    assert line["exc_info"].startswith("Traceback")
    assert "RuntimeError: peer gone" in line["exc_info"]


def test_text_lines_name_the_request_too() -> None:
    stream = io.StringIO()
    handler = log_handler("text", stream)
    record = logging.LogRecord("engine.x", logging.WARNING, __file__, 1, "slow %s", ("db",), None)
    record.request_id = "abc"
    handler.handle(record)
    assert stream.getvalue().rstrip().endswith("WARNING engine.x [request_id=abc]: slow db")
