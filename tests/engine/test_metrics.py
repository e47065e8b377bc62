"""`GET /metrics` in Prometheus' text format, and `GET /metrics/json`: aggregate counters without
authentication, labelled by route template and kind (never an id), and a clear 4xx for a bad parameter."""

from __future__ import annotations

import asyncio
import dataclasses
from collections.abc import Iterable, Mapping
from datetime import timedelta

import httpx
import pytest
from fastapi import FastAPI
from prometheus_client.parser import text_string_to_metric_families
from prometheus_client.samples import Sample

from config.settings import Settings, WebhookSettings
from engine.app import create_app
from engine.dialogue.latency import TurnLatency
from tests.engine.live_helpers import booked_session
from tests.engine.session_helpers import error_paths, expect
from tests.helpers import ApiClients, StepClock

pytestmark = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)

Labels = Mapping[str, str]


@pytest.fixture
def settings(database_url: str, tmp_path_factory: pytest.TempPathFactory) -> Settings:
    # The dispatcher looks once a minute and the first attempt waits an hour, so what the backlog
    # gauges show depends on the test's clock alone, never on the dispatcher getting there first.
    return Settings(
        _env_file=None,
        data_dir=tmp_path_factory.mktemp("data"),
        database_url=database_url,
        public_base_url="https://interviews.example.test",
        webhooks=WebhookSettings(poll_s=60, retry_schedule_s=[3600, 3600]),
    )


class Scrape:
    def __init__(self, text: str) -> None:
        self.text = text
        self.families = {f.name: f for f in text_string_to_metric_families(text)}

    def value(self, sample: str, **labels: str) -> float:
        """The one sample named `sample` whose labels include `labels`."""
        found = [s.value for s in self._samples(sample) if _has(s.labels, labels)]
        assert len(found) == 1, (sample, labels, found)
        return float(found[0])

    def labels(self, sample: str) -> list[Labels]:
        return [s.labels for s in self._samples(sample)]

    def _samples(self, sample: str) -> Iterable[Sample]:
        for family in self.families.values():
            yield from (s for s in family.samples if s.name == sample)


def _has(labels: Labels, wanted: Labels) -> bool:
    return all(labels.get(k) == v for k, v in wanted.items())


async def scrape(raw: httpx.AsyncClient) -> Scrape:
    response = await raw.get("/metrics")
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/plain; version="), response.headers
    return Scrape(response.text)


async def test_prometheus_metrics_count_requests_turns_and_backlogs(
    app: FastAPI, api: ApiClients, clock: StepClock
) -> None:
    client = await api.client()
    raw = api.raw_client()
    # Webhook deliveries whose first attempt is an hour away: one per participant created from now on.
    body = {"url": "https://127.0.0.1:9/hooks", "event_types": ["participant.created"]}
    expect(await client.post("/v1/webhook-endpoints", json=body), 201)
    _, token = await booked_session(client)  # creates its participant
    expect(await client.post("/v1/participants", json={"name": "Sam Lee", "email": "sam@example.com"}), 201)
    for _ in range(2):
        assert (await raw.get("/healthz")).status_code == 200
    assert (await raw.get("/v1/sessions/sess_not_signed_in")).status_code == 401
    assert (await raw.get("/no/such/page")).status_code == 404
    assert (await raw.get(f"/join/{token}/state")).status_code == 200

    # One turn through the turn log the live sessions write to.
    app.state.services.live.runtime.turns.add(
        TurnLatency(
            speech_end=10.0,
            utterance_end=10.3,
            transcribed=10.5,
            turn_end=10.6,
            reply_ready=10.9,
            first_audio=11.0,
            backend="director",
            verdict=10.2,
            verdict_complete=True,
        )
    )
    app.state.services.webhooks.wake()  # fan the two events out now rather than in a minute
    for _ in range(100):
        metrics = await scrape(raw)
        if metrics.value("interview_engine_outbox_queued", outbox="webhooks") == 2:
            break
        await asyncio.sleep(0.05)
    await asyncio.sleep(0.3)  # the dispatcher's follow-up round finds nothing due and naps a minute
    metrics = await scrape(raw)

    requests = "interview_engine_http_requests_total"
    assert metrics.value(requests, method="GET", route="/healthz", status="2xx") == 2
    assert metrics.value(requests, method="GET", route="/v1/sessions/{session_id}", status="4xx") == 1
    assert metrics.value(requests, method="GET", route="unmatched", status="4xx") == 1
    assert metrics.value(requests, method="GET", route="/join/{token}/state", status="2xx") == 1
    assert metrics.value(requests, method="POST", route="/v1/participants", status="2xx") == 1
    assert metrics.value(requests, method="POST", route="/v1/webhook-endpoints", status="2xx") == 1
    # Route templates only: no session id, join token or unknown path becomes a label.
    routes = {labels["route"] for labels in metrics.labels(requests)}
    assert not any("sess_not_signed_in" in r or token in r or "/no/such" in r for r in routes), routes
    assert token not in metrics.text
    duration = "interview_engine_http_request_duration_seconds_count"
    assert metrics.value(duration, method="GET", route="/healthz") == 2

    phases = "interview_engine_turn_phase_seconds"
    assert metrics.value(f"{phases}_count", phase="total", backend="director") == 1
    assert metrics.value(f"{phases}_sum", phase="total", backend="director") == pytest.approx(1.0)
    assert metrics.value(f"{phases}_bucket", phase="total", backend="director", le="0.8") == 0
    assert metrics.value(f"{phases}_bucket", phase="total", backend="director", le="1.0") == 1
    assert metrics.value(f"{phases}_sum", phase="generation", backend="director") == pytest.approx(0.3)
    assert metrics.value(f"{phases}_count", phase="total", backend="llm") == 0
    assert metrics.value(f"{phases}_sum", phase="verdict", backend="director") == pytest.approx(0.2)
    assert metrics.value(f"{phases}_count", phase="verdict", backend="llm") == 0

    assert metrics.value("interview_engine_live_sessions", state="connected") == 0
    assert metrics.value("interview_engine_live_sessions", state="connecting") == 0
    assert metrics.value("interview_engine_live_sessions_limit") == 32
    assert metrics.value("interview_engine_asr_decodes_total", kind="final") == 0
    assert metrics.value("interview_engine_asr_queue_depth", kind="final") == 0
    for kind in ("final", "speculation", "draft", "revision"):
        assert metrics.value("interview_engine_asr_lane_seconds_total", kind=kind) == 0
    # The tests start without preloading (tests/conftest.py): nothing loaded Whisper yet.
    assert metrics.value("interview_engine_speech_model_loaded", model="asr") == 0
    for worker in ("analysis", "webhooks", "emails"):
        assert metrics.value("interview_engine_worker_running", worker=worker) == 1
    assert metrics.value("interview_engine_database_up") == 1
    assert metrics.value("interview_engine_analysis_backlog", status="pending") == 0
    assert metrics.value("interview_engine_webhook_events_undispatched") == 0
    assert metrics.value("interview_engine_outbox_queued", outbox="webhooks") == 2
    assert metrics.value("interview_engine_outbox_due", outbox="webhooks") == 0
    assert metrics.value("interview_engine_outbox_queued", outbox="emails") == 0

    clock.advance(timedelta(hours=2))  # the delivery's hour has come; the dispatcher is still asleep
    metrics = await scrape(raw)
    assert metrics.value("interview_engine_outbox_due", outbox="webhooks") == 2
    assert metrics.value("interview_engine_outbox_queued", outbox="webhooks") == 2


