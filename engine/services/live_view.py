"""What a recruiter watching a live interview is sent, derived from the session's feed
(engine/live/feed.py) without touching the session itself.

The feed carries the messages meant for the candidate's page; a watcher gets a public, allow-listed
subset of them, reshaped so that a client needs to know only four kinds:

    {"type": "line", "speaker": "interviewer" | "candidate", "text": ..., "final": bool}
    {"type": "state", "state": "listening" | "thinking" | "speaking"}
    {"type": "ended", "reason": ...}
    (and the snapshot that starts each stream, built by `snapshot`)

"thinking" is not a state the session has: it is read from the order of the messages. The candidate's
final words arrived while the interviewer was not speaking, so the interviewer is working out its reply;
it ends when the interviewer starts speaking, or when the candidate speaks again (the interviewer was
waiting for more). Anything the feed carries that is not listed here is dropped, so a message added for
the candidate's page later never reaches a watcher unreviewed.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal

from sqlalchemy.ext.asyncio import AsyncSession

from config.enums import SessionStatus
from engine.services import nodes
from engine.store.tables import SessionRow

__all__ = ["NotLive", "ViewState", "not_live", "session_summary", "snapshot"]

JSON = dict[str, Any]
InterviewerState = Literal["listening", "thinking", "speaking"]
SPEAKERS = frozenset({"interviewer", "candidate"})


@dataclass(slots=True)
class ViewState:
    """The interviewer's state as last told to one watcher, and what each feed message means for it."""

    interviewer: str | None = None  # "speaking" / "listening", as the session last said
    thinking: bool = False

    @property
    def state(self) -> InterviewerState | None:
        if self.thinking:
            return "thinking"
        if self.interviewer in ("speaking", "listening"):
            return "speaking" if self.interviewer == "speaking" else "listening"
        return None

    def apply(self, message: JSON) -> list[JSON]:
        """The messages to send a watcher for one feed message (none, one, or a line and a state)."""
        before = self.state
        out: list[JSON] = []
        kind = message.get("type")
        if kind == "state" and message.get("state") in ("speaking", "listening"):
            self.interviewer = str(message["state"])
            self.thinking = False
        elif kind in ("caption", "transcript"):
            line = _line(message)
            if line is None:
                return []
            if line["speaker"] == "candidate" and self.interviewer != "speaking":
                # A final: the interviewer now works out its reply. A partial: the candidate is (still,
                # or again) talking, and the interviewer waits.
                self.thinking = bool(line["final"])
            out.append(line)
        elif kind == "ended":
            self.thinking = False
            reason = message.get("reason")
            return [{"type": "ended", "reason": reason if isinstance(reason, str) else None}]
        else:
            return []
        after = self.state
        if after != before and after is not None:
            out.append({"type": "state", "state": after})
        return out


def _line(message: JSON) -> JSON | None:
    speaker, text = message.get("speaker"), message.get("text")
    if speaker not in SPEAKERS or not isinstance(text, str):
        return None
    return {"type": "line", "speaker": speaker, "text": text, "final": bool(message.get("final"))}


def snapshot(messages: Sequence[JSON], session: JSON) -> tuple[JSON, ViewState, bool]:
    """The first message of a stream, from a feed watcher's snapshot (the finished lines in order, then
    the session's last state message, then the end if it came); the state to go on from; and whether
    the interview has already ended."""
    view = ViewState()
    lines: list[JSON] = []
    ended: JSON | None = None
    for message in messages:
        kind = message.get("type")
        if kind == "state":
            view.apply(message)
        elif kind == "ended":
            ended = message
        elif kind in ("caption", "transcript") and message.get("final"):
            line = _line(message)
            if line is not None:
                lines.append({"speaker": line["speaker"], "text": line["text"]})
    # The state message comes last in a snapshot whatever its real place: the candidate having the last
    # word while the interviewer is not speaking is what "thinking" means.
    if view.interviewer != "speaking" and lines and lines[-1]["speaker"] == "candidate" and ended is None:
        view.thinking = True
    first = {"type": "snapshot", "lines": lines, "state": view.state, "session": session}
    return first, view, ended is not None


def session_summary(row: SessionRow, *, transport: str | None = None) -> JSON:
    return {
        "id": row.id,
        "status": row.status,
        "started_at": _iso(row.started_at),
        "transport": transport,
    }


def _iso(moment: datetime | None) -> str | None:
    return moment.isoformat().replace("+00:00", "Z") if moment is not None else None


@dataclass(frozen=True, slots=True)
class NotLive:
    """Why there is nothing to watch on this engine: `reason` for programs, `message` for people."""

    status: str
    reason: Literal["not_started", "over", "not_connected", "elsewhere"]
    message: str

    def as_message(self, session: JSON) -> JSON:
        return {
            "type": "not_live",
            "status": self.status,
            "reason": self.reason,
            "message": self.message,
            "session": session,
        }


async def not_live(
    db: AsyncSession, row: SessionRow, node_id: str | None, fresh_since: datetime | None
) -> NotLive:
    """A session with no live interview on this engine: not started, over, held by another engine
    sharing the database (`node_id`: this engine's, None when it is alone), or in progress with the
    candidate off the call (they may come back through their link)."""
    status = SessionStatus(row.status)
    if status is SessionStatus.SCHEDULED:
        return NotLive(status.value, "not_started", "The candidate has not started this interview yet.")
    if status.is_terminal:
        return NotLive(
            status.value, "over", "This interview is over: its recording and transcript are below."
        )
    if node_id is not None and fresh_since is not None:
        owner = await nodes.owner_of(db, row.id)
        if owner is not None and owner.node_id != node_id and owner.alive(fresh_since):
            return NotLive(
                status.value,
                "elsewhere",
                "This interview is running on another server of this engine; try again in a moment.",
            )
    return NotLive(
        status.value,
        "not_connected",
        "The candidate is not on the call right now; they may rejoin from their link.",
    )
