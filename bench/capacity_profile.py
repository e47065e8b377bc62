"""Where the engine's CPU goes: py-spy (`--native`) samples of the running engine, sorted into what the
media plane does (Opus, resampling, VAD, Whisper, Smart Turn, speech synthesis, transport, the rest).

py-spy runs on the candidates' core (bench/capacity.py pins this process there), at 100 Hz, without
pausing the engine (`--nonblocking`) and without native frames: `--native` needs the engine stopped for
every sample, which on one core starved its event loop (SQLite lock timeouts) and so measured itself.
Native work shows under the Python frame that called it (CTranslate2 under `transcribe_batch`, Opus
under aiortc's codec, SRTP under pylibsrtp). Samples of threads that were waiting (a lock, a queue, a
sleep, the selector) are left out, so the shares are of the time some thread of the engine was busy. A stack is put in the first category whose pattern it contains, so the more specific
patterns come first (Piper runs onnxruntime too, and a revision runs faster-whisper's own `transcribe`).
"""

from __future__ import annotations

import asyncio
import collections
import contextlib
import functools
import json
import linecache
import os
import re
import shutil
import sys
from pathlib import Path
from typing import Any

__all__ = ["CATEGORIES", "categorize", "profile_engine", "summarize", "waiting"]

CATEGORIES: tuple[tuple[str, re.Pattern[str]], ...] = tuple(
    (name, re.compile(pattern))
    for name, pattern in (
        ("Whisper: answer revision, Python side (transcribe_timed)", r"transcribe_timed"),
        (
            "Whisper: features and decoding glue (Python side)",
            r"transcribe_batch|_decode_windows|ctranslate2",
        ),
        ("Smart Turn (end-of-turn model)", r"smart_turn"),
        ("TTS: Piper", r"piper"),
        ("TTS: eSpeak NG", r"espeak"),
        ("Opus decode", r"opus\.py:\d+\)?;?[^;]*decode|OpusDecoder|opus_decode|decoder_worker"),
        ("Opus encode", r"opus\.py:\d+\)?;?[^;]*encode|OpusEncoder|opus_encode|_next_encoded_frame"),
        ("resampling", r"resampl"),
        ("VAD and segmentation", r"webrtcvad|media/vad\.py|segmenter\.py|Vad"),
        ("recording (WAV writes)", r"recording\.py"),
        ("RTP, SRTP, DTLS, ICE", r"srtp|rtcrtp|rtcdtls|aioice|rtcsctp|rtcicetransport|rtp\.py"),
        ("outbound pacing (interviewer track)", r"outbound\.py"),
        ("database", r"sqlalchemy|aiosqlite|sqlite"),
        ("event loop, HTTP and other Python", r"."),
    )
)


WAITS = re.compile(
    r"acquire_lock|cond_timedwait|cond_wait|nanosleep|usleep|epoll_wait|epoll_pwait|sem_wait|"
    r"SimpleQueue_get|select \(|poll \(|_wait_for_tstate_lock|\bwait \(threading|futex"
)


NATIVE = "Whisper inference (CTranslate2's own thread)"


def categorize(stack: str) -> str:
    for name, pattern in CATEGORIES:
        if pattern.search(stack):
            return name
    return CATEGORIES[-1][0]


def waiting(stack: str) -> bool:
    """Whether the sampled thread was blocked rather than running. py-spy's idle detection misses
    threads blocked in C (a queue's get, a lock, uvloop's poll), which then show as the Python line that
    called it: so the innermost frames are matched against known waits, and the source line of the
    innermost Python frame is read to see whether it is a blocking call."""
    if WAITS.search(";".join(stack.rsplit(";", 3)[-3:])):
        return True
    found = FRAME.search(stack.rsplit(";", 1)[-1])
    return bool(found and BLOCKING_CALL.search(_source_line(found["path"], int(found["line"]))))


FRAME = re.compile(r"\((?P<path>[^():]+\.py):(?P<line>\d+)\)$")
BLOCKING_CALL = re.compile(
    r"\.get\(|\.wait\(|sleep\(|\.acquire\(|\.select\(|run_until_complete\(|run_forever\(|\.join\("
)
_ROOTS = [Path.cwd(), *(Path(p) for p in sys.path if p)]


@functools.cache
def _source_line(path: str, line: int) -> str:
    """Line `line` of `path` as py-spy names it (relative to a sys.path entry or the repository)."""
    for root in _ROOTS:
        candidate = root / path
        if candidate.is_file():
            return linecache.getline(str(candidate), line)
    return ""


