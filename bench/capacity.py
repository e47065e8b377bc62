"""Capacity per engine core: how many concurrent interviews one core of this machine holds in real time.

The engine runs in its own process pinned to one core (`taskset -c 1`), this script and its scripted
aiortc candidates on the other (core 0), so nothing the candidates do is counted against the engine.
For each level of concurrency it books that many sessions (bench/media_latency.py's template and
answers), connects all the candidates, and they answer every question the interviewer asks:

- `random`: each after a random think time (0.2-2.5 s), so answers end at independent moments, and
  each session starts at a different one of the 12 answers, so they do not say the same thing at once;
  the candidates join at random moments over `--join-spread` seconds (15: about one answer and its
  reply), as independent candidates do (joining at the same moment, they hear the same introduction
  and all end their first answers within about two seconds of each other: a `together` round);
- `together`: all at once, each round when every candidate has heard its question (or 6 s have
  passed), the worst case for the recogniser's queue.

Per level it reports: turns answered (a final transcript and a reply for each; "early" counts those the
engine ended before the answer's last sound, a trailing laugh or breath or a cut-in, whose latencies
are then negative: `CandidateReport.settle_early_turns`), reply and transcript
p50/p95 at the client (from the end of the candidate's speech, as bench/media_latency.py measures),
the engine's CPU share of its core, its peak RSS and RSS per session above the idle engine, partials
decoded and shed, joins refused (503), and the engine's own overload signal (engine/live/load.py: mean
event-loop lag and final wait, highest level), sampled from /metrics every second. The highest level
held in real time: every turn answered, reply p95 <= 1.2 s, transcript p95 <= 1.5 s.

`--soak MINUTES` instead keeps `--soak-sessions` short interviews going (each joins, answers the first
question, hears the reply and hangs up; a new one takes its place) and samples RSS every 10 s.
`--profile SECONDS` records the engine with py-spy during the first level (bench/capacity_profile.py).
`--voice human` has the candidates play real people's recordings (3-15 s of voice, their pauses as they
come, from packages on the registries: bench/real_speech.py) instead of eSpeak NG, whose sentence ends
the end-of-turn voice model hears as unfinished: the engine's default turn-taking is then measured on
speech like the speech it was built for.

    nice -n 19 .venv/bin/python -m bench.capacity --levels 2,4,6,8,10,12
    nice -n 19 .venv/bin/python -m bench.capacity --levels 8 --modes random --profile 60
    nice -n 19 .venv/bin/python -m bench.capacity --soak 30 --soak-sessions 8

Admission by load is off by default here (`--env IE_LOAD__ADMISSION=true` turns it on), so the ramp
measures what the engine does past its capacity instead of being refused there.
"""

from __future__ import annotations

import argparse
import asyncio
import collections
import contextlib
import json
import os
import random
import statistics
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

from bench.capacity_profile import profile_engine
from bench.capacity_timelines import write_timelines
from bench.media_latency import (
    ANSWERS,
    Server,
    book,
    local_server,
    offer_poster,
    proc_cpu_s,
    proc_rss_mb,
    synthesize,
)
from bench.memory_bursts import short_session, until, wait_idle
from bench.report import machine, pct
from media.audio import SAMPLE_RATE
from media.espeak import EspeakTts
from media.scripted_candidate import CandidateReport, ScriptedCandidate, Turn, trailing_quiet_s

REPLY_P95_S = 1.2
TRANSCRIPT_P95_S = 1.5
SESSION_LIMIT_S = 300.0
TOGETHER_WAIT_S = 6.0  # the most a candidate waits for the others before answering anyway
THINK_S = (0.2, 2.5)


