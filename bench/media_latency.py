"""Media-plane benchmark: N scripted candidates over real WebRTC against a running engine.

For each backend and each N it books N sessions (a 10-minute template with `--questions` skills; the
interviewer plans the questions), connects N aiortc candidates at once, lets each answer every question
with eSpeak NG speech, and reports per turn:

- end of speech -> final transcript at the client (the engine's `transcript` message),
- end of speech -> first interviewer audio packet with sound at the client,
- the engine's own split of each turn (from `GET /metrics/json`): endpointing wait, transcription
  (inside the endpointing wait), reply generation, first audio (synthesis and the next frame),

as p50/p95, plus the server's ASR real-time factor, its CPU and resident memory per live session,
and the largest N that stays real time (every turn answered, transcript p95 <= 2 s and reply
p95 <= 1.5 s). "End of speech" is the answer's last frame with sound, not the end of its clip.

Backends: `director` (the embedded director, the default) and `llm` (the same engine with
IE_LLM__BASE_URL pointing at the tests' OpenAI-compatible loopback server, streaming a fixed reply
with a simulated first-token delay and token rate: it measures what the engine adds around a model,
not any model's speed).

Without --base-url it starts `interview-engine serve` on a free port with a fresh data dir, so the
server's CPU and memory are its own (the candidates run in this process). Results go to a JSON
file and, with --markdown, to a section of docs/benchmarks.md that states the machine. Run it from
the repository root as a module (it imports the tests' LLM server):

    .venv/bin/python -m bench.media_latency --sessions 1,4,8 --markdown docs/benchmarks.md
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

from bench.report import machine, pct, write_section
from media.audio import SAMPLE_RATE, resample_pcm
from media.espeak import EspeakTts
from media.scripted_candidate import CandidateReport, ScriptedCandidate
from media.tts import Voice
from tests.llm_server import LlmServer, Script
from tests.ports import free_port

ANSWERS = [
    "I wrote the billing service in Go and cut the error rate in half.",
    "I built the payment service and my team shipped it in three months.",
    "I led a team of five engineers and we rebuilt the search system.",
    "I like to write tests first and I review every change with my team.",
]
SKILLS = ["Go", "PostgreSQL", "Distributed Systems", "Testing"]
REALTIME_TRANSCRIPT_P95_S = 2.0
REALTIME_REPLY_P95_S = 1.5
# The simulated model's reply: a short acknowledgement, then a question (the director still decides
# what comes next; the LLM only words it).
LLM_REPLY = "Thanks, that is helpful. Could you walk me through one decision you made there, and why?"
PHASES = ("endpointing_ms", "transcription_ms", "generation_ms", "first_audio_ms", "total_ms")


@dataclass
class Server:
    base_url: str
    api_key: str
    pid: int | None


@contextlib.contextmanager
def local_server(
    extra_env: dict[str, str] | None = None,
    command: Callable[[int, Path], list[str]] | None = None,
) -> Iterator[Server]:
    """An engine in its own process on a fresh data dir (removed afterwards), with an API key; `command`
    (port, data dir) replaces `interview-engine serve` (e.g. a benchmark's own instrumented server)."""
    data = Path(tempfile.mkdtemp(prefix="ie-bench-"))
    exe = Path(sys.executable).parent / "interview-engine"
    env = {
        **os.environ,
        "IE_ASR__PRELOAD": "true",
        "IE_LOG_LEVEL": "WARNING",
        # The benchmarks start their sessions all at once to measure them together; the join burst limit
        # would turn the fifth away for a few seconds (docs/media.md, "Capacity and overload").
        "IE_LOAD__JOIN_BURST": "0",
        **(extra_env or {}),
    }
    key = subprocess.run(
        [exe, "api-key", "create", "--company", "bench", "--data-dir", data],
        check=True,
        capture_output=True,
        text=True,
        env=env,
    ).stdout.strip()
    port = free_port()
    argv = (
        command(port, data) if command else [str(exe), "serve", "--port", str(port), "--data-dir", str(data)]
    )
    # A custom command's errors stay visible; serve's logs would only interleave with the results.
    stderr = None if command else subprocess.DEVNULL
    proc = subprocess.Popen(argv, env=env, stdout=subprocess.DEVNULL, stderr=stderr)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            with contextlib.suppress(httpx.HTTPError):
                if httpx.get(f"{base}/healthz", timeout=1).status_code == 200:
                    break
            if proc.poll() is not None:
                raise RuntimeError("the engine exited during start-up")
            time.sleep(0.2)
        # Let the model preload finish before measuring.
        time.sleep(3)
        yield Server(base, key, proc.pid)
    finally:
        proc.terminate()
        proc.wait(60)
        shutil.rmtree(data, ignore_errors=True)  # the recordings and database of every run


@contextlib.contextmanager
def simulated_llm(ttft_ms: int, token_ms: int) -> Iterator[dict[str, str]]:
    """The tests' OpenAI-compatible server on loopback, streaming LLM_REPLY word by word; yields the
    engine's environment for it."""
    server = LlmServer()
    words = LLM_REPLY.split(" ")
    tokens = [words[0], *(" " + w for w in words[1:])]
    server.reset(Script(tokens=tokens, first_token_delay_s=ttft_ms / 1000, token_delay_s=token_ms / 1000))
    base = server.start()
    try:
        yield {"IE_LLM__BASE_URL": base, "IE_LLM__MODEL": "simulated"}
    finally:
        server.stop()


def proc_cpu_s(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    ticks = os.sysconf("SC_CLK_TCK")
    return (int(fields[11]) + int(fields[12])) / ticks


def proc_rss_mb(pid: int) -> float:
    match = re.search(r"VmRSS:\s+(\d+) kB", Path(f"/proc/{pid}/status").read_text())
    return int(match.group(1)) / 1024 if match else 0.0


async def book(client: httpx.AsyncClient, questions: int, index: int) -> str:
    async def created(path: str, body: dict[str, Any]) -> dict[str, Any]:
        response = await client.post(path, json=body)
        response.raise_for_status()
        data: dict[str, Any] = response.json()
        return data

    profile = await created(
        "/v1/agent-profiles",
        {"name": "Bench Interviewer", "intro": "Alex", "rubric": [{"name": "Skill", "weight": 100}]},
    )
    template = await created(
        "/v1/templates", {"name": "Bench Role", "skills": SKILLS[:questions], "duration_minutes": 10}
    )
    stage = await created(
        f"/v1/templates/{template['id']}/stages", {"name": "Screen", "agent_profile_id": profile["id"]}
    )
    session = await created(
        "/v1/sessions",
        {
            "stage_id": stage["id"],
            "participant": {
                "name": f"Bench Candidate {index}",
                "email": f"bench-{index}-{time.time_ns()}@example.com",
                "gdpr_expiry_date": "2030-01-01",
            },
        },
    )
    return str(session["join_url"]).rsplit("/", 1)[1]


def offer_poster(
    http: httpx.AsyncClient, token: str
) -> Callable[[dict[str, Any]], Awaitable[dict[str, Any]]]:
    """What `ScriptedCandidate.connect` posts its offer with: the join link's offer endpoint."""

    async def post(body: dict[str, Any]) -> dict[str, Any]:
        response = await http.post(f"/join/{token}/offer", json=body)
        response.raise_for_status()
        data: dict[str, Any] = response.json()
        return data

    return post


async def run_candidate(base: str, token: str, answers: list[bytes], limit_s: float) -> CandidateReport:
    candidate = ScriptedCandidate(answers)
    async with httpx.AsyncClient(base_url=base, timeout=30) as http:
        try:
            await candidate.connect(offer_poster(http, token))
            return await candidate.run(limit_s)
        finally:
            await candidate.close()


def synthesize(tts: EspeakTts, text: str) -> bytes:
    speech = tts.synthesize(text, Voice())
    pcm = resample_pcm(speech.pcm, speech.sample_rate, SAMPLE_RATE)
    pad = bytes(int(0.3 * SAMPLE_RATE) * 2)
    return pad + pcm + pad


async def run_level(server: Server, backend: str, n: int, questions: int) -> dict[str, Any]:
    tts = EspeakTts()
    # The interviewer decides how many questions and follow-ups it asks; have an answer for each.
    answers = [synthesize(tts, ANSWERS[i % len(ANSWERS)]) for i in range(12)]
    headers = {"Authorization": f"Bearer {server.api_key}"}
    async with httpx.AsyncClient(base_url=server.base_url, headers=headers, timeout=30) as client:
        tokens = [await book(client, questions, i) for i in range(n)]
        start_metrics = (await client.get("/metrics/json")).json()
        before, turns_before = start_metrics["asr"], start_metrics["turns"]["count"]
        cpu0 = proc_cpu_s(server.pid) if server.pid else None
        wall0 = time.monotonic()
        rss_peak = 0.0
        tasks = [asyncio.create_task(run_candidate(server.base_url, t, answers, 300)) for t in tokens]
        while not all(t.done() for t in tasks):
            if server.pid:
                rss_peak = max(rss_peak, proc_rss_mb(server.pid))
            await asyncio.wait(tasks, timeout=0.5)
        reports = [t.result() for t in tasks]
        wall = time.monotonic() - wall0
        cpu = proc_cpu_s(server.pid) - cpu0 if server.pid and cpu0 is not None else None
        end_metrics = (await client.get("/metrics/json", params={"recent_turns_after": turns_before})).json()
        after, logged = end_metrics["asr"], end_metrics["turns"]["recent"]
    early = sum(report.settle_early_turns() for report in reports)
    turns = [turn for report in reports for turn in report.turns]
    transcript = [t.transcript_latency for t in turns if t.transcript_latency is not None]
    reply = [t.reply_latency for t in turns if t.reply_latency is not None]
    audio_s = after["audio_s"] - before["audio_s"]
    compute_s = after["compute_s"] - before["compute_s"]
    expected = len(turns)
    result = {
        "backend": backend,
        "sessions": n,
        "turns_expected": expected,
        "turns_answered": len(transcript),
        "turns_taken_early": early,
        "completed": sum(1 for r in reports if r.ended and r.ended.get("reason") == "completed"),
        "transcript_p50_ms": _ms(pct(transcript, 0.5)),
        "transcript_p95_ms": _ms(pct(transcript, 0.95)),
        "reply_p50_ms": _ms(pct(reply, 0.5)),
        "reply_p95_ms": _ms(pct(reply, 0.95)),
        "asr_rtf": round(compute_s / audio_s, 3) if audio_s else None,
        "asr_finals": after["finals"] - before["finals"],
        "asr_partials": after["partials"] - before["partials"],
        "asr_dropped_partials": after["dropped_partials"] - before["dropped_partials"],
        "server_cpu_s_per_session_min": round(cpu / n / (wall / 60), 2) if cpu is not None else None,
        "server_rss_peak_mb": round(rss_peak, 1) if rss_peak else None,
        "wall_s": round(wall, 1),
        "server_turns": len(logged),
        "server_backends": sorted({t["backend"] for t in logged}),
    }
    for phase in PHASES:
        values = [float(t[phase]) for t in logged]
        result[f"server_{phase[:-3]}_p50_ms"] = _round(pct(values, 0.5))
        result[f"server_{phase[:-3]}_p95_ms"] = _round(pct(values, 0.95))
    p95t, p95r = pct(transcript, 0.95), pct(reply, 0.95)
    result["real_time"] = bool(
        len(transcript) == expected
        and len(reply) == expected
        and p95t is not None
        and p95t <= REALTIME_TRANSCRIPT_P95_S
        and p95r is not None
        and p95r <= REALTIME_REPLY_P95_S
    )
    return result


def _ms(seconds: float | None) -> int | None:
    return None if seconds is None else round(seconds * 1000)


def _round(ms: float | None) -> int | None:
    return None if ms is None else round(ms)


def markdown(results: list[dict[str, Any]], args: argparse.Namespace) -> str:
    backends = list(dict.fromkeys(r["backend"] for r in results))
    rows = [
        "| backend | sessions | turns answered | transcript p50 / p95 (ms) | reply p50 / p95 (ms) | ASR RTF | "
        "partials (dropped) | server CPU s per session-minute | server RSS peak (MB) | real time |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    for r in results:
        rows.append(
            f"| {r['backend']} | {r['sessions']} | {r['turns_answered']}/{r['turns_expected']} | "
            f"{r['transcript_p50_ms']} / {r['transcript_p95_ms']} | {r['reply_p50_ms']} / {r['reply_p95_ms']} | "
            f"{r['asr_rtf']} | {r['asr_partials']} ({r['asr_dropped_partials']}) | "
            f"{r['server_cpu_s_per_session_min']} | {r['server_rss_peak_mb']} | {'yes' if r['real_time'] else 'no'} |"
        )
    split = [
        "| backend | sessions | endpointing | (of which transcription) | reply generation | first audio | "
        "engine total | at the client |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for r in results:
        cells = [
            f"{r[f'server_{name}_p50_ms']} / {r[f'server_{name}_p95_ms']}"
            for name in ("endpointing", "transcription", "generation", "first_audio", "total")
        ]
        split.append(
            f"| {r['backend']} | {r['sessions']} | {' | '.join(cells)} | {r['reply_p50_ms']} / {r['reply_p95_ms']} |"
        )
    largest = {
        b: max((r["sessions"] for r in results if r["real_time"] and r["backend"] == b), default=0)
        for b in backends
    }
    largest_text = ", ".join(f"{b} **{n}**" for b, n in largest.items())
    llm_note = (
        f" The `llm` rows use a simulated OpenAI-compatible endpoint on loopback (the tests' server): "
        f"{args.llm_ttft_ms} ms to the first token, then a word every {args.llm_token_ms} ms, so its first "
        f"sentence ('Thanks, that is helpful.') is complete about {args.llm_ttft_ms + 4 * args.llm_token_ms} ms "
        "after the request; the rest of reply generation is the engine."
        if "llm" in backends
        else ""
    )
    return "\n".join(
        [
            "## Media plane: end of speech to transcript and to reply",
            "",
            f"Machine: {machine()}. Measured {time.strftime('%Y-%m-%d')} with `python -m bench.media_latency` "
            f"(defaults: Whisper tiny.en int8 on CPU, eSpeak NG, a 10-minute template with {args.questions} "
            "skills, for which the interviewer plans its own questions and follow-ups; the scripted candidates "
            f"run in the benchmark process, the engine in its own).{llm_note}",
            "",
            *rows,
            "",
            f"Largest N that stays real time (all turns answered, transcript p95 <= "
            f"{REALTIME_TRANSCRIPT_P95_S:g} s, reply p95 <= {REALTIME_REPLY_P95_S:g} s): {largest_text}.",
            "",
            "Latencies are measured at the client from the end of the candidate's speech (the answer's last "
            "audio frame with sound in it); 'reply' is the first interviewer audio packet with sound in it. "
            "Medians and p95 are over all turns of all sessions at that N.",
            "",
            "### Where a turn's time goes (engine side, p50 / p95 ms)",
            "",
            *split,
            "",
            "From the engine's per-turn marks (`GET /metrics/json`, docs/interviewer.md): endpointing runs from "
            "the end of speech to the end of the turn and contains transcription (the VAD's end of the "
            "utterance to its final transcript); then reply generation (to the first sentence), then first "
            "audio (its synthesis and the next 20 ms frame). Each column is its own percentile, so a row "
            "need not add up. 'At the client' adds the network, the receiving jitter buffer and decoding.",
            "",
        ]
    )


async def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--base-url", help="a running engine (one backend, whatever it is set up with)")
    parser.add_argument("--api-key", help="API key for --base-url")
    parser.add_argument("--backends", default="director,llm", help="comma-separated: director, llm")
    parser.add_argument("--sessions", default="1,4,8", help="comma-separated concurrency levels")
    parser.add_argument("--questions", type=int, default=3, choices=range(1, len(ANSWERS) + 1))
    parser.add_argument("--llm-ttft-ms", type=int, default=300, help="simulated LLM: time to first token")
    parser.add_argument("--llm-token-ms", type=int, default=30, help="simulated LLM: time between tokens")
    parser.add_argument("--json", type=Path, default=Path("bench/results/media_latency.json"))
    parser.add_argument("--markdown", type=Path, help="update this markdown file's media section")
    args = parser.parse_args()
    levels = [int(n) for n in args.sessions.split(",")]
    backends = [b.strip() for b in args.backends.split(",") if b.strip()]
    if unknown := set(backends) - {"director", "llm"}:
        parser.error(f"unknown backends: {sorted(unknown)}")
    results = []
    for backend in backends:
        with contextlib.ExitStack() as stack:
            if args.base_url:
                server = Server(args.base_url, args.api_key or "", None)
            else:
                env = (
                    stack.enter_context(simulated_llm(args.llm_ttft_ms, args.llm_token_ms))
                    if backend == "llm"
                    else {}
                )
                server = stack.enter_context(local_server(env))
            for n in levels:
                result = await run_level(server, backend, n, args.questions)
                print(json.dumps(result), flush=True)
                results.append(result)
    args.json.parent.mkdir(parents=True, exist_ok=True)
    args.json.write_text(json.dumps({"machine": machine(), "results": results}, indent=2) + "\n")
    if args.markdown:
        write_section(args.markdown, markdown(results, args))
    print(markdown(results, args))


if __name__ == "__main__":
    asyncio.run(main())
