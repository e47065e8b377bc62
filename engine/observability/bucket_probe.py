"""The readiness probe's object-store check: a HEAD on the bucket (IE_OBJECT_STORE__*), the cheapest
request that proves the endpoint answers, the credentials work and the bucket exists.

It uses a client of its own, with short timeouts and no retries, rather than the recordings' client
(whose retries and 30 s read timeout suit an upload, not a probe asked every few seconds); the blocking
call runs in a worker thread, one at a time (`SingleFlight`), and a caller waits for it at most
`timeout_s`. The detail names the error code at most, never the endpoint or the credentials: /readyz
answers without authentication.
"""

from __future__ import annotations

import asyncio
import threading
from typing import TYPE_CHECKING

from config.settings import ObjectStoreSettings
from engine.observability.readiness import CheckResult
from engine.observability.single_flight import SingleFlight

if TYPE_CHECKING:
    from mypy_boto3_s3 import S3Client

__all__ = ["TIMEOUT_S", "BucketProbe"]

TIMEOUT_S = 2.0


class BucketProbe:
    def __init__(self, settings: ObjectStoreSettings, timeout_s: float = TIMEOUT_S) -> None:
        self._settings = settings
        self._timeout_s = timeout_s
        self._flight: SingleFlight[None] = SingleFlight()
        self._client: S3Client | None = None
        self._lock = threading.Lock()

    async def check(self) -> CheckResult:
        if not self._settings.enabled:
            return CheckResult(True, "not configured: recordings and resumes on local disk")
        if self._client is None:
            # Building the client (importing boto3, reading its data files) is this host's work, not
            # the store's answer: outside the timeout, so the first probe on a busy host does not
            # report a store that never got asked.
            try:
                await asyncio.to_thread(self._s3)
            except Exception as exc:
                return CheckResult(False, f"no client for the bucket: {_reason(exc)}")
        loop = asyncio.get_running_loop()
        started = loop.time()
        try:
            await self._flight.run(lambda: asyncio.to_thread(self._head), self._timeout_s)
        except TimeoutError:
            return CheckResult(False, f"no answer to HEAD bucket within {self._timeout_s:g} s")
        except Exception as exc:
            return CheckResult(False, f"HEAD bucket failed: {_reason(exc)}")
        return CheckResult(True, f"answered HEAD bucket in {(loop.time() - started) * 1000:.0f} ms")

    def _head(self) -> None:
        assert self._settings.bucket is not None
        self._s3().head_bucket(Bucket=self._settings.bucket)

    def _s3(self) -> S3Client:
        with self._lock:
            if self._client is None:
                # Imported here: an engine without a bucket never loads boto3 for its probe.
                import boto3
                from botocore.config import Config

                settings = self._settings
                secret = settings.secret_access_key
                self._client = boto3.session.Session().client(
                    "s3",
                    endpoint_url=settings.url,
                    region_name=settings.region,
                    aws_access_key_id=settings.access_key_id,
                    aws_secret_access_key=secret.get_secret_value() if secret else None,
                    config=Config(
                        connect_timeout=1,
                        read_timeout=self._timeout_s,
                        retries={"max_attempts": 1, "mode": "standard"},
                        s3={"addressing_style": "path"},
                    ),
                )
            return self._client


def _reason(exc: Exception) -> str:
    """The S3 error code (403, 404, ...) or the exception's class: nothing that names a host or a key."""
    response = getattr(exc, "response", None)
    if isinstance(response, dict):
        code = response.get("Error", {}).get("Code")
        if code:
            return f"{type(exc).__name__} {str(code)[:40]}"
    return type(exc).__name__
