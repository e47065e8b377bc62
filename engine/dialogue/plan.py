"""The interview plan of the embedded interviewer: questions built from the template, stage,
profile rubric and participant, paced to the session's time budget.

Each rubric dimension has a pool of questions from different angles (``questions.py``); the budget
takes them in order of preference, every dimension's first question before any second one, and then
shares the rest by rubric weight (``pacing.py`` has the time estimate). Questions are asked grouped
by dimension. The plan is plain data: ``to_dict()``/``from_dict()`` give a versioned JSON form that
is saved with the session, so a resumed session asks exactly the same questions.

Version 2 added reserve questions (asked only while time is left) and the expected length;
version 1 plans, saved by earlier engines, still load, without either.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from config.enums import Depth, Difficulty, ProbingDepth, SessionMode, Style, Tone
from config.profiles import AgentProfileSpec, RubricDimension
from config.templates import EvaluationTemplateSpec
from engine.dialogue.pacing import Candidate, Paced, brisk, estimate, pace
from engine.dialogue.persona import greets, introduction
from engine.dialogue.questions import (
    Draft,
    Topic,
    background_draft,
    criteria_draft,
    dimension_pool,
    scenario_pool,
)

__all__ = [
    "FOLLOW_UPS",
    "PLAN_VERSION",
    "InterviewPlan",
    "PlannedQuestion",
    "build_plan",
    "first_sentence",
]

PLAN_VERSION = 2
READABLE_VERSIONS = (1, 2)
FOLLOW_UPS = {ProbingDepth.LOW: 0, ProbingDepth.MEDIUM: 1, ProbingDepth.HIGH: 2}
LEVELS = ("easy", "medium", "hard")
MAX_PER_DIMENSION = 12  # beyond this (and a place per topic), a dimension's questions repeat themselves
MAX_RESUME_TOPICS = 2  # skills only the resume names: a couple, so the template's own come first


@dataclass(frozen=True, slots=True)
class PlannedQuestion:
    id: str
    text: str  # the medium-difficulty wording
    dimension: str
    skill: str | None
    kind: str  # background | example | skill | trait | technical | tradeoff | hypothetical | ...
    priority: float  # higher is kept first when time is short
    est_seconds: int
    easier: str = ""
    harder: str = ""
    keywords: tuple[str, ...] = ()
    essential: bool = False  # the first question of its dimension
    reserve: bool = False  # asked only while time is left once the core questions are done

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
            "reserve": self.reserve,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> PlannedQuestion:
        skill = data.get("skill")
        return cls(
            id=str(data["id"]),
            text=_unread(str(data["text"])),
            dimension=str(data["dimension"]),
            skill=None if skill is None else str(skill),
            kind=str(data["kind"]),
            priority=float(data["priority"]),
            est_seconds=int(data["est_seconds"]),
            easier=_unread(str(data.get("easier", ""))),
            harder=_unread(str(data.get("harder", ""))),
            keywords=tuple(str(k) for k in data.get("keywords", ())),
            essential=bool(data.get("essential", False)),
            reserve=bool(data.get("reserve", False)),
        )


# Version 1 plans read the rubric's description out ("We look for this: Explains clearly."); a session
# that resumes one no longer says it. Scoring matches lines to the plan as saved after the resume.
_RUBRIC_READ_OUT = re.compile(r" We look for this: [^.?!]*[.?!]")


def _unread(text: str) -> str:
    return _RUBRIC_READ_OUT.sub("", text)


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
    expected_s: int = 0  # the expected length: the budget, or less when the questions run out first
    version: int = field(default=PLAN_VERSION)

    def covered_dimensions(self) -> set[str]:
        return {q.dimension for q in self.questions}

    @property
    def core(self) -> tuple[PlannedQuestion, ...]:
        return tuple(q for q in self.questions if not q.reserve)

    @property
    def stated_minutes(self) -> int:
        """The length to tell the candidate, in whole minutes."""
        return max(1, round((self.expected_s or self.budget_s) / 60))

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
            "expected_s": self.expected_s,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> InterviewPlan:
        version = data.get("version")
        if version not in READABLE_VERSIONS:
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
            # A version 1 plan promised the whole budget.
            expected_s=int(data.get("expected_s") or data["budget_s"]),
            # Kept as read: saved again, an old plan stays the version it was written as.
            version=int(version),
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


def _stems(text: str) -> set[str]:
    """Words without a plural or third-person "s", so "Distributed Systems" meets "System Design"."""
    return {w[:-1] if len(w) > 3 and w.endswith("s") and not w.endswith("ss") else w for w in _words(text)}


@dataclass(frozen=True, slots=True)
class _Person:
    name: str = ""
    title: str = ""
    level: str = ""
    skills: tuple[str, ...] = ()  # as the background lists them (the resume's included), in order

    @property
    def claimed(self) -> set[str]:
        return {s.casefold() for s in self.skills}


def _participant_fields(participant: Mapping[str, Any] | None) -> _Person:
    if not participant:
        return _Person()
    profile = participant.get("profile") or {}
    background = participant.get("background") or {}
    return _Person(
        name=str(participant.get("name") or "").split(" ")[0].strip(),
        title=str(profile.get("title") or "").strip(),
        level=str(profile.get("experienceLevel") or profile.get("experience_level") or "").strip(),
        skills=tuple(str(s).strip() for s in background.get("skills") or () if str(s).strip()),
    )


def _match_dimension(topic: str, rubric: Sequence[RubricDimension]) -> str | None:
    """The dimension sharing the most words with `topic` (weight, then rubric order, break ties);
    None when none shares a word."""
    words = _stems(topic)
    best: tuple[int, float, int] | None = None
    choice = None
    for index, dim in enumerate(rubric):
        overlap = len(words & _stems(f"{dim.name} {dim.description}"))
        if overlap and (best is None or (overlap, dim.weight, -index) > best):
            best, choice = (overlap, dim.weight, -index), dim.name
    return choice


def _keywords(name: str) -> tuple[str, ...]:
    return tuple(sorted(_words(name)))


def _heaviest(rubric: Sequence[RubricDimension]) -> str:
    return max(rubric, key=lambda d: (d.weight, -list(rubric).index(d))).name


def _topics(
    rubric: Sequence[RubricDimension], template: EvaluationTemplateSpec | None, person: _Person
) -> dict[str, list[Topic]]:
    """The template's skills and traits, and a couple of skills only the resume names, by dimension.

    A topic that shares words with a dimension goes there. One that shares none is asked in a way
    that also shows a dimension: a skill under the heaviest dimension (the role's core, where
    technical skills belong), a trait under the dimension with the fewest topics so far (the lighter
    first: behavioural dimensions rarely carry the most weight)."""
    by_dimension: dict[str, list[Topic]] = {d.name: [] for d in rubric}
    heaviest = _heaviest(rubric)
    claimed = person.claimed
    skills = list(template.skills) if template else []
    known = {s.casefold() for s in skills}
    extra = [s for s in person.skills if s.casefold() not in known][:MAX_RESUME_TOPICS]
    for skill in [*skills, *extra]:
        target = _match_dimension(skill, rubric)
        topic = Topic(skill, matched=target is not None, claimed=skill.casefold() in claimed)
        by_dimension[target or heaviest].append(topic)
    names = [_stems(d.name) for d in rubric]
    for trait in template.traits if template else []:
        if _stems(trait) in names:
            continue  # the trait is the dimension itself ("Communication"): its own angles ask about it
        target = _match_dimension(trait, rubric)
        if target is None:
            target = min(rubric, key=lambda d: (len(by_dimension[d.name]), d.weight)).name
            by_dimension[target].append(Topic(trait, trait=True, matched=False))
        else:
            by_dimension[target].append(Topic(trait, trait=True))
    return by_dimension


@dataclass(frozen=True, slots=True)
class _Settings:
    """The behaviour a plan is built for."""

    mode: str
    tone: str
    style: str
    difficulty: str
    start_level: int
    max_follow_ups: int


def _settings(
    profile: AgentProfileSpec, template: EvaluationTemplateSpec | None, session_mode: SessionMode | str | None
) -> _Settings:
    behaviour = profile.behavior
    mode = SessionMode(
        session_mode or (template.default_session_mode if template else SessionMode.LIVE_AI_INTERVIEW)
    ).value
    depth = template.depth if template else Depth.INTERMEDIATE
    if behaviour.difficulty is Difficulty.ADAPTIVE:
        start_level = {Depth.BASIC: 0, Depth.INTERMEDIATE: 1}.get(depth, 2)
    else:
        start_level = LEVELS.index(behaviour.difficulty.value)
    return _Settings(
        mode=mode,
        tone=behaviour.tone.value,
        style=behaviour.style.value,
        difficulty=behaviour.difficulty.value,
        start_level=start_level,
        max_follow_ups=0
        if mode == SessionMode.ASYNC_INTERVIEW.value
        else FOLLOW_UPS[behaviour.probing_depth],
    )


def _pools(
    profile: AgentProfileSpec,
    template: EvaluationTemplateSpec | None,
    settings: _Settings,
    person: _Person,
) -> dict[str, list[Draft]]:
    """Every question the plan may ask, by dimension, best first."""
    rubric = list(profile.rubric)
    scenario = profile.grounding.scenario_context or ""
    if settings.mode == SessionMode.ROLEPLAY_SIMULATION.value and scenario:
        setup = first_sentence(scenario, 300)
        return {d.name: scenario_pool(d.name, i == 0, setup) for i, d in enumerate(rubric)}
    domain = first_sentence(profile.grounding.domain_context, 80)
    topics = _topics(rubric, template, person)
    pools = {
        d.name: dimension_pool(d.name, topics[d.name], settings.tone, domain, _keywords(d.name), i)
        for i, d in enumerate(rubric)
    }
    heaviest = _heaviest(rubric)
    if template is not None and first_sentence(template.pass_criteria):
        # After the heaviest dimension's first question, a topic and an angle: high in preference.
        pools[heaviest].insert(3, criteria_draft(heaviest))
    # Each topic earns its dimension a place more: a template's own skills are not cut for angles.
    return {name: pool[: MAX_PER_DIMENSION + len(topics[name])] for name, pool in pools.items()}


def _candidates(
    rubric: Sequence[RubricDimension],
    pools: Mapping[str, list[Draft]],
    background: Draft | None,
    settings: _Settings,
) -> list[Candidate]:
    """Each drafted question with its rank: every dimension's first question (rubric order), then the
    k-th question of a dimension at k / its weight share, so time is shared in proportion to weight."""
    total = sum(d.weight for d in rubric)
    found: list[Candidate] = []

    def add(draft: Draft, rank: tuple[int, float, int], place: int, essential: bool) -> None:
        text = draft.wordings[settings.start_level]
        est = estimate(text, settings.start_level, settings.max_follow_ups)
        found.append(Candidate(draft, rank, place, essential, est, brisk(text)))

    for index, dim in enumerate(rubric):
        share = dim.weight / total
        for k, draft in enumerate(pools[dim.name]):
            add(draft, (0, index, 0) if k == 0 else (1, k / share, index), k, k == 0)
    if background is not None:
        # Ahead of every second question: a warm-up belongs at the start or nowhere.
        add(background, (1, 0.0, -1), -1, False)
    return found


def _order(rubric: Sequence[RubricDimension], paced: Paced, mode: str) -> list[tuple[Candidate, bool]]:
    """The asking order, each with whether it is a reserve question: the warm-up, then the core
    grouped by dimension in rubric order (a roleplay goes round the dimensions instead, so the
    scene moves on), then the reserve in order of preference."""
    core = sorted(paced.core, key=lambda c: c.rank)
    if mode != SessionMode.ROLEPLAY_SIMULATION.value:
        position = {d.name: i for i, d in enumerate(rubric)}
        # The warm-up has place -1: first. Within a dimension, the pool's own order.
        core.sort(key=lambda c: (c.place >= 0, position[c.draft.dimension], c.place))
    return [(c, False) for c in core] + [(c, True) for c in paced.reserve]


def _planned(ordered: list[tuple[Candidate, bool]], preference: list[Candidate]) -> list[PlannedQuestion]:
    rank_of = {c.rank: i for i, c in enumerate(preference)}
    questions = []
    for index, (candidate, reserve) in enumerate(ordered):
        draft = candidate.draft
        easy, medium, hard = draft.wordings
        priority = len(preference) - rank_of[candidate.rank] + (1000 if candidate.essential else 0)
        questions.append(
            PlannedQuestion(
                id=f"q{index + 1}",
                text=medium,
                dimension=draft.dimension,
                skill=draft.skill,
                kind=draft.kind,
                priority=float(priority),
                est_seconds=candidate.est_seconds,
                easier=easy,
                harder=hard,
                keywords=draft.keywords,
                essential=candidate.essential,
                reserve=reserve,
            )
        )
    return questions


def build_plan(
    profile: AgentProfileSpec,
    template: EvaluationTemplateSpec | None,
    stage_name: str | None = None,
    participant: Mapping[str, Any] | None = None,
    session_mode: SessionMode | str | None = None,
    duration_minutes: int | None = None,
) -> InterviewPlan:
    settings = _settings(profile, template, session_mode)
    minutes = duration_minutes or (template.duration_minutes if template else 30)
    budget = minutes * 60
    person = _participant_fields(participant)
    rubric = list(profile.rubric)
    pools = _pools(profile, template, settings, person)
    background = None
    if settings.mode != SessionMode.ROLEPLAY_SIMULATION.value and (person.title or person.level):
        background = background_draft(person.title, person.level, _heaviest(rubric))
    candidates = _candidates(rubric, pools, background, settings)
    paced = pace(candidates, budget)
    preference = sorted(candidates, key=lambda c: c.rank)
    questions = _planned(_order(rubric, paced, settings.mode), preference)
    plan = InterviewPlan(
        questions=tuple(questions),
        opening="",
        closing=_closing(settings.mode),
        budget_s=budget,
        mode=settings.mode,
        tone=settings.tone,
        style=settings.style,
        difficulty=settings.difficulty,
        start_level=settings.start_level,
        max_follow_ups=settings.max_follow_ups,
        dimensions=tuple(d.name for d in rubric),
        # Numbered on from the plan's own questions, in order of preference.
        dropped=tuple(f"q{len(questions) + i + 1}" for i in range(len(paced.dropped))),
        scenario=profile.grounding.scenario_context or "",
        expected_s=paced.expected_s,
    )
    # The opening states the plan's own length and question count, so it is written last.
    return replace(plan, opening=_opening(profile, template, stage_name, person.name, plan))


def _opening(
    profile: AgentProfileSpec,
    template: EvaluationTemplateSpec | None,
    stage_name: str | None,
    name: str,
    plan: InterviewPlan,
) -> str:
    tone, mode = plan.tone, plan.mode
    what = f"the {template.name}" if template else "this"
    stage = f", {stage_name} stage" if stage_name else ""
    thanks = f"Thank you for joining {what} interview{stage}."
    if greets(profile.intro):
        # The intro has its own greeting: the candidate's name goes with the thanks instead.
        who = introduction(profile.intro)
        welcome = f"{who} {name}, t{thanks[1:]}" if name else f"{who} {thanks}"
    else:
        hello = {"friendly": "Hi", "professional": "Hello", "strict": "Good day", "challenging": "Hello"}[
            tone
        ]
        hello = f"{hello} {name}." if name else f"{hello}."
        welcome = f"{hello} {introduction(profile.intro)} {thanks}"
    parts = [welcome]
    org = first_sentence(profile.grounding.organization_context, 200)
    if org:
        parts.append(f"A little about us: {org}.")
    objective = first_sentence(template.objective, 200) if template else ""
    if objective and template is not None and "?" not in template.objective:
        parts.append(f"The focus today: {objective}.")
    count = len(plan.core)
    questions = "one question" if count == 1 else f"about {count} questions"
    format_line = {
        SessionMode.ASYNC_INTERVIEW.value: f"I will ask {questions}, one at a time, and record your answers; there is no back and forth.",
        SessionMode.ROLEPLAY_SIMULATION.value: "This is a roleplay: I will set up a scenario and play a part, and you respond as you would for real.",
        SessionMode.PRACTICE_SESSION.value: f"This is a practice session of {questions}; after each answer I will give you brief feedback.",
    }.get(mode, f"I will ask {questions} and may follow up on some of your answers.")
    minutes = plan.stated_minutes
    parts.append(f"{format_line} We have about {minutes} minute{'' if minutes == 1 else 's'}.")
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
