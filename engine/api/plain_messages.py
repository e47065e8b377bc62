"""Validation messages in words: pydantic reports a string that breaks a pattern by quoting the regular
expression ("String should match pattern '^[0-9a-f]{8}-...'"), which tells a reader nothing. Each pattern
the API uses is named here in words instead; one not named gets a plain generic message."""

from __future__ import annotations

from typing import Any

from config.base import ID_PATTERN

__all__ = ["PATTERN_WORDS", "plain"]

PATTERN_WORDS: dict[str, str] = {
    ID_PATTERN: "must be a UUID, e.g. 3f0b6b9e-2d7c-4b7e-9a57-0c1f3b8e6d21",
    r"^[0-9a-f]{16}$": "must be an API key id: the 16 hex characters after `ie_`",
    r"^[A-Za-z0-9_-]*$": "must be a `next_cursor` this API returned",
    r"^[a-z_.]+$": "must be an event type, e.g. session.completed",
    r"^evt_[0-9a-f]{28}$": "must be an event id: `evt_` and 28 hex characters",
    r"^[^\x00]*$": "must not contain NUL characters",
}
GENERIC = "is not in the expected format"


def plain(error: dict[str, Any]) -> dict[str, Any]:
    """The pydantic error with a pattern mismatch's message in words; any other error unchanged."""
    if error.get("type") != "string_pattern_mismatch":
        return error
    pattern = str((error.get("ctx") or {}).get("pattern", ""))
    return {**error, "msg": PATTERN_WORDS.get(pattern, GENERIC)}
