"""A session's transcript segments and its recording, as the live session writes them."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from config.enums import Speaker
from config.transcripts import TranscriptSegment
from engine.services.common import new_id
from engine.store.tables import RecordingRow, TranscriptSegmentRow

__all__ = [
    "NewSegment",
    "append_segment",
    "get_recording",
    "list_segments",
    "revise_segments",
    "save_recording",
    "timeline_end",
    "to_model",
]


@dataclass(frozen=True, slots=True)
class NewSegment:
    speaker: Speaker
    start: float
    end: float
    text: str
    confidence: float | None = None


def to_model(row: TranscriptSegmentRow) -> TranscriptSegment:
    return TranscriptSegment(
        id=row.id,
        seq=row.seq,
        speaker=Speaker(row.speaker),
        start=round(row.start_s, 3),
        end=round(row.end_s, 3),
        text=row.text,
        confidence=None if row.confidence is None else round(row.confidence, 3),
    )


async def append_segment(
    session: AsyncSession, company_id: str, session_id: str, segment: NewSegment, now: datetime
) -> TranscriptSegmentRow:
    """Appends after the last segment. One writer per session (the live session's) keeps `seq` dense;
    the unique (session_id, seq) constraint turns a second writer into an error instead of a tie."""
    last = await session.scalar(
        select(func.max(TranscriptSegmentRow.seq)).where(TranscriptSegmentRow.session_id == session_id)
    )
    row = TranscriptSegmentRow(
        id=new_id(),
        company_id=company_id,
        session_id=session_id,
        seq=0 if last is None else last + 1,
        speaker=segment.speaker.value,
        start_s=segment.start,
        end_s=max(segment.end, segment.start),
        text=segment.text,
        confidence=segment.confidence,
        created_at=now,
    )
    session.add(row)
    await session.flush()
    return row


async def revise_segments(
    session: AsyncSession, company_id: str, session_id: str, texts: dict[str, str], confidence: float
) -> int:
    """Replace the text (and confidence) of this session's segments named in `texts`; returns how many
    were found. Times, order and ids stay: a revision transcribes the same words better."""
    if not texts:
        return 0
    rows = await session.scalars(
        select(TranscriptSegmentRow).where(
            TranscriptSegmentRow.session_id == session_id,
            TranscriptSegmentRow.company_id == company_id,
            TranscriptSegmentRow.id.in_(list(texts)),
        )
    )
    count = 0
    for row in rows:
        row.text = texts[row.id]
        row.confidence = confidence
        count += 1
    await session.flush()
    return count


async def list_segments(
    session: AsyncSession, company_id: str, session_id: str
) -> list[TranscriptSegmentRow]:
    rows = await session.scalars(
        select(TranscriptSegmentRow)
        .where(TranscriptSegmentRow.session_id == session_id, TranscriptSegmentRow.company_id == company_id)
        .order_by(TranscriptSegmentRow.start_s, TranscriptSegmentRow.seq)
    )
    return list(rows)


async def save_recording(
    session: AsyncSession,
    company_id: str,
    session_id: str,
    *,
    path: str,
    sample_rate: int,
    channels: int,
    duration_s: float,
    status: str,
    now: datetime,
) -> RecordingRow:
    row = await session.get(RecordingRow, session_id)
    if row is None:
        row = RecordingRow(
            session_id=session_id,
            company_id=company_id,
            path=path,
            content_type="audio/wav",
            sample_rate=sample_rate,
            channels=channels,
            duration_s=duration_s,
            status=status,
            created_at=now,
            updated_at=now,
        )
        session.add(row)
    else:
        row.path, row.duration_s, row.status, row.updated_at = path, duration_s, status, now
        if status == "recording":
            # A resumed session appends to the file: a copy already in the object store is out of date,
            # so the upload pass takes the recording again once it is ready.
            row.uploaded_at = None
    await session.flush()
    return row


async def timeline_end(session: AsyncSession, company_id: str, session_id: str) -> float:
    """How far the session's timeline (the recording's seconds) already reaches: the end of its last
    stored segment, or of the recording as last registered, whichever is later; 0.0 before either."""
    last_segment = await session.scalar(
        select(func.max(TranscriptSegmentRow.end_s)).where(
            TranscriptSegmentRow.session_id == session_id, TranscriptSegmentRow.company_id == company_id
        )
    )
    recording = await get_recording(session, company_id, session_id)
    return max(float(last_segment or 0.0), recording.duration_s if recording is not None else 0.0)


async def get_recording(session: AsyncSession, company_id: str, session_id: str) -> RecordingRow | None:
    row = await session.get(RecordingRow, session_id)
    return row if row is not None and row.company_id == company_id else None
