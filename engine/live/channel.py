"""The "events" data channel between the engine and the join page: captions, state and hang-up.

Messages are small JSON objects with a `type`. The page may open the channel before or after the
engine has something to say, so outgoing messages wait in a bounded queue until it is open.
"""

from __future__ import annotations

import json
import logging
from collections import deque
from collections.abc import Callable
from typing import Any

from aiortc import RTCDataChannel

__all__ = ["MAX_INBOUND_BYTES", "EventChannel", "parse_message"]

logger = logging.getLogger(__name__)

MAX_INBOUND_BYTES = 4096
MAX_BACKLOG = 200
INBOUND_TYPES = frozenset({"hangup", "visibility", "focus", "ping", "delay"})


def parse_message(raw: object) -> dict[str, Any] | None:
    """A page message, or None for anything malformed (logged, never raised: the page is untrusted)."""
    if isinstance(raw, bytes):
        return None
    if not isinstance(raw, str) or len(raw) > MAX_INBOUND_BYTES:
        return None
    try:
        message = json.loads(raw)
    except ValueError:
        return None
    if not isinstance(message, dict) or message.get("type") not in INBOUND_TYPES:
        return None
    return message


class EventChannel:
    def __init__(self, on_message: Callable[[dict[str, Any]], None]) -> None:
        self._on_message = on_message
        self._channel: RTCDataChannel | None = None
        self._backlog: deque[str] = deque(maxlen=MAX_BACKLOG)

    def attach(self, channel: RTCDataChannel) -> None:
        if channel.label != "events":
            logger.info("ignoring data channel %r", channel.label[:40])
            return
        self._channel = channel

        @channel.on("open")
        def _opened() -> None:
            self._drain()

        @channel.on("message")
        def _received(raw: object) -> None:
            message = parse_message(raw)
            if message is None:
                logger.info("ignoring a malformed page message")
                return
            self._on_message(message)

        if channel.readyState == "open":
            self._drain()

    def send(self, message: dict[str, Any]) -> None:
        self._backlog.append(json.dumps(message, separators=(",", ":")))
        self._drain()

    def _drain(self) -> None:
        channel = self._channel
        if channel is None or channel.readyState != "open":
            return
        while self._backlog:
            try:
                channel.send(self._backlog.popleft())
            except Exception:
                # The transport went away mid-send; the session's own watchdog notices and ends it.
                logger.debug("data channel send failed", exc_info=True)
                return
