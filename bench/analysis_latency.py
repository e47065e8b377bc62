"""Analysis benchmark: time from a session's end to its completed scorecard, for both scorers.

Each run books a session of a 3-dimension profile, stores a 10-exchange interview transcript (about
1,100 candidate words) and a stereo recording of the interview's length (eSpeak answers on the
candidate channel at their transcript times, over a quiet noise floor), then marks it completed and
waits until the analysis is COMPLETED. The engine runs in this process (create_app, SQLite, its real
analysis worker); the clock starts at the completing request and stops when the session shows the
scorecard (polled every 20 ms).

Scorers: `embedded` (the default), and `llm`: the same engine with IE_LLM__BASE_URL pointing at the
tests' OpenAI-compatible loopback server, which streams a fixed valid JSON score with a simulated
first-token delay and token rate (it measures what the engine adds around a model, not a model).

    .venv/bin/python -m bench.analysis_latency --runs 5 --markdown docs/benchmarks.md
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import tempfile
import time
import wave
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import numpy as np

from bench.report import machine, pct, write_section
from config.enums import Speaker
from config.settings import AsrSettings, LlmSettings, Settings
from engine.app import create_app
from engine.auth import issue_api_key
from engine.clock import SystemClock
from engine.services import transcripts
from engine.services.transcripts import NewSegment
from engine.store.tables import SessionRow
from media.audio import SAMPLE_RATE, resample_pcm
from media.espeak import EspeakTts
from media.tts import Voice
from tests.llm_server import LlmServer, Script

EXCHANGES = 10
ANSWER = (
    "Last year I designed the billing system on PostgreSQL for two million customers. I split the ledger "
    "from the invoices, I added read replicas and partitioned by month, and as a result the p99 latency "
    "dropped from nine hundred to one hundred and twenty milliseconds. We chose Kafka over polling, which "
    "cost us some operational work but let us replay events, and I wrote the runbook for the team. "
)
QUESTION = "Tell me about a system you designed, and how you made it scale for your users."
SECTION = "## Analysis: session end to completed scorecard"


@dataclass(frozen=True)
class SimulatedLlm:
    server: LlmServer
    ttft_s: float
    token_s: float

    def answer_with(self, segment_id: str) -> None:
        """A valid score quoting `segment_id`, streamed about one token per 4 characters."""
        text = json.dumps(
            {
                "score": 7,
                "rationale": "Specific and owned: named tools, numbers and the candidate's own actions.",
                "evidence": [{"segment_id": segment_id, "quote": "I split the ledger from the invoices"}],
            }
        )
        tokens = [text[i : i + 4] for i in range(0, len(text), 4)]
        self.server.reset(Script(tokens=tokens, first_token_delay_s=self.ttft_s, token_delay_s=self.token_s))


def _recording(path: Path, answers: list[tuple[float, float]], duration: float, speech: np.ndarray) -> None:
    rng = np.random.default_rng(7)
    frames = int(duration * SAMPLE_RATE)
    left = rng.normal(0, 25, frames)
    for start, end in answers:
        i = int(start * SAMPLE_RATE)
        n = min(int((end - start) * SAMPLE_RATE), len(speech), frames - i)
        left[i : i + n] += speech[:n]
    stereo = np.zeros((frames, 2), dtype=np.int16)
    stereo[:, 0] = np.clip(left, -32768, 32767).astype(np.int16)
    with wave.open(str(path), "wb") as wav:
        wav.setnchannels(2)
        wav.setsampwidth(2)
        wav.setframerate(SAMPLE_RATE)
        wav.writeframes(stereo.tobytes())


@contextlib.asynccontextmanager
async def engine(settings: Settings) -> AsyncIterator[tuple[Any, httpx.AsyncClient]]:
    app = create_app(settings)
    async with app.router.lifespan_context(app):
        async with app.state.services.database.transaction() as db:
            key = (await issue_api_key(db, "bench", SystemClock())).secret_key
        transport = httpx.ASGITransport(app=app)
        headers = {"Authorization": f"Bearer {key}"}
        async with httpx.AsyncClient(transport=transport, base_url="http://bench", headers=headers) as client:
            yield app, client


async def one_run(app: Any, client: httpx.AsyncClient, speech: np.ndarray, llm: SimulatedLlm | None) -> float:
    async def created(path: str, body: dict[str, Any]) -> dict[str, Any]:
        response = await client.post(path, json=body)
        response.raise_for_status()
        data: dict[str, Any] = response.json()
        return data

    profile = await created(
        "/v1/agent-profiles",
        {
            "name": "Bench Interviewer",
            "intro": "Alex",
            "rubric": [
                {"name": "System Design", "weight": 50},
                {"name": "Communication", "weight": 30},
                {"name": "Ownership", "weight": 20},
            ],
        },
    )
    template = await created("/v1/templates", {"name": "Bench Role", "skills": ["PostgreSQL", "Kafka"]})
    stage = await created(
        f"/v1/templates/{template['id']}/stages", {"name": "Screen", "agent_profile_id": profile["id"]}
    )
    session = await created(
        "/v1/sessions",
        {
            "stage_id": stage["id"],
            "participant": {
                "name": "Bench Candidate",
                "email": f"bench-{time.time_ns()}@example.com",
                "gdpr_expiry_date": "2030-01-01",
            },
        },
    )
    sid = session["id"]
    (await client.patch(f"/v1/sessions/{sid}", json={"status": "in_progress"})).raise_for_status()
    services = app.state.services
    answers: list[tuple[float, float]] = []
    async with services.database.transaction() as db:
        row = await db.get(SessionRow, sid)
        assert row is not None
        t = 0.0
        first_answer = ""
        for _ in range(EXCHANGES):
            q = NewSegment(Speaker.INTERVIEWER, t, t + 5, QUESTION)
            await transcripts.append_segment(db, row.company_id, sid, q, services.clock.now())
            a = NewSegment(Speaker.CANDIDATE, t + 6, t + 50, ANSWER.strip(), 0.9)
            stored = await transcripts.append_segment(db, row.company_id, sid, a, services.clock.now())
            first_answer = first_answer or stored.id
            answers.append((t + 6, t + 50))
            t += 55
        name = f"{sid}.wav"
        path = settings_of(app).recordings_dir / name
        path.parent.mkdir(parents=True, exist_ok=True)
        await asyncio.to_thread(_recording, path, answers, t, speech)
        await transcripts.save_recording(
            db,
            row.company_id,
            sid,
            path=name,
            sample_rate=SAMPLE_RATE,
            channels=2,
            duration_s=t,
            status="ready",
            now=services.clock.now(),
        )
    if llm is not None:
        llm.answer_with(first_answer)
    started = time.monotonic()
    (await client.patch(f"/v1/sessions/{sid}", json={"status": "completed"})).raise_for_status()
    while True:
        body = (await client.get(f"/v1/sessions/{sid}")).json()
        if body["analysis_status"] in ("COMPLETED", "FAILED"):
            break
        await asyncio.sleep(0.02)
    elapsed = time.monotonic() - started
    if body["analysis_status"] != "COMPLETED":
        raise RuntimeError(f"analysis failed: {body}")
    expected = "llm" if llm is not None else "embedded"
    if body["analysis"]["scorer"] != expected:
        raise RuntimeError(f"scored by {body['analysis']['scorer']}, expected {expected}")
    return elapsed


def settings_of(app: Any) -> Settings:
    settings: Settings = app.state.services.settings
    return settings


async def run_backend(backend: str, args: argparse.Namespace, speech: np.ndarray) -> dict[str, Any]:
    data = Path(tempfile.mkdtemp(prefix="ie-bench-analysis-"))
    base = Settings(data_dir=data, asr=AsrSettings(preload=False), log_level="WARNING")
    llm = None
    runs = args.runs
    with contextlib.ExitStack() as stack:
        if backend == "llm":
            server = LlmServer()
            url = server.start()
            stack.callback(server.stop)
            llm = SimulatedLlm(server, args.llm_ttft_ms / 1000, args.llm_token_ms / 1000)
            base = base.model_copy(update={"llm": LlmSettings(base_url=url, model="simulated")})
        async with engine(base) as (app, client):
            times = [await one_run(app, client, speech, llm) for _ in range(runs)]
    return {
        "backend": backend,
        "runs": runs,
        "p50_ms": round(pct(times, 0.5) * 1000),  # type: ignore[operator]
        "p95_ms": round(pct(times, 0.95) * 1000),  # type: ignore[operator]
        "min_ms": round(min(times) * 1000),
        "max_ms": round(max(times) * 1000),
    }


def markdown(results: list[dict[str, Any]], args: argparse.Namespace) -> str:
    rows = ["| scorer | runs | p50 (ms) | p95 (ms) | min / max (ms) |", "|---|---|---|---|---|"]
    rows += [
        f"| {r['backend']} | {r['runs']} | {r['p50_ms']} | {r['p95_ms']} | {r['min_ms']} / {r['max_ms']} |"
        for r in results
    ]
    return "\n".join(
        [
            SECTION,
            "",
            f"Machine: {machine()}. Measured {time.strftime('%Y-%m-%d')} with `python -m bench.analysis_latency` "
            f"(a 10-exchange interview, about 1,100 candidate words and a {EXCHANGES * 55 // 60}-minute stereo "
            "recording; 3 rubric dimensions; the engine in-process on SQLite, its analysis worker polling every "
            f"{Settings().analysis.poll_s:g} s). The `llm` row uses the tests' OpenAI-compatible server on "
            f"loopback: {args.llm_ttft_ms} ms to the first token, then 4 characters every {args.llm_token_ms} ms "
            "(about 45 tokens per dimension), 2 dimensions at a time.",
            "",
            *rows,
            "",
            "From the request that completes the session to the session showing the scorecard: reading the "
            "recording, the authenticity detectors over all of it, scoring, and the writes (version, session, "
            "event). The completing request wakes the worker; a live session's own completion is picked up "
            "at the worker's next poll instead, which adds up to `IE_ANALYSIS__POLL_S` (1 s) not measured "
            "here. The embedded scorer itself takes milliseconds; most of the rest is the audio checks. The "
            "`llm` row is dominated by the simulated model (3 dimensions, 2 at a time).",
            "",
        ]
    )


async def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--backends", default="embedded,llm")
    parser.add_argument("--llm-ttft-ms", type=int, default=300)
    parser.add_argument("--llm-token-ms", type=int, default=30)
    parser.add_argument("--json", type=Path, default=Path("bench/results/analysis_latency.json"))
    parser.add_argument("--markdown", type=Path)
    args = parser.parse_args()
    spoken = EspeakTts().synthesize(ANSWER, Voice())
    speech = np.frombuffer(resample_pcm(spoken.pcm, spoken.sample_rate, SAMPLE_RATE), dtype="<i2").astype(
        float
    )
    results = []
    for backend in [b.strip() for b in args.backends.split(",") if b.strip()]:
        result = await run_backend(backend, args, speech)
        print(json.dumps(result), flush=True)
        results.append(result)
    args.json.parent.mkdir(parents=True, exist_ok=True)
    args.json.write_text(json.dumps({"machine": machine(), "results": results}, indent=2) + "\n")
    if args.markdown:
        write_section(args.markdown, markdown(results, args))
    print(markdown(results, args))


if __name__ == "__main__":
    asyncio.run(main())
