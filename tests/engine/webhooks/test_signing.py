"""Signatures as a receiver checks them, with the independent `standardwebhooks` package."""

from __future__ import annotations

import base64
import json
import time

import pytest
from standardwebhooks.webhooks import Webhook, WebhookVerificationError

from engine.webhooks.signing import SECRET_PREFIX, headers, new_secret, sign


def test_a_new_secret_is_prefixed_and_carries_32_random_bytes() -> None:
    first, second = new_secret(), new_secret()
    assert first.startswith(SECRET_PREFIX)
    assert len(base64.b64decode(first[len(SECRET_PREFIX) :])) == 32
    assert first != second


def test_the_standard_webhooks_library_verifies_our_signature() -> None:
    secret = new_secret()
    body = json.dumps(
        {"type": "session.completed", "timestamp": "2026-11-22T12:00:00+00:00", "data": {}}
    ).encode()
    now = int(time.time())
    sent = headers([secret], "evt_0001abc", now, body)
    assert Webhook(secret).verify(body, sent) == json.loads(body)
    # Tampering with the body, the id or the timestamp breaks it.
    with pytest.raises(WebhookVerificationError):
        Webhook(secret).verify(body + b" ", sent)
    with pytest.raises(WebhookVerificationError):
        Webhook(secret).verify(body, {**sent, "webhook-id": "evt_other"})
    with pytest.raises(WebhookVerificationError):
        Webhook(new_secret()).verify(body, sent)


def test_during_a_rotation_both_secrets_verify() -> None:
    old, new = new_secret(), new_secret()
    body = b'{"type":"webhook.test","timestamp":"2026-11-22T12:00:00+00:00","data":{}}'
    sent = headers([new, old], "evt_0002", int(time.time()), body)
    assert len(sent["webhook-signature"].split(" ")) == 2
    for secret in (old, new):
        Webhook(secret).verify(body, sent)


def test_a_secret_must_have_the_prefix() -> None:
    with pytest.raises(ValueError, match="whsec_"):
        sign("not-a-secret", "evt_1", 1, b"{}")
