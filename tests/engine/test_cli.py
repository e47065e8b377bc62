"""`interview-engine api-key create` and the first-run key of `serve`, against a real data dir."""

from __future__ import annotations

import asyncio
import json
import re
import subprocess
import sys
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest

from config.settings import Settings
from engine import cli, serving
from engine.auth import ALL_SCOPES
from engine.bootstrap import first_run_key
from engine.clock import FixedClock
from tests.helpers import profile_body

KEY_RE = re.compile(r"^ie_[0-9a-f]{16}_[A-Za-z0-9_-]{43}$")


@pytest.fixture(autouse=True)
def isolated_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The CLI reads IE_* variables and ./.env: keep the developer's out of these tests."""
    for var in ("IE_DATABASE_URL", "DATABASE_URL", "IE_DATA_DIR", "IE_HOST", "IE_PORT"):
        monkeypatch.delenv(var, raising=False)
    cwd = tmp_path / "cwd"
    cwd.mkdir()
    monkeypatch.chdir(cwd)


@pytest.fixture
def data_dir(tmp_path: Path) -> Path:
    return tmp_path / "data"


def _create_key(capsys: pytest.CaptureFixture[str], data_dir: Path, *args: str) -> tuple[int, str, str]:
    rc = cli.main(["api-key", "create", "--data-dir", str(data_dir), *args])
    out, err = capsys.readouterr()
    return rc, out, err


def _keys(capsys: pytest.CaptureFixture[str], data_dir: Path, *args: str) -> tuple[int, str, str]:
    """`interview-engine api-key <args> --data-dir ...`: exit code, stdout, stderr."""
    rc = cli.main(["api-key", *args, "--data-dir", str(data_dir)])
    out, err = capsys.readouterr()
    return rc, out, err


async def _acreate_key(
    capsys: pytest.CaptureFixture[str], data_dir: Path, *args: str
) -> tuple[int, str, str]:
    """`_create_key` from an async test: the CLI runs its own event loop, so it gets a thread."""
    return await asyncio.to_thread(_create_key, capsys, data_dir, *args)


@asynccontextmanager
async def _client(data_dir: Path, key: str) -> AsyncIterator[httpx.AsyncClient]:
    from engine.app import create_app

    app = create_app(Settings(_env_file=None, data_dir=data_dir))
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(
            transport=transport, base_url="http://testserver", headers={"Authorization": f"Bearer {key}"}
        ) as client:
            yield client


async def test_api_key_create_prints_one_working_all_scopes_key(
    capsys: pytest.CaptureFixture[str], data_dir: Path
) -> None:
    rc, out, err = await _acreate_key(capsys, data_dir, "--company", "Acme Corp")
    assert rc == 0
    lines = out.splitlines()
    assert len(lines) == 1, out  # stdout is the key and nothing else, so `$(...)` captures it
    key = lines[0]
    assert KEY_RE.match(key)
    assert "Acme Corp" in err
    assert " ".join(ALL_SCOPES) in err
    assert key not in err
    async with _client(data_dir, key) as client:
        r = await client.post("/v1/agent-profiles", json=profile_body())
        assert r.status_code == 201, r.text
        assert (await client.get("/v1/agent-profiles")).json()["data"][0]["id"] == r.json()["id"]
        assert (await client.get("/v1/sessions")).status_code == 200


async def test_keys_of_one_company_share_data_and_other_companies_do_not(
    capsys: pytest.CaptureFixture[str], data_dir: Path
) -> None:
    _, first, _ = await _acreate_key(capsys, data_dir, "--company", "acme")
    _, second, _ = await _acreate_key(capsys, data_dir, "--company", "acme", "--name", "ci")
    _, other, _ = await _acreate_key(capsys, data_dir, "--company", "globex")
    assert len({first, second, other}) == 3
    async with _client(data_dir, first.strip()) as client:
        profile_id = (await client.post("/v1/agent-profiles", json=profile_body())).json()["id"]
    async with _client(data_dir, second.strip()) as client:
        assert (await client.get(f"/v1/agent-profiles/{profile_id}")).status_code == 200
    async with _client(data_dir, other.strip()) as client:
        r = await client.get(f"/v1/agent-profiles/{profile_id}")
        assert r.status_code == 403  # engine.errors: another company's resource is Forbidden
        assert profile_body()["name"] not in r.text


async def test_scope_restricts_the_key(capsys: pytest.CaptureFixture[str], data_dir: Path) -> None:
    rc, out, err = await _acreate_key(capsys, data_dir, "--company", "acme", "--scope", "read:sessions")
    assert rc == 0
    assert err.rstrip().endswith("scopes: read:sessions")
    async with _client(data_dir, out.strip()) as client:
        # Allowed: reading one session (there is none, so 404 rather than 403).
        r = await client.get(f"/v1/sessions/{uuid.uuid4()}")
        assert r.status_code == 404, r.text
        r = await client.get("/v1/agent-profiles")
        assert r.status_code == 403
        assert r.json()["error"]["details"] == {"missing_scopes": ["read:agent_profiles"]}
        r = await client.post("/v1/agent-profiles", json=profile_body())
        assert r.status_code == 403
        assert r.json()["error"]["details"] == {"missing_scopes": ["write:agent_profiles"]}


