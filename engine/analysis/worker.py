"""The analysis worker: scores completed sessions in the background, one at a time, in the engine's
lifespan.

It polls the store for pending analyses (a session that completes, a rerun) rather than being told,
so one that was pending when the engine stopped (or was mid-way: PROCESSING goes back to PENDING at
start-up) is picked up after a restart, and nothing is lost. `wake()` shortens the wait after a
change this process made.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Callable, Sequence
from contextlib import asynccontextmanager
from pathlib import Path
from types import TracebackType

from config.settings import Settings
from engine.analysis.job import AnalysisPolicy, load_inputs, run_analysis
from engine.clock import Clock
from engine.poller import Poller
from engine.services import analyses, pipeline
from engine.store.database import Database
from engine.store.tables import AnalysisRow, SessionRow
from llm import LlmClient
from scoring import authenticity
from scoring.embedded import EmbeddedScorer
from scoring.llm_scorer import LlmScorer
from scoring.model import Scorer

__all__ = ["AnalysisWorker", "open_analysis"]

logger = logging.getLogger(__name__)


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
    ) -> None:
        self._database = database
        self._clock = clock
        self._recordings_dir = recordings_dir
        self._scorers = scorers
        self._policy = policy
        self._poller = Poller(poll_s)
        self._idle = asyncio.Event()

    async def __aenter__(self) -> AnalysisWorker:
        async with self._database.transaction() as db:
            recovered = await analyses.recover(db, self._clock.now())
        if recovered:
            logger.info("resuming %s analyses interrupted by the last stop", recovered)
        await self._poller.start(self._run)
        return self

    async def __aexit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self._poller.stop(kind, exc, tb)

    def wake(self) -> None:
        self._poller.wake()

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
        """Claims and runs the oldest pending analysis; False when there is none."""
        async with self._database.transaction() as db:
            version = await analyses.claim_next(db, self._clock.now())
            if version is None:
                return False
            claimed = (version.id, version.session_id, version.version)
        analysis_id, session_id, number = claimed
        try:
            inputs = await load_inputs(self._database, session_id, self._recordings_dir)
            card, scorer = await run_analysis(inputs, self._scorers(), self._policy, self._clock.now())
        except asyncio.CancelledError:
            raise
        except Exception as exc:
            logger.exception("analysis %s of session %s failed", number, session_id)
            async with self._database.transaction() as db:
                row = await db.get(AnalysisRow, analysis_id)
                if row is not None:
                    await analyses.fail(db, row, f"{type(exc).__name__}: {exc}", self._clock.now())
            return True
        async with self._database.transaction() as db:
            row = await db.get(AnalysisRow, analysis_id)
            if row is not None:
                now = self._clock.now()
                await analyses.complete(db, row, card, scorer, now)
                session = await db.get(SessionRow, session_id)
                if session is not None and session.analysis_status == analyses.COMPLETED:
                    # In the same transaction: the result, the decision and the next stage's session
                    # (with their events) commit together.
                    await pipeline.decide(db, session, card, now)
        logger.info("analysis %s of session %s completed by the %s scorer", number, session_id, scorer)
        return True


def policy_of(settings: Settings) -> AnalysisPolicy:
    a = settings.analysis
    return AnalysisPolicy(thresholds_of(settings), a.coverage_threshold, a.min_evidence_words)


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
    settings: Settings, database: Database, clock: Clock
) -> AsyncIterator[AnalysisWorker]:
    """The worker, with the LLM scorer in front of the embedded one when an endpoint is configured."""
    async with contextlib.AsyncExitStack() as stack:
        scorers: list[Scorer] = []
        if settings.analysis.use_llm and settings.llm.base_url:
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
        )
        yield await stack.enter_async_context(worker)
