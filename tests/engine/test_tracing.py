"""Optional OpenTelemetry tracing (IE_OTEL__ENDPOINT) against a stand-in OTLP/HTTP collector on loopback,
which decodes what it receives with opentelemetry-proto: an API call's span (named by its route, in the
caller's trace, with the request id, without the join token or the caller's address), a live turn's
span with its phases, and a job's span. Off, neither the SDK nor the exporter is imported."""

from __future__ import annotations

import asyncio
import subprocess
import sys
import threading
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from fastapi import FastAPI
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import (
    ExportTraceServiceRequest,
    ExportTraceServiceResponse,
)
from opentelemetry.proto.trace.v1.trace_pb2 import Span

from config.settings import OtelSettings, Settings
from engine.app import create_app
from engine.dialogue.latency import TurnLatency
from engine.observability import tracing
from engine.services import leases
from tests.helpers import ApiClients, StepClock

SQLITE = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)

TRACE_ID = "4bf92f3577b34da6a3ce929d0e0e4736"
PARENT_ID = "00f067aa0ba902b7"


@dataclass
class Received:
    span: Span
    service: str

    @property
    def attributes(self) -> dict[str, Any]:
        return {kv.key: getattr(kv.value, kv.value.WhichOneof("value")) for kv in self.span.attributes}