async def test_repeated_scopes_are_all_granted(capsys: pytest.CaptureFixture[str], data_dir: Path) -> None:
    rc, out, err = await _acreate_key(
        capsys,
        data_dir,
        "--company",
        "acme",
        "--scope",
        "read:agent_profiles",
        "--scope",
        "write:agent_profiles",
        "--scope",
        "read:agent_profiles",
    )
    assert rc == 0
    assert err.rstrip().endswith("scopes: read:agent_profiles write:agent_profiles")
    async with _client(data_dir, out.strip()) as client:
        assert (await client.post("/v1/agent-profiles", json=profile_body())).status_code == 201
        assert (await client.get("/v1/templates")).status_code == 403


def test_unknown_scope_exits_2_with_a_message_and_no_key(
    capsys: pytest.CaptureFixture[str], data_dir: Path
) -> None:
    rc, out, err = _create_key(capsys, data_dir, "--company", "acme", "--scope", "read:everything")
    assert rc == 2
    assert out == ""
    assert "error:" in err
    assert "read:everything" in err


def test_usage_errors_exit_2(capsys: pytest.CaptureFixture[str], data_dir: Path) -> None:
    for argv in (
        ["api-key", "create", "--data-dir", str(data_dir)],
        ["api-key"],
        [],
        ["serve", "--port", "x"],
    ):
        with pytest.raises(SystemExit) as exc:
            cli.main(argv)
        assert exc.value.code == 2, argv
        assert "usage: interview-engine" in capsys.readouterr().err


def test_console_script_prints_the_key_on_stdout(data_dir: Path, tmp_path: Path) -> None:
    script = Path(sys.executable).with_name("interview-engine")
    done = subprocess.run(
        [str(script), "api-key", "create", "--company", "acme", "--data-dir", str(data_dir)],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
        cwd=tmp_path,
        env={"PATH": str(script.parent), "HOME": str(tmp_path)},
    )
    assert done.returncode == 0, done.stderr
    assert KEY_RE.match(done.stdout.strip())
    bad = subprocess.run(
        [
            str(script),
            "api-key",
            "create",
            "--company",
            "acme",
            "--scope",
            "nope",
            "--data-dir",
            str(data_dir),
        ],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
        cwd=tmp_path,
        env={"PATH": str(script.parent), "HOME": str(tmp_path)},
    )
    assert bad.returncode == 2
    assert bad.stdout == ""
    assert "nope" in bad.stderr


async def test_first_run_key_is_issued_once(data_dir: Path) -> None:
    settings = Settings(_env_file=None, data_dir=data_dir)
    clock = FixedClock(datetime(2026, 3, 2, 9, 0, tzinfo=UTC))
    issued = await first_run_key(settings, clock)
    assert issued is not None
    assert KEY_RE.match(issued.secret_key)
    assert issued.scopes == ALL_SCOPES
    assert await first_run_key(settings, clock) is None
    assert await first_run_key(settings, clock) is None
    async with _client(data_dir, issued.secret_key) as client:
        assert (await client.get("/v1/agent-profiles")).status_code == 200


