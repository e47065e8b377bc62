"""What every benchmark reports with: the machine, nearest-rank percentiles, and its own section of
docs/benchmarks.md (rewritten in place; the other sections are left as they are)."""

from __future__ import annotations

import contextlib
import os
import platform
import re
from pathlib import Path

__all__ = ["machine", "pct", "write_section"]


def machine() -> str:
    cpu = "unknown CPU"
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    mem = ""
    with contextlib.suppress(OSError):
        found = re.search(r"MemTotal:\s+(\d+)", Path("/proc/meminfo").read_text())
        if found:
            mem = f", {int(found.group(1)) / 1024 / 1024:.0f} GiB RAM"
    system = f"{platform.system()} {platform.release()}, Python {platform.python_version()}"
    return f"{os.cpu_count()} cores ({cpu}){mem}, {system}"


def pct(values: list[float], q: float) -> float | None:
    """The nearest-rank `q` quantile; None for no values."""
    if not values:
        return None
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def write_section(path: Path, section: str) -> None:
    """Replace the section whose first line is `section`'s heading, or append it."""
    heading = section.splitlines()[0]
    text = path.read_text() if path.exists() else "# Benchmarks\n\n"
    if heading in text:
        head, _, rest = text.partition(heading)
        following = rest.find("\n## ")
        text = head + section.rstrip("\n") + "\n\n" + (rest[following + 1 :] if following >= 0 else "")
    else:
        text = text.rstrip("\n") + "\n\n" + section
    path.write_text(text)
