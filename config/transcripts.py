"""What the API returns for a session's transcript and recording."""

from __future__ import annotations

from pydantic import Field

from config.base import ApiModel
from config.enums import Speaker

__all__ = ["Transcript", "TranscriptSegment"]


class TranscriptSegment(ApiModel):
    id: str = Field(description="Segment id; evidence quotes in scorecards point at it.")
    seq: int = Field(description="0-based order of the segment in the session.")
    speaker: Speaker = Field(description="Who spoke.")
    start: float = Field(description="Seconds from the start of the recording.")
    end: float = Field(description="Seconds from the start of the recording.")
    text: str = Field(description="What was said (for the interviewer: what was actually played).")
    confidence: float | None = Field(
        description="Recognition confidence 0-1 for the candidate; null for the interviewer's own words."
    )


class Transcript(ApiModel):
    session_id: str = Field(description="The session.")
    segments: list[TranscriptSegment] = Field(description="Final segments in time order.")