def test_serve_prints_the_first_run_key_only_on_the_first_start(
    capsys: pytest.CaptureFixture[str], data_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    started: list[dict[str, Any]] = []

    def fake_run(app: Any, **kwargs: Any) -> None:
        started.append(kwargs)

    monkeypatch.setattr(serving, "run", fake_run)
    argv = ["serve", "--data-dir", str(data_dir), "--host", "127.0.0.1", "--port", "8123"]
    assert cli.main(argv) == 0
    out = capsys.readouterr().out
    keys = re.findall(r"ie_[0-9a-f]{16}_[A-Za-z0-9_-]{43}", out)
    assert len(set(keys)) == 1
    assert "First run" in out
    assert "http://127.0.0.1:8123/v1/agent-profiles" in out

    assert cli.main(argv) == 0
    assert capsys.readouterr().out == ""
    assert [s["port"] for s in started] == [8123, 8123]
    assert all(s["host"] == "127.0.0.1" for s in started)


def test_api_key_create_on_a_fresh_dir_means_serve_makes_no_default_company(
    capsys: pytest.CaptureFixture[str], data_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(serving, "run", lambda app, **kwargs: None)
    rc, _, _ = _create_key(capsys, data_dir, "--company", "acme")
    assert rc == 0
    assert cli.main(["serve", "--data-dir", str(data_dir)]) == 0
    assert capsys.readouterr().out == ""


def test_recruiter_create_reads_the_password_from_stdin_and_the_recruiter_can_sign_in(
    data_dir: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    import io

    password = "a long and private passphrase"
    monkeypatch.setattr(sys, "stdin", io.StringIO(password + "\n"))
    args = ["recruiter", "create", "--company", "acme", "--email", "Rita@Example.com", "--name", "Rita"]
    assert cli.main([*args, "--data-dir", str(data_dir)]) == 0
    out, err = capsys.readouterr()
    assert "rita@example.com" in out
    assert password not in out + err

    monkeypatch.setattr(sys, "stdin", io.StringIO("too short\n"))
    assert cli.main([*args[:5], "b@example.com", *args[6:], "--data-dir", str(data_dir)]) == 2
    assert "password: must be at least 12 characters" in capsys.readouterr().err

    async def sign_in() -> httpx.Response:
        from engine.app import create_app

        app = create_app(Settings(_env_file=None, data_dir=data_dir))
        async with app.router.lifespan_context(app):
            transport = httpx.ASGITransport(app=app)
            async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
                body = {"email": "rita@example.com", "password": password}
                return await client.post("/v1/auth/login", json=body)

    response = asyncio.run(sign_in())
    assert response.status_code == 200, response.text
    assert response.json()["company"]["name"] == "acme"


async def test_api_key_list_and_revoke(capsys: pytest.CaptureFixture[str], data_dir: Path) -> None:
    _, admin, _ = await _acreate_key(capsys, data_dir, "--company", "acme", "--name", "admin")
    _, reader, _ = await _acreate_key(
        capsys, data_dir, "--company", "acme", "--name", "ATS reader", "--scope", "read:sessions"
    )
    _, foreign, _ = await _acreate_key(capsys, data_dir, "--company", "globex")
    admin, reader, foreign = admin.strip(), reader.strip(), foreign.strip()
    admin_id, reader_id, foreign_id = (k.split("_")[1] for k in (admin, reader, foreign))
    async with _client(data_dir, reader) as client:
        assert (await client.get(f"/v1/sessions/{uuid.uuid4()}")).status_code == 404  # works, and is used

    rc, out, err = await asyncio.to_thread(_keys, capsys, data_dir, "list", "--company", "acme")
    assert rc == 0, err
    header, *rows = out.splitlines()
    assert header.split() == ["ID", "NAME", "CREATED", "LAST", "USED", "REVOKED", "SCOPES"]
    assert [row.split()[0] for row in rows] == [reader_id, admin_id]  # newest first
    assert rows[0].endswith("read:sessions")
    assert rows[1].endswith("all")
    assert "ATS reader" in rows[0]
    assert foreign_id not in out
    for key in (admin, reader, foreign):
        assert key.split("_", 2)[2] not in out + err

    rc, out, _ = await asyncio.to_thread(_keys, capsys, data_dir, "list", "--company", "acme", "--json")
    assert rc == 0
    listed = {k["id"]: k for k in json.loads(out)}
    assert listed[reader_id]["scopes"] == ["read:sessions"]
    assert listed[reader_id]["last_used_at"] is not None
    assert listed[reader_id]["revoked_at"] is None
    assert listed[admin_id]["created_by"] == "cli"
    assert listed[admin_id]["prefix"] == f"ie_{admin_id}_"

    rc, first, err = await asyncio.to_thread(
        _keys, capsys, data_dir, "revoke", "--company", "acme", reader_id
    )
    assert rc == 0, err
    assert reader_id in first
    assert "revoked at" in first
    async with _client(data_dir, reader) as client:
        assert (await client.get("/v1/sessions")).status_code == 401
    async with _client(data_dir, admin) as client:
        assert (await client.get(f"/v1/api-keys/{reader_id}")).json()["revoked_at"] is not None
    rc, out, _ = await asyncio.to_thread(_keys, capsys, data_dir, "list", "--company", "acme")
    assert rc == 0
    revoked_row = next(r for r in out.splitlines() if r.startswith(reader_id))
    assert first.split("revoked at ")[1].split(" UTC")[0] in revoked_row
    # Again, by the prefix `list --json` shows: nothing changes, the first time stays.
    rc, again, _ = await asyncio.to_thread(
        _keys, capsys, data_dir, "revoke", "--company", "acme", f"ie_{reader_id}_"
    )
    assert rc == 0
    assert again == first

    # Another company's key, an unknown company, and something that is not a key id: exit 2.
    for args in (
        ("revoke", "--company", "acme", foreign_id),
        ("revoke", "--company", "acme", "0123456789abcdef"),
        ("revoke", "--company", "nobody", admin_id),
        ("revoke", "--company", "acme", "not-a-key"),
        ("list", "--company", "nobody"),
    ):
        rc, out, err = await asyncio.to_thread(_keys, capsys, data_dir, *args)
        assert rc == 2, args
        assert out == ""
        assert err.startswith("error:"), err
    async with _client(data_dir, foreign) as client:
        assert (await client.get("/v1/templates")).status_code == 200
    async with _client(data_dir, admin) as client:
        assert (await client.get("/v1/templates")).status_code == 200
