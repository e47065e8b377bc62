"""Optional OpenTelemetry tracing (IE_OTEL__ENDPOINT): a span for each API request, each live turn and
each analysis or webhook job, sent in batches to an OTLP/HTTP collector (Jaeger, Tempo, the
OpenTelemetry Collector, ...).

Off unless the endpoint is set, and then neither the SDK nor the exporter is imported (FastAPI imports
OpenTelemetry's API for its own telemetry, a no-op without a global provider): the functions here check
one module global and return. The packages are the `otel` extra (pip install 'interview-engine[otel]');
an endpoint set without them stops the start-up with a message saying so, rather than tracing nothing
in silence.

The tracer provider is this module's own, not OpenTelemetry's global one: an engine's spans go where its
settings say, and a library that looks for the global provider (none is set) traces nothing behind
our back; FastAPI's built-in telemetry among them, which would record request bodies and validation
errors with their input values. What a span records is chosen here, not by an instrumentation library: see
engine/observability/tracing_http.py for why the requests' spans leave the raw path and the caller's
address out.

Spans:
* `GET /v1/sessions/{session_id}` (SERVER): one per HTTP request or WebSocket, named by its route
  template; a `traceparent` header makes it part of the caller's trace.
* `turn` (a trace of its own): from the end of the candidate's speech to the reply's first audio frame,
  with the session id and the latency parts as attributes, and a child span for each phase
  (endpointing, transcription, generation, synthesis).
* `job analysis`, `job webhook` (a trace each): one per analysis run or webhook delivery attempt, as
  long as its lease is held (engine.services.leases.keep_alive).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from typing import TYPE_CHECKING

from config.settings import OtelSettings
from engine.dialogue.latency import TurnLatency

if TYPE_CHECKING:
    from fastapi import FastAPI
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.trace import Tracer

__all__ = ["configure", "enabled", "flush", "install", "record_turn", "shutdown", "span"]

logger = logging.getLogger(__name__)

Attributes = Mapping[str, str | int | float | bool]

_provider: TracerProvider | None = None
_tracer: Tracer | None = None

TURN_PHASES = (
    ("endpointing", "speech_end", "turn_end"),
    ("transcription", "utterance_end", "transcribed"),
    ("generation", "turn_end", "reply_ready"),
    ("synthesis", "reply_ready", "first_audio"),
)


def enabled() -> bool:
    return _tracer is not None


def configure(settings: OtelSettings) -> Tracer | None:
    """Start exporting to `settings.endpoint` (replacing an earlier configuration, whose spans are
    flushed); None, importing nothing, when no endpoint is set."""
    global _provider, _tracer
    if not settings.enabled:
        return None
    try:
        from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
        from opentelemetry.sdk.resources import Resource
        from opentelemetry.sdk.trace import TracerProvider
        from opentelemetry.sdk.trace.export import BatchSpanProcessor
        from opentelemetry.sdk.trace.sampling import ParentBased, TraceIdRatioBased
    except ImportError as error:
        raise RuntimeError(
            "IE_OTEL__ENDPOINT is set but OpenTelemetry is not installed: "
            "pip install 'interview-engine[otel]'"
        ) from error
    shutdown()
    provider = TracerProvider(
        resource=Resource.create({"service.name": settings.service_name}),
        sampler=ParentBased(TraceIdRatioBased(settings.sample_ratio)),
    )
    exporter = OTLPSpanExporter(endpoint=settings.endpoint, timeout=settings.timeout_s)
    provider.add_span_processor(BatchSpanProcessor(exporter))
    _provider, _tracer = provider, provider.get_tracer("interview-engine")
    logger.info("tracing to %s as %s", settings.endpoint, settings.service_name)
    return _tracer


def install(app: FastAPI, settings: OtelSettings) -> None:
    """Configure tracing and add the request middleware (outermost, so a span covers the whole
    request); nothing when no endpoint is set."""
    tracer = configure(settings)
    if tracer is None:
        return
    from engine.observability.tracing_http import TracingMiddleware

    app.add_middleware(TracingMiddleware, tracer=tracer)


def flush(timeout_s: float = 5.0) -> bool:
    """Send the spans still batched (blocking: call it from a thread in async code)."""
    provider = _provider
    return True if provider is None else provider.force_flush(int(timeout_s * 1000))


def shutdown() -> None:
    """Flush and stop (blocking). Also done at exit by the SDK's own handler."""
    global _provider, _tracer
    provider, _provider, _tracer = _provider, None, None
    if provider is not None:
        provider.shutdown()


@contextmanager
def span(name: str, attributes: Attributes | None = None) -> Iterator[None]:
    """A span around the block, current inside it (an exception marks it failed); nothing when off."""
    tracer = _tracer
    if tracer is None:
        yield
        return
    with tracer.start_as_current_span(name, attributes=attributes):
        yield


def record_turn(latency: TurnLatency, session_id: str | None) -> None:
    """The span of one live turn, recorded after the fact: the turn is logged at its reply's first
    audio, so that is taken as now and each mark of the session's timeline placed back from it."""
    if _tracer is None:
        return
    try:
        _turn_span(_tracer, latency, session_id)
    except Exception:
        # Tracing must never cost an interview anything.
        logger.warning("the span of a turn of session %s was not recorded", session_id, exc_info=True)


def _turn_span(tracer: Tracer, latency: TurnLatency, session_id: str | None) -> None:
    from opentelemetry import context, trace

    end_ns = time.time_ns()

    def at(mark: float) -> int:
        return end_ns - max(0, int((latency.first_audio - mark) * 1e9))

    attributes: dict[str, str | float] = {
        "interview.backend": latency.backend,
        "interview.turn.total_ms": round(latency.total_s * 1000, 1),
        "interview.turn.endpointing_ms": round(latency.endpointing_s * 1000, 1),
        "interview.turn.transcription_ms": round(latency.transcription_s * 1000, 1),
        "interview.turn.generation_ms": round(latency.generation_s * 1000, 1),
        "interview.turn.first_audio_ms": round(latency.first_audio_s * 1000, 1),
    }
    if session_id is not None:
        attributes["interview.session_id"] = session_id
    # A trace of its own (an empty parent context), not a child of whatever request started the
    # session's task: a turn is not part of the signalling request that happened to open the call.
    root = tracer.start_span(
        "turn", context=context.Context(), start_time=at(latency.speech_end), attributes=attributes
    )
    inside = trace.set_span_in_context(root)
    for name, start, end in TURN_PHASES:
        phase = tracer.start_span(name, context=inside, start_time=at(getattr(latency, start)))
        phase.end(end_time=at(getattr(latency, end)))
    root.end(end_time=end_ns)
