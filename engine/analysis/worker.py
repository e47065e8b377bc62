"""The analysis worker: scores completed sessions in the background, one at a time, in the engine's
lifespan or in an `interview-engine worker` process (engine.workers); any number share the queue.

It polls the store for pending analyses (a session that completes, a rerun) rather than being told,
so one that was pending when the engine stopped is picked up after a restart, and nothing is lost.
Each claim is leased (engine.services.leases) and renewed while scoring: a worker that stops hands its
analysis back, and one that dies leaves a lease that runs out, after which another worker claims the
analysis again. `wake()` shortens the wait after a change this process made.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import logging
from collections.abc import AsyncIterator, Callable, Sequence
from contextlib import asynccontextmanager
from datetime import datetime, timedelta
from pathlib import Path
from types import TracebackType
from typing import Any, cast

from sqlalchemy import CursorResult, update

from config.settings import Settings
from engine.analysis import audio_source
from engine.analysis.job import AnalysisPolicy, load_inputs, run_analysis
from engine.clock import Clock
from engine.poller import Poller
from engine.services import analyses, leases, pipeline
from engine.storage.object_store import ObjectStore, object_store
from engine.store.database import Database
from engine.store.tables import AnalysisRow, RecordingRow, SessionRow
from llm import LlmClient
from scoring import authenticity
from scoring.embedded import EmbeddedScorer
from scoring.llm_scorer import LlmScorer
from scoring.model import Scorer

__all__ = ["MAX_CLAIMS", "AnalysisWorker", "open_analysis"]

logger = logging.getLogger(__name__)

# Claims of one analysis whose workers all died holding it: it is failed rather than claimed again, so a
# session that crashes every worker cannot take them down one after the other forever.
MAX_CLAIMS = 3


class AnalysisWorker:
    def __init__(
        self,
        database: Database,
        clock: Clock,
        recordings_dir: Path,
        scorers: Callable[[], Sequence[Scorer]],
        policy: AnalysisPolicy,
        *,
        poll_s: float = 1.0,
        lease_s: float = 60.0,
        detached: bool = False,
        store: ObjectStore | None = None,
        recording_wait_s: float = 0.0,
    ) -> None:
        """`detached`: separate workers score; this one starts nothing and `wake()` does nothing.
        `store`: the bucket a recording this worker's disk does not have is read from, waited for up to
        `recording_wait_s` after the interview's end (engine.analysis.audio_source)."""
        self._database = database
        self._clock = clock
        self._recordings_dir = recordings_dir
        self._scorers = scorers
        self._policy = policy
        self._poller = Poller(poll_s)
        self._idle = asyncio.Event()
        self._lease = timedelta(seconds=lease_s)
        self._detached = detached
        self._store = store
        self._recording_wait_s = recording_wait_s

    async def __aenter__(self) -> AnalysisWorker:
        if self._detached:
            return self
        async with self._database.transaction() as db:
            recovered = await analyses.recover(db, self._clock.now())
        if recovered:
            logger.info("resuming %s analyses whose worker stopped without handing them back", recovered)
        await self._poller.start(self._run)
        return self

    async def __aexit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        if not self._detached:
            await self._poller.stop(kind, exc, tb)

    def wake(self) -> None:
        self._poller.wake()

    @property
    def running(self) -> bool:
        """Detached counts as running: nothing here can be down (the readiness probe)."""
        return self._detached or self._poller.running

    async def wait_idle(self, timeout_s: float = 30.0) -> None:
        """Until no analysis is pending or running (for tests and the benchmark)."""
        async with asyncio.timeout(timeout_s):
            while True:
                async with self._database.transaction() as db:
                    if await analyses.open_count(db) == 0:
                        return
                self._idle.clear()
                self.wake()
                await self._idle.wait()

    async def _run(self) -> None:
        while not self._poller.stopping:
            while not self._poller.stopping and await self._one():
                pass
            self._idle.set()
            await self._poller.nap()

    async def _one(self) -> bool:
        """Claims and runs the oldest analysis to run; False when there is none."""
        claim = leases.Claim(self._lease)
        async with self._database.transaction() as db:
            now = self._clock.now()
            version = await analyses.claim_next(db, now, claim)
            if version is None:
                return False
            claimed = (version.id, version.session_id, version.version)
            if version.attempts > MAX_CLAIMS:
                logger.error("analysis %s of session %s: abandoned too often", version.id, version.session_id)
                await analyses.fail(db, version, f"abandoned by {MAX_CLAIMS} workers in turn", now)
                return True
        analysis_id, session_id, number = claimed
        label = f"analysis {number} of session {session_id}"
        waiting: audio_source.Wait | None = None
        try:
            async with leases.keep_alive(
                lambda until: self._renew(analysis_id, claim, until), claim, self._clock.now, label
            ):
                inputs = await load_inputs(self._database, session_id)
                source = await asyncio.to_thread(
                    audio_source.locate,
                    inputs.stored,
                    self._recordings_dir,
                    bucket=self._store is not None,
                    now=self._clock.now(),
                    wait_s=self._recording_wait_s,
                )
                if isinstance(source, audio_source.Wait):
                    waiting = source
                else:
                    async with audio_source.audio_file(source, self._store) as path:
                        inputs = dataclasses.replace(inputs, recording=path)
                        card, scorer = await run_analysis(
                            inputs, self._scorers(), self._policy, self._clock.now()
                        )
        except asyncio.CancelledError:
            # Stopping (SIGTERM, the engine's shutdown): hand it back so the next worker starts at once.
            await asyncio.shield(self._give_back(analysis_id, claim, label))
            raise
        except Exception as exc:
            logger.exception("%s failed", label)
            async with self._database.transaction() as db:
                row = await analyses.held(db, analysis_id, claim)
                if row is not None:
                    await analyses.fail(db, row, f"{type(exc).__name__}: {exc}", self._clock.now())
            return True
        if waiting is not None:
            await self._wait_for_recording(analysis_id, session_id, claim, waiting.until, label)
            return True
        async with self._database.transaction() as db:
            row = await analyses.held(db, analysis_id, claim)
            if row is None:
                # Our lease lapsed and another worker has it now: its result will be the one recorded.
                logger.warning("%s: finished past its lease; another worker holds it now", label)
                return True
            now = self._clock.now()
            await analyses.complete(db, row, card, scorer, now)
            session = await db.get(SessionRow, session_id)
            if session is not None and session.analysis_status == analyses.COMPLETED:
                # In the same transaction: the result, the decision and the next stage's session
                # (with their events) commit together.
                await pipeline.decide(db, session, card, now)
        logger.info("%s completed by the %s scorer", label, scorer)
        return True

    async def _wait_for_recording(
        self, analysis_id: str, session_id: str, claim: leases.Claim, until: datetime, label: str
    ) -> None:
        """Hand the analysis back until `until` and mark the recording wanted, so that the engine that
        has it uploads it now (engine.storage.transcodes)."""
        async with self._database.transaction() as db:
            now = self._clock.now()
            if not await analyses.defer(db, analysis_id, claim, now, until):
                return
            marked = await db.execute(
                update(RecordingRow)
                .where(RecordingRow.session_id == session_id, RecordingRow.wanted_at.is_(None))
                .values(wanted_at=now)
                .execution_options(synchronize_session=False)
            )
        if cast(CursorResult[Any], marked).rowcount:
            logger.info("%s waits for its recording to reach the bucket (not on this worker's disk)", label)

    async def _renew(self, analysis_id: str, claim: leases.Claim, until: datetime) -> bool:
        async with self._database.transaction() as db:
            return await leases.extend(db, AnalysisRow, analysis_id, claim, until)

    async def _give_back(self, analysis_id: str, claim: leases.Claim, label: str) -> None:
        try:
            async with self._database.transaction() as db:
                if await analyses.give_back(db, analysis_id, claim, self._clock.now()):
                    logger.info("%s handed back at stop", label)
        except Exception:
            # Its lease runs out instead, and another worker claims it then.
            logger.exception("%s: could not hand it back at stop", label)


