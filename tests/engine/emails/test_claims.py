"""Two senders on one database (two engines, or a lease that ran out): each email is claimed by one of
them at a time and arrives once. On both stores: PostgreSQL's row locks are what the claim relies on."""

from __future__ import annotations

import asyncio
from datetime import timedelta

from sqlalchemy import select

from config.settings import Settings
from engine.app import create_app
from engine.notifications import outbox
from engine.store.database import Database
from engine.store.tables import EmailRow
from tests.engine.emails.helpers import FAST, arrivals, settled, smtp_settings
from tests.engine.emails.test_retries import engine, invite
from tests.helpers import ApiClients, StepClock
from tests.smtp_receiver import SmtpReceiver


async def test_a_claimed_email_is_not_claimed_again_until_its_lease_runs_out(
    settings: Settings, clock: StepClock
) -> None:
    app = create_app(settings, clock=clock)
    async with app.router.lifespan_context(app):
        api = ApiClients(app, clock)
        session = await invite(await api.client())
        await api.aclose()
    # The engine (and its sender) stopped; whatever it did with the email, queue it again by hand.
    database = Database(settings.resolved_database_url)
    lease = timedelta(minutes=5)
    try:
        async with database.transaction() as db:
            (row,) = (await db.scalars(select(EmailRow))).all()
            row.status, row.claimed_until, row.next_attempt_at = "queued", None, clock.now()
            email_id = row.id
        async with database.transaction() as db:
            assert await outbox.claim(db, email_id, clock.now(), lease, "first") is not None
        async with database.transaction() as db:
            assert await outbox.claim(db, email_id, clock.now(), lease, "second") is None
            assert email_id not in await outbox.due(db, clock.now(), 10)
        clock.advance(lease)
        async with database.transaction() as db:
            assert email_id in await outbox.due(db, clock.now(), 10)
            taken = await outbox.claim(db, email_id, clock.now(), lease, "second")
            assert taken is not None
            assert (taken.claim_token, taken.session_id) == ("second", session["id"])
    finally:
        await database.dispose()


async def test_two_engines_on_one_database_send_each_email_once(settings: Settings) -> None:
    smtp = SmtpReceiver()
    smtp.start()
    groups = {"smtp": smtp_settings(smtp.port, login=None), "email": FAST}
    try:
        async with engine(settings, **groups) as (_, first), engine(settings, **groups) as (_, second):
            sessions = await asyncio.gather(*(invite(c) for c in [first, second] * 4))
            mails = await arrivals(smtp, len(sessions))
            for session in sessions:
                await settled(first, session["id"], 1)
            await asyncio.sleep(0.5)
            mails = smtp.messages()
    finally:
        smtp.stop()
    assert len(mails) == len(sessions)
    assert len({m.message["Message-ID"] for m in mails}) == len(sessions)
    assert {s["join_url"] for s in sessions} == {
        next(line for line in m.text.splitlines() if "/join/" in line).split()[-1] for m in mails
    }
