"""The capacity benchmark's per-session timelines: what to read when a turn went unanswered."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from bench.capacity_timelines import write_timelines
from media.scripted_candidate import CandidateReport, Turn


def test_a_timeline_keeps_turns_finals_and_states_but_not_partials(tmp_path: Path) -> None:
    report = CandidateReport()
    report.messages += [
        {"type": "state", "state": "listening", "received_at": 1.0, "extra": "dropped"},
        {"type": "transcript", "final": False, "text": "a partial", "received_at": 2.0},
        {"type": "transcript", "final": True, "text": "the final", "received_at": 3.5},
        {"type": "caption", "text": "Next question?", "received_at": 3.6},
    ]
    report.sound_runs.append((3.61234, 5.0))
    report.answering(1.5)
    report.add_turn(Turn(0, 3.0))
    path = tmp_path / "turns.json"
    write_timelines(path, [report], [{"total_ms": 600}])

    saved = json.loads(path.read_text())
    (session,) = saved["sessions"]
    assert session["turns"] == [
        {
            "answer": 0,
            "speech_end": 3.0,
            "transcript_latency": 0.5,
            "reply_latency": pytest.approx(0.61234),
            "early": False,
            "transcript": "the final",
        }
    ]
    assert [m.get("text", m.get("state")) for m in session["messages"]] == [
        "listening",
        "the final",
        "Next question?",
    ]
    assert "extra" not in session["messages"][0]
    assert session["sound_runs"] == [[3.612, 5.0]]
    assert saved["engine_turns"] == [{"total_ms": 600}]
