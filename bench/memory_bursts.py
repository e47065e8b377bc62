"""Memory under bursts: does the engine's resident memory keep growing with every burst of sessions?

Starts the engine in its own process (as `interview-engine serve` does, with the same app and
settings) and runs `--bursts` bursts of `--sessions` concurrent short interviews over real WebRTC:
each scripted candidate connects, hears the greeting and the first question, answers it with eSpeak
NG speech, waits for the transcript and the reply, and hangs up, so the session ends completed and
its analysis runs. After each burst, once no session is live and no analysis is pending, the engine
process reports:

- its resident memory (VmRSS) and threads (all of them: Python's and the native libraries' own),
- how many objects of each type the garbage collector tracks, after a full collection, and
- with `--trace-frames N` (N > 0), a tracemalloc snapshot (N frames per allocation).

The report compares burst 2 with the last one (burst 1 loads models and fills caches): RSS growth per
burst early and late, the object types whose count grew, and the source lines whose traced memory
grew. A leak grows the same every burst and shows up as per-session objects that are never freed; a
plateau grows less and less. After the last burst the engine returns freed heap to the OS
(glibc `malloc_trim`) and reports RSS again: what that gives back was free memory held by the
allocator, not live objects.

The engine's probe (`/_bench/probe`) is added by this script to the app it serves, never by the
engine itself: it collects garbage and walks the heap on the event loop, which is acceptable only in
a benchmark between bursts, when nothing else runs. Run from the repository root:

    nice -n 19 .venv/bin/python -m bench.memory_bursts --bursts 12
    nice -n 19 .venv/bin/python -m bench.memory_bursts --bursts 10 --sessions 2 --trace-frames 1 \
        --json bench/results/memory_bursts_traced.json
    nice -n 19 .venv/bin/python -m bench.memory_bursts --bursts 12 --env MALLOC_ARENA_MAX=2 \
        --json bench/results/memory_bursts_arena2.json

It prints its table; docs/benchmarks.md ("Memory under bursts") has the three runs and what they mean.
"""

from __future__ import annotations

import argparse
import asyncio
import collections
import contextlib
import ctypes
import gc
import json
import re
import sys
import tempfile
import threading
import time
import tracemalloc
import weakref
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx

from bench.media_latency import Server, book, local_server, offer_poster, synthesize
from bench.report import machine
from media.espeak import EspeakTts
from media.scripted_candidate import ScriptedCandidate

ANSWER = "I wrote the billing service in Go and cut the error rate in half."
SESSION_LIMIT_S = 90.0
REPLY_WAIT_S = 3.0  # after the final transcript: the reply starts and the interviewer's audio flows
TOP = 12
# One of each per live session: any still alive after a burst (and a full collection) is kept by
# something that outlived its session.
PER_SESSION = {
    "engine.live.session.LiveSession": "sessions",
    "aiortc.rtcpeerconnection.RTCPeerConnection": "peer connections",
    "media.recording.StereoRecorder": "recorders",
    "media.outbound.InterviewerTrack": "outbound tracks",
}
# tracemalloc's own bookkeeping and the import system are not the engine's memory.
TRACE_EXCLUDES = (
    "<frozen importlib._bootstrap>",
    "<frozen importlib._bootstrap_external>",
    tracemalloc.__file__,
)


# -- the engine's side (a child process) ------------------------------------------------------------


def _status_field(name: str) -> int:
    found = re.search(rf"^{name}:\s+(\d+)", Path("/proc/self/status").read_text(), re.MULTILINE)
    return int(found.group(1)) if found else 0


def _type_name(obj: object) -> str:
    kind = type(obj)
    # A class's __module__ is not always a string (some C types expose a descriptor there).
    return f"{kind.__dict__.get('__module__', kind.__module__)!s}.{kind.__qualname__}"


def serve_child(port: int, data_dir: Path, out: Path, trace_frames: int) -> None:
    """The engine, as `interview-engine serve` runs it, plus the benchmark's probe routes."""
    if trace_frames:
        # Before the app is built. What was imported earlier is not traced, which does not matter:
        # bursts are compared with each other.
        tracemalloc.start(trace_frames)
    import uvicorn

    from config.settings import Settings
    from engine.api.context import Services
    from engine.app import create_app

    settings = Settings(data_dir=data_dir, port=port)
    app = create_app(settings)

    @app.get("/_bench/probe", include_in_schema=False)
    async def probe(label: str) -> dict[str, Any]:
        services: Services = app.state.services
        await services.analysis.wait_idle(300)
        gc.collect()
        objects = gc.get_objects()
        tracked = len(objects)
        counts = collections.Counter(_type_name(o) for o in objects)
        # Weak references say little by their own type: count them by what they point at.
        counts.update(f"weakref to {_type_name(o())}" for o in objects if type(o) is weakref.ReferenceType)
        del objects
        (out / f"types-{label}.json").write_text(json.dumps(counts))
        traced = None
        if tracemalloc.is_tracing():
            snapshot = tracemalloc.take_snapshot()
            snapshot.dump(str(out / f"trace-{label}.snap"))
            traced = tracemalloc.get_traced_memory()[0]
        return {
            "rss_mb": _status_field("VmRSS") / 1024,
            "threads": _status_field("Threads"),
            "python_threads": threading.active_count(),
            "tasks": len(asyncio.all_tasks()),
            "gc_objects": tracked,
            "per_session": {label: counts.get(name, 0) for name, label in PER_SESSION.items()},
            "traced_mb": None if traced is None else traced / 2**20,
        }

    @app.post("/_bench/trim", include_in_schema=False)
    async def trim() -> dict[str, float]:
        before = _status_field("VmRSS") / 1024
        ctypes.CDLL("libc.so.6").malloc_trim(0)
        return {"before_mb": before, "after_mb": _status_field("VmRSS") / 1024}

    uvicorn.run(app, host="127.0.0.1", port=port, log_level="warning", access_log=False)


