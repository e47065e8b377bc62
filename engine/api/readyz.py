"""`GET /readyz`: whether this engine should get traffic (engine/observability/readiness.py).

`/healthz` says the process is alive and is all a restart policy should look at; `/readyz` adds the
database, the object store (when one is configured), the speech models and the background workers, for
a load balancer or an orchestrator's readiness probe. A failing check takes the engine out of rotation
without restarting it."""

from __future__ import annotations

import asyncio
from typing import Literal

from fastapi import APIRouter, Request, Response
from pydantic import BaseModel, Field

from engine.api.context import Services
from engine.observability.bucket_probe import TIMEOUT_S, BucketProbe
from engine.observability.readiness import CheckResult, ReadinessProbe

__all__ = ["Readiness", "router"]

router = APIRouter(tags=["health"])


class Check(BaseModel):
    status: Literal["ok", "failing"] = Field(description="ok, or failing (the engine is not ready).")
    detail: str = Field(description="What was found, e.g. how long the database took to answer.")

    @classmethod
    def of(cls, result: CheckResult) -> Check:
        return cls(status="ok" if result.ok else "failing", detail=result.detail)


class Checks(BaseModel):
    database: Check = Field(description="SELECT 1 answered within 2 s.")
    object_store: Check = Field(
        description=f"A HEAD on the bucket (IE_OBJECT_STORE__*) answered within {TIMEOUT_S:g} s; ok, saying "
        "so, when no object store is configured."
    )
    models: Check = Field(
        description="The speech recogniser (every lane) and the default voice are loaded, or load on first "
        "use by configuration (IE_ASR__PRELOAD / IE_TTS__PRELOAD false); failing while they load."
    )
    workers: Check = Field(description="The analysis, webhook and email workers' loops are running.")
    accepting: Check = Field(
        description="The engine takes new interviews: failing while it drains after SIGTERM, so a load "
        "balancer sends new candidates elsewhere (interviews already running here go on)."
    )


class Readiness(BaseModel):
    status: Literal["ready", "not_ready"] = Field(description="ready when every check is ok.")
    failing: list[str] = Field(description="The names of the failing checks; empty when ready.")
    checks: Checks = Field(description="Each check's outcome.")


@router.get(
    "/readyz",
    summary="Readiness probe: database, object store, speech models, workers (no authentication)",
    response_description="Ready: every check is ok.",
    responses={503: {"model": Readiness, "description": "Not ready; `failing` names the checks."}},
)
async def readyz(request: Request, response: Response) -> Readiness:
    services: Services = request.app.state.services
    probe: ReadinessProbe = request.app.state.readiness
    database, bucket = await asyncio.gather(probe.database(services), _bucket_probe(request).check())
    checks = Checks(
        database=Check.of(database),
        object_store=Check.of(bucket),
        models=Check.of(probe.models(services)),
        workers=Check.of(probe.workers(services)),
        accepting=Check(status="failing", detail="draining: stopping after its running interviews")
        if services.live.draining
        else Check(status="ok", detail="taking new interviews"),
    )
    failing = [name for name, check in checks if check.status == "failing"]
    if failing:
        response.status_code = 503
    return Readiness(status="not_ready" if failing else "ready", failing=failing, checks=checks)


def _bucket_probe(request: Request) -> BucketProbe:
    """One per app, made on the first probe: it keeps its client and the HEAD in flight between probes."""
    state = request.app.state
    probe: BucketProbe | None = getattr(state, "bucket_probe", None)
    if probe is None:
        services: Services = state.services
        probe = state.bucket_probe = BucketProbe(services.settings.object_store)
    return probe
