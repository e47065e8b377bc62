"""The real thing: `interview-engine serve` as a child process, spoken to over TCP.

This proves the console script, the first-run key printed on stdout (readable while the server runs,
so not stuck in a pipe buffer), the API end to end through uvicorn, and a clean shutdown on SIGTERM.
"""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from tests.helpers import participant_body, profile_body, template_body
from tests.ports import reserved_port

KEY_RE = re.compile(r"\bie_[0-9a-f]{16}_[A-Za-z0-9_-]+")
START_TIMEOUT_S = 60.0
STOP_TIMEOUT_S = 20.0
MAX_BODY_BYTES = 64 * 1024


def _console_script() -> Path:
    script = Path(sys.executable).with_name("interview-engine")
    assert script.is_file(), f"console script missing next to {sys.executable}; run `pip install -e .`"
    return script


def _clean_env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("IE_") and k != "DATABASE_URL"}
    env.pop("PYTHONUNBUFFERED", None)  # the CLI must flush the key itself
    env["IE_MAX_BODY_BYTES"] = str(MAX_BODY_BYTES)
    return env


@dataclass
class RunningServer:
    process: subprocess.Popen[bytes]
    base_url: str
    port: int
    stdout_path: Path
    stderr_path: Path
    # Holds the port until the server is stopped, so no other test's server is handed it (tests.ports).
    reservation: ExitStack

    def stdout(self) -> str:
        return self.stdout_path.read_text()

    def stderr(self) -> str:
        return self.stderr_path.read_text()


def _start(data_dir: Path, logs: Path) -> RunningServer:
    reservation = ExitStack()
    port = reservation.enter_context(reserved_port())
    stdout_path, stderr_path = logs / f"stdout-{port}.txt", logs / f"stderr-{port}.txt"
    with stdout_path.open("wb") as out, stderr_path.open("wb") as err:
        process = subprocess.Popen(
            [str(_console_script()), "serve", "--data-dir", str(data_dir), "--port", str(port)],
            stdout=out,
            stderr=err,
            stdin=subprocess.DEVNULL,
            env=_clean_env(),
            cwd=logs,  # no stray .env is picked up
        )
    server = RunningServer(process, f"http://127.0.0.1:{port}", port, stdout_path, stderr_path, reservation)
    deadline = time.monotonic() + START_TIMEOUT_S
    while True:
        if process.poll() is not None:
            reservation.close()
            raise AssertionError(f"server exited with {process.returncode}:\n{server.stderr()}")
        # Ready once the port accepts connections. No HTTP request yet: uvicorn's access log writes to
        # stdout and would flush it, hiding a first-run key the CLI forgot to flush.
        if not _port_closed(port):
            return server
        if time.monotonic() > deadline:
            _stop(server)
            raise AssertionError(f"server did not answer within {START_TIMEOUT_S}s:\n{server.stderr()}")
        time.sleep(0.1)


def _stop(server: RunningServer) -> int:
    """SIGTERM, then wait; SIGKILL only if it hangs (and then fail the caller's assertions)."""
    if server.process.poll() is None:
        server.process.send_signal(signal.SIGTERM)
        try:
            server.process.wait(STOP_TIMEOUT_S)
        except subprocess.TimeoutExpired:
            server.process.kill()
            server.process.wait(STOP_TIMEOUT_S)
    server.reservation.close()
    return server.process.returncode


def _port_closed(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        return sock.connect_ex(("127.0.0.1", port)) != 0


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningServer]:
    running = _start(tmp_path_factory.mktemp("serve-data"), tmp_path_factory.mktemp("serve-logs"))
    try:
        yield running
    finally:
        _stop(running)


@pytest.fixture(scope="module")
def admin_key(server: RunningServer) -> str:
    keys = KEY_RE.findall(server.stdout())
    assert keys, f"no key on stdout while the server runs:\n{server.stdout()!r}"
    return str(keys[0])


@pytest.fixture
def http(server: RunningServer, admin_key: str) -> Iterator[httpx.Client]:
    with httpx.Client(
        base_url=server.base_url, headers={"Authorization": f"Bearer {admin_key}"}, timeout=30
    ) as client:
        yield client


def test_first_run_prints_the_admin_key_and_a_working_curl_line(
    server: RunningServer, admin_key: str
) -> None:
    out = server.stdout()
    assert out.startswith("First run: created company 'default'")
    assert out.count("First run") == 1
    assert KEY_RE.findall(out) == [admin_key, admin_key]  # the key line and the curl line
    assert f"curl -H 'Authorization: Bearer {admin_key}' {server.base_url}/v1/agent-profiles" in out
    # The key is shown on the console only: never in the log.
    assert admin_key not in server.stderr()