def policy_of(settings: Settings) -> AnalysisPolicy:
    a = settings.analysis
    return AnalysisPolicy(
        thresholds_of(settings), a.coverage_threshold, a.min_evidence_words, a.embedded_review_margin
    )


def thresholds_of(settings: Settings) -> authenticity.Thresholds:
    a = settings.analysis
    return authenticity.Thresholds(
        pause_then_fluent=a.flag_pause_then_fluent,
        reading_like=a.flag_reading_like,
        multiple_voices=a.flag_multiple_voices,
        source_changed=a.flag_source_changed,
        focus_lost=a.flag_focus_lost,
        background_voice=a.flag_background_voice,
    )


@asynccontextmanager
async def open_analysis(
    settings: Settings, database: Database, clock: Clock, *, detached: bool = False
) -> AsyncIterator[AnalysisWorker]:
    """The worker, with the LLM scorer in front of the embedded one when an endpoint is configured."""
    async with contextlib.AsyncExitStack() as stack:
        scorers: list[Scorer] = []
        if not detached and settings.analysis.use_llm and settings.llm.base_url:
            # Its own client: a dimension's JSON (rationale and quotes) needs more tokens than a spoken line.
            llm_settings = settings.llm.model_copy(update={"max_tokens": settings.analysis.llm_max_tokens})
            client = await stack.enter_async_context(LlmClient(llm_settings))
            scorers.append(LlmScorer(client.reply, samples=settings.analysis.llm_samples))
        # Last, and the fallback: it cannot fail on a transcript. Its sentence model loads on first use.
        scorers.append(EmbeddedScorer(min_words=settings.analysis.min_evidence_words))
        worker = AnalysisWorker(
            database,
            clock,
            settings.recordings_dir,
            lambda: scorers,
            policy_of(settings),
            poll_s=settings.analysis.poll_s,
            lease_s=settings.workers.lease_s,
            detached=detached,
            store=object_store(settings.object_store),
            recording_wait_s=settings.analysis.recording_wait_s,
        )
        yield await stack.enter_async_context(worker)