def summarize(collapsed: str) -> dict[str, float]:
    """Shares (0-1) per category of py-spy's raw ("collapsed") output: `frame;frame;... count` lines,
    leaving out samples of threads that were waiting."""
    counts: collections.Counter[str] = collections.Counter()
    for line in collapsed.splitlines():
        stack, _, count = line.rpartition(" ")
        if stack and count.isdigit() and not waiting(stack):
            counts[categorize(stack)] += int(count)
    total = sum(counts.values()) or 1
    return {name: round(counts[name] / total, 3) for name, _ in CATEGORIES if counts[name]}


def thread_ticks(pid: int) -> dict[int, int]:
    """CPU clock ticks (user + system) of each thread of `pid` so far."""
    ticks = {}
    for task in Path(f"/proc/{pid}/task").iterdir():
        with contextlib.suppress(OSError):
            fields = (task / "stat").read_text().rsplit(")", 1)[1].split()
            ticks[int(task.name)] = int(fields[11]) + int(fields[12])
    return ticks


def thread_kind(name: str) -> str:
    """A Python thread's name without what numbers it (`inbound:1a2b3c4d` -> `inbound`)."""
    return re.sub(r"[_-]?\d+$", "", name.split(":", 1)[0]) or name


async def _python_threads(spy: str, pid: int) -> dict[int, str]:
    """OS thread id -> name of the engine's Python threads (py-spy dump)."""
    proc = await asyncio.create_subprocess_exec(
        spy, "dump", "--json", "--nonblocking", "--pid", str(pid),
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.DEVNULL,
    )  # fmt: skip
    out, _ = await proc.communicate()
    try:
        threads = json.loads(out)
    except ValueError:
        return {}
    return {
        int(t["os_thread_id"]): str(t.get("thread_name") or "?") for t in threads if t.get("os_thread_id")
    }


async def profile_engine(pid: int, seconds: float, out: Path) -> dict[str, Any] | None:
    """Record `pid` for `seconds`: CPU seconds by category (py-spy's shares of the Python threads' CPU,
    plus the threads py-spy cannot see) and by thread kind; None without py-spy.

    Threads that are not Python's are CTranslate2's (Whisper runs its inference on a thread of its own,
    so the Python lane only waits, and py-spy sees nothing of it); Piper and Smart Turn run onnxruntime
    with one thread, which is the caller's (a Python thread), so py-spy sees them."""
    spy = shutil.which("py-spy") or shutil.which("py-spy", path=str(Path(sys.executable).parent))
    if spy is None:
        return None
    tick = os.sysconf("SC_CLK_TCK")
    before = thread_ticks(pid)
    argv = [
        spy,
        "record",
        "--nonblocking",
        "--rate",
        "100",
        "--format",
        "raw",
        "--duration",
        str(int(seconds)),
    ]
    proc = await asyncio.create_subprocess_exec(
        *argv, "--pid", str(pid), "--output", str(out),
        stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.PIPE,
    )  # fmt: skip
    _, err = await proc.communicate()
    after = thread_ticks(pid)
    names = await _python_threads(spy, pid)
    if proc.returncode != 0:
        print(f"py-spy failed: {err.decode(errors='replace')[-500:]}", file=sys.stderr)
        return None
    used = {tid: (after[tid] - before.get(tid, 0)) / tick for tid in after}
    native = sum(cpu for tid, cpu in used.items() if tid not in names)
    python = sum(cpu for tid, cpu in used.items() if tid in names)
    shares = summarize(await asyncio.to_thread(out.read_text))
    by_category = {name: round(python * share, 1) for name, share in shares.items()}
    by_category[NATIVE] = round(native, 1)
    kinds: dict[str, float] = collections.defaultdict(float)
    for tid, cpu in used.items():
        kinds[thread_kind(names[tid]) if tid in names else "(native)"] += cpu
    return {
        "seconds": seconds,
        "cpu_s": round(native + python, 1),
        "by_category_cpu_s": dict(sorted(by_category.items(), key=lambda kv: -kv[1])),
        "by_thread_cpu_s": {
            k: round(v, 1) for k, v in sorted(kinds.items(), key=lambda kv: -kv[1]) if v >= 0.05
        },
    }


def main() -> None:
    """Summarise a saved py-spy profile (the Python threads only): `python -m bench.capacity_profile FILE`."""
    for name, share in summarize(Path(sys.argv[1]).read_text()).items():
        print(f"| {name} | {100 * share:.1f} % |")


if __name__ == "__main__":
    main()
