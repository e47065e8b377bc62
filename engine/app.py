"""`create_app(settings)`: everything the server needs is built here or in the lifespan, never at import."""

from __future__ import annotations

import asyncio
import functools
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles

from config.settings import Settings
from engine.api import (
    analyses,
    api_keys,
    audit,
    emails,
    events,
    join,
    join_stream,
    live_view,
    metrics,
    participant_export,
    participant_import,
    participants,
    phone_socket,
    phone_status,
    phone_streams,
    pipeline,
    profiles,
    prometheus,
    public_link_verification,
    public_links,
    readyz,
    recommendation_logic,
    recruiters,
    resumes,
    session_media,
    sessions,
    signin,
    stages,
    templates,
    usage,
    webhook_events,
    webhooks,
)
from engine.api.access_log import AccessLog
from engine.api.context import Services
from engine.api.errors import install_error_handlers
from engine.api.idempotency import Idempotency
from engine.api.limits import BodySizeLimit
from engine.api.location import CreatedLocation
from engine.api.openapi import install_openapi
from engine.api.rate_limits import RateLimiter
from engine.clock import Clock, SystemClock
from engine.live.node import EngineNode
from engine.live.registry import LiveSessions
from engine.live.runtime import open_runtime
from engine.observability import tracing
from engine.observability.prometheus import Telemetry
from engine.observability.readiness import ReadinessProbe
from engine.secret_box import settings_box
from engine.store.database import Database
from engine.web import STATIC_DIR, api_docs, review
from engine.workers import open_workers
from media.tts import TextToSpeech

__all__ = ["create_app"]

DESCRIPTION = """Configure agent profiles, evaluation templates and their stages, participants and
sessions. Authenticate with `Authorization: Bearer <API key>`; each key belongs to one company and
carries scopes such as `read:sessions`. Errors are `{"error": {"code", "message", "details"}}`."""


def create_app(settings: Settings, *, clock: Clock | None = None, tts: TextToSpeech | None = None) -> FastAPI:
    """`clock` and `tts` replace the wall clock and the default speech engine (eSpeak NG)."""
    time_source = clock or SystemClock()
    # Per app, not prometheus_client's global registry: apps in one process (tests) count apart.
    telemetry = Telemetry()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        database = Database(settings.resolved_database_url, settings_box(settings))
        try:
            await database.migrate()
            async with (
                open_runtime(settings, tts=tts) as runtime,
                # The node's heartbeat runs here; it stops (and the node deregisters) after the live
                # sessions have all ended.
                asyncio.TaskGroup() as tasks,
                EngineNode(settings, database, time_source, tasks) as node,
                LiveSessions(runtime, database, time_source, node=node) as live,
                # Not embedded: `interview-engine worker` processes do this work (engine.workers).
                open_workers(settings, database, time_source, run=settings.workers.embedded) as workers,
            ):
                runtime.turns.listen(telemetry.observe_turn)
                app.state.services = Services(
                    settings=settings,
                    database=database,
                    clock=time_source,
                    live=live,
                    analysis=workers.analysis,
                    webhooks=workers.webhooks,
                    emails=workers.emails,
                    rates=RateLimiter(settings.rate),
                )
                # What the server runs on SIGTERM before it stops (engine.serving).
                app.state.drain = functools.partial(live.drain, settings.node.drain_s)
                live.end_abandoned_sessions()
                if settings.asr.preload:
                    live.preload()
                yield
        finally:
            await database.dispose()

    # /docs is engine.web.api_docs (Swagger UI served locally, nothing from a CDN); no ReDoc.
    app = FastAPI(
        title="interview-engine",
        version="0.1.0",
        description=DESCRIPTION,
        lifespan=lifespan,
        docs_url=None,
        redoc_url=None,
    )
    install_error_handlers(app)
    app.webhooks.include_router(webhook_events.router)  # documented in OpenAPI only, never served
    for module in (
        profiles,
        recommendation_logic,
        templates,
        stages,
        participant_import,  # before participants: its paths would match /v1/participants/{participant_id}
        participants,
        participant_export,
        resumes,
        sessions,
        analyses,
        pipeline,
        session_media,
        live_view,  # WebSocket only: /v1/sessions/{id}/live
        phone_streams,
        phone_socket,  # WebSocket only: /v1/phone-streams/{token}
        phone_status,  # the provider's call status callbacks: /v1/phone-streams/{token}/status
        events,
        join,
        join_stream,  # WebSocket only: /join/{token}/stream, the join page's fallback
        public_link_verification,  # before public_links: /public/verify/{token} is its own page
        public_links,
        metrics,
        prometheus,
        readyz,
        webhooks,
        emails,
        signin,
        recruiters,
        api_keys,
        audit,
        usage,
        review,
        api_docs,
    ):
        app.include_router(module.router)
    # Innermost: the idempotency middleware keeps (and replays) the 201 with its Location.
    app.add_middleware(CreatedLocation)
    # Inside the body limit, which bounds what it reads to compare a repeat with the first request.
    app.add_middleware(Idempotency)
    app.add_middleware(
        BodySizeLimit, max_bytes=settings.max_body_bytes, upload_bytes=settings.max_upload_bytes
    )
    app.add_middleware(AccessLog, telemetry=telemetry)
    # IE_OTEL__ENDPOINT: a span per request, outermost (after AccessLog, so its request id is seen).
    tracing.install(app, settings.otel)
    app.state.telemetry = telemetry
    app.state.readiness = ReadinessProbe()

    # Cheap on purpose: it answers while the process runs; /readyz checks what it depends on.
    @app.get("/healthz", tags=["health"], summary="Liveness probe (no authentication)")
    async def healthz() -> dict[str, str]:
        return {"status": "ok"}

    app.mount("/assets", StaticFiles(directory=STATIC_DIR), name="assets")
    install_openapi(app)
    return app
