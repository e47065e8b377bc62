"""A real SMTP server on loopback (aiosmtpd, in a thread of its own), as a mail relay would run one: it
records every message it accepts, parsed, and answers DATA with scripted replies (250 once the script
runs out). With `login`, it wants AUTH with that user name and password (over plain SMTP: loopback)."""

from __future__ import annotations

import threading
from collections import deque
from dataclasses import dataclass, field
from email import message_from_bytes, policy
from email.message import EmailMessage
from typing import Any

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword

from tests.ports import free_port

__all__ = ["Arrived", "SmtpReceiver"]


@dataclass(frozen=True)
class Arrived:
    mail_from: str
    rcpt_tos: list[str]
    message: EmailMessage

    @property
    def subject(self) -> str:
        return str(self.message["Subject"])

    def part(self, subtype: str) -> str:
        body = self.message.get_body(preferencelist=(subtype,))
        assert body is not None, f"no text/{subtype} part"
        content: str = body.get_content()
        return content

    @property
    def text(self) -> str:
        return self.part("plain")

    @property
    def html(self) -> str:
        return self.part("html")


@dataclass
class SmtpReceiver:
    port: int = 0
    login: tuple[str, str] | None = None
    answers: deque[str] = field(default_factory=deque)
    refuse_recipients: set[str] = field(default_factory=set)
    received: list[Arrived] = field(default_factory=list)
    logins: list[tuple[str, str]] = field(default_factory=list)

    def __post_init__(self) -> None:
        self._lock = threading.Lock()
        self.port = self.port or free_port()
        self._controller: Controller | None = None

    def start(self) -> int:
        kwargs: dict[str, Any] = {}
        if self.login is not None:
            kwargs = {"auth_require_tls": False, "auth_required": True, "authenticator": self._authenticate}
        self._controller = Controller(_Handler(self), hostname="127.0.0.1", port=self.port, **kwargs)
        self._controller.start()
        return self.port

    def stop(self) -> None:
        if self._controller is not None:
            self._controller.stop()
            self._controller = None

    def answer(self, *replies: str) -> None:
        with self._lock:
            self.answers.extend(replies)

    def messages(self) -> list[Arrived]:
        with self._lock:
            return list(self.received)

    def _authenticate(
        self, server: Any, session: Any, envelope: Any, mechanism: str, data: Any
    ) -> AuthResult:
        if not isinstance(data, LoginPassword):
            return AuthResult(success=False, handled=False)
        user, password = data.login.decode(), data.password.decode()
        with self._lock:
            self.logins.append((user, password))
        return AuthResult(success=(user, password) == self.login)


class _Handler:
    def __init__(self, receiver: SmtpReceiver) -> None:
        self._receiver = receiver

    async def handle_RCPT(
        self, server: Any, session: Any, envelope: Any, address: str, rcpt_options: list[str]
    ) -> str:
        if address in self._receiver.refuse_recipients:
            return "550 5.1.1 no such mailbox"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        r = self._receiver
        with r._lock:
            reply = r.answers.popleft() if r.answers else "250 Message accepted for delivery"
            if reply.startswith("250"):
                parsed = message_from_bytes(envelope.content, policy=policy.default)
                assert isinstance(parsed, EmailMessage)
                r.received.append(Arrived(envelope.mail_from, list(envelope.rcpt_tos), parsed))
        return reply
