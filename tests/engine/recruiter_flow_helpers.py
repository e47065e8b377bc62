"""Shared by the recruiter's end-to-end browser test (test_browser_recruiter_flow.py): numbered
screenshots of each page state, the candidate's link read from the invitation, a session completed with
a stored transcript (the engine's own analysis then scores it), and the journey's last two pages
(webhook endpoints, API keys)."""

from __future__ import annotations

import asyncio
import re
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import httpx
from playwright.async_api import Page, ViewportSize
from standardwebhooks.webhooks import Webhook

from config.enums import Speaker
from engine.services import transcripts
from engine.services.transcripts import NewSegment
from engine.store.database import Database
from engine.store.tables import SessionRow
from tests.chromium import screenshot
from tests.engine.analysis_helpers import QUESTIONS, STRONG
from tests.engine.session_helpers import expect
from tests.webhook_receiver import WebhookReceiver

__all__ = [
    "DESKTOP",
    "Flow",
    "Shots",
    "analysed",
    "complete_with_transcript",
    "join_path",
    "manage_keys",
    "manage_webhooks",
]

DESKTOP: ViewportSize = {"width": 1280, "height": 900}
FOLDER = "recruiter-flow"
# Settings.public_base_url unset: where the engine's join links point, whatever port the test server has.
DEFAULT_BASE = "http://127.0.0.1:8000"
JSON = dict[str, Any]
SECRET_RE = re.compile(r"^whsec_[A-Za-z0-9+/=]+$")
KEY_RE = re.compile(r"^ie_[0-9a-f]{16}_[A-Za-z0-9_-]{43}$")


@dataclass
class Shots:
    """Screenshots numbered in the order the journey takes them (test-artifacts/recruiter-flow/), each
    state also checked by axe-core (`tests.chromium.screenshot`)."""

    taken: int = 0

    async def __call__(self, page: Page, name: str) -> None:
        self.taken += 1
        await screenshot(page, FOLDER, f"{self.taken:02d}-{name}")


@dataclass(frozen=True, slots=True)
class Flow:
    page: Page
    api: httpx.AsyncClient
    shot: Shots


def join_path(text: str) -> str:
    """The path of the join link in an email's text (the link names the default base URL)."""
    found = re.search(rf"{re.escape(DEFAULT_BASE)}(/join/\S+)", text)
    assert found, text
    return found.group(1)


async def complete_with_transcript(database_url: str, api: httpx.AsyncClient, session_id: str) -> None:
    """Runs a session the way `tests.engine.analysis_helpers.complete_with` does, against a served
    engine: started and completed through the API, with strong answers to three rubric questions stored
    as its transcript in between (through the engine's own store, as the live session would store
    them; a second connection to the same SQLite file). Completing it starts the engine's analysis."""
    expect(await api.patch(f"/v1/sessions/{session_id}", json={"status": "in_progress"}), 200)
    database = Database(database_url)
    try:
        async with database.transaction() as db:
            row = await db.get(SessionRow, session_id)
            assert row is not None
            t = 0.0
            for question, answer in zip(QUESTIONS, STRONG, strict=True):
                for speaker, text, length, confidence in (
                    (Speaker.INTERVIEWER, question, 5.0, None),
                    (Speaker.CANDIDATE, answer, 20.0, 0.9),
                ):
                    segment = NewSegment(speaker, t, t + length, text, confidence)
                    await transcripts.append_segment(db, row.company_id, row.id, segment, datetime.now(UTC))
                    t += length + 1
    finally:
        await database.dispose()
    expect(await api.patch(f"/v1/sessions/{session_id}", json={"status": "completed"}), 200)


async def analysed(api: httpx.AsyncClient, session_id: str, timeout_s: float = 60.0) -> JSON:
    """The session once the engine's background analysis of it is done."""
    deadline = time.monotonic() + timeout_s
    while True:
        session = expect(await api.get(f"/v1/sessions/{session_id}"), 200)
        if session["analysis_status"] not in (None, "PENDING", "PROCESSING"):
            return session
        assert time.monotonic() < deadline, f"no analysis within {timeout_s}s: {session}"
        await asyncio.sleep(0.2)


