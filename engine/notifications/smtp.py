"""The message and the SMTP conversation (aiosmtplib). `send` never raises for the server's or the
network's failures: it says whether the server accepted the message, and if not, whether trying again
could help (a 5xx refusal of the sender, a recipient or the message will not change by itself; anything
else, including a refused login, might once the server or the settings are fixed)."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from datetime import UTC, datetime
from email import policy
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import format_datetime, parseaddr
from typing import Any

import aiosmtplib

from config.email_settings import SmtpSettings
from engine.notifications.rendering import Rendered, one_line

__all__ = ["Outcome", "SmtpSender", "build_message"]

# Header lines up to RFC 5322's limit: Python folds a long subject onto a line of its own at the usual 78,
# which some readers (Python's own among them) take as a subject that starts with a space.
POLICY = policy.SMTP.clone(max_line_length=998)


@dataclass(frozen=True, slots=True)
class Outcome:
    accepted: bool
    error: str | None = None
    permanent: bool = False


def build_message(
    email_id: str, rendered: Rendered, from_address: str, to: str, name: str, now: datetime | None = None
) -> EmailMessage:
    """multipart/alternative: the plain-text part, then the HTML part. The Message-ID comes from the
    email's id, so every attempt at one email carries the same one."""
    domain = parseaddr(from_address)[1].rpartition("@")[2] or "localhost"
    message = EmailMessage(policy=POLICY)
    message["From"] = from_address
    try:
        message["To"] = Address(display_name=one_line(name), addr_spec=to)
    except (ValueError, IndexError):
        message["To"] = to
    message["Subject"] = rendered.subject
    message["Date"] = format_datetime(now or datetime.now(UTC))
    message["Message-ID"] = f"<{email_id}@{domain}>"
    message["Auto-Submitted"] = "auto-generated"
    message.set_content(rendered.text)
    message.add_alternative(rendered.html, subtype="html")
    return message


class SmtpSender:
    def __init__(self, settings: SmtpSettings) -> None:
        self._settings = settings

    def options(self) -> dict[str, Any]:
        """aiosmtplib.send's connection arguments for these settings."""
        s = self._settings
        return {
            "hostname": s.host,
            "port": s.resolved_port,
            "username": s.username or None,
            "password": s.password.get_secret_value() if s.password is not None else None,
            "use_tls": s.security == "tls",
            "start_tls": s.security == "starttls",
            "timeout": s.timeout_s,
            "validate_certs": s.validate_certs,
        }

    async def send(self, message: EmailMessage, recipient: str) -> Outcome:
        sender = parseaddr(self._settings.from_address)[1]
        # Flattened here with POLICY (aiosmtplib would use its own); an address that is not ASCII needs
        # SMTPUTF8, which aiosmtplib negotiates for a message object.
        ascii_only = (sender + recipient).isascii()
        data: EmailMessage | bytes = message.as_bytes(policy=POLICY) if ascii_only else message
        try:
            async with asyncio.timeout(self._settings.send_deadline_s):
                await aiosmtplib.send(data, sender=sender, recipients=[recipient], **self.options())
        except aiosmtplib.SMTPRecipientsRefused as exc:
            codes = [r.code for r in exc.recipients]
            return Outcome(False, self._describe(exc), permanent=all(c >= 500 for c in codes))
        except (
            aiosmtplib.SMTPSenderRefused,
            aiosmtplib.SMTPDataError,
            aiosmtplib.SMTPRecipientRefused,
        ) as exc:
            return Outcome(False, self._describe(exc), permanent=exc.code >= 500)
        except (aiosmtplib.SMTPException, OSError) as exc:  # aiosmtplib's own timeouts included
            return Outcome(False, self._describe(exc))
        except TimeoutError:
            return Outcome(False, f"no answer within {self._settings.send_deadline_s:g} s")
        except Exception as exc:  # anything else counts as an attempt too, so the schedule bounds it
            return Outcome(False, self._describe(exc))
        return Outcome(True)

    def _describe(self, exc: BaseException) -> str:
        text = f"{type(exc).__name__}: {exc}"
        secret = self._settings.password
        if secret is not None and secret.get_secret_value():
            text = text.replace(secret.get_secret_value(), "***")
        return one_line(text)[:500]
