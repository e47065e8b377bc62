"""Whether this engine can take work: the database answers, the speech models it was told to load are
loaded, and the background workers run. `GET /readyz` reports it; `GET /metrics` exports the same
model and worker states as gauges.

Nothing here loads a model: with `IE_ASR__PRELOAD=false` (or `IE_TTS__PRELOAD=false`) a model loads
on the first interview that needs it, by design, and is reported as `on_first_use`, which counts as
ready. With preloading on, the engine is not ready until the model is in memory: a load balancer then
keeps candidates away from a node that would make the first of them wait for Whisper to load.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from typing import Literal

from sqlalchemy import text

from engine.api.context import Services
from engine.observability.single_flight import SingleFlight
from engine.store.database import Database

__all__ = ["CheckResult", "ModelState", "ReadinessProbe", "model_states", "worker_states"]

DATABASE_TIMEOUT_S = 2.0

ModelState = Literal["loaded", "loading", "on_first_use"]


@dataclass(frozen=True, slots=True)
class CheckResult:
    ok: bool
    detail: str


def _state(loaded: bool, preload: bool) -> ModelState:
    if loaded:
        return "loaded"
    return "loading" if preload else "on_first_use"


def model_states(services: Services) -> dict[str, ModelState]:
    """The speech recogniser's (every inference lane's) and the default voice's state. Cheap: flags only."""
    runtime = services.live.runtime
    settings = services.settings
    # eSpeak NG has no model to load (no `loaded`); an injected engine without the flag counts as loaded.
    voice_loaded = bool(getattr(runtime.tts, "loaded", True))
    return {
        "asr": _state(runtime.asr.loaded, settings.asr.preload),
        "tts": _state(voice_loaded, settings.tts.preload),
    }


def worker_states(services: Services) -> dict[str, bool]:
    return {
        "analysis": services.analysis.running,
        "webhooks": services.webhooks.running,
        "emails": services.emails.running,
    }


async def _ping(database: Database) -> None:
    async with database.engine.connect() as conn:
        await conn.execute(text("SELECT 1"))


class ReadinessProbe:
    """One per app: it keeps the database ping in flight between probes (see `SingleFlight`)."""

    def __init__(self, database_timeout_s: float = DATABASE_TIMEOUT_S) -> None:
        self._ping: SingleFlight[None] = SingleFlight()
        self._timeout_s = database_timeout_s

    async def database(self, services: Services) -> CheckResult:
        loop = asyncio.get_running_loop()
        started = loop.time()
        try:
            await self._ping.run(lambda: _ping(services.database), self._timeout_s)
        except TimeoutError:
            return CheckResult(False, f"no answer to SELECT 1 within {self._timeout_s:g} s")
        except Exception as exc:
            # The exception's class only: its message may carry a host name or a user name.
            return CheckResult(False, f"SELECT 1 failed: {type(exc).__name__}")
        return CheckResult(True, f"answered SELECT 1 in {(loop.time() - started) * 1000:.0f} ms")

    @staticmethod
    def models(services: Services) -> CheckResult:
        states = model_states(services)
        waiting = sorted(name for name, state in states.items() if state == "loading")
        summary = ", ".join(f"{name} {state}" for name, state in sorted(states.items()))
        return CheckResult(not waiting, summary)

    @staticmethod
    def workers(services: Services) -> CheckResult:
        stopped = sorted(name for name, running in worker_states(services).items() if not running)
        if stopped:
            return CheckResult(False, f"not running: {', '.join(stopped)}")
        return CheckResult(True, "analysis, webhooks and emails running")