async def test_openmetrics_when_asked_for(api: ApiClients) -> None:
    raw = api.raw_client()
    response = await raw.get("/metrics", headers={"Accept": "application/openmetrics-text; version=1.0.0"})
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("application/openmetrics-text")
    assert response.text.endswith("# EOF\n")


def test_each_app_has_its_own_registry(settings: Settings) -> None:
    # prometheus_client's global registry would refuse the second app's metrics as duplicates.
    first, second = create_app(settings), create_app(settings)
    assert first.state.telemetry.registry is not second.state.telemetry.registry


async def test_metrics_json_before_any_interview(api: ApiClients) -> None:
    raw = api.raw_client()
    metrics = expect(await raw.get("/metrics/json"), 200)
    assert metrics["live_sessions"] == 0
    assert metrics["asr"]["finals"] == 0
    assert metrics["turns"] == {"count": 0, "p50": None, "p95": None, "recent": []}
    listed = expect(await raw.get("/metrics/json", params={"recent_turns_after": 0}), 200)
    assert listed["turns"]["recent"] == []


@pytest.mark.parametrize("value", ["-1", "soon", "1.5"])
async def test_a_bad_recent_turns_after_is_a_422_naming_it(api: ApiClients, value: str) -> None:
    raw = api.raw_client()
    response = await raw.get("/metrics/json", params={"recent_turns_after": value})
    assert response.status_code == 422
    assert error_paths(response) == {"recent_turns_after"}


async def test_metrics_json_reports_the_voice_models_verdict_where_a_turn_had_one(
    app: FastAPI, api: ApiClients
) -> None:
    turns = app.state.services.live.runtime.turns
    turn = TurnLatency(10.0, 10.3, 10.5, 10.6, 10.9, 11.0, "director")
    turns.add(turn)
    turns.add(dataclasses.replace(turn, verdict=10.25, verdict_complete=False))
    listed = expect(await api.raw_client().get("/metrics/json", params={"recent_turns_after": 0}), 200)
    without, with_verdict = listed["turns"]["recent"]
    assert (without["verdict_ms"], without["verdict_complete"]) == (None, None)
    assert (with_verdict["verdict_ms"], with_verdict["verdict_complete"]) == (250, False)
    # The percentiles take the verdict over the turns that had one.
    assert listed["turns"]["p50"]["verdict_ms"] == 250
    assert listed["turns"]["p50"]["total_ms"] == 1000
