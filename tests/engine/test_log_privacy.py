"""No log level prints secrets or personal data: with every logger at DEBUG (SQLAlchemy's statement and
row logs, the SQLite driver's), creating a webhook endpoint and a participant and reading them back
logs the statements but never the signing secret, the participant's email or name."""

from __future__ import annotations

import logging

import httpx
import pytest

from tests.engine.session_helpers import expect, make_participant

pytestmark = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)

EMAIL = "very.private.person@example.com"
NAME = "Zebulon Quixotic-Privatename"


async def test_debug_logs_carry_no_secret_and_no_email(
    client: httpx.AsyncClient, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    for name in ("sqlalchemy", "sqlalchemy.engine", "sqlalchemy.engine.Engine", "aiosqlite", "engine"):
        caplog.set_level(logging.DEBUG, logger=name)

    endpoint = expect(
        await client.post("/v1/webhook-endpoints", json={"url": "https://hooks.example.com/ie"}), 201
    )
    secret = endpoint["secret"]
    person = await make_participant(client, email=EMAIL, name=NAME)
    expect(await client.get(f"/v1/participants/{person['id']}"), 200)
    expect(await client.get("/v1/participants"), 200)
    expect(await client.get(f"/v1/webhook-endpoints/{endpoint['id']}"), 200)

    logged = "\n".join(
        [caplog.text, *(r.getMessage() for r in caplog.records), *(str(r.args) for r in caplog.records)]
    )
    # The statements are logged, so the checks below look at a real DEBUG log.
    assert "INSERT INTO webhook_endpoints" in logged
    assert "INSERT INTO participants" in logged
    assert "SELECT" in logged
    for private in (secret, secret.removeprefix("whsec_"), EMAIL, NAME):
        assert private not in logged
