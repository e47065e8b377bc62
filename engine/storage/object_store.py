"""A small async face on an S3-compatible bucket (boto3, whose calls block: each runs in a worker thread).

Only what recordings need: put a file (boto3's `upload_file` switches to a multipart upload above
`MULTIPART_BYTES`, so a long interview is sent in parts and retried part by part), fetch one back, read
a byte range, the size of an object, delete, and a presigned GET URL. Every failure to reach the
store (connection refused, timeouts, 5xx, bad credentials) surfaces as `ObjectStoreUnavailable`, so
callers can answer 503 or retry later instead of failing with whatever botocore raised.
"""

from __future__ import annotations

import asyncio
import logging
import threading
from pathlib import Path
from typing import TYPE_CHECKING, Any

import boto3
from boto3.s3.transfer import TransferConfig
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError

from config.settings import ObjectStoreSettings

if TYPE_CHECKING:
    from mypy_boto3_s3 import S3Client

__all__ = ["ObjectStore", "ObjectStoreUnavailable", "object_store"]

logger = logging.getLogger(__name__)

MULTIPART_BYTES = 16 * 1024 * 1024
# Short timeouts and few retries: a store that is down must give a prompt 503 (or leave the upload
# pending for the next pass), not hold a request for a minute.
# Path-style addressing: what self-hosted stores (SeaweedFS, Ceph, MinIO) expect at an IP or a
# single host name; AWS accepts it too.
_CLIENT_CONFIG = Config(
    connect_timeout=3,
    read_timeout=30,
    retries={"max_attempts": 2, "mode": "standard"},
    s3={"addressing_style": "path"},
)
_NOT_FOUND = {"404", "NoSuchKey", "NotFound"}


class ObjectStoreUnavailable(Exception):
    """The object store could not be reached or refused the request."""


class ObjectStore:
    def __init__(self, settings: ObjectStoreSettings) -> None:
        if not settings.enabled:
            raise ValueError("the object store needs IE_OBJECT_STORE__URL and IE_OBJECT_STORE__BUCKET")
        assert settings.bucket is not None
        self.settings = settings
        self.bucket: str = settings.bucket
        secret = settings.secret_access_key.get_secret_value() if settings.secret_access_key else None
        self._client: S3Client = boto3.session.Session().client(
            "s3",
            endpoint_url=settings.url,
            region_name=settings.region,
            aws_access_key_id=settings.access_key_id,
            aws_secret_access_key=secret,
            config=_CLIENT_CONFIG,
        )

    def key_for(self, relative: str) -> str:
        """The object key of a recording stored at `relative` under the recordings directory."""
        return self.settings.prefix + relative

    async def put_file(self, path: Path, key: str, content_type: str) -> None:
        config = TransferConfig(multipart_threshold=MULTIPART_BYTES, multipart_chunksize=MULTIPART_BYTES)
        await self._call(
            self._client.upload_file,
            str(path),
            self.bucket,
            key,
            ExtraArgs={"ContentType": content_type},
            Config=config,
        )

    async def size(self, key: str) -> int | None:
        """The object's size in bytes, or None when there is no such object."""

        def head() -> int | None:
            try:
                return int(self._client.head_object(Bucket=self.bucket, Key=key)["ContentLength"])
            except ClientError as error:
                if str(error.response.get("Error", {}).get("Code")) in _NOT_FOUND:
                    return None
                raise

        result: int | None = await self._call(head)
        return result

    async def read(self, key: str, start: int, end: int) -> bytes:
        """Bytes `start` to `end` (inclusive) of the object."""

        def get() -> bytes:
            body = self._client.get_object(Bucket=self.bucket, Key=key, Range=f"bytes={start}-{end}")["Body"]
            with body:
                return body.read()

        data: bytes = await self._call(get)
        return data

    async def download(self, key: str, path: Path) -> None:
        """The whole object into `path` (boto3 fetches a large one in ranged parts); FileNotFoundError
        when there is no such object."""

        def fetch() -> None:
            try:
                self._client.download_file(self.bucket, key, str(path))
            except ClientError as error:
                if str(error.response.get("Error", {}).get("Code")) in _NOT_FOUND:
                    raise FileNotFoundError(key) from error
                raise

        await self._call(fetch)

    async def delete(self, key: str) -> None:
        await self._call(self._client.delete_object, Bucket=self.bucket, Key=key)

    def presigned_url(self, key: str, ttl_s: int) -> str:
        """A GET URL valid `ttl_s` seconds (signed locally: no request to the store)."""
        return self._client.generate_presigned_url(
            "get_object", Params={"Bucket": self.bucket, "Key": key}, ExpiresIn=ttl_s
        )

    async def _call(self, function: Any, *args: Any, **kwargs: Any) -> Any:
        try:
            return await asyncio.to_thread(function, *args, **kwargs)
        except (BotoCoreError, ClientError) as error:
            raise ObjectStoreUnavailable(f"object store {self.settings.url}: {error}") from error
        except FileNotFoundError:
            raise
        except OSError as error:  # s3transfer can let socket errors through
            raise ObjectStoreUnavailable(f"object store {self.settings.url}: {error}") from error


_stores: dict[str, ObjectStore] = {}
_stores_lock = threading.Lock()


def object_store(settings: ObjectStoreSettings) -> ObjectStore | None:
    """The store for these settings (one client per configuration: creating one costs tens of ms), or
    None when no bucket is configured."""
    if not settings.enabled:
        return None
    identity = settings.model_dump_json() + (
        settings.secret_access_key.get_secret_value() if settings.secret_access_key else ""
    )
    with _stores_lock:
        store = _stores.get(identity)
        if store is None:
            store = _stores[identity] = ObjectStore(settings)
        return store
