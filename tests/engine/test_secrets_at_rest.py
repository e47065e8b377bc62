"""Webhook signing secrets at rest: the database holds Fernet tokens, never the secret; deliveries still
sign with the secret; a key rotation (new key first, old keys after) re-encrypts at start-up while old
tokens still read; without a configured key an owner-only key file is made once; migration 0020
encrypts existing rows and its downgrade decrypts them."""

from __future__ import annotations

import stat
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest
import sqlalchemy as sa
from cryptography.fernet import Fernet
from pydantic import SecretStr
from standardwebhooks.webhooks import Webhook

from config.settings import SecretsSettings, Settings
from engine.secret_box import KEY_FILE, SecretBox, SecretKeyError
from engine.store.database import Database
from engine.store.tables import JsonType, UTCDateTime
from tests.engine.session_helpers import expect
from tests.engine.test_migrations import _to
from tests.engine.webhooks.test_delivery import engine, receiver, register, until
from tests.webhook_receiver import WebhookReceiver

SQLITE = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
__all__ = ["receiver"]  # the fixture, used by name

K1, K2, K3 = Fernet.generate_key().decode(), Fernet.generate_key().decode(), Fernet.generate_key().decode()


def test_a_box_encrypts_with_its_first_key_and_reads_with_any() -> None:
    old = SecretBox([K1])
    token = old.encrypt("whsec_abc")
    assert "whsec_abc" not in token
    assert token != old.encrypt("whsec_abc")
    rotating = SecretBox([K2, K1])
    assert rotating.rotating
    assert not old.rotating
    assert rotating.decrypt(token) == "whsec_abc"  # old tokens still read during the rotation
    assert not rotating.is_current(token)
    moved = rotating.rotate(token)
    assert rotating.is_current(moved)
    assert SecretBox([K2]).decrypt(moved) == "whsec_abc"  # the old key can go now
    with pytest.raises(SecretKeyError, match="IE_SECRETS__KEY") as refused:
        SecretBox([K3]).decrypt(token)
    assert K1 not in str(refused.value)
    assert K3 not in str(refused.value)
    with pytest.raises(ValueError, match="32 url-safe base64"):
        SecretBox(["not a key"])


def keyed(settings: Settings, key: str, old_keys: str | None = None) -> Settings:
    """The settings with these keys (IE_SECRETS__KEY, IE_SECRETS__OLD_KEYS): the engine takes its key from
    the Settings it is given, never from the environment behind them."""
    secrets = SecretsSettings(key=SecretStr(key), old_keys=SecretStr(old_keys) if old_keys else None)
    return settings.model_copy(update={"secrets": secrets})


async def _raw_secrets(settings: Settings) -> list[tuple[str, str | None]]:
    """The columns as stored, read past the encrypting column type."""
    db = Database(settings.resolved_database_url, SecretBox([K3]))  # any box: nothing is decrypted here
    try:
        async with db.engine.connect() as conn:
            rows = await conn.execute(sa.text("SELECT secret, previous_secret FROM webhook_endpoints"))
            return [(str(a), None if b is None else str(b)) for a, b in rows.all()]
    finally:
        await db.dispose()


async def _raw_responses(settings: Settings) -> list[bytes]:
    db = Database(settings.resolved_database_url, SecretBox([K3]))
    try:
        async with db.engine.connect() as conn:
            rows = await conn.execute(sa.text("SELECT body FROM idempotency_keys WHERE body IS NOT NULL"))
            return [bytes(body) for (body,) in rows.all()]
    finally:
        await db.dispose()


async def _deliver_test(client: httpx.AsyncClient, receiver: WebhookReceiver, endpoint_id: str) -> None:
    before = len(receiver.received)
    expect(await client.post(f"/v1/webhook-endpoints/{endpoint_id}/test"), 202)
    await until(lambda: len(receiver.received) > before)


@SQLITE
async def test_the_database_holds_no_plain_secret_and_deliveries_still_sign(
    settings: Settings, receiver: WebhookReceiver
) -> None:
    async with engine(keyed(settings, K1)) as (_, client):
        # With an Idempotency-Key the response (the secret in it) is stored for replay: encrypted too.
        once = {"Idempotency-Key": "create-hook-1"}
        body = {"url": receiver.url, "event_types": ["webhook.test"]}
        endpoint = expect(await client.post("/v1/webhook-endpoints", json=body, headers=once), 201)
        replayed = expect(await client.post("/v1/webhook-endpoints", json=body, headers=once), 201)
        assert replayed["secret"] == endpoint["secret"]
        first = endpoint["secret"]
        await _deliver_test(client, receiver, endpoint["id"])
        rotated = expect(await client.post(f"/v1/webhook-endpoints/{endpoint['id']}/rotate-secret"), 200)
        second = rotated["secret"]
        await _deliver_test(client, receiver, endpoint["id"])

    [(stored, previous)] = await _raw_secrets(settings)
    [response] = await _raw_responses(settings)
    assert b"whsec_" not in response
    assert first.encode() not in response
    assert first in SecretBox([K1]).decrypt_bytes(response).decode()
    assert previous is not None
    for raw in (stored, previous):
        assert "whsec_" not in raw
        assert first not in raw
        assert second not in raw
    assert SecretBox([K1]).decrypt(stored) == second
    assert SecretBox([K1]).decrypt(previous) == first
    # Signed with the secrets themselves: the first delivery with the first secret, the one after the
    # rotation with both (the receiver may hold either during the overlap).
    Webhook(first).verify(receiver.received[0].body, receiver.received[0].headers)
    Webhook(second).verify(receiver.received[1].body, receiver.received[1].headers)
    Webhook(first).verify(receiver.received[1].body, receiver.received[1].headers)