def engine_process(
    trace_frames: int, out: Path, extra_env: dict[str, str]
) -> contextlib.AbstractContextManager[Server]:
    """The engine in a child process running this module's instrumented server (`--child`)."""

    def command(port: int, data: Path) -> list[str]:
        return [
            sys.executable, "-m", "bench.memory_bursts", "--child", str(port), str(data), str(out),
            "--trace-frames", str(trace_frames),
        ]  # fmt: skip

    return local_server(extra_env, command)


# -- the candidates' side ---------------------------------------------------------------------------


async def short_session(base: str, token: str, answer: bytes) -> bool:
    """One short interview: the first question, one answer, the reply, hang up. True when answered."""
    candidate = ScriptedCandidate([answer])
    answered = False
    async with httpx.AsyncClient(base_url=base, timeout=60) as http:
        try:
            await candidate.connect(offer_poster(http, token))
            async with asyncio.timeout(SESSION_LIMIT_S):
                await candidate.wait_for_question()
                await candidate.speak(answer)
                answered = await until(lambda: bool(candidate.report.finals()), SESSION_LIMIT_S)
                await asyncio.sleep(REPLY_WAIT_S)
        except TimeoutError:
            pass
        finally:
            candidate.hang_up()
            await until(lambda: candidate.report.ended is not None, 20)
            await candidate.close()
    return answered


