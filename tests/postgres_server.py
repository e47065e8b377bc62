"""A throw-away local PostgreSQL server for the test session.

This module deliberately contains no pytest fixtures: it is plain, synchronous
code that shells out to the PostgreSQL binaries (``initdb``, ``pg_ctl``,
``createdb``, ``dropdb``) so that conftest files can wrap it however they like.

Typical use::

    url = postgres_from_env()
    if url is None:
        server = PostgresServer()
        server.start()
        url = server.url
        ...
        server.stop()

If no PostgreSQL installation can be found a :class:`RuntimeError` is raised;
the suite never silently skips database tests. ``make test`` installs the
Debian ``postgresql`` package when it is missing.
"""

from __future__ import annotations

import glob
import os
import pwd
import re
import shutil
import subprocess
import tempfile
from collections.abc import Sequence
from pathlib import Path
from types import TracebackType

from tests.ports import reserved_port

ENV_URL = "IE_TEST_POSTGRES_URL"
"""Environment variable naming an existing server to use instead of a local one."""

SUPERUSER = "ie_test"
"""Superuser created by ``initdb`` (authentication is ``trust``)."""

PG_BIN_GLOB = "/usr/lib/postgresql/*/bin/initdb"
"""Where the Debian packages put the server binaries (one directory per major version)."""

HOST = "127.0.0.1"

_SYSTEM_USER = "postgres"
_DB_NAME_RE = re.compile(r"^[A-Za-z_][A-Za-z0-9_]{0,62}$")
_ASYNC_DRIVER_PREFIX = "postgresql+asyncpg://"
_COMMAND_TIMEOUT_S = 120.0


def postgres_from_env() -> str | None:
    """Return the URL in ``IE_TEST_POSTGRES_URL`` if set (and non-empty), else ``None``."""
    url = os.environ.get(ENV_URL, "").strip()
    return url or None


def asyncpg_dsn(url: str) -> str:
    """Convert an SQLAlchemy ``postgresql+asyncpg://`` URL to a plain ``postgresql://`` DSN.

    ``asyncpg.connect`` does not understand the ``+asyncpg`` driver suffix.
    """
    if url.startswith(_ASYNC_DRIVER_PREFIX):
        return "postgresql://" + url.removeprefix(_ASYNC_DRIVER_PREFIX)
    return url


def _version_key(initdb: str) -> tuple[int, ...]:
    # /usr/lib/postgresql/<version>/bin/initdb -> (15,) or (9, 6)
    version = Path(initdb).parent.parent.name
    try:
        return tuple(int(part) for part in version.split("."))
    except ValueError:
        return (-1,)


def find_pg_bin_dir(bin_glob: str = PG_BIN_GLOB, *, use_path: bool = True) -> Path:
    """Locate the directory holding ``initdb``/``pg_ctl``.

    Picks the highest version matching ``bin_glob``; falls back to ``initdb`` on
    ``PATH`` when ``use_path`` is true. Raises :class:`RuntimeError` if none is found.
    """
    candidates = [p for p in glob.glob(bin_glob) if os.access(p, os.X_OK)]
    if candidates:
        return Path(max(candidates, key=_version_key)).parent
    if use_path:
        found = shutil.which("initdb")
        if found is not None:
            return Path(found).resolve().parent
    raise RuntimeError(
        "PostgreSQL server binaries not found (no initdb under "
        f"{bin_glob} or on PATH). Run `make test`, which installs the Debian "
        f"`postgresql` package, or set {ENV_URL} to an existing server's URL."
    )


def _clean_env() -> dict[str, str]:
    # PG* variables (PGHOST, PGDATA, PGPORT, ...) from the caller's shell would
    # silently redirect the client and server tools; drop them.
    env = {k: v for k, v in os.environ.items() if not k.startswith("PG")}
    env["LC_ALL"] = "C"
    return env


