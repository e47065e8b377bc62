"""The interview plan of the embedded interviewer: questions built from the template, stage,
profile rubric and participant, paced to the session's time budget.

Every rubric dimension gets at least one question (while the budget allows at least one per
dimension). The plan is plain data: ``to_dict()``/``from_dict()`` give a versioned JSON form that
is saved with the session, so a resumed session asks exactly the same questions.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import Any

from config.enums import Depth, Difficulty, ProbingDepth, SessionMode, Style, Tone
from config.profiles import AgentProfileSpec, RubricDimension
from config.templates import EvaluationTemplateSpec

__all__ = [
    "FOLLOW_UPS",
    "PLAN_VERSION",
    "InterviewPlan",
    "PlannedQuestion",
    "build_plan",
    "first_sentence",
]

PLAN_VERSION = 1
FOLLOW_UPS = {ProbingDepth.LOW: 0, ProbingDepth.MEDIUM: 1, ProbingDepth.HIGH: 2}
LEVELS = ("easy", "medium", "hard")
BASE_SECONDS = {"easy": 90, "medium": 120, "hard": 150}
FOLLOW_UP_SECONDS = 45
FRAME_SECONDS = 60  # opening and closing together


@dataclass(frozen=True, slots=True)
class PlannedQuestion:
    id: str
    text: str  # the medium-difficulty wording
    dimension: str
    skill: str | None
    kind: str  # background | skill | trait | dimension | criteria | scenario
    priority: float  # higher is kept first when time is short
    est_seconds: int
    easier: str = ""
    harder: str = ""
    keywords: tuple[str, ...] = ()
    essential: bool = False  # the first question of its dimension

    def wording(self, level: int) -> str:
        """The text for difficulty level 0 (easy), 1 (medium) or 2 (hard)."""
        if level <= 0 and self.easier:
            return self.easier
        if level >= 2 and self.harder:
            return self.harder
        return self.text

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "text": self.text,
            "dimension": self.dimension,
            "skill": self.skill,
            "kind": self.kind,
            "priority": self.priority,
            "est_seconds": self.est_seconds,
            "easier": self.easier,
            "harder": self.harder,
            "keywords": list(self.keywords),
            "essential": self.essential,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> PlannedQuestion:
        skill = data.get("skill")
        return cls(
            id=str(data["id"]),
            text=str(data["text"]),
            dimension=str(data["dimension"]),
            skill=None if skill is None else str(skill),
            kind=str(data["kind"]),
            priority=float(data["priority"]),
            est_seconds=int(data["est_seconds"]),
            easier=str(data.get("easier", "")),
            harder=str(data.get("harder", "")),
            keywords=tuple(str(k) for k in data.get("keywords", ())),
            essential=bool(data.get("essential", False)),
        )


@dataclass(frozen=True, slots=True)
class InterviewPlan:
    questions: tuple[PlannedQuestion, ...]
    opening: str
    closing: str
    budget_s: int
    mode: str = SessionMode.LIVE_AI_INTERVIEW.value
    tone: str = Tone.PROFESSIONAL.value
    style: str = Style.STRUCTURED.value
    difficulty: str = Difficulty.MEDIUM.value
    start_level: int = 1  # 0 easy, 1 medium, 2 hard
    max_follow_ups: int = 1
    dimensions: tuple[str, ...] = ()
    dropped: tuple[str, ...] = ()  # ids left out to fit the budget
    scenario: str = ""
    version: int = field(default=PLAN_VERSION)

    def covered_dimensions(self) -> set[str]:
        return {q.dimension for q in self.questions}

    def to_dict(self) -> dict[str, Any]:
        return {
            "version": self.version,
            "questions": [q.to_dict() for q in self.questions],
            "opening": self.opening,
            "closing": self.closing,
            "budget_s": self.budget_s,
            "mode": self.mode,
            "tone": self.tone,
            "style": self.style,
            "difficulty": self.difficulty,
            "start_level": self.start_level,
            "max_follow_ups": self.max_follow_ups,
            "dimensions": list(self.dimensions),
            "dropped": list(self.dropped),
            "scenario": self.scenario,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> InterviewPlan:
        version = data.get("version")
        if version != PLAN_VERSION:
            raise ValueError(f"unsupported interview plan version {version!r}")
        return cls(
            questions=tuple(PlannedQuestion.from_dict(q) for q in data["questions"]),
            opening=str(data["opening"]),
            closing=str(data["closing"]),
            budget_s=int(data["budget_s"]),
            mode=str(data["mode"]),
            tone=str(data["tone"]),
            style=str(data["style"]),
            difficulty=str(data["difficulty"]),
            start_level=int(data["start_level"]),
            max_follow_ups=int(data["max_follow_ups"]),
            dimensions=tuple(str(d) for d in data["dimensions"]),
            dropped=tuple(str(d) for d in data["dropped"]),
            scenario=str(data.get("scenario", "")),
            version=PLAN_VERSION,
        )


def first_sentence(text: str | None, limit: int = 160) -> str:
    """The first sentence of free text, without its final stop, cut at a word near `limit`."""
    if not text:
        return ""
    sentence = re.split(r"(?<=[.!?])\s", " ".join(text.split()), maxsplit=1)[0].rstrip(".!? ")
    if len(sentence) > limit:
        sentence = sentence[:limit].rsplit(" ", 1)[0]
    return sentence


_STOP = frozenset(
    [
        "and",
        "or",
        "of",
        "the",
        "a",
        "an",
        "to",
        "in",
        "on",
        "for",
        "with",
        "at",
        "by",
        "skills",
        "skill",
        "ability",
    ]
)


def _words(text: str) -> set[str]:
    return {w for w in re.findall(r"[a-z0-9+#]+", text.casefold()) if w not in _STOP and len(w) > 1}


def _participant_fields(participant: Mapping[str, Any] | None) -> tuple[str, str, str, set[str]]:
    if not participant:
        return "", "", "", set()
    profile = participant.get("profile") or {}
    background = participant.get("background") or {}
    name = str(participant.get("name") or "").split(" ")[0].strip()
    title = str(profile.get("title") or "").strip()
    level = str(profile.get("experienceLevel") or profile.get("experience_level") or "").strip()
    skills = {str(s).casefold() for s in background.get("skills") or ()}
    return name, title, level, skills


# Lead-ins by tone: how a question starts ("{ask} ...").
_ASK = {
    "friendly": "I'd love to hear about",
    "professional": "Tell me about",
    "strict": "Describe",
    "challenging": "Walk me through, with hard specifics,",
}


def _topic_question(
    tone: str, topic: str, domain: str, owned: bool, trait: bool = False
) -> tuple[str, str, str]:
    """Easy, medium and hard wording of a question about `topic` (a skill or trait phrase)."""
    ask = _ASK.get(tone, _ASK["professional"])
    where = f" in {domain}" if domain else ""
    yours = f"Your background mentions {topic}. " if owned else ""
    if trait:
        easy = f"{ask} a time you showed {topic}. What did you do?"
        medium = (
            f"{ask} a specific situation that called for {topic}: what was going on, what did you "
            "personally do, and how did it turn out?"
        )
        hard = (
            f"{ask} the toughest situation that tested your {topic}: what made it hard, what did you "
            "do, what did it cost, and what would you do differently?"
        )
        return easy, medium, hard
    easy = f"{yours}{ask} a time you used {topic}{where}. What did you do?"
    medium = (
        f"{yours}{ask} a specific situation where you relied on {topic}{where}: what was the "
        "problem, what did you personally do, and what was the result?"
    )
    hard = (
        f"{yours}{ask} the hardest problem you solved with {topic}{where}: what options did you "
        "weigh, which trade-offs did you accept, and how did you measure the result?"
    )
    return easy, medium, hard


def _dimension_question(tone: str, dim: RubricDimension, domain: str) -> tuple[str, str, str]:
    ask = _ASK.get(tone, _ASK["professional"])
    shows = first_sentence(dim.description, 120)
    focus = f" We look for this: {shows}." if shows else ""
    where = f" in {domain}" if domain else ""
    name = dim.name
    easy = f"Let's talk about {name.lower()}.{focus} {ask} one example from your work{where}."
    medium = (
        f"Let's talk about {name.lower()}.{focus} {ask} a specific example from your work{where} "
        "that shows it: the situation, what you did, and the outcome."
    )
    hard = (
        f"Let's talk about {name.lower()}.{focus} {ask} the most demanding example from your work"
        f"{where} that shows it: what made it hard, the trade-offs you made, and what you would do "
        "differently now."
    )
    return easy, medium, hard


def _scenario_prompts(scenario: str, dim: RubricDimension, first: bool) -> tuple[str, str, str]:
    setup = (
        f"Let's begin the roleplay. {first_sentence(scenario, 300)}. I will play the other person. "
        if first
        else "Staying in the scenario: "
    )
    focus = dim.name.lower()
    easy = f"{setup}How would you start, with {focus} in mind?"
    medium = (
        f"{setup}Show me how you would handle it, with {focus} in mind. Speak as you would in the moment."
    )
    hard = (
        f"{setup}The other person pushes back hard. Show me how you would handle it, with {focus} in "
        "mind, and speak as you would in the moment."
    )
    return easy, medium, hard


def _match_dimension(topic: str, rubric: list[RubricDimension]) -> str:
    words = _words(topic)
    best: tuple[int, float, int] | None = None
    choice = rubric[0].name
    for index, dim in enumerate(rubric):
        overlap = len(words & _words(f"{dim.name} {dim.description}"))
        if overlap and (best is None or (overlap, dim.weight, -index) > best):
            best, choice = (overlap, dim.weight, -index), dim.name
    if best is not None:
        return choice
    # No word in common: the heaviest dimension (rubric order breaks ties).
    return max(rubric, key=lambda d: (d.weight, -rubric.index(d))).name


def build_plan(
    profile: AgentProfileSpec,
    template: EvaluationTemplateSpec | None,
    stage_name: str | None = None,
    participant: Mapping[str, Any] | None = None,
    session_mode: SessionMode | str | None = None,
    duration_minutes: int | None = None,
) -> InterviewPlan:
    behaviour = profile.behavior
    tone, style, difficulty = behaviour.tone.value, behaviour.style.value, behaviour.difficulty.value
    mode = SessionMode(
        session_mode or (template.default_session_mode if template else SessionMode.LIVE_AI_INTERVIEW)
    ).value
    depth = template.depth if template else Depth.INTERMEDIATE
    if behaviour.difficulty is Difficulty.ADAPTIVE:
        start_level = {Depth.BASIC: 0, Depth.INTERMEDIATE: 1}.get(depth, 2)
    else:
        start_level = LEVELS.index(difficulty)
    max_follow_ups = 0 if mode == SessionMode.ASYNC_INTERVIEW.value else FOLLOW_UPS[behaviour.probing_depth]
    per_question = BASE_SECONDS[LEVELS[start_level]] + FOLLOW_UP_SECONDS * max_follow_ups
    minutes = duration_minutes or (template.duration_minutes if template else 30)
    budget = minutes * 60
    domain = first_sentence(profile.grounding.domain_context, 80)
    scenario = profile.grounding.scenario_context or ""
    name, title, level, claimed = _participant_fields(participant)
    rubric = list(profile.rubric)
    weights = {d.name: d.weight for d in rubric}
    load = {d.name: 0 for d in rubric}
    drafts: list[tuple[str, str, str | None, tuple[str, str, str], tuple[str, ...]]] = []

    def add(
        kind: str, dim: str, skill: str | None, texts: tuple[str, str, str], keys: tuple[str, ...]
    ) -> None:
        load[dim] += 1
        drafts.append((kind, dim, skill, texts, keys))

    heaviest = max(rubric, key=lambda d: (d.weight, -rubric.index(d))).name
    if mode == SessionMode.ROLEPLAY_SIMULATION.value and scenario:
        for i, dim in enumerate(rubric):
            add("scenario", dim.name, None, _scenario_prompts(scenario, dim, i == 0), tuple(_words(dim.name)))
    else:
        if title or level:
            article = "an" if title[:1].lower() in "aeiou" else "a"
            role = f"as {article} {title}" if title else "in your current role"
            seniority = f" at the {level.lower()} level" if level else ""
            text = f"To start, please describe your work {role}{seniority}: what you are responsible for and one recent piece of work you are proud of."
            add("background", heaviest, None, (text, text, text), ())
        skills = list(template.skills) if template else []
        traits = list(template.traits) if template else []
        for skill in skills:
            target = _match_dimension(skill, rubric)
            add(
                "skill",
                target,
                skill,
                _topic_question(tone, skill, domain, skill.casefold() in claimed),
                (skill,),
            )
        for trait in traits:
            target = _match_dimension(trait, rubric)
            add("trait", target, trait, _topic_question(tone, trait.lower(), "", False, trait=True), (trait,))
        for dim in rubric:
            if not load[dim.name]:
                add(
                    "dimension",
                    dim.name,
                    None,
                    _dimension_question(tone, dim, domain),
                    tuple(_words(dim.name)),
                )
        criteria = first_sentence(template.pass_criteria, 200) if template else ""
        if criteria:
            text = f"One last area. To succeed here, a person must show this: {criteria}. What in your experience best shows you can?"
            add("criteria", heaviest, None, (text, text, text), ())

    questions: list[PlannedQuestion] = []
    seen: set[str] = set()
    for index, (kind, dim_name, topic, (easy, medium, hard), keys) in enumerate(drafts):
        essential = dim_name not in seen and kind != "background"
        seen.add(dim_name)
        priority = round(weights[dim_name] + (1000 if essential else 0) - index * 0.01, 2)
        questions.append(
            PlannedQuestion(
                id=f"q{index + 1}",
                text=medium,
                dimension=dim_name,
                skill=topic,
                kind=kind,
                priority=priority,
                est_seconds=per_question,
                easier=easy,
                harder=hard,
                keywords=keys,
                essential=essential,
            )
        )
    # A dimension whose only question is the background one still counts as covered by it.
    for i, q in enumerate(questions):
        if q.dimension not in {x.dimension for x in questions if x.essential}:
            questions[i] = replace(q, essential=True, priority=round(q.priority + 1000, 2))
    kept, dropped = _fit(questions, budget - FRAME_SECONDS)
    return InterviewPlan(
        questions=tuple(kept),
        opening=_opening(profile, template, stage_name, name, mode, minutes, len(kept)),
        closing=_closing(mode),
        budget_s=budget,
        mode=mode,
        tone=tone,
        style=style,
        difficulty=difficulty,
        start_level=start_level,
        max_follow_ups=max_follow_ups,
        dimensions=tuple(d.name for d in rubric),
        dropped=tuple(q.id for q in dropped),
        scenario=scenario,
    )


def _fit(
    questions: list[PlannedQuestion], seconds: int
) -> tuple[list[PlannedQuestion], list[PlannedQuestion]]:
    """Drops the lowest-priority questions until the estimate fits; keeps at least one question."""
    kept = list(questions)
    dropped: list[PlannedQuestion] = []
    while len(kept) > 1 and sum(q.est_seconds for q in kept) > seconds:
        lowest = min(kept, key=lambda q: (q.priority, -kept.index(q)))
        kept.remove(lowest)
        dropped.append(lowest)
    return kept, dropped


def _opening(
    profile: AgentProfileSpec,
    template: EvaluationTemplateSpec | None,
    stage_name: str | None,
    name: str,
    mode: str,
    minutes: int,
    count: int,
) -> str:
    tone = profile.behavior.tone.value
    hello = {"friendly": "Hi", "professional": "Hello", "strict": "Good day", "challenging": "Hello"}[tone]
    hello = f"{hello} {name}." if name else f"{hello}."
    intro = profile.intro.strip().rstrip(".")
    who = f" I'm {intro}." if intro else " I'm your interviewer today."
    what = template.name if template else "this"
    stage = f", {stage_name} stage" if stage_name else ""
    parts = [f"{hello}{who} Thank you for joining the {what} interview{stage}."]
    org = first_sentence(profile.grounding.organization_context, 200)
    if org:
        parts.append(f"A little about us: {org}.")
    objective = first_sentence(template.objective, 200) if template else ""
    if objective and template is not None and "?" not in template.objective:
        parts.append(f"The focus today: {objective}.")
    questions = "one question" if count == 1 else f"{count} questions"
    format_line = {
        SessionMode.ASYNC_INTERVIEW.value: f"I will ask {questions}, one at a time, and record your answers; there is no back and forth.",
        SessionMode.ROLEPLAY_SIMULATION.value: "This is a roleplay: I will set up a scenario and play a part, and you respond as you would for real.",
        SessionMode.PRACTICE_SESSION.value: f"This is a practice session of {questions}; after each answer I will give you brief feedback.",
    }.get(mode, f"I will ask about {questions} and may follow up on some of your answers.")
    parts.append(f"{format_line} We have about {minutes} minutes.")
    parts.append("This conversation is recorded and transcribed.")
    if tone == "friendly":
        parts.append("Take your time and answer in your own words.")
    return " ".join(parts)


def _closing(mode: str) -> str:
    if mode == SessionMode.PRACTICE_SESSION.value:
        return (
            "That completes the practice session. Your full feedback will be in your report. "
            "Thank you, and good luck."
        )
    return (
        "Thank you, that completes the interview. Your answers will be reviewed, and you will hear "
        "from us about next steps. Goodbye."
    )
