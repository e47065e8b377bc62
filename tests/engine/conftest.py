"""Fixtures the engine's tests share (here, so that tests in the subfolders get them too): a Chromium
for the browser tests, and a real SMTP server on loopback for the tests that read the emails sent.

A module that needs another kind (Chromium with fake media devices, an SMTP relay that wants a login)
overrides the fixture by its name."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator

import pytest
from playwright.async_api import Browser

from tests.chromium import chromium
from tests.smtp_receiver import SmtpReceiver


@pytest.fixture
async def browser() -> AsyncIterator[Browser]:
    """Debian's Chromium, headless, one per test (modules mark themselves `requires_chromium`)."""
    async with chromium() as launched:
        yield launched


@pytest.fixture
def smtp() -> Iterator[SmtpReceiver]:
    """An SMTP server on loopback that takes every message without a login (see `smtp_env`)."""
    server = SmtpReceiver()
    server.start()
    try:
        yield server
    finally:
        server.stop()
