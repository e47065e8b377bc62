"""The webhook dispatcher: fans the outbox out into deliveries and sends the due ones, in the engine's
lifespan or in an `interview-engine worker` process (engine.workers); any number share the deliveries.
Each attempt holds a lease on its delivery (engine.services.webhooks.claim), renewed while the request
runs; the outcome is recorded only while the lease is still this dispatcher's.

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
from engine.outbox_loop import OutboxLoop, backoff
from engine.services import leases, webhooks
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
        lease_s: float = 60.0,
        detached: bool = False,
    ) -> None:
        """`detached`: separate workers deliver; this one starts nothing and `wake()` does nothing."""
        self._lease = timedelta(seconds=lease_s)
        self._detached = detached
        self._database = database
        self._clock = clock
        self._settings = settings
        self._transport = transport
        self._client: httpx.AsyncClient | None = None
        self._loop = OutboxLoop(
            "webhook dispatch",
            poll_s=settings.poll_s,
            max_concurrency=settings.max_concurrency,
            prepare=self._fan_out,
            due=self._due,
            attempt=self._attempt,
        )

    async def __aenter__(self) -> WebhookDispatcher:
        if self._detached:
            return self
        self._client = httpx.AsyncClient(
            timeout=self._settings.timeout_s,
            follow_redirects=False,
            transport=GuardedTransport(allow_private=self._settings.allow_private, inner=self._transport),
        )
        await self._loop.start()
        return self

    async def __aexit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        if self._detached:
            return
        try:
            await self._loop.stop(kind, exc, tb)
        finally:
            if self._client is not None:
                await self._client.aclose()

    def wake(self) -> None:
        self._loop.wake()

    @property
    def running(self) -> bool:
        """Detached counts as running: nothing here can be down (the readiness probe)."""
        return self._detached or self._loop.running

    async def _fan_out(self) -> int:
        first_wait = timedelta(seconds=self._settings.retry_schedule_s[0])
        async with self._database.transaction() as db:
            return await webhooks.fan_out(db, self._clock.now(), first_wait)

    async def _due(self, limit: int) -> list[str]:
        async with self._database.transaction() as db:
            return [d.id for d in await webhooks.due(db, self._clock.now(), limit)]

    async def _attempt(self, delivery_id: str) -> None:
        lease = leases.Claim(self._lease)
        async with self._database.transaction() as db:
            now = self._clock.now()
            delivery = await webhooks.claim(db, delivery_id, now, lease)
            if delivery is None:
                return  # not due any more, or another dispatcher has it
            endpoint = await db.get(WebhookEndpointRow, delivery.endpoint_id)
            assert endpoint is not None
            if endpoint.deleted_at is not None or not endpoint.enabled:
                self._finish(delivery, webhooks.FAILED, None, "endpoint disabled", now)
                return
            url, secrets = endpoint.url, webhooks.secrets_in_use(endpoint, now)
            event_id, payload = delivery.event_id, delivery.payload
        body = json.dumps(payload, separators=(",", ":")).encode()
        started = time.monotonic()
        label = f"webhook delivery {delivery_id}"
        try:
            async with leases.keep_alive(
                lambda until: self._renew(delivery_id, lease, until), lease, self._clock.now, label
            ):
                status, error, retry_after = await self._post(url, secrets, event_id, body)
        except asyncio.CancelledError:
            # Stopping: the attempt is not recorded and the delivery is free again at once (the receiver
            # may have had it: deliveries are at least once, with the event id to de-duplicate on).
            await asyncio.shield(self._give_back(delivery_id, lease))
            raise
        elapsed_ms = round((time.monotonic() - started) * 1000)
        async with self._database.transaction() as db:
            delivery = await webhooks.held(db, delivery_id, lease)
            if delivery is None:
                logger.warning("%s: answered past its lease; another dispatcher holds it now", label)
                return
            endpoint = await db.get(WebhookEndpointRow, delivery.endpoint_id)
            if endpoint is None:
                return
            now = self._clock.now()
            leases.release(delivery)
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
            if delivery.status != webhooks.PENDING:
                # Failed meanwhile (its endpoint deleted): the attempt is logged, the status stays.
                return
            if status is not None and 200 <= status < 300:
                self._finish(delivery, webhooks.SUCCEEDED, status, None, now)
            elif status == 410:
                endpoint.enabled, endpoint.updated_at = False, now
                endpoint.disabled_reason = "the receiver answered 410 Gone"
                self._finish(delivery, webhooks.FAILED, status, error, now)
                logger.info("webhook endpoint %s disabled: the receiver answered 410", endpoint.id)
            else:
                self._retry_or_fail(delivery, status, error, retry_after, now)

    async def _renew(self, delivery_id: str, lease: leases.Claim, until: datetime) -> bool:
        async with self._database.transaction() as db:
            return await leases.extend(db, WebhookDeliveryRow, delivery_id, lease, until)

    async def _give_back(self, delivery_id: str, lease: leases.Claim) -> None:
        try:
            async with self._database.transaction() as db:
                delivery = await webhooks.held(db, delivery_id, lease)
                if delivery is not None:
                    leases.release(delivery)
        except Exception:
            logger.exception("webhook delivery %s: could not hand it back at stop", delivery_id)

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
        later = backoff(self._settings.retry_schedule_s, delivery.attempts, now)
        if later is None:
            self._finish(delivery, webhooks.FAILED, status, error, now)
            return
        if retry_after is not None:
            later = now + timedelta(seconds=min(retry_after, self._settings.max_retry_after_s))
        delivery.next_attempt_at = later
        delivery.last_error = error
        delivery.updated_at = now

    @staticmethod
    def _finish(
        delivery: WebhookDeliveryRow, status: str, code: int | None, error: str | None, now: datetime
    ) -> None:
        delivery.status, delivery.next_attempt_at, delivery.updated_at = status, None, now
        delivery.last_error = error
        leases.release(delivery)
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
