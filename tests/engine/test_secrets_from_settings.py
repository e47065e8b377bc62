"""The secrets key comes from the Settings the engine is given, not from the environment read again: an
app (and a worker process) built from Settings with `secrets.key` set, and no IE_SECRETS__* variables,
encrypts webhook secrets with that key, never with the generated key file's."""

from __future__ import annotations

import asyncio

import pytest
from cryptography.fernet import Fernet

from config.settings import Settings
from engine.app import create_app
from engine.secret_box import SecretBox, SecretKeyError, load_box
from engine.workers import run_workers
from tests.engine.session_helpers import expect
from tests.engine.test_secrets_at_rest import _raw_secrets, keyed
from tests.helpers import ApiClients, StepClock

pytestmark = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)

K1, K2 = Fernet.generate_key().decode(), Fernet.generate_key().decode()


@pytest.fixture(autouse=True)
def _no_key_in_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("IE_SECRETS__KEY", "IE_SECRETS__OLD_KEYS", "IE_SECRETS__KEY_FILE"):
        monkeypatch.delenv(name, raising=False)


async def _create_endpoint(settings: Settings, clock: StepClock) -> str:
    app = create_app(settings, clock=clock)
    async with app.router.lifespan_context(app):
        api = ApiClients(app, clock)
        try:
            client = await api.client("acme")
            body = {"url": "https://hooks.example.com/ie"}
            secret: str = expect(await client.post("/v1/webhook-endpoints", json=body), 201)["secret"]
        finally:
            await api.aclose()
    return secret


async def test_the_key_in_the_apps_settings_encrypts(settings: Settings, clock: StepClock) -> None:
    with_key = keyed(settings, K1)
    secret = await _create_endpoint(with_key, clock)

    [(stored, _)] = await _raw_secrets(with_key)
    assert SecretBox([K1]).decrypt(stored) == secret
    # Not the key an engine without IE_SECRETS__KEY generates beside its database.
    key_file_box = load_box(None, None, with_key.resolved_database_url, with_key.data_dir)
    with pytest.raises(SecretKeyError):
        key_file_box.decrypt(stored)


async def test_a_worker_rotates_to_the_key_in_its_settings(settings: Settings, clock: StepClock) -> None:
    secret = await _create_endpoint(keyed(settings, K1), clock)
    [(under_k1, _)] = await _raw_secrets(settings)
    assert SecretBox([K1]).is_current(under_k1)

    # A worker process started with the new key and the old one re-encrypts at start-up (its migrate).
    stop = asyncio.Event()
    stop.set()  # start, migrate, open the workers, then stop at once
    await run_workers(keyed(settings, K2, old_keys=K1), stop=stop)

    [(under_k2, _)] = await _raw_secrets(settings)
    assert SecretBox([K2]).is_current(under_k2)
    assert SecretBox([K2]).decrypt(under_k2) == secret