async def manage_webhooks(flow: Flow, receiver: WebhookReceiver) -> None:
    page = flow.page
    await page.click("[data-nav=webhooks]")
    await page.wait_for_selector("[data-testid=endpoints] .state-empty")
    await page.fill("[data-testid=endpoint-url]", receiver.url)
    await page.fill("[data-testid=endpoint-description]", "Our ATS")
    await page.click("[data-testid=new-events-some]")
    await page.check("[data-testid='new-event-session.completed']")
    await page.click("[data-testid=endpoint-create]")
    field = await page.wait_for_selector("[data-testid=new-secret]")
    assert field is not None
    secret = await field.input_value()
    assert SECRET_RE.match(secret), secret
    assert "will not be shown again" in await page.inner_text("[data-testid=secret-notice]")
    await flow.shot(page, "webhook-secret")
    await page.click("[data-testid=dismiss-secret]")
    await page.wait_for_selector("[data-testid=secret-notice]", state="detached")
    assert secret not in await page.content()
    [endpoint] = expect(await flow.api.get("/v1/webhook-endpoints"), 200)["data"]
    assert (endpoint["url"], endpoint["event_types"]) == (receiver.url, ["session.completed"])

    await page.click(f"[data-testid=endpoint-link]:text-is('{receiver.url}')")
    await page.click("[data-testid=endpoint-test]")
    await page.wait_for_selector("[data-testid=test-result][data-status=succeeded]")
    assert "delivered: the endpoint answered HTTP 200" in await page.inner_text("[data-testid=test-result]")
    await page.wait_for_selector("[data-testid=delivery-row][data-status=succeeded]")
    await flow.shot(page, "webhook-test-delivered")
    [arrived] = receiver.received
    assert Webhook(secret).verify(arrived.body, arrived.headers)["type"] == "webhook.test"


async def manage_keys(flow: Flow, base: str, session_id: str) -> None:
    """A key that may read sessions: it reads one, and nothing else; revoked, it reads nothing."""
    page = flow.page
    await page.click("[data-nav=api-keys]")
    await page.wait_for_selector("[data-testid=key-row]")
    await page.fill("[data-testid=key-name]", "ATS sync")
    await page.check("[data-testid='scope-read:sessions']")
    await page.click("[data-testid=key-create]")
    field = await page.wait_for_selector("[data-testid=new-key]")
    assert field is not None
    key = await field.input_value()
    assert KEY_RE.match(key), key
    await flow.shot(page, "key-created")
    async with httpx.AsyncClient(base_url=base, headers={"Authorization": f"Bearer {key}"}) as made:
        expect(await made.get(f"/v1/sessions/{session_id}"), 200)
        assert (await made.get("/v1/templates")).status_code == 403
    await page.click("[data-testid=dismiss-key]")
    key_id = key.split("_")[1]
    row = f"[data-testid=key-row][data-key-id='{key_id}']"
    await page.click(f"{row} [data-testid=revoke]")
    await page.wait_for_selector("[data-testid=confirm-dialog]")
    await page.click("[data-testid=confirm-ok]")
    await page.wait_for_selector(f"{row}[data-revoked=true]")
    assert await page.inner_text(f"{row} [data-testid=key-status]") == "Revoked"
    await flow.shot(page, "key-revoked")
    async with httpx.AsyncClient(base_url=base, headers={"Authorization": f"Bearer {key}"}) as revoked:
        assert (await revoked.get(f"/v1/sessions/{session_id}")).status_code == 401
    listed = expect(await flow.api.get("/v1/api-keys"), 200)["data"]
    made_key = next(k for k in listed if k["id"] == key_id)
    assert (made_key["name"], made_key["scopes"]) == ("ATS sync", ["read:sessions"])
    assert made_key["revoked_at"] is not None
