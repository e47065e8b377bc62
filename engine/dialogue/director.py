"""The embedded interviewer: walks an ``InterviewPlan``, choosing follow-ups from answer analysis.

Deterministic: the same plan, seed and answers (with the same elapsed times) give the same replies.
Where wording varies (acknowledgements, transitions) the choice rotates by a number derived from
the ``seed`` (e.g. the session id) and the position in the interview, never from a random source.

Rules:

* A question may get up to ``plan.max_follow_ups`` follow-ups (probingDepth low/medium/high: 0/1/2;
  async interviews: 0). A follow-up is asked only when the answer is weaker than ``STRONG_ANSWER``;
  it targets the first gap not yet probed for that question (example, personal action, number,
  outcome, skill, trade-offs).
* Adaptive difficulty: after each question, a best answer strength >= 0.7 raises the level (easy,
  medium, hard), < 0.35 lowers it. Fixed difficulties never move.
* practice_session: brief feedback precedes the next question.
* Each question is announced with the dimension it is tagged with (and scored on): "Let's talk about
  system design.", "Still on system design.", "Back to system design.". A warm-up question and a
  roleplay's turns are not announced.
* Time (estimates in ``pacing.py``): a question on a dimension not yet covered is always asked while
  a question fits at all (``MIN_QUESTION_S``). A further core question on a covered dimension is
  skipped while the rest of the core does not fit the time left and a dimension still waits for its
  first question; otherwise it is asked, like a reserve question, while it fits with a brief answer.
  No question or follow-up may take the time still owed to the first question of each dimension not
  yet covered. With ``CLOSE_RESERVE_S`` left, or nothing that fits, the director closes.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

from engine.dialogue.pacing import FOLLOW_UP_SECONDS, FOLLOW_UP_SHARE, brisk
from engine.dialogue.plan import InterviewPlan, PlannedQuestion
from engine.dialogue.questions import spoken_name
from scoring.answers import STRONG_ANSWER, AnswerFeatures, analyse, gaps

__all__ = [
    "CLOSE_RESERVE_S",
    "PROGRESS_VERSION",
    "DirectorReply",
    "EmbeddedDirector",
    "Progress",
    "ReplyKind",
]

PROGRESS_VERSION = 1
CLOSE_RESERVE_S = 30  # the closing line (about 10 s) and the end of the last answer
MIN_QUESTION_S = 60  # a question read out and a brief answer
RAISE_AT = 0.7
LOWER_BELOW = 0.35

ReplyKind = Literal["follow_up", "question", "feedback_then_question", "closing"]


@dataclass(slots=True)
class Progress:
    index: int = 0  # the question being asked
    follow_ups_used: int = 0  # for the current question
    probed: list[str] = field(default_factory=list)  # gaps already probed for the current question
    covered: list[str] = field(default_factory=list)  # dimensions with an answered question
    asked: list[str] = field(default_factory=list)  # question ids asked, in order
    skipped: list[str] = field(default_factory=list)  # question ids skipped for time
    level: int = 1  # 0 easy, 1 medium, 2 hard
    elapsed_s: float = 0.0
    best_strength: float = 0.0  # of the current question's answers
    last_prompt: str = ""  # the bare question or follow-up last asked
    started: bool = False
    finished: bool = False
    version: int = PROGRESS_VERSION

    def to_dict(self) -> dict[str, Any]:
        return {
            "version": self.version,
            "index": self.index,
            "follow_ups_used": self.follow_ups_used,
            "probed": list(self.probed),
            "covered": list(self.covered),
            "asked": list(self.asked),
            "skipped": list(self.skipped),
            "level": self.level,
            "elapsed_s": self.elapsed_s,
            "best_strength": self.best_strength,
            "last_prompt": self.last_prompt,
            "started": self.started,
            "finished": self.finished,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Progress:
        version = data.get("version")
        if version != PROGRESS_VERSION:
            raise ValueError(f"unsupported progress version {version!r}")
        return cls(
            index=int(data["index"]),
            follow_ups_used=int(data["follow_ups_used"]),
            probed=[str(x) for x in data["probed"]],
            covered=[str(x) for x in data["covered"]],
            asked=[str(x) for x in data["asked"]],
            skipped=[str(x) for x in data["skipped"]],
            level=int(data["level"]),
            elapsed_s=float(data["elapsed_s"]),
            best_strength=float(data["best_strength"]),
            last_prompt=str(data["last_prompt"]),
            started=bool(data["started"]),
            finished=bool(data["finished"]),
        )


@dataclass(frozen=True, slots=True)
class DirectorReply:
    kind: ReplyKind
    text: str
    question_id: str | None
    dimension: str | None
    features: AnswerFeatures | None = None  # analysis of the answer this replies to


_ACK = {
    "friendly": ("Thanks for sharing that.", "Great, thank you.", "That's helpful, thanks."),
    "professional": ("Thank you.", "Thank you, that's clear.", "Understood, thank you."),
    "strict": ("Noted.", "Understood.", "Recorded."),
    "challenging": ("All right.", "Noted.", "Let's move on."),
}
_PROBE_LEAD = {
    "friendly": "Thanks, that helps.",
    "professional": "Thank you.",
    "strict": "That is not specific enough.",
    "challenging": "I'm not convinced yet.",
}
_NEUTRAL_LEADS = frozenset({"Thanks, that helps.", "Thank you."})
_CONVERSATIONAL = ("Moving on.", "Next question.", "Here is another one.")
# How a question is announced: the first on its dimension, another straight after, or a return to it.
_FIRST_TOPIC = ("Let's start with {n}.",)
_NEW_TOPIC = ("Let's talk about {n}.", "Let's turn to {n}.", "Now, a question on {n}.")
_SAME_TOPIC = ("Still on {n}.", "Staying with {n}.")
_BACK_TO = ("Back to {n}.", "Let's return to {n}.")
_UNANNOUNCED = frozenset(["background", "scenario"])  # a warm-up; a roleplay stays in its scene
_SELF_ANNOUNCED = frozenset(["dimension"])  # version 1 plans: the text opens "Let's talk about ..."


def _probe(gap: str, question: PlannedQuestion, features: AnswerFeatures) -> str:
    topic = question.skill or question.dimension.lower()
    if gap == "example":
        return "Could you give me one specific example, a real situation, and walk me through it?"
    if gap == "personal_action":
        if features.we_statements:
            return "You described what the team did. What did you personally do?"
        return "What exactly did you personally do?"
    if gap == "number":
        return "Can you put a number on it: how big was it, how many, or how much did it change?"
    if gap == "outcome":
        return "What was the outcome, and how did you know it had worked?"
    if gap == "skill":
        return f"How did {topic} come into it, specifically?"
    return "What trade-offs did you weigh, and what would you do differently now?"


_PRAISE = (
    ("has_example", "you used a concrete example"),
    ("first_person_actions", "you were clear about what you did yourself"),
    ("numbers", "you quantified it"),
    ("outcomes", "you described the outcome"),
    ("technologies", "you named the tools involved"),
)
_TIPS = {
    "example": "anchor your answer in one real situation",
    "personal_action": "say what you personally did, using 'I' rather than 'we'",
    "number": "add a number, such as the size, the time it took or the improvement",
    "outcome": "finish with the result and how you measured it",
    "skill": "tie your answer explicitly to the skill asked about",
    "tradeoff": "mention the trade-offs you weighed",
}


def feedback(features: AnswerFeatures) -> str:
    """Brief practice feedback: up to two things done well and the first thing to improve."""
    good = [text for attr, text in _PRAISE if getattr(features, attr)][:2]
    missing = gaps(features)
    parts = []
    if features.word_count == 0:
        return "Feedback: I didn't catch an answer there; in the real interview, always give one."
    if good:
        parts.append("Feedback: good that " + " and ".join(good) + ".")
    else:
        parts.append("Feedback: that answer stayed general.")
    if missing:
        parts.append(f"To make it stronger, {_TIPS[missing[0]]}.")
    return " ".join(parts)


class EmbeddedDirector:
    def __init__(self, plan: InterviewPlan, progress: Progress | None = None, seed: str = "") -> None:
        self.plan = plan
        self._progress = progress if progress is not None else Progress(level=plan.start_level)
        self._seed_text = seed
        self._seed = int.from_bytes(hashlib.sha256(seed.encode("utf-8")).digest()[:4], "big")

    def copy(self) -> EmbeddedDirector:
        """An independent director in the same place (the plan shared, the progress copied): a reply
        tried on the copy changes nothing here until the copy is adopted."""
        return EmbeddedDirector(self.plan, Progress.from_dict(self._progress.to_dict()), self._seed_text)

    # --- state -----------------------------------------------------------------------------------

    @property
    def progress(self) -> Progress:
        return self._progress

    @property
    def finished(self) -> bool:
        return self._progress.finished

    def _question(self) -> PlannedQuestion:
        return self.plan.questions[min(self._progress.index, len(self.plan.questions) - 1)]

    def _pick(self, options: tuple[str, ...]) -> str:
        p = self._progress
        return options[(self._seed + len(p.asked) + p.follow_ups_used) % len(options)]

    # --- what to say -----------------------------------------------------------------------------

    def current_question(self) -> str:
        return self._question().wording(self._progress.level)

    def opening(self) -> str:
        """The opening (intro, format, recording notice) followed by the first question."""
        p = self._progress
        q = self._question()
        framed = self._ask(q, None)
        p.started = True
        return f"{self.plan.opening} {framed}"

    def repeat(self) -> str:
        p = self._progress
        if p.finished:
            return self.plan.closing
        return f"Of course. {p.last_prompt or self.current_question()}"

    def rephrase(self) -> str:
        p = self._progress
        if p.finished:
            return self.plan.closing
        q = self._question()
        if p.follow_ups_used and p.probed:
            return f"Let me put it another way: {_SIMPLE.get(p.probed[-1], _SIMPLE['example'])}"
        if p.level > 0 and q.easier and q.easier != q.text:
            return f"Let me put it another way. {q.easier}"
        topic = q.skill or spoken_name(q.dimension)
        return f"Let me put it another way. Think of one real situation involving {topic}. What happened, and what did you do?"

    def resume_line(self) -> str:
        p = self._progress
        if p.finished:
            return f"Welcome back. We had already finished. {self.plan.closing}"
        if not p.started:
            return self.opening()
        return f"Welcome back. Let's continue where we left off. {p.last_prompt or self.current_question()}"

    def acknowledgements(self) -> tuple[str, ...]:
        """The short lines that acknowledge an answer in this interview's tone (rendered ahead)."""
        return _ACK.get(self.plan.tone, _ACK["professional"])

    def acknowledgement(self) -> str:
        """What to say the moment an answer is over, before the reply is worked out; `next_after`
        with `acknowledged=True` then leaves its own acknowledgement out."""
        return self._pick(self.acknowledgements())

    def next_after(self, answer_text: str, elapsed_s: float, *, acknowledged: bool = False) -> DirectorReply:
        p = self._progress
        if p.finished:
            return DirectorReply("closing", self.plan.closing, None, None)
        p.elapsed_s = max(p.elapsed_s, float(elapsed_s))
        q = self._question()
        features = analyse(answer_text, q.skill, q.keywords)
        p.best_strength = max(p.best_strength, features.strength)
        if features.word_count and q.dimension not in p.covered:
            p.covered.append(q.dimension)
        remaining = self.plan.budget_s - p.elapsed_s
        practice = self.plan.mode == "practice_session"
        note = f"{feedback(features)} " if practice else ""
        if remaining <= CLOSE_RESERVE_S:
            return self._close(features, note, time_up=True)

        follow_up = self._follow_up(q, features, remaining, acknowledged)
        if follow_up is not None:
            return follow_up

        # The question is done: adapt the level, then find the next question that fits the time.
        if self.plan.difficulty == "adaptive":
            if p.best_strength >= RAISE_AT:
                p.level = min(p.level + 1, 2)
            elif p.best_strength < LOWER_BELOW:
                p.level = max(p.level - 1, 0)
        strong = p.best_strength >= RAISE_AT
        nxt = self._next_index(remaining)
        if nxt is None:
            return self._close(features, note, time_up=p.index + 1 < len(self.plan.questions))
        p.index, p.follow_ups_used, p.probed, p.best_strength = nxt, 0, [], 0.0
        nq = self.plan.questions[nxt]
        if self.plan.mode == "async_interview":
            ack = "Thank you, your answer is recorded."
        elif acknowledged:
            ack = ""  # the interviewer already said one while this reply was worked out
        else:
            ack = self._pick(_ACK.get(self.plan.tone, _ACK["professional"]))
        framed = self._ask(nq, strong)
        if practice:
            return DirectorReply("feedback_then_question", f"{note}{framed}", nq.id, nq.dimension, features)
        return DirectorReply("question", f"{ack} {framed}".strip(), nq.id, nq.dimension, features)

    # --- helpers ---------------------------------------------------------------------------------

    def _follow_up(
        self, q: PlannedQuestion, features: AnswerFeatures, remaining: float, acknowledged: bool
    ) -> DirectorReply | None:
        """A probe for the first gap not yet probed, when the answer is weak, the profile allows another
        follow-up, and the time owed to dimensions not yet asked about is not needed for it."""
        p = self._progress
        if p.follow_ups_used >= self.plan.max_follow_ups or features.strength >= STRONG_ANSWER:
            return None
        owed = self._owed(p.index + 1, q.dimension)
        if FOLLOW_UP_SECONDS + owed > remaining - CLOSE_RESERVE_S:
            return None
        gap = next((g for g in gaps(features) if g not in p.probed), None)
        if gap is None:
            return None
        p.follow_ups_used += 1
        p.probed.append(gap)
        text = _probe(gap, q, features)
        p.last_prompt = text
        lead = _PROBE_LEAD.get(self.plan.tone, "Thank you.")
        if acknowledged and lead in _NEUTRAL_LEADS:
            lead = ""  # already thanked; a lead that says something ("not specific enough") stays
        return DirectorReply("follow_up", f"{lead} {text}".strip(), q.id, q.dimension, features)

    def _short(self, q: PlannedQuestion) -> float:
        """A question's estimate without its follow-ups: the least it should be given."""
        allowance = FOLLOW_UP_SECONDS * FOLLOW_UP_SHARE * self.plan.max_follow_ups
        return max(float(MIN_QUESTION_S), q.est_seconds - allowance)

    def _owed(self, start: int, answered: str | None) -> float:
        """Seconds still owed to the dimensions nobody has answered on: the first question left on
        each, from `start` on (`answered`: a dimension that counts as covered already)."""
        p = self._progress
        done = set(p.covered) | ({answered} if answered else set())
        total = 0.0
        for q in self.plan.questions[start:]:
            if q.dimension in done or q.id in p.skipped:
                continue
            done.add(q.dimension)
            total += self._short(q)
        return total

    def _fits(self, index: int, available: float) -> bool:
        p = self._progress
        questions = self.plan.questions
        q = questions[index]
        if q.dimension not in p.covered:
            return True  # coverage first: a dimension never asked about cannot be scored
        owed = self._owed(index + 1, q.dimension)
        # Asked while a brief answer still fits: the reserve is there for candidates who answer
        # briefly, and the close waits at most for the rest of a longer answer.
        brief = brisk(q.wording(p.level)) + owed <= available
        if q.reserve:
            return brief
        rest = sum(x.est_seconds for x in questions[index:] if not x.reserve and x.id not in p.skipped)
        on_schedule = rest <= available and q.est_seconds + owed <= available
        # Behind schedule, extra questions give way while a dimension still waits for its first;
        # once every dimension is covered, the core goes on like the reserve.
        return on_schedule or (owed == 0 and brief)

    def _next_index(self, remaining: float) -> int | None:
        p = self._progress
        questions = self.plan.questions
        available = remaining - CLOSE_RESERVE_S
        if available < MIN_QUESTION_S:
            p.skipped.extend(q.id for q in questions[p.index + 1 :])
            return None
        for nxt in range(p.index + 1, len(questions)):
            if self._fits(nxt, available):
                return nxt
            p.skipped.append(questions[nxt].id)
        return None

    def _ask(self, q: PlannedQuestion, strong: bool | None) -> str:
        """Marks `q` asked and returns it as said: framed by the style and announced."""
        p = self._progress
        text = q.wording(p.level)
        framed = self._frame(q, text, strong)
        if q.id not in p.asked:
            p.asked.append(q.id)
        p.last_prompt = text
        return framed

    def _transition(self, q: PlannedQuestion) -> tuple[str, bool]:
        """How `q` is announced, and whether that moves to another dimension."""
        if q.kind in _UNANNOUNCED:
            return "", False
        if q.kind in _SELF_ANNOUNCED:
            return "", True
        by_id = {x.id: x for x in self.plan.questions}
        earlier = [
            by_id[i].dimension
            for i in self._progress.asked
            if i in by_id and by_id[i].kind not in _UNANNOUNCED
        ]
        options: tuple[str, ...]
        if not earlier:
            options = _FIRST_TOPIC
        elif q.dimension not in earlier:
            options = _NEW_TOPIC
        elif earlier[-1] == q.dimension:
            options = _SAME_TOPIC
        else:
            options = _BACK_TO
        return self._pick(options).format(n=spoken_name(q.dimension)), options is not _SAME_TOPIC

    def _frame(self, q: PlannedQuestion, text: str, strong: bool | None) -> str:
        style = self.plan.style
        announced, moved = self._transition(q)
        lead = ""
        if style == "structured" and q.kind != "scenario":
            lead = f"Question {len(self._progress.asked) + 1}."
        elif style == "adaptive" and strong is not None and not moved:
            # Staying on the dimension: say why the next question is harder or easier instead.
            announced = "Let's go a level deeper." if strong else "Let's try a different angle."
        elif style == "conversational" and strong is not None and not announced:
            lead = self._pick(_CONVERSATIONAL)
        return " ".join(part for part in (lead, announced, text) if part)

    def _close(self, features: AnswerFeatures, note: str, time_up: bool) -> DirectorReply:
        p = self._progress
        p.finished = True
        p.last_prompt = ""
        lead = "We've reached the end of our time. " if time_up else ""
        return DirectorReply("closing", f"{note}{lead}{self.plan.closing}", None, None, features)


_SIMPLE = {
    "example": "think of one time this actually happened. What was going on?",
    "personal_action": "what was your own part in it?",
    "number": "roughly how big or how much, in numbers?",
    "outcome": "how did it end?",
    "skill": "where did that skill come in?",
    "tradeoff": "what did you give up by doing it that way?",
}
