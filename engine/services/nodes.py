"""The node registry and who holds each live interview, in the shared database.

Each engine has a row in `engine_nodes` with the URL the other engines reach it at, refreshed by its
heartbeat; an engine whose heartbeat is older than `IE_NODE__DEAD_AFTER_S` is taken for dead. While a
session's interview is live, `live_owners` names the engine holding it. A join offer goes to the owner
while its heartbeat is fresh; once it is stale, the engine the link reached takes the session over
(`claim`), and the conditional UPDATE that moves the row from the dead owner to it lets exactly one of
several engines racing for it win: the others find the row moved and forward to the winner.

Clocks: heartbeats are written and judged with the engines' own clocks (`Clock`), so their clocks must
agree to well within `IE_NODE__DEAD_AFTER_S` (NTP does).
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime
from typing import Any, cast

from sqlalchemy import CursorResult, delete, func, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession

from engine.store.tables import EngineNodeRow, LiveOwnerRow

__all__ = [
    "Claimed",
    "Owner",
    "beat",
    "claim",
    "deregister",
    "held_elsewhere",
    "other_node",
    "owner_of",
    "prune",
    "register",
    "release",
    "taken_over",
]

# Conflicts on a session are settled in a few rounds at most: each lost round means another engine
# moved the row, and then it is fresh.
CLAIM_ROUNDS = 4


@dataclass(frozen=True, slots=True)
class Owner:
    """The engine holding a session's live interview. `url` and `heartbeat_at` are None when that engine
    has no row any more (stopped, or pruned after dying): then it is dead."""

    node_id: str
    url: str | None
    heartbeat_at: datetime | None
    draining: bool

    def alive(self, fresh_since: datetime) -> bool:
        return self.heartbeat_at is not None and self.heartbeat_at > fresh_since


@dataclass(frozen=True, slots=True)
class Claimed:
    """This engine holds the session now. `took_over_from`: the dead engine it was taken from, if any."""

    took_over_from: str | None = None


def _insert_ignoring_conflict(db: AsyncSession, table: Any, values: dict[str, Any]) -> Any:
    """INSERT ... ON CONFLICT DO NOTHING (both backends have it): a racing insert is a lost race, not an
    error that would abort the transaction."""
    dialect = postgresql if db.get_bind().dialect.name == "postgresql" else sqlite
    return dialect.insert(table).values(**values).on_conflict_do_nothing()


def _rowcount(result: Any) -> int:
    return int(cast(CursorResult[Any], result).rowcount)


async def register(db: AsyncSession, node_id: str, url: str, now: datetime) -> None:
    db.add(EngineNodeRow(id=node_id, url=url, started_at=now, heartbeat_at=now, draining=False))


async def beat(db: AsyncSession, node_id: str, url: str, now: datetime, draining: bool) -> None:
    """Refreshes the heartbeat; writes the row again if it is gone (pruned while this engine stalled)."""
    result = await db.execute(
        update(EngineNodeRow)
        .where(EngineNodeRow.id == node_id)
        .values(heartbeat_at=now, draining=draining, url=url)
        .execution_options(synchronize_session=False)
    )
    if _rowcount(result) == 0:
        values = {"id": node_id, "url": url, "started_at": now, "heartbeat_at": now, "draining": draining}
        await db.execute(_insert_ignoring_conflict(db, EngineNodeRow, values))


async def deregister(db: AsyncSession, node_id: str) -> None:
    """A clean stop: the engine's live interviews are over, so nothing it held stays held."""
    await db.execute(delete(LiveOwnerRow).where(LiveOwnerRow.node_id == node_id))
    await db.execute(delete(EngineNodeRow).where(EngineNodeRow.id == node_id))


async def prune(db: AsyncSession, silent_since: datetime) -> int:
    """Deletes the engines silent since before `silent_since`, and what they held (free to claim either
    way: an owner without a row is dead). Returns how many engines."""
    dead = select(EngineNodeRow.id).where(EngineNodeRow.heartbeat_at < silent_since)
    await db.execute(
        delete(LiveOwnerRow)
        .where(LiveOwnerRow.node_id.in_(dead.scalar_subquery()))
        .execution_options(synchronize_session=False)
    )
    result = await db.execute(
        delete(EngineNodeRow)
        .where(EngineNodeRow.heartbeat_at < silent_since)
        .execution_options(synchronize_session=False)
    )
    return _rowcount(result)


