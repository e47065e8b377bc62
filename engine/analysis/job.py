"""One analysis: read what a completed session left (transcript, plan, recording, page events), score
it, hold every score to the evidence gate (`scoring.evidence`), check authenticity, build the scorecard.

Reading the recording and the detectors' numpy work run in a worker thread; the scorers are async
(the LLM one waits on HTTP, the embedded one takes milliseconds).
"""

from __future__ import annotations

import asyncio
import dataclasses
import logging
import wave
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
from sqlalchemy import select

from engine.analysis.audio_source import StoredRecording
from engine.services import join
from engine.services.join import Interview
from engine.store.database import Database
from engine.store.tables import RecordingRow, SessionRow, TranscriptSegmentRow
from media.transcode import OPUS_SUFFIX, TranscodeError, decode_opus
from scoring import authenticity, evidence
from scoring.embedded import EmbeddedScorer
from scoring.model import DimensionScore, QuestionHint, Rubric, RubricItem, Scorer, ScoringError, Segment
from scoring.scorecard import DEFAULT_COVERAGE_THRESHOLD, ScorecardInputs, build_scorecard
from scoring.synthetic import synthetic_analysis

__all__ = ["AnalysisInputs", "AnalysisPolicy", "completion_of", "load_inputs", "run_analysis"]

logger = logging.getLogger(__name__)

# The rate the recorder writes and authenticity.detect assumes (its default).
ANALYSIS_RATE = 16_000


@dataclass(frozen=True)
class AnalysisPolicy:
    """How analyses are judged (settings.analysis): flag thresholds and the evidence rules."""

    thresholds: authenticity.Thresholds
    coverage_threshold: float = DEFAULT_COVERAGE_THRESHOLD
    min_evidence_words: int = evidence.DEFAULT_MIN_WORDS
    # Close calls of the embedded scorer go to a human (scoring.scorecard); LLM verdicts are not held.
    embedded_review_margin: float = 0.0


@dataclass(frozen=True)
class AnalysisInputs:
    interview: Interview
    is_test: bool
    segments: tuple[Segment, ...]
    page_events: tuple[authenticity.PageEvent, ...]
    # What the database says of the recording; where its file is read from is the worker's business
    # (engine.analysis.audio_source), which sets `recording` to the file to read, if any.
    stored: StoredRecording | None = None
    recording: Path | None = None


async def load_inputs(database: Database, session_id: str) -> AnalysisInputs:
    async with database.transaction() as db:
        row = await db.get(SessionRow, session_id)
        assert row is not None
        interview = await join.interview_of(db, row)
        stored = await db.scalars(
            select(TranscriptSegmentRow)
            .where(TranscriptSegmentRow.session_id == session_id)
            .order_by(TranscriptSegmentRow.seq)
        )
        segments = tuple(Segment(s.id, s.speaker, s.start_s, s.end_s, s.text) for s in stored)
        recording = await db.get(RecordingRow, session_id)
        kept = (
            StoredRecording(recording.path, recording.status, recording.object_key, recording.updated_at)
            if recording is not None
            else None
        )
        events = tuple(
            authenticity.PageEvent(float(e["at"]), str(e["kind"]))
            for e in (row.dialogue_state or {}).get("page_events", [])
            if isinstance(e, dict) and isinstance(e.get("at"), int | float) and isinstance(e.get("kind"), str)
        )
        return AnalysisInputs(interview, row.is_test, segments, events, kept)


def rubric_of(interview: Interview) -> Rubric:
    profile, template = interview.profile, interview.template
    plan = interview.progress.get("plan") if isinstance(interview.progress.get("plan"), dict) else None
    hints: list[QuestionHint] = []
    for q in (plan or {}).get("questions", []):
        if isinstance(q, dict) and q.get("dimension"):
            wordings = tuple(str(q[k]) for k in ("text", "easier", "harder") if q.get(k))
            keywords = tuple(str(k) for k in q.get("keywords", []) if isinstance(k, str))
            hints.append(QuestionHint(wordings, str(q["dimension"]), str(q.get("skill") or ""), keywords))
    return Rubric(
        items=tuple(RubricItem(d.name, d.description, d.weight) for d in profile.rubric),
        scale_max=profile.scoring.scale.maximum,
        skills=tuple(template.skills) if template else (),
        traits=tuple(template.traits) if template else (),
        objective=(template.objective or "") if template else "",
        pass_criteria=(template.pass_criteria or "") if template else "",
        questions=tuple(hints),
    )


_END_WORDS = {
    "hangup": "the candidate ended the interview",
    "idle": "the candidate went silent",
    "lost": "the connection was lost",
    "shutdown": "the engine stopped",
    "error": "an error ended it",
    "abandoned": "nobody came back to it",
}


