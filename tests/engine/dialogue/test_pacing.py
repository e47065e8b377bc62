"""An interview worth its length: the plan fills the template's time with varied questions, states its
real length when it cannot, never reads the rubric out, introduces the interviewer properly, and a
simulated interview at a realistic speaking rate lasts about as long as the template says."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

import pytest

from config.profiles import AgentProfileSpec
from config.templates import EvaluationTemplateSpec
from engine.dialogue.director import CLOSE_RESERVE_S, DirectorReply, EmbeddedDirector, Progress
from engine.dialogue.pacing import FRAME_SECONDS, SPEAKING_WORDS_PER_S, spoken_seconds
from engine.dialogue.plan import InterviewPlan, build_plan
from engine.dialogue.prompt import system_prompt
from engine.dialogue.questions import spoken_name
from tests.helpers import profile_body, template_body

# The README's first interview: two dimensions, two skills that match neither, a trait.
README_RUBRIC: list[dict[str, Any]] = [
    {"name": "System Design", "description": "Designs for scale", "weight": 60},
    {"name": "Communication", "description": "Explains clearly", "weight": 40},
]


def profile(intro: str = "Alex, a senior engineer at Acme.", **spec: Any) -> AgentProfileSpec:
    return AgentProfileSpec.model_validate({**profile_body(), "intro": intro, **spec})


def template(**fields: Any) -> EvaluationTemplateSpec:
    body = {k: v for k, v in template_body(**fields).items() if k != "preset"}
    return EvaluationTemplateSpec.model_validate(body)


def readme_plan(minutes: int = 30) -> InterviewPlan:
    prof = AgentProfileSpec.model_validate(
        {
            "name": "Senior Engineering Interviewer",
            "intro": "Alex, a senior engineer at Acme.",
            "rubric": README_RUBRIC,
        }
    )
    tpl = EvaluationTemplateSpec(
        name="Senior Backend Engineer",
        skills=["Go", "PostgreSQL"],
        traits=["Ownership"],
        duration_minutes=minutes,
    )
    return build_plan(prof, tpl, "Phone Screen", {"name": "Jane Smith"})


def wordings(plan: InterviewPlan) -> list[str]:
    return [w for q in plan.questions for w in (q.easier, q.text, q.harder)]


# --- the plan fills the time ---------------------------------------------------------------------------


@pytest.mark.parametrize("plan", [readme_plan(), build_plan(profile(), template(), "Technical", None)])
def test_a_thirty_minute_plan_fills_thirty_minutes_with_varied_questions(plan: InterviewPlan) -> None:
    room = plan.budget_s - FRAME_SECONDS
    core = sum(q.est_seconds for q in plan.core)
    # Enough core questions for the half hour by the estimate: no room left for another one.
    assert room - max(q.est_seconds for q in plan.core) < core <= room
    assert len(plan.core) >= 12
    assert plan.expected_s == plan.budget_s == 1800
    assert "We have about 30 minutes." in plan.opening
    # Every dimension is covered by the core, and no question is worded like another.
    assert {q.dimension for q in plan.core} == set(plan.dimensions)
    texts = wordings(plan)
    assert len(texts) == len(set(texts))
    # Different angles: no kind of question fills a dimension on its own.
    for dimension in plan.dimensions:
        kinds = [q.kind for q in plan.core if q.dimension == dimension]
        assert len(set(kinds)) == len(kinds) or len(set(kinds)) >= 3, (dimension, kinds)
    # The reserve is there for brief answers: together, enough for 40 s answers.
    assert len(plan.questions) > len(plan.core)


def test_a_ten_minute_plan_has_fewer_questions() -> None:
    thirty, ten = readme_plan(30), readme_plan(10)
    assert len(ten.core) < len(thirty.core)
    assert len(ten.questions) < len(thirty.questions)
    assert {q.dimension for q in ten.core} == {"System Design", "Communication"}
    assert "We have about 10 minutes." in ten.opening


def test_a_plan_that_cannot_fill_the_time_says_how_long_it_really_is() -> None:
    # One dimension, no template skills, an hour: the questions run out well before the hour does.
    prof = profile(rubric=[{"name": "Communication", "weight": 100}])
    plan = build_plan(prof, template(skills=[], traits=[], duration_minutes=60), None, None)
    assert not any(q.reserve for q in plan.questions)
    assert plan.expected_s == FRAME_SECONDS + sum(q.est_seconds for q in plan.questions)
    assert plan.expected_s < 30 * 60
    assert plan.stated_minutes == round(plan.expected_s / 60)
    assert f"We have about {plan.stated_minutes} minutes." in plan.opening
    assert "60 minutes" not in plan.opening


def test_resume_skills_add_deeper_questions() -> None:
    person = {"name": "Jane Smith", "background": {"skills": ["Kafka", "Go", "Terraform", "Redis"]}}
    plan = build_plan(profile(), template(skills=["Go"], duration_minutes=60), None, person)
    kafka = [q for q in plan.questions if q.skill == "Kafka"]
    assert {q.kind for q in kafka} == {"skill", "technical"}
    assert kafka[0].text.startswith("Your background mentions Kafka.")
    # Two at most (Go is the template's already): the template's own skills come first.
    assert any(q.skill == "Terraform" for q in plan.questions)
    assert not any(q.skill == "Redis" for q in plan.questions)


# --- what is said --------------------------------------------------------------------------------------


def test_no_question_reads_the_rubric_out() -> None:
    rubric = [
        {"name": "System Design", "description": "Designs scalable, fault-tolerant systems.", "weight": 50},
        {
            "name": "Communication",
            "description": "Explains trade-offs clearly to any audience.",
            "weight": 30,
        },
        {"name": "Ownership", "description": "Owns outcomes end to end.", "weight": 20},
    ]
    for mode in ("live_ai_interview", "practice_session", "async_interview"):
        plan = build_plan(profile(rubric=rubric), template(), None, None, mode)
        for text in wordings(plan):
            assert "We look for" not in text
            for dimension in rubric:
                assert str(dimension["description"]).rstrip(".") not in text, text


def test_each_question_is_announced_with_the_dimension_it_is_tagged_with() -> None:
    plan = readme_plan()
    director = EmbeddedDirector(plan, seed="announce")
    said = [director.opening()]
    replies = [director.next_after(STRONG_ANSWER, 60.0 * (i + 1)) for i in range(len(plan.questions))]
    said += [r.text for r in replies if r.kind == "question"]
    asked = [plan.questions[[q.id for q in plan.questions].index(i)] for i in director.progress.asked]
    assert len(said) == len(asked)
    previous = None
    for line, question in zip(said, asked, strict=True):
        name = spoken_name(question.dimension)
        assert name in line.split(question.wording(director.progress.level))[0], line
        if question.dimension != previous:
            assert any(lead.format(n=name) in line for lead in NEW_OR_BACK), line
        previous = question.dimension
    # The tag is the dimension the wording is about. Go, PostgreSQL and the trait Ownership share no
    # word with either dimension, so their questions name the one they are asked under as well.
    for question in plan.questions:
        assert spoken_name(question.dimension) in question.text, question


NEW_OR_BACK = (
    "Let's start with {n}.",
    "Let's talk about {n}.",
    "Let's turn to {n}.",
    "Now, a question on {n}.",
    "Back to {n}.",
    "Let's return to {n}.",
)


@pytest.mark.parametrize(
    ("intro", "opening"),
    [
        (
            "Hi, I'm Alex, and I'll be interviewing you today.",
            "Hi, I'm Alex, and I'll be interviewing you today. Jane, thank you for joining the Senior "
            "Backend Engineer interview.",
        ),
        ("Alex", "Hello Jane. I'm Alex. Thank you for joining"),
        ("Alex, a senior engineer at Acme.", "Hello Jane. I'm Alex, a senior engineer at Acme. Thank you"),
        (
            "My name is Alex and I lead platform hiring at Acme",
            "Hello Jane. My name is Alex and I lead platform hiring at Acme. Thank you",
        ),
        ("your interviewer for today", "Hello Jane. I'm your interviewer for today. Thank you"),
        ("", "Hello Jane. I'm your interviewer today. Thank you"),
    ],
)
def test_the_intro_is_said_as_written_or_wrapped_in_a_sentence(intro: str, opening: str) -> None:
    plan = build_plan(profile(intro), template(), None, {"name": "Jane Smith"})
    assert plan.opening.startswith(opening), plan.opening
    assert "I'm Hi" not in plan.opening
    prompt = system_prompt(profile(intro), template())
    assert "You are Hi" not in prompt
    assert "You are My name" not in prompt


def test_the_llm_prompt_states_the_plans_length() -> None:
    prompt = system_prompt(profile(), template(duration_minutes=60), minutes=42)
    assert "Planned length: 42 minutes." in prompt


# --- a simulated interview ------------------------------------------------------------------------------

STRONG_ANSWER = (
    "Last year I designed the billing system on PostgreSQL for two million customers. I split the ledger "
    "from the invoices and partitioned it by month, because month-end only touches one partition. We chose "
    "Kafka over polling, which cost us some operational work but let us replay events after an outage. As a "
    "result p99 latency dropped from 900 to 120 milliseconds and the month-end run went from four hours to "
    "twenty minutes. "
)
VAGUE_ANSWER = (
    "I guess we kind of did the usual things, it was fine mostly, I think, nothing too special really. "
)
TURN_S = 2.0  # the end-of-turn silence and the reply's latency, between an answer and the reply


def spoken(text: str, seconds: float) -> str:
    """`text` repeated or cut to last `seconds` at the speaking rate."""
    words: list[str] = []
    while len(words) < seconds * SPEAKING_WORDS_PER_S:
        words += text.split()
    return " ".join(words[: int(seconds * SPEAKING_WORDS_PER_S)])


@dataclass
class Run:
    elapsed: float
    replies: list[DirectorReply]
    director: EmbeddedDirector


def simulate(plan: InterviewPlan, answer_s: float, seed: str = "sim") -> Run:
    """The director through a whole interview on a clock that advances as the lines and answers are
    spoken: every third answer vague (so follow-ups come), answers to a follow-up half as long."""
    director = EmbeddedDirector(plan, seed=seed)
    clock = spoken_seconds(director.opening())
    replies: list[DirectorReply] = []
    while not director.finished:
        if replies and replies[-1].kind == "follow_up":
            answer = spoken(STRONG_ANSWER, answer_s / 2)
        elif len(replies) % 3 == 2:
            answer = spoken(VAGUE_ANSWER, answer_s * 0.6)
        else:
            answer = spoken(STRONG_ANSWER, answer_s)
        clock += spoken_seconds(answer) + TURN_S
        reply = director.next_after(answer, clock)
        replies.append(reply)
        clock += spoken_seconds(reply.text)
    return Run(clock, replies, director)


@pytest.mark.parametrize("minutes", [10, 30, 60])
def test_a_realistic_interview_lasts_about_as_long_as_the_template_says(minutes: int) -> None:
    plan = build_plan(profile(), template(duration_minutes=minutes), "Technical", {"name": "Jane Smith"})
    run = simulate(plan, answer_s=90)
    budget = plan.budget_s
    # Used: within a question's length of the budget. On time: the close never waits for more than
    # the end of the answer under way and the closing line.
    assert budget - 150 <= run.elapsed <= budget + CLOSE_RESERVE_S, (run.elapsed, budget)
    assert set(run.director.progress.covered) == set(plan.dimensions)
    assert run.replies[-1].kind == "closing"
    assert any(r.kind == "follow_up" for r in run.replies)
    assert not any("We look for" in r.text for r in run.replies)


def test_a_brief_candidate_still_gets_most_of_the_half_hour() -> None:
    # 30 s answers: the core is done in about half the time, and the reserve goes on.
    plan = readme_plan()
    run = simulate(plan, answer_s=30)
    assert run.elapsed >= 0.75 * plan.budget_s, run.elapsed
    assert len(run.director.progress.asked) > len(plan.core)


def test_a_talkative_candidate_is_closed_politely_on_time() -> None:
    plan = readme_plan()
    run = simulate(plan, answer_s=180)
    assert run.elapsed <= plan.budget_s + 180, run.elapsed
    assert set(run.director.progress.covered) == set(plan.dimensions)
    assert run.replies[-1].text.startswith("We've reached the end of our time.")


def test_a_ten_minute_interview_asks_fewer_questions_than_a_thirty_minute_one() -> None:
    short = simulate(readme_plan(10), answer_s=90).director.progress.asked
    long = simulate(readme_plan(30), answer_s=90).director.progress.asked
    assert 3 <= len(short) < len(long)


# --- saved plans ----------------------------------------------------------------------------------------

# A plan as version 1 of the engine saved it (a skill question and one that read the rubric out), and
# the progress after its opening: a session started before the upgrade and resumed after it.
V1_PLAN: dict[str, Any] = {
    "version": 1,
    "questions": [
        {
            "id": "q1",
            "text": "Tell me about a specific situation where you relied on Python: what was the problem, what "
            "did you personally do, and what was the result?",
            "dimension": "System Design",
            "skill": "Python",
            "kind": "skill",
            "priority": 1060.0,
            "est_seconds": 165,
            "easier": "Tell me about a time you used Python. What did you do?",
            "harder": "Tell me about the hardest problem you solved with Python: what options did you weigh?",
            "keywords": ["Python"],
            "essential": True,
        },
        {
            "id": "q2",
            "text": "Let's talk about communication. We look for this: Explains clearly. Tell me about a "
            "specific example from your work that shows it: the situation, what you did, and the outcome.",
            "dimension": "Communication",
            "skill": None,
            "kind": "dimension",
            "priority": 1039.99,
            "est_seconds": 165,
            "easier": "Let's talk about communication. We look for this: Explains clearly. Tell me about one "
            "example from your work.",
            "harder": "Let's talk about communication. We look for this: Explains clearly. Tell me about the "
            "most demanding example from your work that shows it.",
            "keywords": ["communication"],
            "essential": True,
        },
    ],
    "opening": "Hello. I'm Alex, a senior engineer at Acme. Thank you for joining the Backend interview.",
    "closing": "Thank you, that completes the interview. Goodbye.",
    "budget_s": 600,
    "mode": "live_ai_interview",
    "tone": "professional",
    "style": "structured",
    "difficulty": "medium",
    "start_level": 1,
    "max_follow_ups": 1,
    "dimensions": ["System Design", "Communication"],
    "dropped": [],
    "scenario": "",
}
V1_PROGRESS: dict[str, Any] = {
    "version": 1,
    "index": 0,
    "follow_ups_used": 0,
    "probed": [],
    "covered": [],
    "asked": ["q1"],
    "skipped": [],
    "level": 1,
    "elapsed_s": 45.0,
    "best_strength": 0.0,
    "last_prompt": V1_PLAN["questions"][0]["text"],
    "started": True,
    "finished": False,
}


def test_a_session_saved_with_a_version_1_plan_resumes() -> None:
    plan = InterviewPlan.from_dict(json.loads(json.dumps(V1_PLAN)))
    assert (plan.version, plan.expected_s, plan.stated_minutes) == (1, 600, 10)
    assert not any(q.reserve for q in plan.questions)
    director = EmbeddedDirector(plan, Progress.from_dict(V1_PROGRESS), seed="old")
    assert (
        director.resume_line()
        == f"Welcome back. Let's continue where we left off. {V1_PROGRESS['last_prompt']}"
    )
    reply = director.next_after(STRONG_ANSWER, 160)
    assert (reply.kind, reply.question_id) == ("question", "q2")
    # The old wording still opens with its own "Let's talk about", once; the rubric is no longer read.
    assert reply.text.count("communication") == 1, reply.text
    assert "We look for" not in reply.text
    assert director.next_after(STRONG_ANSWER, 300).kind == "closing"
    # Saved again, it stays a version 1 plan, readable by this engine (and its keys by the old one).
    again = plan.to_dict()
    assert again["version"] == 1
    assert set(V1_PLAN) <= set(again)
    assert InterviewPlan.from_dict(again) == plan
