"""Debian's Chromium for the browser tests, driven by Playwright. Never downloads a browser: Playwright
launches /usr/bin/chromium (or IE_TEST_CHROMIUM)."""

from __future__ import annotations

import contextlib
import functools
import importlib.resources
import os
from collections.abc import AsyncIterator, Sequence
from pathlib import Path
from typing import Any

import pytest
from playwright.async_api import Browser, Page, Playwright, async_playwright

__all__ = [
    "ARTIFACTS",
    "CHROMIUM",
    "assert_accessible",
    "axe_violations",
    "chromium",
    "launch",
    "requires_chromium",
    "screenshot",
]

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


async def screenshot(page: Page, folder: str, name: str, *, accessible: bool = True) -> None:
    """A full-page screenshot kept as a test artifact (test-artifacts/<folder>/<name>.png), and, unless
    `accessible` is false, axe-core's check of the same state (`assert_accessible`): every state a test
    keeps a picture of is a state a user meets."""
    where = ARTIFACTS / folder
    where.mkdir(parents=True, exist_ok=True)
    await page.screenshot(path=str(where / f"{name}.png"), full_page=True)
    if accessible:
        await assert_accessible(page, f"{folder}/{name}")


@functools.cache
def _axe_source() -> str:
    """axe-core as shipped inside the axe-playwright-python wheel (no download, no npm at test time)."""
    return (importlib.resources.files("axe_playwright_python") / "axe.min.js").read_text(encoding="utf-8")


async def axe_violations(
    page: Page, impacts: Sequence[str] = ("serious", "critical")
) -> list[dict[str, Any]]:
    """axe-core's violations of the page as it is now, at the given impacts. Injected through the
    DevTools protocol (`evaluate`), which the pages' Content-Security-Policy does not govern."""
    if not await page.evaluate("() => typeof window.axe === 'object'"):
        await page.evaluate(_axe_source())
    result: dict[str, Any] = await page.evaluate(
        "async () => await window.axe.run(document, {resultTypes: ['violations']})"
    )
    return [v for v in result["violations"] if v.get("impact") in impacts]


async def assert_accessible(page: Page, state: str) -> None:
    """No serious or critical axe-core violation in this state of the page; the failure names each rule
    and the elements it found."""
    found = await axe_violations(page)
    described = [
        f"{v['id']} ({v['impact']}): {v['help']} at " + ", ".join(str(n["target"]) for n in v["nodes"][:5])
        for v in found
    ]
    assert not described, f"{state}: " + "; ".join(described)
