"""The database side of a live session: status, progress, transcript segments and the recording row.

Each write is its own short transaction, so a crash mid-interview keeps everything written so far.
Segment appends are serialised per session (one lock) so their order numbers stay dense.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from config.enums import SessionStatus, TransportKind
from engine.clock import Clock
from engine.services import events, sessions, transcripts
from engine.services.transcripts import NewSegment
from engine.store.database import Database
from engine.store.tables import RecordingRow

__all__ = ["LiveStore"]

logger = logging.getLogger(__name__)


class LiveStore:
    def __init__(self, database: Database, clock: Clock, company_id: str, session_id: str) -> None:
        self._database = database
        self._clock = clock
        self.company_id = company_id
        self.session_id = session_id
        self._lock = asyncio.Lock()

    async def status(self) -> SessionStatus:
        async with self._database.transaction() as db:
            row = await sessions.get(db, self.company_id, self.session_id)
            return SessionStatus(row.status)

    async def move_to(self, target: SessionStatus) -> bool:
        """Moves the session along a legal transition; False (and no change) when it already moved on,
        e.g. a recruiter cancelled it meanwhile."""
        async with self._lock, self._database.transaction() as db:
            row = await sessions.get(db, self.company_id, self.session_id)
            current = SessionStatus(row.status)
            if current is target:
                return True
            if current.is_terminal:
                return False
            await sessions.change_status(db, row, target, self._clock)
            return True

    async def begin(self, transport: TransportKind) -> bool:
        """Moves the session to in progress (or keeps it there, resumed) and records how it is held, the
        latest connection's; False (and no change) when it already ended."""
        async with self._lock, self._database.transaction() as db:
            row = await sessions.get(db, self.company_id, self.session_id)
            current = SessionStatus(row.status)
            if current.is_terminal:
                return False
            if current is not SessionStatus.IN_PROGRESS:
                await sessions.change_status(db, row, SessionStatus.IN_PROGRESS, self._clock)
            row.transport = transport.value
            return True

    async def save_progress(self, state: dict[str, Any]) -> None:
        async with self._lock, self._database.transaction() as db:
            row = await sessions.get(db, self.company_id, self.session_id)
            row.dialogue_state = {**(row.dialogue_state or {}), **state}

    async def add_page_event(self, at: float, kind: str) -> None:
        """One focus or visibility change of the join page, at `at` on the recording's timeline."""
        async with self._lock, self._database.transaction() as db:
            row = await sessions.get(db, self.company_id, self.session_id)
            state = dict(row.dialogue_state or {})
            state["page_events"] = [*state.get("page_events", []), {"at": at, "kind": kind}]
            row.dialogue_state = state

    async def append(self, segment: NewSegment) -> str:
        async with self._lock, self._database.transaction() as db:
            row = await transcripts.append_segment(
                db, self.company_id, self.session_id, segment, self._clock.now()
            )
            return row.id

    async def revise_texts(self, texts: dict[str, str], confidence: float) -> None:
        """Replace the text of segments (by id) with a better transcription of the same words."""
        async with self._lock, self._database.transaction() as db:
            await transcripts.revise_segments(db, self.company_id, self.session_id, texts, confidence)

    async def recording_ready(self) -> None:
        """`recording.ready`: the session is over and its recording is final (webhook receivers fetch it
        from GET /v1/sessions/{id}/recording)."""
        async with self._lock, self._database.transaction() as db:
            row = await sessions.get(db, self.company_id, self.session_id)
            recording = await db.get(RecordingRow, self.session_id)
            if recording is None:
                return
            person = await sessions.participant_of(db, row)
            data = {
                **events.session_data(row, person),
                "recording": {
                    "content_type": recording.content_type,
                    "channels": recording.channels,
                    "sample_rate": recording.sample_rate,
                    "duration_s": recording.duration_s,
                },
            }
            events.record(db, self.company_id, "recording.ready", data, self._clock.now())

    async def timeline_end(self) -> float:
        """Seconds the session's timeline already reaches (its transcript and registered recording), on
        this engine or on the one that held it before."""
        async with self._database.transaction() as db:
            return await transcripts.timeline_end(db, self.company_id, self.session_id)

    async def save_recording(self, path: str, sample_rate: int, duration_s: float, status: str) -> None:
        async with self._lock, self._database.transaction() as db:
            await transcripts.save_recording(
                db,
                self.company_id,
                self.session_id,
                path=path,
                sample_rate=sample_rate,
                channels=2,
                duration_s=duration_s,
                status=status,
                now=self._clock.now(),
            )
