"""Shared by the email tests: SMTP settings for the loopback server, and waiting on what arrives."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any

import httpx

from config.email_settings import EmailSettings, SmtpSettings
from tests.engine.session_helpers import expect
from tests.smtp_receiver import Arrived, SmtpReceiver

JSON = dict[str, Any]
LOGIN = ("mailer", "s3cret-Pa55word")
FROM = "Acme Interviews <interviews@acme.example>"
# Retries in real time, fractions of a second apart; the worker looks for work every 50 ms.
FAST = EmailSettings(poll_s=0.05, retry_schedule_s=[0, 0.3, 0.3, 0.3, 0.3, 0.3])


def smtp_settings(port: int, *, login: tuple[str, str] | None = LOGIN, **overrides: Any) -> SmtpSettings:
    fields: dict[str, Any] = {
        "host": "127.0.0.1",
        "port": port,
        "security": "none",
        "from_address": FROM,
        "timeout_s": 5,
    }
    if login is not None:
        fields.update(username=login[0], password=login[1])
    return SmtpSettings(**{**fields, **overrides})


async def until(predicate: Callable[[], Awaitable[bool]], timeout_s: float = 15.0, what: str = "it") -> None:
    for _ in range(int(timeout_s / 0.05)):
        if await predicate():
            return
        await asyncio.sleep(0.05)
    raise AssertionError(f"timed out waiting for {what}")


async def arrivals(smtp: SmtpReceiver, count: int, timeout_s: float = 15.0) -> list[Arrived]:
    """The messages the server accepted, once there are `count` of them."""

    async def enough() -> bool:
        return len(smtp.messages()) >= count

    await until(enough, timeout_s, f"{count} message(s) on the SMTP server")
    return smtp.messages()


async def emails_of(client: httpx.AsyncClient, session_id: str) -> list[JSON]:
    """The session's emails, oldest first."""
    data = expect(await client.get(f"/v1/sessions/{session_id}/emails"), 200)["data"]
    return sorted(data, key=lambda e: (e["created_at"], e["id"]))


async def settled(client: httpx.AsyncClient, session_id: str, count: int) -> list[JSON]:
    """The session's `count` emails once none is queued and due (a reminder may wait for its time)."""
    found: list[JSON] = []

    async def done() -> bool:
        nonlocal found
        found = await emails_of(client, session_id)
        waiting = [e for e in found if e["status"] == "queued" and e["kind"] != "reminder"]
        return len(found) >= count and not waiting

    await until(done, what=f"{count} settled email(s) of session {session_id}")
    return found