def completion_of(progress: dict[str, Any]) -> dict[str, Any] | None:
    """Whether the interview covered its plan, from the stored plan, progress and end reason; None when
    the session kept no plan (nothing to compare with)."""
    plan = progress.get("plan")
    state = progress.get("progress")
    if not isinstance(plan, dict) or not isinstance(state, dict):
        return None
    every = [q for q in plan.get("questions", []) if isinstance(q, dict)]
    asked = {str(x) for x in state.get("asked", [])}
    skipped = {str(x) for x in state.get("skipped", [])}
    # A reserve question is asked only while time is left (for a brief candidate): one not asked is
    # not missing from the interview, and one asked counts as planned.
    questions = [q for q in every if not q.get("reserve") or str(q.get("id")) in asked]
    not_asked = [q for q in questions if str(q.get("id")) not in asked]
    reached = {str(q.get("dimension")) for q in questions if str(q.get("id")) in asked}
    not_reached = sorted({str(q.get("dimension")) for q in every if str(q.get("id")) not in asked} - reached)
    finished = bool(state.get("finished"))
    end = str(progress.get("end_reason") or ("completed" if finished else "unknown"))
    if finished and end == "hangup":
        # The interviewer had already closed: pressing End during its goodbye ends nothing early.
        end = "completed"
    complete = finished and end == "completed" and not not_asked
    planned, done = len(questions), len(questions) - len(not_asked)
    if complete:
        summary = f"The interview covered all {planned} planned questions."
    elif end in _END_WORDS:
        summary = f"The interview ended early: {_END_WORDS[end]} after {done} of {planned} planned questions."
    elif finished and skipped:
        summary = (
            f"The interview ran out of time: {done} of {planned} planned questions were asked, "
            f"{len(not_asked)} left out."
        )
    else:
        summary = f"The interview ended after {done} of {planned} planned questions."
    return {
        "complete": complete,
        "endReason": end,
        "questionsPlanned": planned,
        "questionsAsked": done,
        "notAsked": [str(q.get("text", "")) for q in not_asked],
        "dimensionsNotReached": not_reached,
        "summary": summary,
    }


def _candidate_channel(path: Path | None) -> npt.NDArray[np.int16] | None:
    """The left (candidate) channel of the stereo recording; None when there is no readable file."""
    if path is None or not path.is_file():
        return None
    if path.suffix == OPUS_SUFFIX:
        # Transcoded after the first analysis (engine.storage.transcodes): a rerun decodes it.
        try:
            return decode_opus(path, ANALYSIS_RATE)[:, 0].copy()
        except (OSError, TranscodeError) as exc:
            logger.warning("recording %s unreadable for analysis: %s", path.name, exc)
            return None
    try:
        with wave.open(str(path), "rb") as wav:
            channels, frames = wav.getnchannels(), wav.readframes(wav.getnframes())
    except (OSError, wave.Error, EOFError) as exc:
        logger.warning("recording %s unreadable for analysis: %s", path.name, exc)
        return None
    samples = np.frombuffer(frames, dtype="<i2")
    return samples[::channels].astype(np.int16) if channels > 1 else samples.astype(np.int16)


def _flags(inputs: AnalysisInputs, thresholds: authenticity.Thresholds) -> list[dict[str, Any]]:
    audio = _candidate_channel(inputs.recording)
    found = authenticity.detect(inputs.segments, audio, inputs.page_events, thresholds)
    return [dataclasses.asdict(flag) for flag in found]


async def _score(
    scorers: Sequence[Scorer], embedded: EmbeddedScorer, rubric: Rubric, segments: Sequence[Segment]
) -> tuple[list[DimensionScore], str, list[str]]:
    """The first scorer that succeeds, held to the evidence gate whatever it said; the embedded one
    (last) cannot fail on a transcript."""
    notes: list[str] = []
    verdicts = await embedded.sufficiency(rubric, segments)
    for scorer in scorers:
        try:
            return evidence.enforce(await scorer.score(rubric, segments), verdicts), scorer.name, notes
        except ScoringError as exc:
            logger.warning("the %s scorer failed (%s); falling back", scorer.name, exc)
            notes.append(f"The {scorer.name} scorer failed ({exc}); another scorer was used.")
    raise ScoringError("every scorer failed")


async def run_analysis(
    inputs: AnalysisInputs,
    scorers: Sequence[Scorer],
    policy: AnalysisPolicy,
    at: datetime,
) -> tuple[dict[str, Any], str]:
    """The scorecard and the name of the scorer that produced its scores. `scorers` are tried in
    order and must end with the embedded scorer, which cannot fail on a transcript."""
    interview = inputs.interview
    if inputs.is_test:
        # A test session has no audio and no transcript: it gets generated test data again.
        name = str(interview.participant.get("name", ""))
        return synthetic_analysis(
            interview.session_id, interview.profile, interview.template, name, at
        ), "synthetic"
    rubric = rubric_of(interview)
    embedded = scorers[-1] if scorers else None
    if not isinstance(embedded, EmbeddedScorer):
        raise ValueError("the last scorer must be the embedded one")
    scores, scorer, notes = await _score(scorers, embedded, rubric, inputs.segments)
    flags = await asyncio.to_thread(_flags, inputs, policy.thresholds)
    threshold = (interview.stage or {}).get("pass_threshold")
    card = build_scorecard(
        ScorecardInputs(
            profile=interview.profile,
            template=interview.template,
            participant=interview.participant,
            scores=scores,
            transcript=inputs.segments,
            scorer=scorer,
            at=at,
            pass_threshold=float(threshold) if isinstance(threshold, int | float) else None,
            authenticity=flags,
            notes=notes,
            coverage_threshold=policy.coverage_threshold,
            completion=completion_of(interview.progress),
            review_margin=policy.embedded_review_margin if scorer == "embedded" else 0.0,
        )
    )
    return card, scorer
