"""Database handle: the async engine, transactions, and schema migrations."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Awaitable
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any, TypeVar

from alembic import command
from alembic.config import Config
from sqlalchemy import Connection, event
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    AsyncSessionTransaction,
    async_sessionmaker,
    create_async_engine,
)

from engine.secret_box import SecretBox, attach, default_box, reencrypt
from engine.store import log_privacy

__all__ = ["Database"]

logger = logging.getLogger(__name__)
T = TypeVar("T")
MIGRATIONS = Path(__file__).with_name("migrations")


def _alembic_config(connection: Connection | None = None) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    if connection is not None:
        cfg.attributes["connection"] = connection
    return cfg


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    # The driver would otherwise open transactions itself, only at the first write: reads before it
    # run unisolated and DDL auto-commits, so a failed migration could leave a half-built schema.
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    # WAL lets readers proceed during a write; busy_timeout queues writers instead of failing them;
    # SQLite leaves foreign keys off unless asked. The wait is long because a transaction holds the
    # write lock across its awaits: on an overloaded engine (12 interviews on one core, measured by
    # bench/capacity.py) the loop lags by seconds and a live session's 10 s wait ran out, which ended
    # the interview. The wait is in aiosqlite's thread, never on the event loop.
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


def _sqlite_begin(conn: Connection) -> None:
    # Take the write lock up front: a deferred transaction that reads and then writes fails at once
    # with SQLITE_BUSY if another connection wrote in between, and busy_timeout cannot help it.
    # Requests therefore queue (up to busy_timeout) instead of failing.
    conn.exec_driver_sql("BEGIN IMMEDIATE")


async def _to_completion(work: Awaitable[T]) -> T:
    """Runs `work` in a task of its own and waits for it to finish even when the caller is cancelled
    meanwhile; the cancellation is raised once it has (in place of the work's result or error)."""
    task = asyncio.ensure_future(work)
    cancelled: asyncio.CancelledError | None = None
    while not task.done():
        try:
            # wait() never cancels what it waits for, and never raises the task's own error.
            await asyncio.wait({task})
        except asyncio.CancelledError as exc:
            cancelled = exc
    if cancelled is not None:
        if not task.cancelled():
            task.exception()  # retrieved: the cancellation is what the caller sees
        raise cancelled
    return task.result()


# Why every database call runs to completion: a task cancelled inside SQLAlchemy's greenlet (a hang-up
# cancelling a live session mid-write, a client gone mid-request, a timeout) makes SQLAlchemy invalidate
# the connection and close it with its transaction open. Since Python 3.11 sqlite3 leaves statements a
# live cursor still holds unfinalized at close, so SQLite keeps the closed connection as a zombie that
# holds the write lock until the garbage collector frees the cursor: every other writer then waits out
# busy_timeout and fails with "database is locked" (seen in CI; reproduced by
# tests/engine/test_database_cancel.py). Finishing the call first and raising the cancellation after it,
# outside SQLAlchemy, leaves the transaction to roll back normally. On PostgreSQL it spares a connection.
class _Transaction(AsyncSessionTransaction):
    async def start(self, is_ctxmanager: bool = False) -> AsyncSessionTransaction:
        return await _to_completion(super().start(is_ctxmanager))

    async def __aexit__(self, type_: Any, value: Any, traceback: Any) -> None:
        await _to_completion(super().__aexit__(type_, value, traceback))

    async def commit(self) -> None:
        await _to_completion(super().commit())

    async def rollback(self) -> None:
        await _to_completion(super().rollback())


class _Session(AsyncSession):
    """An AsyncSession whose database calls finish before a cancellation is delivered (see above)."""

    def begin(self) -> AsyncSessionTransaction:
        return _Transaction(self)

    def begin_nested(self) -> AsyncSessionTransaction:
        return _Transaction(self, nested=True)

    async def execute(self, *args: Any, **kwargs: Any) -> Any:
        return await _to_completion(super().execute(*args, **kwargs))

    async def scalar(self, *args: Any, **kwargs: Any) -> Any:
        return await _to_completion(super().scalar(*args, **kwargs))

    async def scalars(self, *args: Any, **kwargs: Any) -> Any:
        return await _to_completion(super().scalars(*args, **kwargs))

    async def get(self, *args: Any, **kwargs: Any) -> Any:
        return await _to_completion(super().get(*args, **kwargs))

    async def get_one(self, *args: Any, **kwargs: Any) -> Any:
        return await _to_completion(super().get_one(*args, **kwargs))

    async def delete(self, instance: object) -> None:
        await _to_completion(super().delete(instance))

    async def merge(self, *args: Any, **kwargs: Any) -> Any:
        return await _to_completion(super().merge(*args, **kwargs))

    async def flush(self, *args: Any, **kwargs: Any) -> None:
        await _to_completion(super().flush(*args, **kwargs))

    async def refresh(self, *args: Any, **kwargs: Any) -> None:
        await _to_completion(super().refresh(*args, **kwargs))

    async def connection(self, *args: Any, **kwargs: Any) -> Any:
        return await _to_completion(super().connection(*args, **kwargs))

    async def commit(self) -> None:
        await _to_completion(super().commit())

    async def rollback(self) -> None:
        await _to_completion(super().rollback())


class Database:
    """Owns one async engine. Build it in the app lifespan, `await migrate()`, then `await dispose()`."""

    def __init__(self, url: str, secret_box: SecretBox | None = None) -> None:
        parsed = make_url(url)
        self.dialect = parsed.get_backend_name()
        if self.dialect == "sqlite" and parsed.database and parsed.database != ":memory:":
            Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
        # hide_parameters: SQLAlchemy's statement log (DEBUG) and its error messages would otherwise print
        # bound values, among them webhook secrets and participants' emails. Never echo either.
        self.engine: AsyncEngine = create_async_engine(
            url, pool_pre_ping=self.dialect != "sqlite", hide_parameters=True, echo=False
        )
        # The key for encrypted columns (engine.secret_box); without one, the environment's.
        self.secret_box = secret_box or default_box(url)
        log_privacy.install()
        attach(self.engine.sync_engine.dialect, self.secret_box)
        if self.dialect == "sqlite":
            event.listen(self.engine.sync_engine, "connect", _sqlite_pragmas)
            event.listen(self.engine.sync_engine, "begin", _sqlite_begin)
        self._sessions = async_sessionmaker(self.engine, class_=_Session, expire_on_commit=False)
        self.safe_url = parsed.render_as_string(hide_password=True)

    async def migrate(self) -> None:
        """Upgrade the schema to the newest revision; a no-op when it is current."""
        logger.info("migrating database %s", self.safe_url)
        async with self.engine.begin() as conn:
            await conn.run_sync(lambda sync_conn: command.upgrade(_alembic_config(sync_conn), "head"))
            if self.secret_box.rotating:  # old keys configured: move what they encrypted to the new key
                await conn.run_sync(reencrypt, self.secret_box)

    async def current_revision(self) -> str | None:
        from alembic.runtime.migration import MigrationContext

        async with self.engine.connect() as conn:
            return await conn.run_sync(
                lambda sync_conn: MigrationContext.configure(sync_conn).get_current_revision()
            )

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[AsyncSession]:
        """One unit of work: committed when the block exits normally, rolled back on any exception."""
        async with self._sessions() as session, session.begin():
            yield session

    async def dispose(self) -> None:
        await self.engine.dispose()