class PostgresServer:
    """A private PostgreSQL cluster in a temporary directory, listening on 127.0.0.1.

    When running as root (``initdb`` refuses to), the server processes run as the
    ``postgres`` system user via ``runuser``; otherwise as the current user.
    """

    def __init__(self, bin_dir: Path | None = None) -> None:
        self._bin_dir = bin_dir
        self._root: Path | None = None
        self._port: int | None = None
        self._running = False

    # -- properties -----------------------------------------------------------------

    @property
    def bin_dir(self) -> Path:
        if self._bin_dir is None:
            self._bin_dir = find_pg_bin_dir()
        return self._bin_dir

    @property
    def running(self) -> bool:
        return self._running

    @property
    def port(self) -> int:
        if not self._running or self._port is None:
            raise RuntimeError("PostgresServer is not running; call start() first")
        return self._port

    @property
    def url(self) -> str:
        """SQLAlchemy async URL of the ``postgres`` maintenance database."""
        return self.database_url("postgres")

    def database_url(self, name: str) -> str:
        return f"{_ASYNC_DRIVER_PREFIX}{SUPERUSER}@{HOST}:{self.port}/{name}"

    @property
    def data_dir(self) -> Path:
        return self._require_root() / "data"

    @property
    def socket_dir(self) -> Path:
        return self._require_root() / "sock"

    @property
    def log_file(self) -> Path:
        return self._require_root() / "postgres.log"

    # -- lifecycle ------------------------------------------------------------------

    def start(self) -> None:
        """initdb a fresh cluster and start it; retries once on another port."""
        if self._running:
            return
        bin_dir = self.bin_dir  # raises a clear error before anything is created
        self._root = Path(tempfile.mkdtemp(prefix="ie-pg-"))
        try:
            self.socket_dir.mkdir()
            if os.geteuid() == 0:
                self._chown_to_system_user(self._root, self.socket_dir)
            self._run_as_server_user(
                [
                    str(bin_dir / "initdb"),
                    "-D",
                    str(self.data_dir),
                    "-A",
                    "trust",
                    "-U",
                    SUPERUSER,
                    "-E",
                    "UTF8",
                    "--no-locale",
                    "--no-sync",
                ]
            )
            errors: list[str] = []
            for _attempt in range(2):
                try:
                    # Held until PostgreSQL listens (it binds with SO_REUSEADDR): see tests.ports.
                    with reserved_port() as port:
                        self._pg_ctl_start(port)
                except RuntimeError as exc:
                    errors.append(str(exc))
                    self._pg_ctl_stop(check=False)
                    continue
                self._port = port
                self._running = True
                return
            raise RuntimeError("could not start PostgreSQL:\n" + "\n---\n".join(errors))
        except BaseException:
            self._remove_root()
            raise

    def stop(self) -> None:
        """Stop the server (immediate shutdown) and delete its directory. Idempotent."""
        try:
            if self._running:
                self._pg_ctl_stop(check=False)
        finally:
            self._running = False
            self._port = None
            self._remove_root()

    def __enter__(self) -> PostgresServer:
        self.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    # -- databases ------------------------------------------------------------------

    def create_database(self, name: str) -> str:
        """Create an empty database and return its SQLAlchemy async URL."""
        _check_db_name(name)
        self._run_client("createdb", [name])
        return self.database_url(name)

    def drop_database(self, name: str) -> None:
        """Drop a database (if it exists), terminating any open connections to it."""
        _check_db_name(name)
        self._run_client("dropdb", ["--if-exists", "--force", name])

    # -- internals ------------------------------------------------------------------

    def _require_root(self) -> Path:
        if self._root is None:
            raise RuntimeError("PostgresServer has no data directory; call start() first")
        return self._root

    def _remove_root(self) -> None:
        if self._root is not None:
            shutil.rmtree(self._root, ignore_errors=True)
            self._root = None

    @staticmethod
    def _chown_to_system_user(*paths: Path) -> None:
        try:
            entry = pwd.getpwnam(_SYSTEM_USER)
        except KeyError:
            raise RuntimeError(
                f"running as root, but there is no {_SYSTEM_USER!r} system user to run "
                "PostgreSQL as (initdb refuses to run as root). Run `make test`, which "
                "installs the Debian `postgresql` package, or run the tests as a non-root user."
            ) from None
        for path in paths:
            os.chown(path, entry.pw_uid, entry.pw_gid)

    def _pg_ctl_start(self, port: int) -> None:
        options = (
            f"-h {HOST} -p {port} -k {self.socket_dir} "
            "-c fsync=off -c synchronous_commit=off -c full_page_writes=off"
        )
        try:
            self._run_as_server_user(
                [
                    str(self.bin_dir / "pg_ctl"),
                    "-w",
                    "-t",
                    "60",
                    "-D",
                    str(self.data_dir),
                    "-o",
                    options,
                    "-l",
                    str(self.log_file),
                    "start",
                ]
            )
        except RuntimeError as exc:
            raise RuntimeError(f"{exc}\nserver log:\n{self._read_log()}") from None

    def _pg_ctl_stop(self, *, check: bool) -> None:
        if self._root is None or not self.data_dir.exists():
            return
        self._run_as_server_user(
            [str(self.bin_dir / "pg_ctl"), "-D", str(self.data_dir), "-m", "immediate", "-w", "stop"],
            check=check,
        )

    def _read_log(self) -> str:
        try:
            return self.log_file.read_text(errors="replace")[-4000:]
        except OSError:
            return "<no log>"

    def _run_as_server_user(self, args: Sequence[str], *, check: bool = True) -> None:
        cmd = list(args)
        if os.geteuid() == 0:
            cmd = ["runuser", "-u", _SYSTEM_USER, "--", *cmd]
        _run(cmd, cwd=self._require_root(), check=check)

    def _run_client(self, tool: str, args: Sequence[str]) -> None:
        cmd = [
            str(self.bin_dir / tool),
            "-h",
            HOST,
            "-p",
            str(self.port),
            "-U",
            SUPERUSER,
            "--no-password",
            *args,
        ]
        _run(cmd, cwd=self._require_root(), check=True)


def _check_db_name(name: str) -> None:
    if not _DB_NAME_RE.fullmatch(name):
        raise ValueError(f"invalid database name {name!r}: use [A-Za-z_][A-Za-z0-9_]*, at most 63 chars")


def _run(cmd: Sequence[str], *, cwd: Path, check: bool) -> subprocess.CompletedProcess[str]:
    result = subprocess.run(
        list(cmd),
        cwd=cwd,
        env=_clean_env(),
        capture_output=True,
        text=True,
        timeout=_COMMAND_TIMEOUT_S,
        check=False,
    )
    if check and result.returncode != 0:
        raise RuntimeError(
            f"command failed with exit status {result.returncode}: {' '.join(cmd)}\n"
            f"stdout:\n{result.stdout}\nstderr:\n{result.stderr}"
        )
    return result