async def until(check: Callable[[], bool], timeout_s: float, step_s: float = 0.1) -> bool:
    """Polls `check` until it holds or `timeout_s` is up (the candidate's report has no events)."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if check():
            return True
        await asyncio.sleep(step_s)
    return check()


async def wait_idle(client: httpx.AsyncClient, timeout_s: float = 120) -> None:
    """Until the engine has no live session (each closes its peer and recording after the hang-up)."""
    deadline = time.monotonic() + timeout_s
    while (await client.get("/metrics/json")).json()["live_sessions"]:
        if time.monotonic() > deadline:
            raise TimeoutError("sessions still live after the burst")
        await asyncio.sleep(0.5)


async def _probe(client: httpx.AsyncClient, label: int) -> dict[str, Any]:
    response = await client.get("/_bench/probe", params={"label": label})
    response.raise_for_status()
    data: dict[str, Any] = response.json()
    return data


async def run(args: argparse.Namespace, out: Path) -> dict[str, Any]:
    answer = synthesize(EspeakTts(), ANSWER)
    rows: list[dict[str, Any]] = []
    with engine_process(args.trace_frames, out, dict(item.split("=", 1) for item in args.env)) as server:
        headers = {"Authorization": f"Bearer {server.api_key}"}
        async with httpx.AsyncClient(base_url=server.base_url, headers=headers, timeout=600) as client:
            rows.append({"burst": 0, **await _probe(client, 0)})
            print(json.dumps(rows[-1]), flush=True)
            for burst in range(1, args.bursts + 1):
                tokens = [await book(client, 1, burst * 100 + i) for i in range(args.sessions)]
                started = time.monotonic()
                answered = await asyncio.gather(*(short_session(server.base_url, t, answer) for t in tokens))
                await wait_idle(client)
                probe = await _probe(client, burst)
                rows.append(
                    {"burst": burst, "answered": sum(answered), "wall_s": time.monotonic() - started, **probe}
                )
                print(json.dumps(rows[-1]), flush=True)
            trimmed = (await client.post("/_bench/trim")).json()
    return {"rows": rows, "trim": trimmed, **compare(out, 2, args.bursts)}


# -- the report --------------------------------------------------------------------------------------


def compare(out: Path, first: int, last: int) -> dict[str, Any]:
    """What grew between burst `first` and burst `last`: object types, and traced source lines."""
    before = json.loads((out / f"types-{first}.json").read_text())
    after = json.loads((out / f"types-{last}.json").read_text())
    grown = sorted(
        ((after.get(k, 0) - before.get(k, 0), k) for k in after.keys() | before.keys()), reverse=True
    )
    result: dict[str, Any] = {"types_grown": [{"type": k, "delta": d} for d, k in grown[:TOP] if d > 0]}
    old, new = out / f"trace-{first}.snap", out / f"trace-{last}.snap"
    if old.exists() and new.exists():
        excludes = [tracemalloc.Filter(False, pattern) for pattern in TRACE_EXCLUDES]
        start = tracemalloc.Snapshot.load(str(old)).filter_traces(excludes)
        end = tracemalloc.Snapshot.load(str(new)).filter_traces(excludes)
        stats = sorted(end.compare_to(start, "lineno"), key=lambda s: s.size_diff, reverse=True)
        result["trace_grown"] = [
            {
                "site": f"{_short(s.traceback[0].filename)}:{s.traceback[0].lineno}",
                "kib": round(s.size_diff / 1024, 1),
                "blocks": s.count_diff,
            }
            for s in stats[:TOP]
        ]
        result["trace_total_kib"] = round(sum(s.size_diff for s in stats) / 1024, 1)
    return result


def _short(filename: str) -> str:
    for marker in ("site-packages/", "/work/main/", "lib/python3.11/"):
        if marker in filename:
            return filename.split(marker, 1)[1]
    return filename


def per_burst(rows: list[dict[str, Any]], key: str, start: int, end: int) -> float:
    """Average growth of `key` per burst from burst `start` to burst `end`."""
    return float(rows[end][key] - rows[start][key]) / (end - start)


def markdown(result: dict[str, Any], args: argparse.Namespace) -> str:
    rows = result["rows"]
    last = len(rows) - 1
    early, late = min(3, last), max(1, last - 4)
    table = [
        "| burst | answered | RSS (MB) | growth (MB) | threads (Python) | tasks | gc objects | "
        "sessions / peers / recorders alive | traced (MB) |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for i, r in enumerate(rows):
        growth = "" if i == 0 else f"{r['rss_mb'] - rows[i - 1]['rss_mb']:+.1f}"
        traced = "-" if r["traced_mb"] is None else f"{r['traced_mb']:.1f}"
        alive = r["per_session"]
        table.append(
            f"| {r['burst'] or 'start'} | {r.get('answered', '-')} | {r['rss_mb']:.1f} | {growth} | "
            f"{r['threads']} ({r['python_threads']}) | {r['tasks']} | {r['gc_objects']} | "
            f"{alive['sessions']} / {alive['peer connections']} / {alive['recorders']} | {traced} |"
        )
    types = ", ".join(f"`{t['type']}` {t['delta']:+d}" for t in result["types_grown"]) or "none"
    lines = [
        f"Engine run with `--trace-frames {args.trace_frames}`"
        f"{''.join(f' `{item}`' for item in args.env) or ' and the default settings'}. Machine: {machine()}. "
        f"{args.bursts} bursts of {args.sessions} concurrent sessions, measured {time.strftime('%Y-%m-%d')}.",
        "",
        *table,
        "",
        f"RSS growth per burst: bursts 1-{early} {per_burst(rows, 'rss_mb', 1, early):+.1f} MB, "
        f"bursts {late}-{last} {per_burst(rows, 'rss_mb', late, last):+.1f} MB. After the last burst "
        f"`malloc_trim` took RSS from {result['trim']['before_mb']:.1f} to {result['trim']['after_mb']:.1f} MB.",
        "",
        f"Object types that grew from burst 2 to burst {last} (after a full collection): {types}.",
    ]
    if "trace_grown" in result:
        lines += [
            "",
            f"Traced Python memory from burst 2 to burst {last}: {result['trace_total_kib']:+.1f} KiB in all; "
            "the sites that grew most:",
            "",
            "| site | KiB | blocks |",
            "|---|---|---|",
            *(f"| `{s['site']}` | {s['kib']:+.1f} | {s['blocks']:+d} |" for s in result["trace_grown"]),
        ]
    return "\n".join(lines) + "\n"


def main() -> None:
    if len(sys.argv) > 1 and sys.argv[1] == "--child":
        port, data, out = sys.argv[2:5]
        frames = int(sys.argv[sys.argv.index("--trace-frames") + 1])
        serve_child(int(port), Path(data), Path(out), frames)
        return
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--bursts", type=int, default=12)
    parser.add_argument("--sessions", type=int, default=4, help="concurrent sessions per burst")
    parser.add_argument("--trace-frames", type=int, default=0, help="tracemalloc frames; 0: no tracing")
    parser.add_argument(
        "--env", action="append", default=[], metavar="IE_X=Y", help="engine setting (repeatable)"
    )
    parser.add_argument("--json", type=Path, default=Path("bench/results/memory_bursts.json"))
    args = parser.parse_args()
    if args.bursts < 3:
        parser.error("--bursts must be at least 3 (burst 2 is the baseline)")
    with tempfile.TemporaryDirectory(prefix="ie-membench-out-") as out:
        result = asyncio.run(run(args, Path(out)))
    args.json.parent.mkdir(parents=True, exist_ok=True)
    report = {"machine": machine(), "args": {**vars(args), "json": str(args.json)}, **result}
    args.json.write_text(json.dumps(report, indent=2) + "\n")
    print(markdown(result, args))


if __name__ == "__main__":
    main()
