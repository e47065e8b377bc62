"""Prometheus metrics for `GET /metrics` (docs/operations.md lists them all and what they mean).

Each app has its own registry (never prometheus_client's global one), so several apps in one process,
as in the tests, count apart. What happens is counted as it happens: HTTP requests by the access-log
middleware, turns by the turn log's listener. What merely *is* (live sessions, the recogniser's
queues, models and workers, the database's backlogs) is read when Prometheus scrapes, by
`EngineCollector`. Labels are route templates, phases and kinds, never ids or companies, so the
number of series stays bounded whatever the traffic.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from dataclasses import dataclass

from prometheus_client import CollectorRegistry, Counter, Histogram
from prometheus_client.exposition import choose_encoder
from prometheus_client.metrics_core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

from engine.api.context import Services
from engine.dialogue.latency import TurnLatency
from engine.observability.backlog import Backlog, read_backlog
from engine.observability.readiness import model_states, worker_states
from engine.observability.single_flight import SingleFlight

__all__ = ["PREFIX", "EngineCollector", "Telemetry"]

logger = logging.getLogger(__name__)

PREFIX = "interview_engine"
BACKLOG_TIMEOUT_S = 2.0
# Around the targets (reply p95 <= 1.2 s, transcript p95 <= 1.5 s), so both read off a bucket edge.
TURN_BUCKETS = (0.05, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.8, 1.0, 1.2, 1.5, 2.0, 3.0, 5.0, 10.0)
TURN_PHASES = ("endpointing", "transcription", "generation", "first_audio", "total", "verdict")
BACKENDS = ("director", "llm")
HTTP_METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})
UNMATCHED = "unmatched"


@dataclass(frozen=True, slots=True)
class _Scrape:
    services: Services
    backlog: Backlog | None


class EngineCollector(Collector):
    """Gauges and counters read at scrape time from what the engine already keeps."""

    def __init__(self) -> None:
        self._scrape: _Scrape | None = None

    def prepare(self, services: Services, backlog: Backlog | None) -> None:
        """What the next `collect` reports (set right before the registry is rendered)."""
        self._scrape = _Scrape(services, backlog)

    def describe(self) -> list[Metric]:
        return []  # nothing to check for clashes at registration: these names are ours alone

    def collect(self) -> Iterator[Metric]:
        scrape = self._scrape
        if scrape is None:
            return
        yield from _live(scrape.services)
        yield from _load(scrape.services)
        yield from _asr(scrape.services)
        yield from _states(scrape.services)
        yield from _backlog(scrape.backlog)


def _gauge(name: str, doc: str, value: float) -> GaugeMetricFamily:
    return GaugeMetricFamily(f"{PREFIX}_{name}", doc, value=value)


def _labelled(name: str, doc: str, label: str, values: dict[str, float]) -> GaugeMetricFamily:
    family = GaugeMetricFamily(f"{PREFIX}_{name}", doc, labels=[label])
    for key, value in values.items():
        family.add_metric([key], value)
    return family


def _counter(name: str, doc: str, value: float) -> CounterMetricFamily:
    return CounterMetricFamily(f"{PREFIX}_{name}", doc, value=value)


def _live(services: Services) -> Iterator[Metric]:
    live = services.live
    connected = live.connected_count()
    yield _labelled(
        "live_sessions",
        "Live interviews on this engine: connected, or still connecting (offered, not yet connected).",
        "state",
        {"connected": connected, "connecting": len(live) - connected},
    )
    yield _gauge(
        "live_sessions_limit",
        "Connected live interviews this engine takes before refusing new ones (IE_MEDIA__MAX_LIVE_SESSIONS).",
        services.settings.media.max_live_sessions,
    )


def _load(services: Services) -> Iterator[Metric]:
    load = services.live.runtime.load
    signal = load.signal()
    window = f"over the last {load.settings.window_s:g} s"
    yield _gauge(
        "load_loop_lag_seconds",
        f"Mean event-loop lag {window}: how late a 100 ms sleep wakes.",
        signal.loop_lag_ms / 1000,
    )
    yield _gauge(
        "load_final_wait_seconds",
        f"Mean wait of finals for a recogniser lane {window} (0 when none was queued).",
        signal.final_wait_ms / 1000,
    )
    yield _gauge(
        "load_level",
        "0: normal; 1: partials spaced out; 2: at capacity, no partials and new sessions refused (503).",
        int(signal.level),
    )
    refused = CounterMetricFamily(
        f"{PREFIX}_load_refused_sessions",
        "New live sessions refused for load, by reason: overloaded (the measured signal) or join_burst "
        "(too many joins within one window).",
        labels=["reason"],
    )
    for reason, count in load.refused_by.items():
        refused.add_metric([reason], count)
    yield refused


def _asr(services: Services) -> Iterator[Metric]:
    stats = services.live.runtime.asr.stats()
    decodes = CounterMetricFamily(
        f"{PREFIX}_asr_decodes", "Utterances transcribed since start, by kind.", labels=["kind"]
    )
    decodes.add_metric(["final"], stats.finals)
    decodes.add_metric(["partial"], stats.partials)
    yield decodes
    yield _counter("asr_batches", "Recogniser calls (several utterances may share one).", stats.batches)
    yield _counter("asr_failed_batches", "Recogniser calls that raised.", stats.failed_batches)
    yield _counter(
        "asr_dropped_partials", "Partial hypotheses skipped to keep finals fast.", stats.dropped_partials
    )
    yield _counter("asr_audio_seconds", "Seconds of audio transcribed.", stats.audio_s)
    yield _counter("asr_compute_seconds", "Seconds of inference spent on it.", stats.compute_s)
    yield _counter("asr_busy_seconds", "Wall time the inference lanes were busy.", stats.busy_s)
    yield _counter(
        "asr_hurried",
        "Finals heard in a shorter window because several waited for one recogniser call (a burst).",
        stats.hurried,
    )
    yield _counter(
        "asr_discarded",
        "Utterances decoded whose caller had gone (a speculation whose speaker went on, a hang-up).",
        stats.discarded,
    )
    yield _counter(
        "asr_discarded_seconds", "Lane time spent on them (their share of their batch).", stats.discarded_s
    )
    lanes = CounterMetricFamily(
        f"{PREFIX}_asr_lane_seconds",
        "Wall time the inference lanes were busy, by the kind of job (final, speculation, draft, revision).",
        labels=["kind"],
    )
    for kind, seconds in stats.busy_by_kind.items():
        lanes.add_metric([kind], seconds)
    yield lanes
    yield _labelled(
        "asr_queue_depth",
        "Utterances waiting for the recogniser now, by kind (finals are never dropped).",
        "kind",
        {"final": stats.queued_finals, "partial": stats.queued_partials},
    )
    yield _gauge("asr_in_flight", "Utterances being transcribed now.", stats.in_flight)


def _states(services: Services) -> Iterator[Metric]:
    models = model_states(services)
    yield _labelled(
        "speech_model_loaded",
        "1 when the model is in memory: asr (Whisper, every lane) and tts (the default voice).",
        "model",
        {name: float(state == "loaded") for name, state in models.items()},
    )
    yield _labelled(
        "worker_running",
        "1 while the background worker's loop runs (analysis, webhooks, emails).",
        "worker",
        {name: float(running) for name, running in worker_states(services).items()},
    )


def _backlog(backlog: Backlog | None) -> Iterator[Metric]:
    yield _gauge(
        "database_up", "1 when this scrape's backlog queries answered in time.", float(backlog is not None)
    )
    if backlog is None:
        return
    yield _labelled(
        "analysis_backlog",
        "Analyses waiting (pending) or being scored (processing), all companies together.",
        "status",
        {"pending": backlog.analyses_pending, "processing": backlog.analyses_processing},
    )
    yield _gauge(
        "webhook_events_undispatched",
        "Events in the outbox not yet turned into deliveries.",
        backlog.webhook_events_undispatched,
    )
    yield _labelled(
        "outbox_queued",
        "Webhook deliveries and emails not yet sent nor given up: due now or waiting for a retry.",
        "outbox",
        {"webhooks": backlog.webhook_deliveries_queued, "emails": backlog.emails_queued},
    )
    yield _labelled(
        "outbox_due",
        "Of those, the ones whose time has come (the worker's next round takes them).",
        "outbox",
        {"webhooks": backlog.webhook_deliveries_due, "emails": backlog.emails_due},
    )


class Telemetry:
    """The app's registry and the metrics updated as things happen."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        self.http_requests = Counter(
            f"{PREFIX}_http_requests",
            "HTTP requests answered, by method, route template and status class (5xx: errors).",
            ["method", "route", "status"],
            registry=self.registry,
        )
        self.http_duration = Histogram(
            f"{PREFIX}_http_request_duration_seconds",
            "Time to answer an HTTP request, by method and route template.",
            ["method", "route"],
            registry=self.registry,
        )
        self.turn_phases = Histogram(
            f"{PREFIX}_turn_phase_seconds",
            "Each turn's latency split (docs/interviewer.md): endpointing, transcription (inside "
            "endpointing), generation, first_audio, total (end of speech to the reply's first audio), and "
            "verdict (end of speech to the end-of-turn voice model's verdict, for turns that had one).",
            ["phase", "backend"],
            buckets=TURN_BUCKETS,
            registry=self.registry,
        )
        for phase in TURN_PHASES:  # every series from the start, so a rate() over an idle engine is 0
            for backend in BACKENDS:
                self.turn_phases.labels(phase, backend)
        self.engine = EngineCollector()
        self.registry.register(self.engine)
        self._backlog: SingleFlight[Backlog] = SingleFlight()

    def observe_request(self, method: str, route: str | None, status: int, seconds: float) -> None:
        method = method if method in HTTP_METHODS else "OTHER"
        template = route or UNMATCHED
        self.http_requests.labels(method, template, f"{status // 100}xx").inc()
        self.http_duration.labels(method, template).observe(seconds)

    def observe_turn(self, latency: TurnLatency) -> None:
        try:
            phases = {
                "endpointing": latency.endpointing_s,
                "transcription": latency.transcription_s,
                "generation": latency.generation_s,
                "first_audio": latency.first_audio_s,
                "total": latency.total_s,
                "verdict": latency.verdict_s,
            }
            for phase, seconds in phases.items():
                if seconds is None:
                    continue
                # A transcript ready before the VAD closed the utterance (a pause transcribed early) is
                # a zero wait, not a negative one.
                self.turn_phases.labels(phase, latency.backend).observe(max(0.0, seconds))
        except Exception:
            # Called from the live session's turn bookkeeping: a metrics bug must not end an interview.
            logger.exception("could not record a turn's latency")

    async def scrape(self, services: Services, accept: str | None) -> tuple[bytes, str]:
        """The exposition (text format, or OpenMetrics when the Accept header asks) and its type."""
        try:
            backlog: Backlog | None = await self._backlog.run(
                lambda: read_backlog(services.database, services.clock.now()), BACKLOG_TIMEOUT_S
            )
        except Exception as exc:
            # database_up says so; every 15 s a traceback would only bury the database's own errors.
            logger.warning("metrics: counting the backlogs failed: %s", type(exc).__name__)
            backlog = None
        encode, content_type = choose_encoder(accept or "")
        # No await between preparing and rendering: a concurrent scrape cannot swap the data midway.
        self.engine.prepare(services, backlog)
        return encode(self.registry), content_type
