"""The engine-wide turn latency log: bounded, numbered, read after a seq."""

from __future__ import annotations

import pytest

from engine.dialogue.latency import TurnLatency
from engine.live.turn_log import TurnLog


def latency(total: float) -> TurnLatency:
    return TurnLatency(0.0, 0.3, 0.5, 0.55, 0.56, total, "director")


def test_keeps_the_newest_and_numbers_every_turn() -> None:
    log = TurnLog(capacity=3)
    assert (log.count, log.recent()) == (0, [])
    for i in range(5):
        log.add(latency(1.0 + i))
    assert log.count == 5
    assert [t.seq for t in log.recent()] == [3, 4, 5]
    assert [t.seq for t in log.recent(after=4)] == [5]
    assert log.recent(after=5) == []
    assert log.recent()[-1].latency.total_s == pytest.approx(5.0)


def test_phases_add_up() -> None:
    turn = latency(0.6)
    assert turn.endpointing_s + turn.generation_s + turn.first_audio_s == pytest.approx(turn.total_s)
    assert turn.transcription_s == pytest.approx(0.2)


def test_capacity_must_be_positive() -> None:
    with pytest.raises(ValueError, match="capacity"):
        TurnLog(capacity=0)