async def owner_of(db: AsyncSession, session_id: str) -> Owner | None:
    found = (
        await db.execute(
            select(
                LiveOwnerRow.node_id, EngineNodeRow.url, EngineNodeRow.heartbeat_at, EngineNodeRow.draining
            )
            .select_from(LiveOwnerRow)
            .outerjoin(EngineNodeRow, EngineNodeRow.id == LiveOwnerRow.node_id)
            .where(LiveOwnerRow.session_id == session_id)
        )
    ).first()
    if found is None:
        return None
    node_id, url, heartbeat_at, draining = found
    return Owner(node_id, url, heartbeat_at, bool(draining))


async def claim(
    db: AsyncSession, session_id: str, node_id: str, now: datetime, fresh_since: datetime
) -> Claimed | Owner:
    """Makes `node_id` the holder of the session's live interview, unless another engine that is alive
    holds it (then that engine is returned). A dead holder's row is moved with a conditional UPDATE:
    of engines racing to take the same session over, one moves it and the others see it moved."""
    for _ in range(CLAIM_ROUNDS):
        owner = await owner_of(db, session_id)
        if owner is None:
            values = {"session_id": session_id, "node_id": node_id, "since": now}
            if _rowcount(await db.execute(_insert_ignoring_conflict(db, LiveOwnerRow, values))) == 1:
                return Claimed()
            continue  # another engine inserted first: look again
        if owner.node_id == node_id:
            return Claimed()
        if owner.alive(fresh_since):
            return owner
        moved = await db.execute(
            update(LiveOwnerRow)
            .where(LiveOwnerRow.session_id == session_id, LiveOwnerRow.node_id == owner.node_id)
            .values(node_id=node_id, since=now)
            .execution_options(synchronize_session=False)
        )
        if _rowcount(moved) == 1:
            return Claimed(took_over_from=owner.node_id)
    raise RuntimeError(f"session {session_id}: its holder kept changing; giving up the claim")


async def release(db: AsyncSession, session_id: str, node_id: str) -> None:
    """The interview is no longer live here; a row another engine took over is left alone."""
    await db.execute(
        delete(LiveOwnerRow)
        .where(LiveOwnerRow.session_id == session_id, LiveOwnerRow.node_id == node_id)
        .execution_options(synchronize_session=False)
    )


async def taken_over(db: AsyncSession, node_id: str, live: Collection[str]) -> set[str]:
    """Of the sessions live on this engine, those another engine holds now: it took them over while
    this one was taken for dead (stalled, cut off from the database), so they must end here."""
    if not live:
        return set()
    rows = await db.execute(
        select(LiveOwnerRow.session_id).where(
            LiveOwnerRow.session_id.in_(list(live)), LiveOwnerRow.node_id != node_id
        )
    )
    return {session_id for (session_id,) in rows}


async def held_elsewhere(db: AsyncSession, node_id: str, fresh_since: datetime) -> set[str]:
    """Sessions live on other engines that are alive (the abandoned-session sweep leaves them alone)."""
    rows = await db.scalars(
        select(LiveOwnerRow.session_id)
        .join(EngineNodeRow, EngineNodeRow.id == LiveOwnerRow.node_id)
        .where(LiveOwnerRow.node_id != node_id, EngineNodeRow.heartbeat_at > fresh_since)
    )
    return set(rows)


async def other_node(db: AsyncSession, node_id: str, fresh_since: datetime) -> str | None:
    """The URL of another engine that is alive and not draining, the one holding the fewest live
    interviews: where a draining engine sends a new interview."""
    held = func.count(LiveOwnerRow.session_id)
    found = await db.scalars(
        select(EngineNodeRow.url)
        .outerjoin(LiveOwnerRow, LiveOwnerRow.node_id == EngineNodeRow.id)
        .where(
            EngineNodeRow.id != node_id,
            EngineNodeRow.heartbeat_at > fresh_since,
            EngineNodeRow.draining.is_(False),
        )
        .group_by(EngineNodeRow.id, EngineNodeRow.url)
        .order_by(held, EngineNodeRow.id)
        .limit(1)
    )
    return found.first()
