"""The email outbox when the SMTP server is not there or says no, in real time (retries wait in seconds):
an email waits through an outage and an engine restart and arrives once; a temporary refusal is tried
again, a permanent one is not; without SMTP settings every email is recorded as not sent, with why."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import timedelta
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from config.settings import Settings
from engine.app import create_app
from engine.notifications import compose
from engine.notifications.compose import format_time
from tests.engine.emails.helpers import FAST, arrivals, emails_of, settled, smtp_settings, until
from tests.engine.session_helpers import (
    book,
    expect,
    inline_participant,
    make_profile,
    make_stage,
    make_template,
)
from tests.helpers import ApiClients, StepClock
from tests.ports import free_port
from tests.smtp_receiver import SmtpReceiver

pytestmark = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)


@asynccontextmanager
async def engine(settings: Settings, **groups: Any) -> AsyncIterator[tuple[FastAPI, httpx.AsyncClient]]:
    # The real clock: retries wait in real time.
    app = create_app(settings.model_copy(update=groups))
    async with app.router.lifespan_context(app):
        api = ApiClients(app, StepClock(app.state.services.clock.now()))
        client = await api.client()
        try:
            yield app, client
        finally:
            await api.aclose()


async def invite(
    client: httpx.AsyncClient, participant: dict[str, Any] | None = None, **booking: Any
) -> dict[str, Any]:
    profile = await make_profile(client)
    template = await make_template(client)
    stage = await make_stage(client, template["id"], profile["id"])
    person = inline_participant(**(participant or {}))
    return await book(client, stage_id=stage["id"], participant=person, **booking)


async def test_an_email_waits_out_an_smtp_outage_and_a_restart_then_arrives_once(settings: Settings) -> None:
    port = free_port()  # nothing listens there yet
    groups = {"smtp": smtp_settings(port, login=None), "email": FAST}
    async with engine(settings, **groups) as (_, client):
        session = await invite(client)

        async def failed_twice() -> bool:
            (email,) = await emails_of(client, session["id"])
            return bool(email["attempts"] >= 2)

        await until(failed_twice, what="two failed attempts")
        (waiting,) = await emails_of(client, session["id"])
    assert waiting["status"] == "queued"
    assert waiting["sent_at"] is None
    assert waiting["next_attempt_at"] is not None
    assert "SMTPConnectError" in waiting["last_error"]

    smtp = SmtpReceiver(port=port)
    smtp.start()
    try:
        # A new engine (a restart) finds the email in the store and sends it.
        async with engine(settings, **groups) as (_, client):
            (mail,) = await arrivals(smtp, 1)
            (sent,) = await settled(client, session["id"], 1)
            await asyncio.sleep(1.0)  # past several retry intervals: nothing more arrives
            assert len(smtp.messages()) == 1
    finally:
        smtp.stop()
    assert session["join_url"] in mail.text
    assert sent["status"] == "sent"
    assert sent["attempts"] > waiting["attempts"]  # another attempt may have failed before the stop
    assert sent["last_error"] is None
    assert sent["next_attempt_at"] is None


async def test_a_temporary_refusal_is_retried_and_a_permanent_one_is_not(settings: Settings) -> None:
    smtp = SmtpReceiver()
    smtp.answer("451 4.3.0 try again later")
    smtp.refuse_recipients.add("nobody@example.com")
    smtp.start()
    try:
        async with engine(settings, smtp=smtp_settings(smtp.port, login=None), email=FAST) as (_, client):
            retried = await invite(client)
            (mail,) = await arrivals(smtp, 1)
            (delivered,) = await settled(client, retried["id"], 1)
            refused = await invite(client, {"email": "nobody@example.com"})
            (failed,) = await settled(client, refused["id"], 1)
            await asyncio.sleep(0.8)
            (failed_later,) = await emails_of(client, refused["id"])
    finally:
        smtp.stop()
    assert retried["join_url"] in mail.text
    assert (delivered["status"], delivered["attempts"]) == ("sent", 2)
    assert (failed["status"], failed["attempts"]) == ("failed", 1)
    assert "550" in failed["last_error"]
    assert failed_later == failed  # not tried again
    assert len(smtp.messages()) == 1


async def test_without_smtp_settings_emails_are_recorded_as_not_sent(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    assert not app.state.services.settings.smtp.configured
    session = await invite(client)
    (email,) = await settled(client, session["id"], 1)
    assert (email["kind"], email["status"]) == ("invitation", "not_sent")
    assert email["last_error"] == "SMTP is not configured"
    assert email["attempts"] == 0
    assert email["subject"] == "Your interview with acme: Senior Backend Engineer"


async def test_a_move_before_the_invitation_went_out_is_in_the_invitation(settings: Settings) -> None:
    smtp = SmtpReceiver()
    smtp.answer("451 4.3.0 try again later")  # the invitation's first attempt
    smtp.start()
    slow = FAST.model_copy(update={"retry_schedule_s": [0, 2.0, 2.0]})
    try:
        async with engine(settings, smtp=smtp_settings(smtp.port, login=None), email=slow) as (app, client):
            start = app.state.services.clock.now().replace(second=0, microsecond=0)
            moved_to = start + timedelta(days=5)
            session = await invite(client, schedule_time=(start + timedelta(days=3)).isoformat())

            async def refused_once() -> bool:
                (email,) = [e for e in await emails_of(client, session["id"]) if e["kind"] == "invitation"]
                return bool(email["attempts"] == 1)

            await until(refused_once, what="the refused first attempt")
            expect(
                await client.patch(
                    f"/v1/sessions/{session['id']}", json={"schedule_time": moved_to.isoformat()}
                ),
                200,
            )
            (mail,) = await arrivals(smtp, 1)
            emails = await settled(client, session["id"], 3)
    finally:
        smtp.stop()
    assert format_time(moved_to) in mail.text
    assert [(e["kind"], e["status"]) for e in emails if e["kind"] != "reminder"] == [
        ("invitation", "sent"),
        ("reschedule", "not_sent"),
    ]
    (notice,) = [e for e in emails if e["kind"] == "reschedule"]
    assert notice["last_error"] == "the invitation has not gone out yet; it will carry the new time"
    assert len(smtp.messages()) == 1


async def test_an_email_that_cannot_be_prepared_fails_once_instead_of_every_round(
    app: FastAPI, client: httpx.AsyncClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    async def broken(*_args: Any) -> None:
        raise RuntimeError("template engine on fire")

    monkeypatch.setattr(compose, "compose", broken)
    session = await invite(client)
    (email,) = await settled(client, session["id"], 1)
    assert (email["status"], email["attempts"]) == ("failed", 1)
    assert email["last_error"] == "could not be prepared: RuntimeError: template engine on fire"
