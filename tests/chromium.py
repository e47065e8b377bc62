"""Debian's Chromium for the browser tests, driven by Playwright. Never downloads a browser: Playwright
launches /usr/bin/chromium (or IE_TEST_CHROMIUM)."""

from __future__ import annotations

import contextlib
import os
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from playwright.async_api import Browser, Page, Playwright, async_playwright

__all__ = ["ARTIFACTS", "CHROMIUM", "chromium", "launch", "requires_chromium", "screenshot"]

CHROMIUM = Path(os.environ.get("IE_TEST_CHROMIUM", "/usr/bin/chromium"))
ARTIFACTS = Path(__file__).resolve().parents[1] / "test-artifacts"

# Skipped only outside CI: under CI (where `make test` installs chromium) a missing browser is a failure,
# so a broken install step cannot hide behind a skip.
requires_chromium = pytest.mark.skipif(
    not CHROMIUM.exists() and not os.environ.get("CI"),
    reason="Debian's chromium is not installed (make test installs it)",
)

# Quiet, headless and offline: nothing phones home, and media may play without a click.
BASE_ARGS = (
    "--no-sandbox",
    "--disable-gpu",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--autoplay-policy=no-user-gesture-required",
)


@contextlib.asynccontextmanager
async def chromium(*extra_args: str) -> AsyncIterator[Browser]:
    """A launched Chromium, closed on the way out."""
    async with async_playwright() as playwright:
        launched = await launch(playwright, *extra_args)
        try:
            yield launched
        finally:
            await launched.close()


async def launch(playwright: Playwright, *extra_args: str) -> Browser:
    return await playwright.chromium.launch(
        executable_path=str(CHROMIUM), headless=True, args=[*BASE_ARGS, *extra_args]
    )


async def screenshot(page: Page, folder: str, name: str) -> None:
    """A full-page screenshot kept as a test artifact (test-artifacts/<folder>/<name>.png)."""
    where = ARTIFACTS / folder
    where.mkdir(parents=True, exist_ok=True)
    await page.screenshot(path=str(where / f"{name}.png"), full_page=True)