class Rendezvous:
    """Round by round, releases the candidates together once all have arrived (or one waited too long)."""

    def __init__(self, parties: int) -> None:
        self.parties = parties
        self._arrived: collections.Counter[int] = collections.Counter()
        self._go: dict[int, asyncio.Event] = collections.defaultdict(asyncio.Event)

    async def arrive(self, round_: int) -> None:
        self._arrived[round_] += 1
        go = self._go[round_]
        if self._arrived[round_] >= self.parties:
            go.set()
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(go.wait(), TOGETHER_WAIT_S)
        go.set()  # a session that ended early must not hold the others up again this round


@dataclass(frozen=True, slots=True)
class Spoken:
    """One answer as the candidate plays it: 16 kHz int16 PCM, and where its voice ends (s)."""

    pcm: bytes
    end_s: float

    @classmethod
    def synthetic(cls, pcm: bytes) -> Spoken:
        """Synthetic speech ends where its trailing digital silence starts."""
        return cls(pcm, len(pcm) / 2 / SAMPLE_RATE - trailing_quiet_s(pcm, SAMPLE_RATE))

    @property
    def tail_s(self) -> float:
        return len(self.pcm) / 2 / SAMPLE_RATE - self.end_s


def spoken_answers(voice: str, cache: Path) -> list[Spoken]:
    """12 answers: eSpeak NG reading the benchmark's scripted answers, or real people's recordings of
    3-15 s of voice (`bench.turn_answers.played_answers`: their own room tone, their pauses as they
    come), which the end-of-turn voice model hears as it would hear candidates."""
    if voice == "human":
        from bench.turn_answers import played_answers

        found = [Spoken(pcm, end_s) for pcm, end_s in played_answers(cache, max_s=15.0)]
        if len(found) < 12:
            raise SystemExit(f"only {len(found)} real recordings of 3-15 s found in {cache}")
        return found[:12]
    tts = EspeakTts()
    return [Spoken.synthetic(synthesize(tts, ANSWERS[i % len(ANSWERS)])) for i in range(12)]


async def interview(
    base: str, token: str, answers: list[Spoken], mode: str, meet: Rendezvous, seed: int, delay_s: float = 0.0
) -> CandidateReport | None:
    """One candidate through a whole interview, joining after `delay_s`; None when the join was refused
    (503)."""
    rng = random.Random(seed)
    await asyncio.sleep(delay_s)
    candidate = ScriptedCandidate([])
    async with httpx.AsyncClient(base_url=base, timeout=60) as http:
        try:
            try:
                await candidate.connect(offer_poster(http, token))
            except httpx.HTTPStatusError as exc:
                if exc.response.status_code == 503:
                    return None
                raise
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(SESSION_LIMIT_S):
                    for index, answer in enumerate(answers):
                        await candidate.wait_for_question()
                        if mode == "together":
                            await meet.arrive(index)
                        else:
                            await asyncio.sleep(rng.uniform(*THINK_S))
                        candidate.report.answering(candidate.now())
                        end = await candidate.speak(answer.pcm)
                        candidate.report.add_turn(Turn(index, end - answer.tail_s))
            await until(lambda: candidate.report.ended is not None, 30)
            return candidate.report
        finally:
            await candidate.close()


def _rotated(answers: list[Spoken], session: int, mode: str) -> list[Spoken]:
    """In `random` mode each session starts at a different answer (the same 12 in the same cycle):
    independent candidates do not say the same thing at the same moment, and an answer that is slow to
    transcribe would otherwise reach the recogniser from every session at once. `together` keeps one
    order, the worst case on purpose."""
    if mode != "random" or not answers:
        return answers
    start = session % len(answers)
    return answers[start:] + answers[:start]


def parse_metrics(text: str) -> dict[str, float]:
    """Prometheus text: unlabelled samples by name (without the prefix), labelled ones as name{labels}."""
    values = {}
    for line in text.splitlines():
        if line.startswith("interview_engine_"):
            name, _, value = line.removeprefix("interview_engine_").rpartition(" ")
            with contextlib.suppress(ValueError):
                values[name] = float(value)
    return values


