"""glibc's malloc arenas, limited for the engine's process: `interview-engine serve` and `worker` call
`limit_malloc_arenas` first thing.

glibc gives threads that allocate at the same moment heaps of their own ("arenas"), up to 8 per core,
and keeps the memory freed into each. The engine runs many threads that allocate (each live session's
inbound audio and recorder threads, the recogniser's and the voices' inference threads, the default
pool), so its RSS kept growing by the free memory held across those heaps: about 18 MB per burst of
sessions, 300 MB above the same engine with 2 arenas after 12 bursts, and +7.8% over a 30-minute soak
(docs/benchmarks.md "Memory under bursts", "Soak"). Two arenas keep it flat (measured there).

`MALLOC_ARENA_MAX` set by the operator wins (glibc read it at start-up; this then does nothing), so the
limit can still be raised, or lifted with a large value. Other C libraries (musl) have no arenas: there
is nothing to do.
"""

from __future__ import annotations

import ctypes
import logging
import os
import sys

__all__ = ["ARENAS", "M_ARENA_MAX", "limit_malloc_arenas"]

logger = logging.getLogger(__name__)

ARENAS = 2
M_ARENA_MAX = -8  # glibc's mallopt parameter (malloc.h)


def limit_malloc_arenas(arenas: int = ARENAS) -> bool:
    """Limit glibc to `arenas` heaps from now on; True when this call set it. Call before the process
    starts threads: heaps already created stay."""
    if "MALLOC_ARENA_MAX" in os.environ or not sys.platform.startswith("linux"):
        return False
    try:
        libc = ctypes.CDLL(None)
        mallopt = libc.mallopt
    except (OSError, AttributeError):
        return False  # not glibc
    mallopt.argtypes = (ctypes.c_int, ctypes.c_int)
    mallopt.restype = ctypes.c_int
    done = bool(mallopt(M_ARENA_MAX, arenas))
    if done:
        logger.debug("malloc arenas limited to %s", arenas)
    return done
