"""`interview-engine` commands as child processes, as a deployment runs them: started with their own
environment and working directory (no stray .env), their output kept in files for failure messages,
killed on the way out if still alive."""

from __future__ import annotations

import asyncio
import subprocess
import sys
import time
from pathlib import Path
from types import TracebackType

import httpx

__all__ = ["EXE", "ChildProcess"]

EXE = Path(sys.executable).with_name("interview-engine")


class ChildProcess:
    """`interview-engine *args` with `env`; stdout and stderr go to `<logs>/<name>.out` and `.err`."""

    def __init__(self, name: str, args: list[str], env: dict[str, str], logs: Path) -> None:
        self.name = name
        self._args = [str(EXE), *args]
        self._env = env
        self._logs = logs
        self.out = logs / f"{name}.out"
        self.err = logs / f"{name}.err"
        self._process: subprocess.Popen[bytes] | None = None

    def __enter__(self) -> ChildProcess:
        with self.out.open("wb") as out, self.err.open("wb") as err:
            self._process = subprocess.Popen(
                self._args, stdout=out, stderr=err, stdin=subprocess.DEVNULL, env=self._env, cwd=self._logs
            )
        return self

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None
    ) -> None:
        process = self.process
        if process.poll() is None:
            process.kill()
        process.wait(30)

    @property
    def process(self) -> subprocess.Popen[bytes]:
        if self._process is None:
            raise RuntimeError(f"{self.name} was not started")
        return self._process

    def log(self, chars: int = 4000) -> str:
        """The end of what it wrote to stderr (its log), for failure messages."""
        return f"--- {self.name} stderr ---\n" + self.err.read_text(errors="replace")[-chars:]

    def kill(self) -> int:
        """SIGKILL: nothing of its shutdown path runs. Returns the exit status (-9)."""
        self.process.kill()
        return self.process.wait(30)

    async def until_healthy(self, base_url: str, timeout_s: float) -> None:
        """Until `base_url`/healthz answers 200; fails with the log if it exits or takes longer."""
        deadline = time.monotonic() + timeout_s
        async with httpx.AsyncClient(base_url=base_url, timeout=2) as http:
            while True:
                assert self.process.poll() is None, self.log()
                try:
                    if (await http.get("/healthz")).status_code == 200:
                        return
                except httpx.TransportError:
                    pass
                assert time.monotonic() < deadline, (
                    f"{self.name} not healthy within {timeout_s} s\n{self.log()}"
                )
                await asyncio.sleep(0.1)

    async def until_logged(self, text: str, timeout_s: float) -> None:
        """Until its log (stdout or stderr) holds `text`."""
        deadline = time.monotonic() + timeout_s
        while not any(text in path.read_text(errors="replace") for path in (self.out, self.err)):
            assert self.process.poll() is None, self.log()
            assert time.monotonic() < deadline, f"{self.name} never logged {text!r}\n{self.log()}"
            await asyncio.sleep(0.1)
