"""The email sender, in the engine's lifespan or an `interview-engine worker` process: claims each due email (`outbox.claim`), judges whether it is
still worth sending and writes its text (`compose`), talks to the SMTP server outside any transaction,
then records the outcome. Without SMTP settings every email is recorded as not sent, with the reason."""

from __future__ import annotations

import logging
import secrets
from datetime import timedelta
from email.message import EmailMessage
from types import TracebackType

from sqlalchemy.ext.asyncio import AsyncSession

from config.emails import EmailStatus
from config.settings import Settings
from engine.clock import Clock
from engine.link_tokens import redact
from engine.notifications import compose, outbox
from engine.notifications.smtp import Outcome, SmtpSender, build_message
from engine.notifications.verification import VerificationSender
from engine.outbox_loop import OutboxLoop
from engine.services.sessions import join_url
from engine.store.database import Database
from engine.store.tables import EmailRow, SessionRow

__all__ = ["NO_SMTP", "EmailWorker"]

logger = logging.getLogger(__name__)

NO_SMTP = "SMTP is not configured"


class EmailWorker:
    def __init__(
        self, database: Database, clock: Clock, settings: Settings, *, detached: bool = False
    ) -> None:
        """`detached`: separate workers send; this one starts nothing and `wake()` does nothing."""
        self._detached = detached
        self._database = database
        self._clock = clock
        self._settings = settings
        self._smtp = SmtpSender(settings.smtp)
        # Public-link sign-ups' verification emails: their own queue, this worker's SMTP and schedule.
        self._verifications = VerificationSender(database, clock, settings, self._smtp)
        self._lease = timedelta(seconds=settings.smtp.lease_s)
        self._loop = OutboxLoop(
            "email outbox",
            poll_s=settings.email.poll_s,
            max_concurrency=settings.email.max_concurrency,
            due=self._due,
            attempt=self._attempt,
        )

    async def __aenter__(self) -> EmailWorker:
        if self._detached:
            return self
        if not self._settings.smtp.configured:
            logger.info("no SMTP server configured (IE_SMTP__HOST): emails are recorded, not sent")
        await self._loop.start()
        await self._verifications.start()
        return self

    async def __aexit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        if not self._detached:
            # An email being sent when the stop's grace runs out keeps its lease until it lapses: it
            # may have reached the server, and waiting out the lease is what keeps it from going twice.
            await self._verifications.stop(kind, exc, tb)
            await self._loop.stop(kind, exc, tb)

    def wake(self) -> None:
        self._loop.wake()
        self._verifications.wake()

    @property
    def running(self) -> bool:
        """Detached counts as running: nothing here can be down (the readiness probe)."""
        return self._detached or (self._loop.running and self._verifications.running)

    async def _due(self, limit: int) -> list[str]:
        async with self._database.transaction() as db:
            return await outbox.due(db, self._clock.now(), limit)

    async def _attempt(self, email_id: str) -> None:
        token = secrets.token_hex(16)
        try:
            prepared = await self._prepare(email_id, token)
        except Exception as exc:
            # Its text or its headers cannot be built (the prepare transaction, claim included, rolled
            # back): trying again would fail the same way, so it fails now rather than at every round.
            logger.exception("email %s could not be prepared", email_id)
            async with self._database.transaction() as db:
                now = self._clock.now()
                email = await outbox.claim(db, email_id, now, self._lease, token)
                if email is not None:
                    reason = f"could not be prepared: {type(exc).__name__}: {exc}"
                    outbox.fail_attempt(email, reason, (), now, permanent=True)
            return
        if prepared is not None:
            message, recipient = prepared
            await self._record(email_id, token, await self._smtp.send(message, recipient))

    async def _prepare(self, email_id: str, token: str) -> tuple[EmailMessage, str] | None:
        """Claims the email and writes its text: the message to send and to whom, or None when it is
        not to be sent now (not due, another worker's, deferred, or recorded as not sent)."""
        async with self._database.transaction() as db:
            now = self._clock.now()
            email = await outbox.claim(db, email_id, now, self._lease, token)
            if email is None:
                return None  # not due any more, or another worker has it
            verdict = await compose.judge(db, email, now)
            if verdict.wait_until is not None:
                outbox.defer(email, verdict.wait_until, now)
                return None
            if not verdict.send:
                outbox.mark_not_sent(email, verdict.reason or "not needed any more", now)
                return None
            row = await db.get(SessionRow, email.session_id)
            assert row is not None
            token = row.join_token_encrypted.reveal()
            rendered, name = await compose.compose(db, email, join_url(self._settings.base_url, row))
            # The stored copy is a record: without the join token, which the database never holds in
            # plain text (engine/link_tokens.py). The message sent carries it.
            email.subject = redact(rendered.subject, token)
            email.html_body, email.text_body = redact(rendered.html, token), redact(rendered.text, token)
            if not email.to_address:
                outbox.mark_not_sent(email, "the participant has no email address", now)
                return None
            if not self._settings.smtp.configured:
                # Recorded as it would have gone out, reminder included, so the dashboard shows it all.
                outbox.mark_not_sent(email, NO_SMTP, now)
                self._plan_reminder(db, email, row)
                return None
            sender = self._settings.smtp.from_address
            return build_message(email.id, rendered, sender, email.to_address, name), email.to_address

    async def _record(self, email_id: str, token: str, outcome: Outcome) -> None:
        async with self._database.transaction() as db:
            now = self._clock.now()
            email = await db.get(EmailRow, email_id)
            if email is None or email.status != EmailStatus.QUEUED.value:
                return
            if email.claim_token != token:
                # The lease ran out mid-send and another worker took over: its outcome is the record.
                logger.warning("email %s: sent past its lease; another worker holds it now", email_id)
                return
            if outcome.accepted:
                outbox.mark_sent(email, now)
                row = await db.get(SessionRow, email.session_id)
                if row is not None:
                    self._plan_reminder(db, email, row)
                logger.info("email %s (%s) accepted by the SMTP server", email_id, email.kind)
                return
            assert outcome.error is not None
            outbox.fail_attempt(
                email, outcome.error, self._settings.email.retry_schedule_s, now, permanent=outcome.permanent
            )
            # Ids only: addresses are personal data and stay out of the logs.
            logger.warning(
                "email %s (%s): attempt %s failed: %s", email_id, email.kind, email.attempts, outcome.error
            )

    def _plan_reminder(self, db: AsyncSession, email: EmailRow, row: SessionRow) -> None:
        before = timedelta(seconds=self._settings.email.reminder_before_s)
        outbox.plan_reminder(db, email, row, self._clock.now(), before)
