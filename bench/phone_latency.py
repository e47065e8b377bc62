"""Phone and WebSocket paths beside WebRTC: voice-to-voice latency, CPU per session-minute and WER.

For each path it starts `interview-engine serve` in its own process on a free port with a fresh data dir
(bench/media_latency.py's `local_server`), books sessions through the API and lets a scripted candidate
answer every question with the same eSpeak NG speech as bench/media_latency.py:

- phone: a scripted Twilio Media Streams caller (tests/engine/phone_helpers.py: 8 kHz μ-law every 20 ms
  in real time, marks echoed) on `GET /v1/sessions/{id}/phone-stream`; the answers resampled to 8 kHz;
- webrtc: bench/media_latency.py's aiortc candidate on the join link, 16 kHz speech;
- websocket: the browsers' fallback on `/join/{token}/stream` (16 kHz PCM), where the engine has it.

Per turn it measures, at the client, from the end of the answer's speech (its last frame with sound) to
the first interviewer audio with sound; it reads the engine's own split of each turn from
`GET /metrics/json`, the server's CPU seconds and peak RSS, and the word error rate of the answers as
stored in the session's transcript (`GET /v1/sessions/{id}/transcript`, after the whole-answer pass)
against the script. Each session answers up to `--turns` questions and then hangs up (a 10-minute
interview asks more than a benchmark needs); at N=1 sessions follow one another until `--turns` turns
are in, at a larger N it is one round of N sessions at once.

    nice -n 10 .venv/bin/python -m bench.phone_latency --markdown docs/benchmarks.md
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import logging
import os
import re
import time
from pathlib import Path
from typing import Any

import httpx
import jiwer

from bench.media_latency import ANSWERS, PHASES, Server, local_server, proc_cpu_s, proc_rss_mb, synthesize
from bench.phone_clients import Booked, Outcome, book, phone_clip, run_phone, run_webrtc, run_websocket
from bench.phone_report import markdown
from bench.report import machine, pct, write_section
from media.espeak import EspeakTts

logger = logging.getLogger(__name__)

PATHS = ("phone", "webrtc", "websocket")
LIMIT_S = 300.0
FALLBACK_MODULE = Path(__file__).resolve().parent.parent / "engine" / "live" / "browser_stream.py"


def _words(text: str) -> str:
    return " ".join(re.sub(r"[^\w\s']", " ", text.lower()).split())


async def _stored_text(client: httpx.AsyncClient, session_id: str) -> str:
    """The candidate's words in the stored transcript, once the session is final."""
    # A session that ended badly stays resumable (in progress): take its transcript as it is.
    with contextlib.suppress(TimeoutError):
        async with asyncio.timeout(30):
            while True:
                status = (await client.get(f"/v1/sessions/{session_id}")).json()["status"]
                if status in ("completed", "failed", "cancelled"):
                    break
                await asyncio.sleep(0.5)
    response = await client.get(f"/v1/sessions/{session_id}/transcript")
    response.raise_for_status()
    segments = response.json()["segments"]
    return " ".join(s["text"] for s in segments if s["speaker"] == "candidate")


async def _session(
    path: str, server: Server, client: httpx.AsyncClient, booked: Booked, clips: dict[str, list[bytes]]
) -> Outcome:
    if path == "phone":
        return await run_phone(client, booked, clips["phone"], LIMIT_S)
    if path == "webrtc":
        return await run_webrtc(server.base_url, booked, clips["wide"], LIMIT_S)
    return await run_websocket(server.base_url, booked, clips["wide"], LIMIT_S)


async def run_level(
    server: Server, path: str, n: int, min_turns: int, questions: int, clips: dict[str, list[bytes]]
) -> dict[str, Any]:
    assert server.pid is not None
    headers = {"Authorization": f"Bearer {server.api_key}"}
    outcomes: list[Outcome] = []
    references: list[str] = []
    hypotheses: list[str] = []
    cpu = wall = 0.0
    rss_peak = 0.0
    loads: list[float] = []
    load_before = os.getloadavg()[0]
    async with httpx.AsyncClient(base_url=server.base_url, headers=headers, timeout=30) as client:
        turns_before = (await client.get("/metrics/json")).json()["turns"]["count"]
        index = 0
        # At N=1, sessions one after another until `min_turns` are in; at N>1 one round at once.
        while not outcomes or (n == 1 and sum(o.spoken for o in outcomes) < min_turns):
            booked = [await book(client, questions, index + i) for i in range(n)]
            index += n
            cpu0, wall0 = proc_cpu_s(server.pid), time.monotonic()
            tasks = [asyncio.create_task(_session(path, server, client, b, clips)) for b in booked]
            while not all(t.done() for t in tasks):
                rss_peak = max(rss_peak, proc_rss_mb(server.pid))
                loads.append(os.getloadavg()[0])
                await asyncio.wait(tasks, timeout=0.5)
            round_outcomes = [t.result() for t in tasks]
            wall += time.monotonic() - wall0
            cpu += proc_cpu_s(server.pid) - cpu0
            for b, outcome in zip(booked, round_outcomes, strict=True):
                references.append(" ".join(_words(ANSWERS[i % len(ANSWERS)]) for i in range(outcome.spoken)))
                hypotheses.append(_words(await _stored_text(client, b.session_id)))
            outcomes += round_outcomes
            print(f"{path} N={n}: {[(o.spoken, o.detail) for o in round_outcomes]}", flush=True)
        logged = (await client.get("/metrics/json", params={"recent_turns_after": turns_before})).json()
    logged_turns = logged["turns"]["recent"]
    replies = [reply - end for o in outcomes for end, reply in o.turns if reply is not None]
    spoken = sum(o.spoken for o in outcomes)
    result: dict[str, Any] = {
        "path": path,
        "sessions_at_once": n,
        "sessions": len(outcomes),
        "turn_cap": min_turns,
        "load_before": round(load_before, 2),
        "measured": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
        "completed": sum(o.completed for o in outcomes),
        "turns": spoken,
        "turns_answered": len(replies),
        "voice_to_voice_p50_ms": _ms(pct(replies, 0.5)),
        "voice_to_voice_p95_ms": _ms(pct(replies, 0.95)),
        # Each round holds n sessions for its wall time.
        "server_cpu_s_per_session_min": round(cpu / (n * wall / 60), 2) if wall else None,
        "server_rss_peak_mb": round(rss_peak, 1),
        "wall_s": round(wall, 1),
        "wer": round(float(jiwer.wer(references, hypotheses)), 3) if any(references) else None,
        "load_1min_mean": round(sum(loads) / len(loads), 2) if loads else None,
        "load_1min_max": round(max(loads), 2) if loads else None,
        "server_turns": len(logged_turns),
        "transcripts": [{"said": r, "stored": h} for r, h in zip(references, hypotheses, strict=True)],
    }
    for phase in PHASES:
        values = [float(t[phase]) for t in logged_turns]
        result[f"server_{phase[:-3]}_p50_ms"] = _round(pct(values, 0.5))
        result[f"server_{phase[:-3]}_p95_ms"] = _round(pct(values, 0.95))
    return result


