"""`GET /metrics`: aggregate load counters for operators and `bench/` (no ids, nothing per company)."""

from __future__ import annotations

import dataclasses

from fastapi import APIRouter, Request
from pydantic import BaseModel, Field

from engine.api.context import Services

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
    dropped_partials: int = Field(description="Partials skipped to keep finals fast under load.")
    queued_finals: int = Field(description="Finals waiting now.")
    queued_partials: int = Field(description="Partials waiting now.")
    in_flight: int = Field(description="Utterances being decoded now.")
    real_time_factor: float = Field(description="compute_s / audio_s; below 1 keeps up with speech.")


class Metrics(BaseModel):
    live_sessions: int = Field(description="Interviews connected right now.")
    asr: AsrMetrics = Field(description="Speech recognition, all sessions together.")


@router.get("/metrics", summary="Load counters: live sessions and speech recognition (no authentication)")
async def metrics(request: Request) -> Metrics:
    services: Services = request.app.state.services
    stats = services.live.runtime.asr.stats()
    return Metrics(
        live_sessions=len(services.live),
        asr=AsrMetrics(**dataclasses.asdict(stats), real_time_factor=stats.real_time_factor),
    )