async def watch(client: httpx.AsyncClient, pid: int, samples: list[dict[str, float]]) -> None:
    """Every second until cancelled: the engine's load signal and RSS."""
    while True:
        with contextlib.suppress(httpx.HTTPError):
            metrics = parse_metrics((await client.get("/metrics")).text)
            samples.append(
                {
                    "lag_ms": 1000 * metrics.get("load_loop_lag_seconds", 0.0),
                    "wait_ms": 1000 * metrics.get("load_final_wait_seconds", 0.0),
                    "level": metrics.get("load_level", 0.0),
                    "rss_mb": proc_rss_mb(pid),
                }
            )
        await asyncio.sleep(1.0)


async def run_level(
    server: Server,
    n: int,
    mode: str,
    answers: list[Spoken],
    idle_rss: float,
    profile_s: float,
    out: Path,
    questions: int = 2,
    join_spread_s: float = 0.0,
) -> dict[str, Any]:
    assert server.pid is not None
    # Independent candidates join at independent moments (`random` mode); `together` joins at once.
    spread = random.Random(n)
    delays = [spread.uniform(0, join_spread_s) if mode == "random" else 0.0 for _ in range(n)]
    headers = {"Authorization": f"Bearer {server.api_key}"}
    async with httpx.AsyncClient(base_url=server.base_url, headers=headers, timeout=60) as client:
        tokens = [await book(client, questions, i) for i in range(n)]
        start = (await client.get("/metrics/json")).json()
        asr0, turns0 = start["asr"], start["turns"]["count"]
        cpu0, wall0 = proc_cpu_s(server.pid), time.monotonic()
        own0 = proc_cpu_s(os.getpid())
        samples: list[dict[str, float]] = []
        watcher = asyncio.create_task(watch(client, server.pid, samples))
        meet = Rendezvous(n)
        tasks = [
            asyncio.create_task(
                interview(
                    server.base_url, t, _rotated(answers, i, mode), mode, meet, seed=i, delay_s=delays[i]
                )
            )
            for i, t in enumerate(tokens)
        ]
        profile = None
        if profile_s:
            profile = await profile_engine(server.pid, profile_s, out / f"profile-{n}-{mode}.txt")
        reports = await asyncio.gather(*tasks)
        wall = time.monotonic() - wall0
        cpu = proc_cpu_s(server.pid) - cpu0
        own = proc_cpu_s(os.getpid()) - own0
        watcher.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await watcher
        end = (await client.get("/metrics/json", params={"recent_turns_after": turns0})).json()
        asr1, logged = end["asr"], end["turns"]["recent"]
        await wait_idle(client)
    joined = [r for r in reports if r is not None]
    # A turn the engine ended before the answer's last sound (a trailing laugh or breath, or a cut-in)
    # has its final before the answer's end: counted, with negative latencies, not lost.
    early = sum(report.settle_early_turns() for report in joined)
    write_timelines(out / f"turns-{n}-{mode}.json", joined, logged)
    turns = [turn for report in joined for turn in report.turns]
    answered = [t for t in turns if t.transcript_latency is not None and t.reply_latency is not None]
    transcript = [t.transcript_latency for t in turns if t.transcript_latency is not None]
    reply = [t.reply_latency for t in turns if t.reply_latency is not None]
    rss_peak = max((s["rss_mb"] for s in samples), default=proc_rss_mb(server.pid))
    result: dict[str, Any] = {
        "sessions": n,
        "mode": mode,
        "refused": n - len(joined),
        "turns": len(turns),
        "answered": len(answered),
        "taken_early": early,
        "completed": sum(1 for r in joined if r.ended and r.ended.get("reason") == "completed"),
        "reply_p50_ms": _ms(pct(reply, 0.5)),
        "reply_p95_ms": _ms(pct(reply, 0.95)),
        "transcript_p50_ms": _ms(pct(transcript, 0.5)),
        "transcript_p95_ms": _ms(pct(transcript, 0.95)),
        "engine_cpu_share": round(cpu / wall, 3),
        # Per minute a session was there: a candidate joining late is not counted before it joined.
        "engine_cpu_s_per_session_min": round(cpu / ((n * wall - sum(delays)) / 60), 2),
        # Near 1, the candidates' own core is saturated and the latencies at the client are theirs too.
        "candidates_cpu_share": round(own / wall, 3),
        # The engine's own view of each turn (end of speech to its first reply frame, and the
        # transcription inside it), to tell the engine's delays from the client's.
        "engine_reply_p50_ms": _pct_ms(logged, "total_ms", 0.5),
        "engine_reply_p95_ms": _pct_ms(logged, "total_ms", 0.95),
        "engine_transcription_p95_ms": _pct_ms(logged, "transcription_ms", 0.95),
        "rss_peak_mb": round(rss_peak, 1),
        "rss_per_session_mb": round((rss_peak - idle_rss) / n, 1),
        "partials": asr1["partials"] - asr0["partials"],
        "dropped_partials": asr1["dropped_partials"] - asr0["dropped_partials"],
        "finals": asr1["finals"] - asr0["finals"],
        # Finals heard in the shorter window of a burst (IE_ASR__HURRY_BATCH; older engines do not say).
        "hurried": asr1.get("hurried", 0) - asr0.get("hurried", 0),
        # Decoded for a caller that had gone (mostly speculations whose speaker went on), and their lane time.
        "discarded": asr1.get("discarded", 0) - asr0.get("discarded", 0),
        "discarded_s": round(asr1.get("discarded_s", 0.0) - asr0.get("discarded_s", 0.0), 1),
        "join_spread_s": join_spread_s if mode == "random" else 0.0,
        # What the recogniser's lane was busy with, in seconds (older engines do not say).
        "lane_s_by_kind": {
            kind: round(seconds - asr0.get("busy_by_kind", {}).get(kind, 0.0), 1)
            for kind, seconds in asr1.get("busy_by_kind", {}).items()
        },
        "lag_ms_mean": _mean(samples, "lag_ms"),
        "lag_ms_max": round(max((s["lag_ms"] for s in samples), default=0.0), 1),
        "wait_ms_mean": _mean(samples, "wait_ms"),
        "wait_ms_max": round(max((s["wait_ms"] for s in samples), default=0.0), 1),
        "level_max": int(max((s["level"] for s in samples), default=0.0)),
        "wall_s": round(wall, 1),
        "load_average": os.getloadavg()[0],
    }
    if profile is not None:
        result["profile"] = profile
    p95r, p95t = pct(reply, 0.95), pct(transcript, 0.95)
    result["real_time"] = bool(
        joined
        and turns
        and len(answered) == len(turns)
        and p95r is not None
        and p95r <= REPLY_P95_S
        and p95t is not None
        and p95t <= TRANSCRIPT_P95_S
    )
    return result


