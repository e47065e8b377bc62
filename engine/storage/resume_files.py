"""Where the bytes of uploaded resume files live: the S3-compatible bucket when one is configured
(IE_OBJECT_STORE__*, under IE_OBJECT_STORE__RESUME_PREFIX), else local disk under <data_dir>/resumes,
the embedded default. The database row (engine.services.resume_files) says which, so files kept before a
bucket was configured stay readable after.

Resumes go straight to the bucket when there is one, unlike recordings (spooled on the recording node's
disk, then uploaded): a resume is whole when it arrives, at most 5 MB, and any node may be asked for it
later. Keys are `<company id>/<file id>`, both ids of ours, never a name the uploader chose.
"""

from __future__ import annotations

import asyncio
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from engine.storage.object_store import ObjectStore, ObjectStoreUnavailable

__all__ = ["BUCKET", "LOCAL", "ResumeFileMissing", "ResumeFileStore", "StoredBytes"]

LOCAL: Literal["local"] = "local"
BUCKET: Literal["bucket"] = "bucket"
Storage = Literal["local", "bucket"]


@dataclass(frozen=True, slots=True)
class StoredBytes:
    storage: Storage
    key: str


class ResumeFileMissing(Exception):
    """The row names a file that is not there (deleted by hand, or on another node's disk)."""


class ResumeFileStore:
    """Put, read and delete resume files. Bucket errors surface as the object store's
    `ObjectStoreUnavailable`; local I/O runs in worker threads."""

    def __init__(self, root: Path, store: ObjectStore | None, prefix: str = "resumes/") -> None:
        self.root = root
        self.store = store
        self.prefix = prefix

    async def put(self, company_id: str, file_id: str, data: bytes, content_type: str) -> StoredBytes:
        relative = f"{company_id}/{file_id}"
        if self.store is None:
            await asyncio.to_thread(self._write_local, relative, data)
            return StoredBytes(LOCAL, relative)
        key = self.prefix + relative
        await self._put_object(self.store, key, data, content_type)
        return StoredBytes(BUCKET, key)

    async def read(self, storage: str, key: str, size: int) -> bytes:
        """The whole file (at most the parse limit, 5 MB): ResumeFileMissing when it is not there."""
        if storage == LOCAL:
            path = self._local(key)
            try:
                return await asyncio.to_thread(path.read_bytes)
            except FileNotFoundError:
                raise ResumeFileMissing(key) from None
        store = self._bucket()
        if size == 0:
            return b""
        if await store.size(key) is None:
            raise ResumeFileMissing(key)
        return await store.read(key, 0, size - 1)

    async def delete(self, storage: str, key: str) -> None:
        """Idempotent: a file already gone is fine."""
        if storage == LOCAL:
            await asyncio.to_thread(self._local(key).unlink, missing_ok=True)
            return
        await self._bucket().delete(key)

    def _bucket(self) -> ObjectStore:
        if self.store is None:
            # A file put in the bucket by an engine that had one; this one was started without it.
            raise ObjectStoreUnavailable("the file is in the object store, and IE_OBJECT_STORE__* is not set")
        return self.store

    def _local(self, relative: str) -> Path:
        root = self.root.resolve()
        path = (root / relative).resolve()
        if not path.is_relative_to(root):
            # Keys are ours, but a hand-edited database must not open or delete files elsewhere.
            raise ResumeFileMissing(relative)
        return path

    def _write_local(self, relative: str, data: bytes) -> None:
        path = self._local(relative)
        path.parent.mkdir(parents=True, exist_ok=True)
        # Written aside and renamed: a crash never leaves a half file under the final name.
        fd, temporary = tempfile.mkstemp(dir=path.parent, prefix=".upload-")
        try:
            with os.fdopen(fd, "wb") as out:
                out.write(data)
                out.flush()
                os.fsync(out.fileno())
            os.replace(temporary, path)
        except BaseException:
            Path(temporary).unlink(missing_ok=True)
            raise

    @staticmethod
    async def _put_object(store: ObjectStore, key: str, data: bytes, content_type: str) -> None:
        # The store's client uploads files (multipart when large); a resume is spooled to a temporary
        # file for it rather than adding a second upload path to the client.
        def spool() -> str:
            fd, name = tempfile.mkstemp(prefix="ie-resume-")
            with os.fdopen(fd, "wb") as out:
                out.write(data)
            return name

        name = await asyncio.to_thread(spool)
        try:
            await store.put_file(Path(name), key, content_type)
        finally:
            await asyncio.to_thread(Path(name).unlink, missing_ok=True)
