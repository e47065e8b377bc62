"""The verification emails of public-link sign-ups (engine.services.public_link_verification).

They go through the same machinery as invitations (a polling `OutboxLoop`, claims with a lease, the SMTP
sender, the retry schedule, `render` with its HTML escaping), started and stopped with the
`EmailWorker`, but their queue is the pending sign-up row itself rather than the `emails` table: an
email there belongs to a session and a participant, neither of which exists before the candidate
confirms, and it keeps its rendered bodies, which here would hold the one-time link in plain text.

The token is only ever in the email. The row holds its SHA-256 (the lookup) and, until the SMTP server
has taken the message (or the email is given up), a copy encrypted under the secrets key
(`sealed_token`): once that is cleared the link exists nowhere but in the candidate's inbox. The email's
text is built-in (companies customise invitations and reminders, not this short message).
"""

from __future__ import annotations

import logging
import secrets
from datetime import datetime, timedelta
from email.message import EmailMessage
from types import TracebackType
from typing import Any, cast

from sqlalchemy import CursorResult, or_, select, update

from config.emails import EmailStatus
from config.settings import Settings
from engine.clock import Clock
from engine.notifications.compose import format_time
from engine.notifications.rendering import TemplateText, render
from engine.notifications.smtp import Outcome, SmtpSender, build_message
from engine.outbox_loop import OutboxLoop, backoff
from engine.services.public_link_verification import verify_url
from engine.store.database import Database
from engine.store.tables import CompanyRow, PublicLinkSignUpRow, TemplateRow

__all__ = ["TEMPLATE", "VerificationSender"]

logger = logging.getLogger(__name__)

QUEUED = EmailStatus.QUEUED.value
NO_SMTP = "SMTP is not configured"
Row = PublicLinkSignUpRow

TEMPLATE = TemplateText(
    subject="Confirm your email to start your interview: $interview_title",
    html="\n".join(
        [
            "<!doctype html>",
            '<html lang="en"><body style="margin:0;padding:24px;font-family:Arial,Helvetica,sans-serif;'
            'color:#1f2933;line-height:1.5">',
            '<div style="max-width:560px;margin:0 auto">',
            '<h1 style="font-size:20px;margin:0 0 16px">Confirm your email</h1>',
            "<p>Hello $participant_name,</p>",
            "<p>You asked to take the interview <strong>$interview_title</strong> with $company_name. "
            "Confirm that this is your email address to start it.</p>",
            '<p style="margin:24px 0"><a href="$verify_url" style="background:#1d4ed8;color:#ffffff;'
            'padding:12px 20px;border-radius:6px;text-decoration:none;display:inline-block">'
            "Confirm and start the interview</a></p>",
            '<p style="font-size:13px;color:#52606d">If the button does not work, open this link: '
            '<a href="$verify_url">$verify_url</a></p>',
            "<p>The link works until $expires_time. If you did not ask for it, ignore this email: nothing "
            "happens until the link is opened.</p>",
            '<p style="font-size:13px;color:#52606d">$company_name</p>',
            "</div></body></html>",
        ]
    ),
    text="Hello $participant_name,\n\n"
    "You asked to take the interview $interview_title with $company_name. Confirm that this is your email "
    "address to start it:\n\n$verify_url\n\n"
    "The link works until $expires_time. If you did not ask for it, ignore this email: nothing happens "
    "until the link is opened.\n\n$company_name\n",
)


