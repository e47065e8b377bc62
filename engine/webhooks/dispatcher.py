"""The webhook dispatcher: fans the outbox out into deliveries and sends the due ones, in the engine's
lifespan.

Everything it knows is in the database, so nothing is lost when the engine stops: an event not yet
fanned out waits in the outbox, a delivery not yet sent (or mid-retry) is sent after the restart. The
result of each attempt (status, error, timing) is recorded before the delivery is marked.

Outcomes of one attempt: a 2xx succeeds; 410 Gone disables the endpoint (the receiver asked for no
more) and fails the delivery; 429 and 503 with a Retry-After header are tried again after it (capped);
anything else (another status, a timeout, a refused connection, an unsafe address) is tried again on
the retry schedule, and the delivery fails once the schedule is used up.
"""

from __future__ import annotations

import asyncio
import email.utils
import json
import logging
import time
from datetime import UTC, datetime, timedelta
from types import TracebackType

import httpx

from config.settings import WebhookSettings
from engine.clock import Clock
from engine.poller import Poller
from engine.services import webhooks
from engine.services.common import new_id
from engine.store.database import Database
from engine.store.tables import WebhookAttemptRow, WebhookDeliveryRow, WebhookEndpointRow
from engine.url_guard import GuardedTransport, UnsafeUrl, check_url
from engine.webhooks.signing import headers as signed_headers

__all__ = ["WebhookDispatcher"]

logger = logging.getLogger(__name__)

USER_AGENT = "interview-engine-webhooks/1"