async def soak(server: Server, minutes: float, sessions: int, answer: bytes) -> dict[str, Any]:
    """`sessions` slots, each running short interviews back to back for `minutes`; RSS every 10 s."""
    assert server.pid is not None
    headers = {"Authorization": f"Bearer {server.api_key}"}
    deadline = time.monotonic() + minutes * 60
    counts = {"sessions": 0, "answered": 0}
    rss: list[tuple[float, float]] = []
    started = time.monotonic()
    async with httpx.AsyncClient(base_url=server.base_url, headers=headers, timeout=60) as client:

        async def slot(index: int) -> None:
            await asyncio.sleep(index * 2.0)  # joins and leaves spread out, not in lock-step
            while time.monotonic() < deadline:
                token = await book(client, 1, index * 100_000 + counts["sessions"])
                counts["sessions"] += 1
                # Awaited first: `counts[...] += await ...` would read the count before the wait, and
                # the slots running meanwhile would lose their increments.
                answered = await short_session(server.base_url, token, answer)
                counts["answered"] += answered

        async def sample() -> None:
            while True:
                rss.append((round(time.monotonic() - started, 1), round(proc_rss_mb(server.pid or 0), 1)))
                await asyncio.sleep(10)

        sampler = asyncio.create_task(sample())
        await asyncio.gather(*(slot(i) for i in range(sessions)))
        await wait_idle(client)
        sampler.cancel()
        rss.append((round(time.monotonic() - started, 1), round(proc_rss_mb(server.pid), 1)))
    # Baseline: once every slot has had a session (the first minute loads models and fills caches).
    warm = [mb for t, mb in rss if t >= 60] or [mb for _, mb in rss]
    return {
        "minutes": minutes,
        "slots": sessions,
        **counts,
        "rss_samples": rss,
        "rss_baseline_mb": warm[0],
        "rss_max_mb": max(warm),
        "rss_last_mb": warm[-1],
        "growth_pct": round(100 * (warm[-1] - warm[0]) / warm[0], 2),
        # Less at the mercy of one sample (RSS moves by tens of MB as sessions come and go): the median
        # of minutes 1-5 against the median of the last 5 minutes.
        "growth_median_pct": window_growth_pct(rss, minutes),
        "load_average": os.getloadavg()[0],
    }


