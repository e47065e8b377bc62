"""Messages from the join page are untrusted: anything odd is dropped, never raised."""

from __future__ import annotations

import json

import pytest

from engine.live.channel import MAX_INBOUND_BYTES, parse_message


@pytest.mark.parametrize(
    "raw",
    [
        b'{"type": "hangup"}',
        "not json",
        "[1, 2]",
        '{"type": "shutdown-server"}',
        '{"no": "type"}',
        json.dumps({"type": "hangup", "pad": "x" * MAX_INBOUND_BYTES}),
        None,
        42,
    ],
)
def test_malformed_messages_are_ignored(raw: object) -> None:
    assert parse_message(raw) is None


@pytest.mark.parametrize("kind", ["hangup", "visibility", "focus", "ping", "delay"])
def test_known_messages_pass(kind: str) -> None:
    assert parse_message(json.dumps({"type": kind, "hidden": True})) == {"type": kind, "hidden": True}
