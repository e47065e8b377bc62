"""The background workers (analysis, webhook deliveries, emails), started together: by the engine's
lifespan (IE_WORKERS__EMBEDDED, the default) or by `interview-engine worker` (`run_workers`), any number
of them against one database. PostgreSQL is the queue: each job is claimed under a lease
(engine.services.leases, engine.notifications.outbox), so the workers never do one job at once and a
dead worker's job is done by another once its lease runs out.

Detached (`run=False`, an engine beside separate workers), the objects exist for the API to call
`wake()` on, and start nothing."""

from __future__ import annotations

import asyncio
import logging
import signal
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack, asynccontextmanager
from dataclasses import dataclass

from config.settings import Settings
from engine.analysis.worker import AnalysisWorker, open_analysis
from engine.clock import Clock, SystemClock
from engine.notifications.worker import EmailWorker
from engine.observability import tracing
from engine.secret_box import settings_box
from engine.services.erasure_files import FileStores
from engine.services.leases import worker_name
from engine.services.retention import RetentionJob
from engine.storage.object_store import object_store
from engine.storage.transcodes import RecordingTranscodes
from engine.storage.uploads import RecordingUploads
from engine.store.database import Database
from engine.webhooks.dispatcher import WebhookDispatcher

__all__ = ["Workers", "open_workers", "run_workers"]

logger = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class Workers:
    analysis: AnalysisWorker
    webhooks: WebhookDispatcher
    emails: EmailWorker
    # The pass that uploads finished recordings (None without an object store, or in a separate worker).
    uploads: RecordingUploads | None = None
    # The pass that transcodes finished recordings to Opus (None with IE_RECORDINGS__OPUS=false, or in a
    # separate worker).
    transcodes: RecordingTranscodes | None = None
    # The retention job (engine.services.retention; None with IE_RETENTION__ENABLED=false, or in a
    # separate worker: it deletes recordings on this engine's disk).
    retention: RetentionJob | None = None


@asynccontextmanager
async def open_workers(
    settings: Settings,
    database: Database,
    clock: Clock,
    *,
    run: bool = True,
    uploads: bool = True,
) -> AsyncIterator[Workers]:
    """The three workers, running until the block exits (then each stops between jobs, or hands back
    the job it holds once the stop's grace period is over). `uploads`: also run the recording upload
    pass when an object store is configured, and the Opus transcode pass (IE_RECORDINGS__OPUS); they run
    even detached, because only the engine that recorded a file has it on its disk
    (engine.storage.uploads, engine.storage.transcodes)."""
    detached = not run
    async with (
        open_analysis(settings, database, clock, detached=detached) as analysis,
        WebhookDispatcher(
            database, clock, settings.webhooks, lease_s=settings.workers.lease_s, detached=detached
        ) as dispatcher,
        EmailWorker(database, clock, settings, detached=detached) as emails,
        AsyncExitStack() as stack,
    ):
        store = object_store(settings.object_store) if uploads else None
        uploader = transcoder = None
        opus = uploads and settings.recordings.opus
        if store is not None:
            uploader = await stack.enter_async_context(
                RecordingUploads(database, store, settings.recordings_dir, clock, hold_wav=opus)
            )
        if opus:
            transcoder = await stack.enter_async_context(
                RecordingTranscodes(
                    database,
                    settings.recordings_dir,
                    clock,
                    settings.recordings,
                    lease_s=settings.workers.lease_s,
                    bucket=store is not None,
                )
            )
        retention = None
        if uploads and settings.retention.enabled:
            retention = await stack.enter_async_context(
                RetentionJob(database, FileStores.of(settings), clock, settings.retention)
            )
        yield Workers(analysis, dispatcher, emails, uploader, transcoder, retention)


async def run_workers(settings: Settings, *, stop: asyncio.Event | None = None) -> None:
    """`interview-engine worker`: the workers without the HTTP server, until SIGTERM or SIGINT (or
    `stop`, for tests)."""
    stop = stop or asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, stop.set)
    # IE_OTEL__ENDPOINT: a span per job from this process too (flushed at exit by the SDK).
    tracing.configure(settings.otel)
    database = Database(settings.resolved_database_url, settings_box(settings))
    try:
        # Workers may start before any engine: the schema must be current either way (a no-op if it is).
        await database.migrate()
        async with open_workers(settings, database, SystemClock(), uploads=False):
            logger.info("worker %s running (analysis, webhooks, emails)", worker_name())
            await stop.wait()
            logger.info("worker %s stopping", worker_name())
    finally:
        for signum in (signal.SIGTERM, signal.SIGINT):
            loop.remove_signal_handler(signum)
        await database.dispose()
