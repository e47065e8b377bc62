"""How long an interview takes, and which of the possible questions a time budget keeps.

The estimate for one question (``estimate``), at a speaking rate of 150 words a minute:

* the question itself, read aloud: its words / 2.5 (about 15 s for a 35-word question);
* the answer: 60 / 90 / 120 s at easy / medium / hard. A complete spoken answer (the situation, what
  the candidate did, the result) runs 150 to 300 words; 90 s is 225 words;
* 5 s of turn-taking: the end-of-turn silence, the reply's latency and the acknowledgement;
* each allowed follow-up, 45 s (a one-line probe and a shorter answer), counted for half the
  questions: only an answer weaker than ``STRONG_ANSWER`` is probed, and the rest are not.

So a medium question with one allowed follow-up is about 130 s, and 30 minutes (less 60 s for the
opening and closing) hold 13 of them. Those are the plan's *core*. Candidates who answer briefly
get through the core sooner, so the plan also keeps *reserve* questions: as many more as fit the
budget at a brisk pace (``brisk``: a 40 s answer and no follow-up), asked only while time is left.
When the possible questions run out before the budget does, the plan's expected length is the
core's estimate, and that is the length the candidate is told.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from engine.dialogue.questions import Draft

__all__ = [
    "ANSWER_SECONDS",
    "BRISK_ANSWER_S",
    "FOLLOW_UP_SECONDS",
    "FOLLOW_UP_SHARE",
    "FRAME_SECONDS",
    "SPEAKING_WORDS_PER_S",
    "TURN_OVERHEAD_S",
    "Candidate",
    "Paced",
    "brisk",
    "estimate",
    "pace",
    "spoken_seconds",
]

SPEAKING_WORDS_PER_S = 2.5  # 150 words a minute: conversational English (eSpeak's default is 170)
ANSWER_SECONDS = (60, 90, 120)  # easy, medium, hard
BRISK_ANSWER_S = 40  # a short but real answer: what a hurried candidate gives
TURN_OVERHEAD_S = 5
FOLLOW_UP_SECONDS = 45
FOLLOW_UP_SHARE = 0.5
FRAME_SECONDS = 60  # the opening (80 to 100 words) and the closing (25 words) together


def spoken_seconds(text: str) -> float:
    return len(text.split()) / SPEAKING_WORDS_PER_S


def estimate(text: str, level: int, max_follow_ups: int) -> int:
    """Seconds for a question worded `text` at `level` (0 to 2), its answer and its expected follow-ups."""
    follow_ups = FOLLOW_UP_SECONDS * FOLLOW_UP_SHARE * max_follow_ups
    return round(spoken_seconds(text) + ANSWER_SECONDS[level] + TURN_OVERHEAD_S + follow_ups)


def brisk(text: str) -> int:
    """Seconds for the question with a brief answer and no follow-up: the reserve's pace."""
    return round(spoken_seconds(text) + BRISK_ANSWER_S + TURN_OVERHEAD_S)


@dataclass(frozen=True, slots=True)
class Candidate:
    """A drafted question with its place in the order of preference and its time estimates."""

    draft: Draft
    rank: tuple[int, float, int]  # lower is kept first
    place: int  # its position in its dimension's pool (-1: the warm-up)
    essential: bool  # the first question on its dimension
    est_seconds: int
    brisk_seconds: int


@dataclass(frozen=True, slots=True)
class Paced:
    core: list[Candidate]
    reserve: list[Candidate]
    dropped: list[Candidate]
    expected_s: int  # the interview's expected length: the budget when the core fills it


def pace(candidates: Sequence[Candidate], budget_s: int) -> Paced:
    """The core (best first, while the estimate fits; at least one question), the reserve (while the
    brisk estimate of core and reserve together fits) and what is left out.

    Every dimension's first question is core whenever all of them fit at the brisk pace, even past
    the estimate: a dimension never asked cannot be scored, so a short interview still covers the
    rubric and the director keeps it on time by leaving out the rest."""
    ordered = sorted(candidates, key=lambda c: c.rank)
    room = budget_s - FRAME_SECONDS
    cover = sum(c.brisk_seconds for c in ordered if c.essential) <= room
    core: list[Candidate] = []
    used = 0
    for candidate in ordered:
        if core and used + candidate.est_seconds > room and not (cover and candidate.essential):
            break
        core.append(candidate)
        used += candidate.est_seconds
    reserve: list[Candidate] = []
    dropped: list[Candidate] = []
    quick = sum(c.brisk_seconds for c in core)
    for candidate in ordered[len(core) :]:
        # A warm-up question makes no sense once the interview is under way: core or nothing.
        if candidate.draft.kind == "background" or quick + candidate.brisk_seconds > room:
            dropped.append(candidate)
            continue
        reserve.append(candidate)
        quick += candidate.brisk_seconds
    # Filled when another question of the usual length would not fit (or the core already stopped
    # for lack of time); otherwise the questions ran out first and the interview is shorter.
    typical = used / len(core) if core else 0
    filled = len(core) < len(ordered) or room - used < typical
    return Paced(core, reserve, dropped, budget_s if filled else FRAME_SECONDS + used)
