"""Shared by the Sessions tab's browser test (test_browser_template_sessions.py): upload files built in
the test, the tab's rows and counts as the page shows them, and the API's view of the same sessions."""

from __future__ import annotations

import io
from typing import Any

import httpx
import openpyxl
from playwright.async_api import FilePayload, Page

from tests.chromium import screenshot
from tests.engine.dashboard_helpers import assert_fits
from tests.engine.emails.helpers import until
from tests.engine.session_helpers import expect
from tests.smtp_receiver import SmtpReceiver

__all__ = [
    "DOCX",
    "PDF",
    "XLSX",
    "api_sessions",
    "by_email",
    "counts",
    "file",
    "invitations_to",
    "resume_lines",
    "row_of",
    "sheet",
    "shot",
]

PDF = "application/pdf"
DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
SHOTS = "template-sessions"
JSON = dict[str, Any]


def resume_lines(name: str, email: str, phone: str) -> list[str]:
    """A resume's lines as the parser reads them: the name first, then contact details, job, sections."""
    return [
        name,
        f"{email} · {phone}",
        "Senior Software Engineer at Initech",
        "Skills",
        "Python, PostgreSQL, Kubernetes",
        "Education",
        "BSc Computer Science, University of Leeds",
    ]


def sheet(*rows: tuple[str, str]) -> bytes:
    """An .xlsx with the import's `name` and `email` columns and these rows under them."""
    book = openpyxl.Workbook()
    ws = book.active
    assert ws is not None
    ws.append(["name", "email"])
    for row in rows:
        ws.append(list(row))
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def file(name: str, mime: str, data: bytes) -> FilePayload:
    return {"name": name, "mimeType": mime, "buffer": data}


async def shot(page: Page, name: str) -> None:
    """The state fits the phone, then its screenshot, axe-checked."""
    await assert_fits(page)
    await screenshot(page, SHOTS, name)


async def api_sessions(client: httpx.AsyncClient, template: str) -> list[JSON]:
    body = expect(await client.get("/v1/sessions", params={"template_id": template, "limit": 100}), 200)
    data: list[JSON] = body["data"]
    return data


def by_email(sessions: list[JSON], email: str) -> list[JSON]:
    return [s for s in sessions if s["participant_email"] == email]


async def row_of(page: Page, email: str) -> str:
    """A selector for the newest list row of the participant with this email."""
    await page.wait_for_selector(f"[data-testid=ts-row]:has([data-testid=ts-email]:text-is('{email}'))")
    return f"[data-testid=ts-row]:has([data-testid=ts-email]:text-is('{email}')) >> nth=0"


async def counts(page: Page) -> dict[str, int]:
    """Each status filter's count as the page shows it."""
    found: dict[str, str] = await page.eval_on_selector_all(
        "[data-testid=ts-filters] button",
        "els => Object.fromEntries(els.map(e => [e.dataset.testid.replace('ts-filter-', ''), e.dataset.count]))",
    )
    return {k: int(v) for k, v in found.items()}


async def invitations_to(smtp: SmtpReceiver, email: str, count: int) -> list[str]:
    """The plain text of the emails to `email`, once `count` of them have arrived."""

    async def arrived() -> bool:
        return len([m for m in smtp.messages() if email in m.rcpt_tos]) >= count

    await until(arrived, what=f"{count} email(s) to {email}")
    return [m.text for m in smtp.messages() if email in m.rcpt_tos]