def window_growth_pct(rss: list[tuple[float, float]], minutes: float) -> float | None:
    """Growth (%) from the median RSS of minutes 1-5 to the median of the run's last 5 minutes."""
    first = [mb for t, mb in rss if 60 <= t < 300]
    last = [mb for t, mb in rss if t >= minutes * 60 - 300]
    if not first or not last or minutes * 60 - 300 < 300:
        return None
    start = statistics.median(first)
    return round(100 * (statistics.median(last) - start) / start, 2)


def _ms(seconds: float | None) -> int | None:
    return None if seconds is None else round(seconds * 1000)


def _pct_ms(turns: list[dict[str, Any]], key: str, q: float) -> int | None:
    value = pct([float(t[key]) for t in turns], q)
    return None if value is None else round(value)


def _mean(samples: list[dict[str, float]], key: str) -> float:
    return round(sum(s[key] for s in samples) / len(samples), 1) if samples else 0.0


def table(results: list[dict[str, Any]]) -> str:
    """The results as the markdown table docs/benchmarks.md shows."""
    rows = [
        "| mode | sessions | turns answered | reply p50 / p95 (ms) | transcript p50 / p95 (ms) | engine's own "
        "reply p50 / p95 (ms) | engine CPU (share of its core) | candidates' CPU | RSS peak (MB) | per session "
        "(MB) | partials (shed) | loop lag mean / max (ms) | final wait mean / max (ms) | level max | real time |",
        "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for r in results:
        refused = f", {r['refused']} refused" if r["refused"] else ""
        # Older results files have no count of turns taken before the answer's last sound.
        early = f" ({r['taken_early']} early)" if r.get("taken_early") else ""
        rows.append(
            f"| {r['mode']} | {r['sessions']} | {r['answered']}/{r['turns']}{early}{refused} | "
            f"{r['reply_p50_ms']} / {r['reply_p95_ms']} | {r['transcript_p50_ms']} / {r['transcript_p95_ms']} | "
            f"{r['engine_reply_p50_ms']} / {r['engine_reply_p95_ms']} | "
            f"{100 * r['engine_cpu_share']:.0f} % | {100 * r['candidates_cpu_share']:.0f} % | "
            f"{r['rss_peak_mb']} | {r['rss_per_session_mb']} | "
            f"{r['partials']} ({r['dropped_partials']}) | {r['lag_ms_mean']} / {r['lag_ms_max']} | "
            f"{r['wait_ms_mean']} / {r['wait_ms_max']} | "
            f"{r['level_max']} | {'yes' if r['real_time'] else 'no'} |"
        )
    return "\n".join(rows)


def pinned_engine(core: int, env: dict[str, str]) -> contextlib.AbstractContextManager[Server]:
    exe = Path(sys.executable).parent / "interview-engine"

    def command(port: int, data: Path) -> list[str]:
        return ["taskset", "-c", str(core), str(exe), "serve", "--port", str(port), "--data-dir", str(data)]

    return local_server(env, command)


async def main(args: argparse.Namespace) -> dict[str, Any]:
    # This process (the candidates) on its own core; the engine, started from it, moves to the other.
    os.sched_setaffinity(0, {args.candidate_core})
    env = {"IE_LOAD__ADMISSION": "false", **dict(item.split("=", 1) for item in args.env)}
    answers = spoken_answers(args.voice, args.cache)
    report: dict[str, Any] = {"machine": machine(), "args": {k: str(v) for k, v in vars(args).items()}}
    args.out.mkdir(parents=True, exist_ok=True)
    with pinned_engine(args.engine_core, env) as server:
        assert server.pid is not None
        report["start_rss_mb"] = round(proc_rss_mb(server.pid), 1)
        if not args.soak and not args.no_warm_up:
            # The first sessions grow the models' working buffers and the allocator's heaps (hundreds of
            # MB, once: docs/benchmarks.md "Memory under bursts"); per-session RSS is measured above that.
            await run_level(server, 2, "random", answers, 0.0, 0.0, args.out, args.questions)
        idle_rss = proc_rss_mb(server.pid)
        report["idle_rss_mb"] = round(idle_rss, 1)
        report["load_average_start"] = os.getloadavg()
        if args.soak:
            report["soak"] = await soak(server, args.soak, args.soak_sessions, answers[0].pcm)
            print(json.dumps(report["soak"]), flush=True)
            return report
        results = report["results"] = []
        first = True
        for mode in args.modes.split(","):
            for n in [int(v) for v in args.levels.split(",")]:
                profile_s = args.profile if first else 0.0
                first = False
                result = await run_level(
                    server, n, mode, answers, idle_rss, profile_s, args.out, args.questions, args.join_spread
                )
                print(json.dumps(result), flush=True)
                results.append(result)
    return report


def cli() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--levels", default="2,4,6,8,10,12", help="comma-separated concurrent sessions")
    parser.add_argument("--modes", default="random,together", help="comma-separated: random, together")
    parser.add_argument("--engine-core", type=int, default=1)
    parser.add_argument("--candidate-core", type=int, default=0)
    parser.add_argument("--questions", type=int, default=2, help="template skills (questions planned)")
    parser.add_argument("--no-warm-up", action="store_true", help="skip the unreported first level of 2")
    parser.add_argument(
        "--join-spread",
        type=float,
        default=15.0,
        metavar="SECONDS",
        help="random mode: candidates join at random moments over this long (0: all at once)",
    )
    parser.add_argument(
        "--voice",
        choices=("espeak", "human"),
        default="espeak",
        help="the candidates' answers: eSpeak NG, or real people's recordings (bench.real_speech)",
    )
    parser.add_argument("--cache", type=Path, default=Path("bench/.cache/real_speech"))
    parser.add_argument("--soak", type=float, default=0.0, metavar="MINUTES")
    parser.add_argument("--soak-sessions", type=int, default=6)
    parser.add_argument(
        "--profile", type=float, default=0.0, metavar="SECONDS", help="py-spy the first level"
    )
    parser.add_argument(
        "--env", action="append", default=[], metavar="IE_X=Y", help="engine setting (repeatable)"
    )
    parser.add_argument("--out", type=Path, default=Path("bench/results/capacity"))
    parser.add_argument("--json", type=Path, default=Path("bench/results/capacity.json"))
    args = parser.parse_args()
    if not set(args.modes.split(",")) <= {"random", "together"}:
        parser.error("--modes: random, together")
    report = asyncio.run(main(args))
    args.json.parent.mkdir(parents=True, exist_ok=True)
    args.json.write_text(json.dumps(report, indent=2) + "\n")
    if "results" in report:
        print(table(report["results"]))


if __name__ == "__main__":
    cli()