class Collector:
    """Takes OTLP/HTTP protobuf exports on /v1/traces and keeps the spans."""

    def __init__(self) -> None:
        self.spans: list[Received] = []
        self.bodies: list[bytes] = []
        collector = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers["Content-Length"]))
                ok = self.path == "/v1/traces" and self.headers["Content-Type"] == "application/x-protobuf"
                if ok:
                    collector.receive(body)
                answer = ExportTraceServiceResponse().SerializeToString()
                self.send_response(200 if ok else 400)
                self.send_header("Content-Type", "application/x-protobuf")
                self.send_header("Content-Length", str(len(answer)))
                self.end_headers()
                self.wfile.write(answer)

            def log_message(self, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/v1/traces"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def receive(self, body: bytes) -> None:
        request = ExportTraceServiceRequest.FromString(body)
        self.bodies.append(body)
        for resource in request.resource_spans:
            service = next(
                kv.value.string_value for kv in resource.resource.attributes if kv.key == "service.name"
            )
            for scope in resource.scope_spans:
                self.spans.extend(Received(span, service) for span in scope.spans)

    def named(self, name: str) -> list[Received]:
        return [r for r in self.spans if r.span.name == name]


@pytest.fixture
def collector() -> Iterator[Collector]:
    server = Collector()
    server.thread.start()
    try:
        yield server
    finally:
        server.server.shutdown()
        server.server.server_close()


@pytest.fixture
async def traced_app(settings: Settings, clock: StepClock, collector: Collector) -> AsyncIterator[FastAPI]:
    otel = OtelSettings(endpoint=collector.url, service_name="ie-test")
    app = create_app(settings.model_copy(update={"otel": otel}), clock=clock)
    try:
        async with app.router.lifespan_context(app):
            yield app
    finally:
        # Flushed to the collector (still up), then off for the other tests of this process.
        await asyncio.to_thread(tracing.shutdown)


@SQLITE
async def test_api_calls_turns_and_jobs_reach_the_collector(
    traced_app: FastAPI, clock: StepClock, collector: Collector
) -> None:
    api = ApiClients(traced_app, clock)
    try:
        client = await api.client("acme")
        traceparent = f"00-{TRACE_ID}-{PARENT_ID}-01"
        listed = await client.get("/v1/participants", headers={"traceparent": traceparent})
        assert listed.status_code == 200
        await client.get("/v1/participants/00000000-0000-4000-8000-000000000000")
        await api.raw_client().get("/join/secret-join-token-123")
        await api.raw_client().get("/healthz")
    finally:
        await api.aclose()
    # A live turn, as a session logs it, and a job, as a worker runs it.
    runtime = traced_app.state.services.live.runtime
    latency = TurnLatency(10.0, 10.3, 10.5, 10.8, 11.2, 11.4, "director")
    runtime.turns.add(latency, "session-123")

    async def renew(_until: object) -> bool:
        return True

    claim = leases.Claim(timedelta(seconds=60))
    async with leases.keep_alive(renew, claim, clock.now, "analysis 1 of session session-123"):
        pass
    assert await asyncio.to_thread(tracing.flush)

    [request] = collector.named("GET /v1/participants")
    assert request.service == "ie-test"
    assert request.span.kind == Span.SPAN_KIND_SERVER
    assert request.span.trace_id.hex() == TRACE_ID  # in the caller's trace
    assert request.span.parent_span_id.hex() == PARENT_ID
    attributes = request.attributes
    assert attributes["http.route"] == "/v1/participants"
    assert attributes["http.response.status_code"] == 200
    assert attributes["http.request.method"] == "GET"
    assert listed.headers["x-request-id"] == attributes["http.request.id"]
    [missing] = collector.named("GET /v1/participants/{participant_id}")
    assert missing.attributes["http.response.status_code"] == 404
    # The join token never leaves the engine; nor does the caller's address; probes are not traced.
    [join] = [r for r in collector.spans if r.attributes.get("url.path", "").startswith("/join/")]
    assert join.attributes["url.path"] == "/join/<token>"
    assert not any(b"secret-join-token" in body for body in collector.bodies)
    assert not any(b"127.0.0.1" in body or b"testclient" in body for body in collector.bodies)
    assert not any(r.attributes.get("url.path") == "/healthz" for r in collector.spans)

    [turn] = collector.named("turn")
    assert turn.attributes["interview.session_id"] == "session-123"
    assert turn.attributes["interview.turn.total_ms"] == pytest.approx(1400)
    assert turn.attributes["interview.turn.endpointing_ms"] == pytest.approx(800)
    assert turn.attributes["interview.turn.generation_ms"] == pytest.approx(400)
    assert turn.attributes["interview.backend"] == "director"
    assert turn.span.end_time_unix_nano - turn.span.start_time_unix_nano == pytest.approx(1.4e9, abs=1e6)
    assert turn.span.trace_id.hex() != TRACE_ID  # a trace of its own
    phases = {r.span.name: r for r in collector.spans if r.span.parent_span_id == turn.span.span_id}
    assert set(phases) == {"endpointing", "transcription", "generation", "synthesis"}
    synthesis = phases["synthesis"].span
    assert synthesis.end_time_unix_nano - synthesis.start_time_unix_nano == pytest.approx(0.2e9, abs=1e6)

    [job] = collector.named("job analysis")
    assert job.attributes["job.label"] == "analysis 1 of session session-123"


# FastAPI itself imports OpenTelemetry's API (its own telemetry, a no-op without a global provider, which
# the engine never sets); the SDK, the exporter and our middleware are what tracing adds.
LOADED_ONLY_WHEN_ON = ("opentelemetry.sdk", "opentelemetry.exporter", "engine.observability.tracing_http")


def test_off_imports_neither_the_sdk_nor_the_exporter(tmp_path: Path) -> None:
    code = (
        "import sys\n"
        f"LOADED_ONLY_WHEN_ON = {LOADED_ONLY_WHEN_ON!r}\n"
        "from config.settings import Settings\n"
        "from engine.app import create_app\n"
        f"create_app(Settings(_env_file=None, data_dir={str(tmp_path)!r}))\n"
        "print(sorted(m for m in sys.modules if m.startswith(LOADED_ONLY_WHEN_ON)))\n"
    )
    env = {"PATH": "/usr/bin:/bin", "IE_ASR__PRELOAD": "false", "IE_TTS__PRELOAD": "false"}
    done = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        timeout=120,
        env=env,
        check=False,
        cwd=Path(__file__).parents[2],
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "[]"