class WebhookDispatcher:
    def __init__(
        self,
        database: Database,
        clock: Clock,
        settings: WebhookSettings,
        *,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        self._database = database
        self._clock = clock
        self._settings = settings
        self._transport = transport
        self._client: httpx.AsyncClient | None = None
        self._poller = Poller(settings.poll_s)
        self._sending: set[str] = set()
        self._slots = asyncio.Semaphore(settings.max_concurrency)

    async def __aenter__(self) -> WebhookDispatcher:
        self._client = httpx.AsyncClient(
            timeout=self._settings.timeout_s,
            follow_redirects=False,
            transport=GuardedTransport(allow_private=self._settings.allow_private, inner=self._transport),
        )
        await self._poller.start(self._run)
        return self

    async def __aexit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        try:
            await self._poller.stop(kind, exc, tb)
        finally:
            if self._client is not None:
                await self._client.aclose()

    def wake(self) -> None:
        self._poller.wake()

    async def _run(self) -> None:
        async with asyncio.TaskGroup() as sends:
            while not self._poller.stopping:
                try:
                    busy = await self._cycle(sends)
                except Exception:
                    # A database hiccup must not stop delivery for good; the next cycle tries again.
                    logger.exception("webhook dispatch cycle failed")
                    busy = False
                if not busy:
                    await self._poller.nap()

    async def _cycle(self, sends: asyncio.TaskGroup) -> bool:
        first_wait = timedelta(seconds=self._settings.retry_schedule_s[0])
        async with self._database.transaction() as db:
            fanned = await webhooks.fan_out(db, self._clock.now(), first_wait)
        async with self._database.transaction() as db:
            ready = [
                d.id
                for d in await webhooks.due(db, self._clock.now(), self._settings.max_concurrency * 2)
                if d.id not in self._sending
            ]
        for delivery_id in ready:
            if self._poller.stopping:
                break
            self._sending.add(delivery_id)
            sends.create_task(self._send(delivery_id))
        return bool(fanned or ready)

    async def _send(self, delivery_id: str) -> None:
        try:
            async with self._slots:
                await self._attempt(delivery_id)
        except Exception:
            logger.exception("webhook delivery %s: attempt failed unexpectedly", delivery_id)
        finally:
            self._sending.discard(delivery_id)
            self._poller.wake()

    async def _attempt(self, delivery_id: str) -> None:
        async with self._database.transaction() as db:
            delivery = await db.get(WebhookDeliveryRow, delivery_id)
            if delivery is None or delivery.status != webhooks.PENDING:
                return
            endpoint = await db.get(WebhookEndpointRow, delivery.endpoint_id)
            assert endpoint is not None
            if endpoint.deleted_at is not None or not endpoint.enabled:
                self._finish(delivery, webhooks.FAILED, None, "endpoint disabled", self._clock.now())
                return
            url, secrets = endpoint.url, webhooks.secrets_in_use(endpoint, self._clock.now())
            event_id, payload = delivery.event_id, delivery.payload
        body = json.dumps(payload, separators=(",", ":")).encode()
        started = time.monotonic()
        status, error, retry_after = await self._post(url, secrets, event_id, body)
        elapsed_ms = round((time.monotonic() - started) * 1000)
        async with self._database.transaction() as db:
            delivery = await db.get(WebhookDeliveryRow, delivery_id)
            endpoint = await db.get(WebhookEndpointRow, delivery.endpoint_id) if delivery else None
            if delivery is None or endpoint is None:
                return
            now = self._clock.now()
            db.add(
                WebhookAttemptRow(
                    id=new_id(),
                    delivery_id=delivery.id,
                    attempted_at=now,
                    status_code=status,
                    error=error,
                    duration_ms=elapsed_ms,
                )
            )
            delivery.attempts += 1
            delivery.last_status_code = status
            if status is not None and 200 <= status < 300:
                self._finish(delivery, webhooks.SUCCEEDED, status, None, now)
            elif status == 410:
                endpoint.enabled, endpoint.updated_at = False, now
                endpoint.disabled_reason = "the receiver answered 410 Gone"
                self._finish(delivery, webhooks.FAILED, status, error, now)
                logger.info("webhook endpoint %s disabled: the receiver answered 410", endpoint.id)
            else:
                self._retry_or_fail(delivery, status, error, retry_after, now)

    async def _post(
        self, url: str, secrets: list[str], event_id: str, body: bytes
    ) -> tuple[int | None, str | None, float | None]:
        """(status, error, Retry-After seconds) of one POST; never raises for the receiver's failures."""
        assert self._client is not None
        try:
            await check_url(url, allow_private=self._settings.allow_private)
        except UnsafeUrl as exc:
            return None, f"url {exc}", None
        sent_at = int(datetime.now(UTC).timestamp())  # the receiver checks it against its own wall clock
        request_headers = {
            **signed_headers(secrets, event_id, sent_at, body),
            "content-type": "application/json",
            "user-agent": USER_AGENT,
        }
        try:
            response = await self._client.post(url, content=body, headers=request_headers)
        except httpx.TimeoutException:
            return None, f"timed out after {self._settings.timeout_s:g} s", None
        except httpx.HTTPError as exc:
            return None, f"{type(exc).__name__}: {str(exc)[:200]}", None
        error = None if 200 <= response.status_code < 300 else f"HTTP {response.status_code}"
        retry_after = _retry_after(response) if response.status_code in (429, 503) else None
        return response.status_code, error, retry_after

    def _retry_or_fail(
        self,
        delivery: WebhookDeliveryRow,
        status: int | None,
        error: str | None,
        retry_after: float | None,
        now: datetime,
    ) -> None:
        schedule = self._settings.retry_schedule_s
        if delivery.attempts >= len(schedule):
            self._finish(delivery, webhooks.FAILED, status, error, now)
            return
        wait = schedule[delivery.attempts]
        if retry_after is not None:
            wait = min(retry_after, self._settings.max_retry_after_s)
        delivery.next_attempt_at = now + timedelta(seconds=wait)
        delivery.last_error = error
        delivery.updated_at = now

    @staticmethod
    def _finish(
        delivery: WebhookDeliveryRow, status: str, code: int | None, error: str | None, now: datetime
    ) -> None:
        delivery.status, delivery.next_attempt_at, delivery.updated_at = status, None, now
        delivery.last_error = error
        if code is not None:
            delivery.last_status_code = code


def _retry_after(response: httpx.Response) -> float | None:
    """Retry-After as seconds: a number, or an HTTP date."""
    value = response.headers.get("retry-after")
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - datetime.now(UTC)).total_seconds())
