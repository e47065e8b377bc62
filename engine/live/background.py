"""Threads for work that can wait: they run at a lower CPU priority than the rest of the engine.

On a busy core the kernel shares the CPU evenly between runnable threads, so a sentence rendered ahead
by the neural voice (Piper, about a second of CPU for a long question) took half the core from the
recogniser exactly when several answers had just ended and their finals were being decoded: with 8
candidates answering together on one core, the interviewer's replies came 1.1-1.3 s later at p95 than
with eSpeak's cheap voice (docs/benchmarks.md, "Bursts of finals"). Rendering ahead is a guess made
while the candidate is still talking; it has seconds to spare, a final that a turn waits for does not.

So `background_pool` starts threads that raise their own nice value (Linux keeps one per thread, and
lowering a thread's priority needs no privilege). The rest of the process keeps its priority. Where the
system does not allow it (another OS), the threads run at normal priority and the engine works as
before.
"""

from __future__ import annotations

import concurrent.futures
import logging
import os
import threading

__all__ = ["available_cores", "background_pool"]

logger = logging.getLogger(__name__)


def _lower_priority(niceness: int) -> None:
    """Thread initializer: this thread's nice value goes up by `niceness` (a thread id is a process id
    to setpriority on Linux)."""
    thread = threading.get_native_id()
    try:
        os.setpriority(os.PRIO_PROCESS, thread, os.getpriority(os.PRIO_PROCESS, thread) + niceness)
    except (OSError, AttributeError) as exc:
        logger.info("background threads keep normal priority: %r", exc)


def available_cores() -> int:
    """The cores this process may run on (its affinity, where the system says)."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not Linux
        return os.cpu_count() or 1


def background_pool(
    workers: int, niceness: int, name: str = "background"
) -> concurrent.futures.ThreadPoolExecutor:
    """A thread pool whose threads run `niceness` steps below the engine's priority (0: the same)."""
    if workers < 1 or not 0 <= niceness <= 19:
        raise ValueError("workers must be >= 1 and niceness within 0-19")
    return concurrent.futures.ThreadPoolExecutor(
        workers, thread_name_prefix=name, initializer=_lower_priority, initargs=(niceness,)
    )
