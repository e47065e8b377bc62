"""Each session's timeline from a capacity level, for reading turn by turn what the summary counts."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from media.scripted_candidate import CandidateReport

__all__ = ["write_timelines"]


def write_timelines(path: Path, reports: list[CandidateReport], logged: list[dict[str, Any]]) -> None:
    """Each session's turns and the messages it received, in its own clock's seconds, with the engine's
    log of the turns: what to read when a turn went unanswered."""
    sessions = []
    for report in reports:
        sessions.append(
            {
                "turns": [
                    {
                        "answer": t.answer_index,
                        "speech_end": round(t.speech_end, 3),
                        "transcript_latency": t.transcript_latency,
                        "reply_latency": t.reply_latency,
                        "early": t.early,
                        "transcript": t.transcript,
                    }
                    for t in report.turns
                ],
                "messages": [
                    {
                        k: v
                        for k, v in m.items()
                        if k in ("type", "state", "text", "final", "received_at", "reason")
                    }
                    for m in report.messages
                    if m.get("type") != "transcript" or m.get("final")
                ],
                "sound_runs": [(round(a, 3), round(b, 3)) for a, b in report.sound_runs],
                "ended": report.ended,
            }
        )
    path.write_text(json.dumps({"sessions": sessions, "engine_turns": logged}, indent=1) + "\n")
