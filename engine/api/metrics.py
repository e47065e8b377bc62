"""`GET /metrics/json`: aggregate load counters for operators and `bench/` (no ids, nothing per company).

The same numbers, and more, are at `GET /metrics` in Prometheus' format (engine/api/prometheus.py); this
view stays for the benchmarks, which read each turn's latency split from it."""

from __future__ import annotations

import dataclasses
from typing import Annotated

from fastapi import APIRouter, Query, Request
from pydantic import BaseModel, Field

from engine.api.context import Services
from engine.api.openapi import error_responses
from engine.dialogue.latency import Backend, TurnLatency
from engine.live.turn_log import LoggedTurn

__all__ = ["Metrics", "router"]

router = APIRouter(tags=["health"])


class AsrMetrics(BaseModel):
    finals: int = Field(description="Final transcripts decoded since start.")
    partials: int = Field(description="Partial hypotheses decoded since start.")
    batches: int = Field(description="Decoder calls; several utterances may share one.")
    failed_batches: int = Field(description="Decoder calls that raised.")
    audio_s: float = Field(description="Seconds of audio decoded.")
    compute_s: float = Field(description="Seconds of inference spent on it.")
    busy_s: float = Field(description="Wall time the inference lanes were busy.")
    busy_by_kind: dict[str, float] = Field(
        default_factory=dict,
        description="busy_s by the kind of job: final, speculation (a guessed final at a pause), draft "
        "(a caption partial), revision (a whole answer again).",
    )
    dropped_partials: int = Field(description="Partials skipped to keep finals fast under load.")
    hurried: int = Field(
        description="Finals heard in a shorter window because several waited for one recogniser call.",
    )
    discarded: int = Field(
        description="Utterances decoded whose caller had gone (a speculation whose speaker went on)."
    )
    discarded_s: float = Field(description="Lane time spent on them (their share of their batch).")
    queued_finals: int = Field(description="Finals waiting now.")
    queued_partials: int = Field(description="Partials waiting now.")
    in_flight: int = Field(description="Utterances being decoded now.")
    real_time_factor: float = Field(description="compute_s / audio_s; below 1 keeps up with speech.")


class TurnPhases(BaseModel):
    """One turn's latency split, in milliseconds (see docs/interviewer.md, 'Where the time goes')."""

    endpointing_ms: int = Field(description="End of the candidate's speech to the end of the turn.")
    transcription_ms: int = Field(
        description="VAD end of utterance to its final transcript (inside endpointing)."
    )
    generation_ms: int = Field(description="End of the turn to the reply's first sentence.")
    first_audio_ms: int = Field(description="First sentence to its first audio frame (synthesis, pacing).")
    total_ms: int = Field(description="End of the candidate's speech to the reply's first audio frame.")
    verdict_ms: int | None = Field(
        default=None,
        description="End of the candidate's speech to the end-of-turn voice model's verdict on the last "
        "pause (inside endpointing); null when the turn had none (no model, or the voice came back).",
    )

    @classmethod
    def of(cls, latency: TurnLatency) -> TurnPhases:
        verdict = latency.verdict_s
        return cls(
            endpointing_ms=_ms(latency.endpointing_s),
            transcription_ms=_ms(latency.transcription_s),
            generation_ms=_ms(latency.generation_s),
            first_audio_ms=_ms(latency.first_audio_s),
            total_ms=_ms(latency.total_s),
            verdict_ms=None if verdict is None else _ms(verdict),
        )


class RecentTurn(TurnPhases):
    seq: int = Field(description="Numbers every turn since start; ask for the ones after a seq you have.")
    backend: Backend = Field(description="Who worded the reply: the embedded director or the LLM.")
    verdict_complete: bool | None = Field(
        default=None,
        description="The voice model's verdict: finished (the fast path) or not (the hesitation wait); "
        "null without one.",
    )


class TurnMetrics(BaseModel):
    count: int = Field(description="Turns answered since start (the seq of the newest).")
    p50: TurnPhases | None = Field(description="Medians over the kept recent turns; null before the first.")
    p95: TurnPhases | None = Field(description="95th percentiles over the kept recent turns.")
    recent: list[RecentTurn] = Field(
        description="The kept turns with seq > recent_turns_after, oldest first; empty unless asked for."
    )


class Metrics(BaseModel):
    live_sessions: int = Field(description="Interviews connected right now.")
    asr: AsrMetrics = Field(description="Speech recognition, all sessions together.")
    turns: TurnMetrics = Field(description="Per-turn reply latency, all sessions together (no ids).")


@router.get(
    "/metrics/json",
    responses=error_responses(_422="recent_turns_after is not a whole number >= 0."),
    summary="Load counters as JSON: live sessions, speech recognition, turn latency (no authentication)",
)
async def metrics(
    request: Request,
    recent_turns_after: Annotated[
        int | None, Query(ge=0, description="List each kept turn with a greater seq (0: all kept).")
    ] = None,
) -> Metrics:
    services: Services = request.app.state.services
    runtime = services.live.runtime
    stats = runtime.asr.stats()
    kept = runtime.turns.recent()
    listed = [] if recent_turns_after is None else [t for t in kept if t.seq > recent_turns_after]
    return Metrics(
        live_sessions=len(services.live),
        asr=AsrMetrics(**dataclasses.asdict(stats), real_time_factor=stats.real_time_factor),
        turns=TurnMetrics(
            count=runtime.turns.count,
            p50=_quantile(kept, 0.5),
            p95=_quantile(kept, 0.95),
            recent=[_recent(t) for t in listed],
        ),
    )


def _recent(turn: LoggedTurn) -> RecentTurn:
    phases = TurnPhases.of(turn.latency)
    return RecentTurn(
        **phases.model_dump(),
        seq=turn.seq,
        backend=turn.latency.backend,
        verdict_complete=turn.latency.verdict_complete,
    )


def _quantile(turns: list[LoggedTurn], q: float) -> TurnPhases | None:
    """Each phase's own quantile (nearest rank), so the phases of one row need not add up."""
    if not turns:
        return None
    rows = [TurnPhases.of(t.latency).model_dump() for t in turns]
    picked: dict[str, int | None] = {}
    for name in TurnPhases.model_fields:
        # The verdict over the turns that had one.
        values = sorted(row[name] for row in rows if row[name] is not None)
        picked[name] = values[min(len(values) - 1, round(q * (len(values) - 1)))] if values else None
    return TurnPhases(**picked)


def _ms(seconds: float) -> int:
    return round(seconds * 1000)
