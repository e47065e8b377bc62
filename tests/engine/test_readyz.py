"""`GET /readyz`: ready when the database answers, the models are where they should be and the workers
run; 503 naming the failing check otherwise, while `/healthz` stays a plain liveness answer."""

from __future__ import annotations

import pytest
from fastapi import FastAPI
from sqlalchemy.ext.asyncio import create_async_engine

from tests.helpers import ApiClients

pytestmark = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)


async def test_ready_when_database_models_and_workers_are(api: ApiClients) -> None:
    raw = api.raw_client()
    response = await raw.get("/readyz")
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["status"] == "ready"
    assert body["failing"] == []
    assert {name: check["status"] for name, check in body["checks"].items()} == {
        "database": "ok",
        "object_store": "ok",
        "models": "ok",
        "workers": "ok",
        "accepting": "ok",
    }
    assert body["checks"]["object_store"]["detail"].startswith("not configured")
    # The tests start without preloading (tests/conftest.py): the probe says so and loads nothing.
    assert "asr on_first_use" in body["checks"]["models"]["detail"]
    assert not app_asr_loaded(api.app)


def app_asr_loaded(app: FastAPI) -> bool:
    return bool(app.state.services.live.runtime.asr.loaded)


async def test_a_database_that_does_not_answer_is_a_503_naming_it(
    api: ApiClients, monkeypatch: pytest.MonkeyPatch
) -> None:
    database = api.app.state.services.database
    # Nothing listens on port 9 of loopback: connecting is refused at once.
    unreachable = create_async_engine("postgresql+asyncpg://engine:secret-password@127.0.0.1:9/engine")
    monkeypatch.setattr(database, "engine", unreachable)
    raw = api.raw_client()
    try:
        response = await raw.get("/readyz")
        assert (await raw.get("/healthz")).status_code == 200
    finally:
        await unreachable.dispose()
    assert response.status_code == 503, response.text
    body = response.json()
    assert body["status"] == "not_ready"
    assert body["failing"] == ["database"]
    assert body["checks"]["database"]["status"] == "failing"
    assert body["checks"]["database"]["detail"].startswith("SELECT 1 failed")
    assert "secret-password" not in response.text
    assert body["checks"]["workers"]["status"] == "ok"


async def test_a_draining_engine_is_not_ready_but_alive(api: ApiClients) -> None:
    """After SIGTERM the engine drains (engine.serving): a load balancer must stop sending it new
    candidates, while a restart policy must leave it alone."""
    await api.app.state.services.live.drain(0.0)
    raw = api.raw_client()
    response = await raw.get("/readyz")
    assert response.status_code == 503, response.text
    assert response.json()["failing"] == ["accepting"]
    assert response.json()["checks"]["accepting"]["detail"].startswith("draining")
    assert (await raw.get("/healthz")).status_code == 200
