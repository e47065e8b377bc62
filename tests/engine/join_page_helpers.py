"""The join page in a real Chromium: an engine served in a thread on a loopback port with an API key,
and a browser whose microphone plays a WAV file (Debian's Chromium, never a downloaded one)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, contextmanager
from pathlib import Path

from playwright.async_api import Browser, async_playwright

from config.settings import Settings
from engine.app import create_app
from engine.bootstrap import create_key
from engine.clock import SystemClock
from tests.chromium import launch
from tests.server_thread import ServerThread

__all__ = ["candidate_browser", "embedded_settings", "served"]


def embedded_settings(tmp_path: Path, **update: object) -> Settings:
    """The embedded default (SQLite, local disk) under `tmp_path`, with `update` applied."""
    return Settings(
        _env_file=None,
        data_dir=tmp_path / "data",
        database_url=f"sqlite+aiosqlite:///{tmp_path / 'e.db'}",
        **update,  # type: ignore[arg-type]
    )


@contextmanager
def served(settings: Settings) -> Iterator[tuple[str, str]]:
    """`settings`' engine in a thread: (its base URL, an API key)."""
    issued = asyncio.run(create_key(settings, "browser", None, SystemClock()))
    thread = ServerThread(create_app(settings))
    base = thread.start()
    try:
        yield base, issued.secret_key
    finally:
        thread.stop()


@asynccontextmanager
async def candidate_browser(microphone: Path) -> AsyncIterator[Browser]:
    """Chromium with `microphone` (a WAV file) as its fake capture device and the permission granted."""
    async with async_playwright() as playwright:
        launched = await launch(
            playwright,
            "--disable-quic",
            "--use-fake-ui-for-media-stream",
            "--use-fake-device-for-media-stream",
            f"--use-file-for-fake-audio-capture={microphone}",
        )
        try:
            yield launched
        finally:
            await launched.close()