def _ms(seconds: float | None) -> int | None:
    return None if seconds is None else round(seconds * 1000)


def _round(ms: float | None) -> int | None:
    return None if ms is None else round(ms)


def merged(results: list[dict[str, Any]], earlier: list[Path]) -> list[dict[str, Any]]:
    """This run's results with those of earlier runs' JSON files (same machine), by path then N."""
    fresh = {(r["path"], r["sessions_at_once"]) for r in results}
    for path in earlier:
        for old in json.loads(path.read_text())["results"]:
            if (old["path"], old["sessions_at_once"]) not in fresh:
                fresh.add((old["path"], old["sessions_at_once"]))
                results.append(old)
    return sorted(results, key=lambda r: (PATHS.index(r["path"]), r["sessions_at_once"]))


def fallback_available() -> bool:
    """Whether this tree has the browsers' WebSocket fallback (built alongside this benchmark)."""
    return FALLBACK_MODULE.exists()


async def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--paths", default="phone,webrtc,websocket", help="comma-separated: " + ",".join(PATHS)
    )
    parser.add_argument("--sessions", default="1", help="comma-separated sessions at once, e.g. 1,4")
    parser.add_argument("--turns", type=int, default=16, help="at N=1: book sessions until this many turns")
    parser.add_argument("--questions", type=int, default=3, choices=range(1, len(ANSWERS) + 1))
    parser.add_argument("--json", type=Path, default=Path("bench/results/phone_latency.json"))
    parser.add_argument("--markdown", type=Path, help="update this markdown file's phone section")
    parser.add_argument(
        "--merge",
        type=Path,
        action="append",
        default=[],
        help="results JSON of an earlier run to report with this one's (this run's path and N win); "
        'with --paths "" it only merges',
    )
    args = parser.parse_args()
    paths = [p.strip() for p in args.paths.split(",") if p.strip()]
    if unknown := set(paths) - set(PATHS):
        parser.error(f"unknown paths: {sorted(unknown)}")
    skipped = []
    if "websocket" in paths and not fallback_available():
        paths.remove("websocket")
        skipped.append("websocket")
    levels = [int(n) for n in args.sessions.split(",")]
    tts = EspeakTts()
    turns = args.turns if paths else 0  # nothing to say when the run only merges
    # Each session answers up to --turns questions, then hangs up (a 10-minute interview asks more).
    wide = [await asyncio.to_thread(synthesize, tts, ANSWERS[i % len(ANSWERS)]) for i in range(turns)]
    clips = {"wide": wide, "phone": [phone_clip(pcm) for pcm in wide]}
    results: list[dict[str, Any]] = []
    failed: dict[str, str] = {}
    for path in paths:
        with local_server() as server:
            for n in levels:
                try:
                    result = await run_level(server, path, n, args.turns, args.questions, clips)
                except Exception as exc:  # one path that breaks must not lose the others' figures
                    logger.exception("the %s path failed at N=%s", path, n)
                    failed[path] = f"{type(exc).__name__}: {exc}"
                    break
                print(json.dumps({k: v for k, v in result.items() if k != "transcripts"}), flush=True)
                results.append(result)
    results = merged(results, args.merge)
    report = {
        "machine": machine(),
        "measured": ", ".join(sorted({r["measured"] for r in results})),
        "load_after": [round(x, 2) for x in os.getloadavg()],
        "skipped": skipped,
        "failed": failed,
        "results": results,
    }
    args.json.parent.mkdir(parents=True, exist_ok=True)
    args.json.write_text(json.dumps(report, indent=2) + "\n")
    section = markdown(report, args.questions)
    if args.markdown:
        write_section(args.markdown, section)
    print(section)


if __name__ == "__main__":
    asyncio.run(main())
