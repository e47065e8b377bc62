"""Threads for work that can wait: they run below the engine's priority; the rest of the process does not."""

from __future__ import annotations

import os
import threading

import pytest

from engine.live.background import available_cores, background_pool


def _nice() -> int:
    return os.getpriority(os.PRIO_PROCESS, threading.get_native_id())


def test_the_pools_threads_run_lower_and_the_caller_keeps_its_priority() -> None:
    before = _nice()
    with background_pool(2, 3, name="later") as pool:
        seen = set(pool.map(lambda _i: (threading.current_thread().name[:5], _nice()), range(4)))
    assert seen == {("later", min(19, before + 3))}
    assert _nice() == before
    with background_pool(1, 0) as same:
        assert same.submit(_nice).result() == before


def test_bad_sizes_are_refused_and_the_cores_are_the_affinitys() -> None:
    with pytest.raises(ValueError, match="niceness"):
        background_pool(1, 20)
    with pytest.raises(ValueError, match="workers"):
        background_pool(0, 5)
    assert available_cores() == len(os.sched_getaffinity(0))
