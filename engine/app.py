"""`create_app(settings)`: everything the server needs is built here or in the lifespan, never at import."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles

from config.settings import Settings
from engine.analysis.worker import open_analysis
from engine.api import (
    analyses,
    events,
    join,
    metrics,
    participants,
    pipeline,
    profiles,
    public_links,
    recruiters,
    session_media,
    sessions,
    signin,
    stages,
    templates,
    webhooks,
)
from engine.api.access_log import AccessLog
from engine.api.context import Services
from engine.api.errors import install_error_handlers
from engine.api.limits import BodySizeLimit
from engine.api.openapi import install_openapi
from engine.api.rate_limits import RateLimiter
from engine.clock import Clock, SystemClock
from engine.live.registry import LiveSessions
from engine.live.runtime import open_runtime
from engine.store.database import Database
from engine.web import STATIC_DIR, review
from engine.webhooks.dispatcher import WebhookDispatcher
from media.tts import TextToSpeech

__all__ = ["create_app"]

DESCRIPTION = """Configure agent profiles, evaluation templates and their stages, participants and
sessions. Authenticate with `Authorization: Bearer <API key>`; each key belongs to one company and
carries scopes such as `read:sessions`. Errors are `{"error": {"code", "message", "details"}}`."""


def create_app(settings: Settings, *, clock: Clock | None = None, tts: TextToSpeech | None = None) -> FastAPI:
    """`clock` and `tts` replace the wall clock and the default speech engine (eSpeak NG)."""
    time_source = clock or SystemClock()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        database = Database(settings.resolved_database_url)
        try:
            await database.migrate()
            async with (
                open_runtime(settings, tts=tts) as runtime,
                LiveSessions(runtime, database, time_source) as live,
                open_analysis(settings, database, time_source) as analysis,
                WebhookDispatcher(database, time_source, settings.webhooks) as dispatcher,
            ):
                app.state.services = Services(
                    settings=settings,
                    database=database,
                    clock=time_source,
                    live=live,
                    analysis=analysis,
                    webhooks=dispatcher,
                    rates=RateLimiter(settings.rate.public_per_address, settings.rate.public_per_link),
                )
                live.end_abandoned_sessions()
                if settings.asr.preload:
                    live.preload()
                yield
        finally:
            await database.dispose()

    app = FastAPI(title="interview-engine", version="0.1.0", description=DESCRIPTION, lifespan=lifespan)
    install_error_handlers(app)
    for module in (
        profiles,
        templates,
        stages,
        participants,
        sessions,
        analyses,
        pipeline,
        session_media,
        events,
        join,
        public_links,
        metrics,
        webhooks,
        signin,
        recruiters,
        review,
    ):
        app.include_router(module.router)
    app.add_middleware(BodySizeLimit, max_bytes=settings.max_body_bytes)
    app.add_middleware(AccessLog)

    @app.get("/healthz", tags=["health"], summary="Liveness probe (no authentication)")
    async def healthz() -> dict[str, str]:
        return {"status": "ok"}

    app.mount("/assets", StaticFiles(directory=STATIC_DIR), name="assets")
    install_openapi(app)
    return app
