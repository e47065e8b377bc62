"""The mail tests' SMTP server wants a login, as a company's relay would: it overrides the `smtp` fixture
of tests/engine/conftest.py for this folder (`smtp_settings` in helpers.py logs in with LOGIN)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.engine.emails.helpers import LOGIN
from tests.smtp_receiver import SmtpReceiver


@pytest.fixture
def smtp() -> Iterator[SmtpReceiver]:
    """An SMTP server on loopback that wants AUTH with LOGIN before it takes a message."""
    server = SmtpReceiver(login=LOGIN)
    server.start()
    try:
        yield server
    finally:
        server.stop()