def test_walkthrough_over_tcp(http: httpx.Client, server: RunningServer) -> None:
    r = http.post("/v1/agent-profiles", json=profile_body())
    assert r.status_code == 201, r.text
    profile = r.json()
    r = http.post("/v1/templates", json=template_body())
    assert r.status_code == 201, r.text
    template = r.json()
    stage_ids = []
    for name in ("Phone Screen", "Technical"):
        r = http.post(
            f"/v1/templates/{template['id']}/stages", json={"name": name, "agent_profile_id": profile["id"]}
        )
        assert r.status_code == 201, r.text
        stage_ids.append(r.json()["id"])
    r = http.get(f"/v1/templates/{template['id']}/stages")
    assert r.status_code == 200
    assert [s["id"] for s in r.json()["data"]] == stage_ids
    assert [s["order"] for s in r.json()["data"]] == [0, 1]

    r = http.post("/v1/participants", json=participant_body(evaluation_template_id=template["id"]))
    assert r.status_code == 201, r.text
    participant = r.json()
    r = http.post("/v1/sessions", json={"participant_id": participant["id"], "stage_id": stage_ids[0]})
    assert r.status_code == 201, r.text
    session = r.json()
    assert session["status"] == "scheduled"
    assert session["agent_profile_id"] == profile["id"]
    assert session["participant_id"] == participant["id"]

    r = http.get(f"/v1/sessions/{session['id']}/join-link")
    assert r.status_code == 200, r.text
    url = r.json()["url"]
    # No public_base_url configured: links point at the address the server was started on.
    assert url.startswith(f"http://127.0.0.1:{server.port}/join/")
    assert len(url.rsplit("/", 1)[1]) >= 43

    r = http.get("/v1/sessions", params={"participant_id": participant["id"]})
    assert r.status_code == 200
    assert [s["id"] for s in r.json()["data"]] == [session["id"]]


def test_requests_without_a_valid_key_get_401(server: RunningServer) -> None:
    for headers in ({}, {"Authorization": "Bearer ie_0123456789abcdef_nope"}, {"Authorization": "Basic x"}):
        r = httpx.get(f"{server.base_url}/v1/agent-profiles", headers=headers, timeout=10)
        assert r.status_code == 401, (headers, r.text)
        assert r.headers["www-authenticate"] == "Bearer"
        assert set(r.json()) == {"error"}
        assert r.json()["error"]["code"] == "unauthorized"
    assert httpx.get(f"{server.base_url}/healthz", timeout=10).json() == {"status": "ok"}


def test_chunked_body_over_the_limit_gets_413_over_tcp(http: httpx.Client) -> None:
    def chunks() -> Iterator[bytes]:
        yield b'{"name": "'
        for _ in range(4):
            yield b"x" * (MAX_BODY_BYTES // 2)
        yield b'"}'

    r = http.post("/v1/agent-profiles", content=chunks(), headers={"Content-Type": "application/json"})
    assert r.status_code == 413
    assert r.json()["error"]["code"] == "payload_too_large"
    # The connection closed by the early answer does not take the server with it.
    assert http.get("/v1/agent-profiles").status_code == 200


def test_restart_reuses_the_data_dir_prints_no_new_key_and_stops_cleanly(
    tmp_path_factory: pytest.TempPathFactory,
) -> None:
    data_dir = tmp_path_factory.mktemp("restart-data")
    logs = tmp_path_factory.mktemp("restart-logs")

    first = _start(data_dir, logs)
    try:
        key = KEY_RE.findall(first.stdout())[0]
        auth = {"Authorization": f"Bearer {key}"}
        r = httpx.post(f"{first.base_url}/v1/agent-profiles", json=profile_body(), headers=auth, timeout=30)
        assert r.status_code == 201, r.text
        profile_id = r.json()["id"]
    finally:
        rc = _stop(first)
    # uvicorn re-raises SIGTERM after its graceful shutdown; either way it did not need SIGKILL.
    assert rc in (0, -signal.SIGTERM), first.stderr()
    assert "Application shutdown complete" in first.stderr()
    assert _port_closed(first.port)

    second = _start(data_dir, logs)
    try:
        # Not a first run any more: no new key (stdout holds only uvicorn's access log).
        assert "First run" not in second.stdout()
        assert not KEY_RE.search(second.stdout())
        r = httpx.get(f"{second.base_url}/v1/agent-profiles/{profile_id}", headers=auth, timeout=30)
        assert r.status_code == 200, r.text  # same data, same key
    finally:
        rc = _stop(second)
    assert rc in (0, -signal.SIGTERM), second.stderr()
    assert _port_closed(second.port)