@SQLITE
async def test_a_key_rotation_reencrypts_at_start_up_and_old_tokens_read_meanwhile(
    settings: Settings, receiver: WebhookReceiver
) -> None:
    async with engine(keyed(settings, K1)) as (_, client):
        endpoint = await register(client, receiver.url, event_types=["webhook.test"])
    [(under_k1, _)] = await _raw_secrets(settings)
    assert SecretBox([K1]).is_current(under_k1)

    # New key first, the old one after: the start-up pass moves every value to the new key.
    async with engine(keyed(settings, K2, old_keys=f" {K1} ,")) as (_, client):
        await _deliver_test(client, receiver, endpoint["id"])
    [(under_k2, _)] = await _raw_secrets(settings)
    assert under_k2 != under_k1
    assert SecretBox([K2]).decrypt(under_k2) == endpoint["secret"]

    # The old key dropped: everything still reads and signs.
    async with engine(keyed(settings, K2)) as (_, client):
        await _deliver_test(client, receiver, endpoint["id"])
    assert len(receiver.received) == 2
    for request in receiver.received:
        Webhook(endpoint["secret"]).verify(request.body, request.headers)


async def test_without_a_key_one_is_made_once_beside_the_database_owner_only(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("IE_SECRETS__KEY", raising=False)
    monkeypatch.delenv("IE_SECRETS__OLD_KEYS", raising=False)
    url = f"sqlite+aiosqlite:///{tmp_path / 'db' / 'engine.db'}"
    first = Database(url)
    token = first.secret_box.encrypt("whsec_abc")
    await first.dispose()
    key_file = tmp_path / "db" / KEY_FILE
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    assert not list(key_file.parent.glob(f".{KEY_FILE}.*"))  # no temporary file left behind
    again = Database(url)  # a restart reads the same key
    try:
        assert again.secret_box.decrypt(token) == "whsec_abc"
    finally:
        await again.dispose()


COMPANIES = sa.table("companies", sa.column("id"), sa.column("name"), sa.column("created_at", UTCDateTime()))
ENDPOINTS_0019 = sa.table(
    "webhook_endpoints",
    sa.column("id"),
    sa.column("company_id"),
    sa.column("url"),
    sa.column("description"),
    sa.column("event_types", JsonType),
    sa.column("enabled"),
    sa.column("secret"),
    sa.column("previous_secret"),
    sa.column("created_at", UTCDateTime()),
    sa.column("updated_at", UTCDateTime()),
)

RESPONSES_0019 = sa.table(
    "idempotency_keys",
    sa.column("id"),
    sa.column("request_hash"),
    sa.column("state"),
    sa.column("status_code"),
    sa.column("body", sa.LargeBinary()),
    sa.column("created_at", UTCDateTime()),
    sa.column("expires_at", UTCDateTime()),
)
RESPONSE = {
    "id": "f" * 64,
    "request_hash": "0" * 64,
    "state": "done",
    "status_code": 201,
    "body": b'{"secret": "whsec_DDDD"}',
}


@SQLITE
async def test_migration_0020_encrypts_existing_secrets_and_its_downgrade_decrypts_them(
    database_url: str,
) -> None:
    box = SecretBox([K1])
    db = Database(database_url, box)
    now = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
    company = "c0000000-0000-0000-0000-000000000001"
    plain = {"e1": ("whsec_AAAA", "whsec_BBBB"), "e2": ("whsec_CCCC", None)}
    try:
        await _to(db, "0019")
        async with db.engine.begin() as conn:
            await conn.execute(sa.insert(COMPANIES).values(id=company, name="acme", created_at=now))
            for endpoint_id, (secret, previous) in plain.items():
                await conn.execute(
                    sa.insert(ENDPOINTS_0019).values(
                        id=endpoint_id,
                        company_id=company,
                        url="https://hooks.example.test/",
                        description="",
                        event_types=[],
                        enabled=True,
                        secret=secret,
                        previous_secret=previous,
                        created_at=now,
                        updated_at=now,
                    )
                )
            await conn.execute(sa.insert(RESPONSES_0019).values(**RESPONSE, created_at=now, expires_at=now))

        async def stored() -> dict[str, tuple[str, str | None]]:
            async with db.engine.connect() as conn:
                rows = await conn.execute(
                    sa.select(ENDPOINTS_0019.c.id, ENDPOINTS_0019.c.secret, ENDPOINTS_0019.c.previous_secret)
                )
                return {str(i): (str(s), p) for i, s, p in rows.all()}

        async def stored_response() -> bytes:
            async with db.engine.connect() as conn:
                return bytes((await conn.execute(sa.select(RESPONSES_0019.c.body))).scalar_one())

        await _to(db, "0020")
        assert box.decrypt_bytes(await stored_response()) == RESPONSE["body"]
        encrypted = await stored()
        for endpoint_id, (secret, previous) in plain.items():
            token, previous_token = encrypted[endpoint_id]
            assert not token.startswith("whsec_")
            assert box.decrypt(token) == secret
            assert (previous_token is None) == (previous is None)
            if previous is not None and previous_token is not None:
                assert box.decrypt(previous_token) == previous

        await _to(db, "0019", "downgrade")
        assert await stored() == plain
        assert await stored_response() == RESPONSE["body"]
    finally:
        await db.dispose()