class VerificationSender:
    """Sends the queued verification emails; owned by `EmailWorker`, which starts and stops it."""

    def __init__(self, database: Database, clock: Clock, settings: Settings, smtp: SmtpSender) -> None:
        self._database = database
        self._clock = clock
        self._settings = settings
        self._smtp = smtp
        self._lease = timedelta(seconds=settings.smtp.lease_s)
        self._loop = OutboxLoop(
            "verification emails",
            poll_s=settings.email.poll_s,
            max_concurrency=settings.email.max_concurrency,
            due=self._due,
            attempt=self._attempt,
        )

    async def start(self) -> None:
        await self._loop.start()

    async def stop(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self._loop.stop(kind, exc, tb)

    def wake(self) -> None:
        self._loop.wake()

    @property
    def running(self) -> bool:
        return self._loop.running

    async def _due(self, limit: int) -> list[str]:
        async with self._database.transaction() as db:
            now = self._clock.now()
            return list(
                await db.scalars(
                    select(Row.id)
                    .where(
                        Row.email_status == QUEUED,
                        Row.next_attempt_at <= now,
                        or_(Row.claimed_until.is_(None), Row.claimed_until <= now),
                    )
                    .order_by(Row.next_attempt_at, Row.id)
                    .limit(limit)
                )
            )

    async def _attempt(self, row_id: str) -> None:
        token = secrets.token_hex(16)
        try:
            prepared = await self._prepare(row_id, token)
        except Exception as exc:
            # The message cannot be built (its transaction, claim included, rolled back): it would fail
            # the same way every round, so it fails now, as an invitation would (EmailWorker).
            logger.exception("verification email %s could not be prepared", row_id)
            async with self._database.transaction() as db:
                row = await db.get(Row, row_id)
                if row is not None and row.email_status == QUEUED:
                    reason = f"could not be prepared: {type(exc).__name__}"
                    _finish(row, EmailStatus.FAILED, reason, self._clock.now())
            return
        if prepared is not None:
            message, recipient = prepared
            await self._record(row_id, token, await self._smtp.send(message, recipient))

    async def _prepare(self, row_id: str, claim: str) -> tuple[EmailMessage, str] | None:
        """Claims the row (one conditional update: of two workers, one wins) and builds its message; None
        when it is not to be sent now (another worker's, or recorded as not sent)."""
        async with self._database.transaction() as db:
            now = self._clock.now()
            result = await db.execute(
                update(Row)
                .where(
                    Row.id == row_id,
                    Row.email_status == QUEUED,
                    Row.next_attempt_at <= now,
                    or_(Row.claimed_until.is_(None), Row.claimed_until <= now),
                )
                .values(claimed_until=now + self._lease, claim_token=claim)
                .execution_options(synchronize_session=False)
            )
            if cast(CursorResult[Any], result).rowcount != 1:
                return None
            row = await db.get(Row, row_id, populate_existing=True)
            assert row is not None  # claimed in this transaction
            reason = self._not_needed(row, now)
            if reason is None and not self._settings.smtp.configured:
                reason = NO_SMTP
            if reason is not None:
                _finish(row, EmailStatus.NOT_SENT, reason, now)
                return None
            template = await db.get(TemplateRow, row.template_id)
            company = await db.get(CompanyRow, row.company_id)
            assert template is not None
            assert company is not None
            assert row.sealed_token is not None  # _not_needed checked it
            values = {
                "participant_name": row.name,
                "interview_title": template.name,
                "company_name": company.name,
                "verify_url": verify_url(self._settings.base_url, row.sealed_token),
                "expires_time": format_time(row.expires_at),
            }
            rendered = render(TEMPLATE, values)
            sender = self._settings.smtp.from_address
            return build_message(row.id, rendered, sender, row.email, row.name), row.email

    @staticmethod
    def _not_needed(row: PublicLinkSignUpRow, now: datetime) -> str | None:
        if row.used_at is not None:
            return "the link was used already"
        if row.sealed_token is None or not row.email:
            return "the link was withdrawn"
        if row.expires_at <= now:
            return "the link expired before it could be sent"
        return None

    async def _record(self, row_id: str, claim: str, outcome: Outcome) -> None:
        async with self._database.transaction() as db:
            now = self._clock.now()
            row = await db.get(Row, row_id)
            if row is None or row.email_status != QUEUED:
                return  # erased, purged or finished meanwhile
            if row.claim_token != claim:
                logger.warning("verification email %s: sent past its lease; another worker holds it", row_id)
                return
            if outcome.accepted:
                _finish(row, EmailStatus.SENT, None, now)
                row.sent_at, row.attempts = now, row.attempts + 1
                logger.info("verification email %s accepted by the SMTP server", row_id)
                return
            assert outcome.error is not None
            row.claimed_until, row.claim_token, row.updated_at = None, None, now
            row.attempts += 1
            row.last_error = outcome.error[:500]
            later = (
                None
                if outcome.permanent
                else backoff(self._settings.email.retry_schedule_s, row.attempts, now)
            )
            if later is None:
                _finish(row, EmailStatus.FAILED, outcome.error, now)
            else:
                row.next_attempt_at = later
            # Ids only: addresses are personal data and stay out of the logs.
            logger.warning(
                "verification email %s: attempt %s failed: %s", row_id, row.attempts, outcome.error
            )


def _finish(row: PublicLinkSignUpRow, status: EmailStatus, reason: str | None, now: datetime) -> None:
    """The email is done with: the encrypted token goes, so the link is now only in the inbox (if sent)."""
    row.email_status, row.next_attempt_at, row.sealed_token = status.value, None, None
    row.claimed_until, row.claim_token = None, None
    row.updated_at = now
    if reason is not None:
        row.last_error = reason[:500]
