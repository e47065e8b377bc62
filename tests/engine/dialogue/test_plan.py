"""Interview plan: rubric coverage, wording by behaviour, pacing, JSON round trip."""

from __future__ import annotations

import json
from typing import Any

import pytest

from config.enums import SessionMode
from config.profiles import AgentProfileSpec
from config.templates import EvaluationTemplateSpec
from engine.dialogue.plan import InterviewPlan, build_plan

RUBRIC: list[dict[str, Any]] = [
    {"name": "System Design", "description": "Designs scalable systems.", "weight": 50},
    {"name": "Communication", "description": "Explains clearly.", "weight": 30},
    {"name": "Ownership", "weight": 20},
]


def profile(**behaviour: str) -> AgentProfileSpec:
    return AgentProfileSpec.model_validate(
        {"name": "P", "intro": "Alex, a senior engineer at Acme", "rubric": RUBRIC, "behavior": behaviour}
    )


def template(**fields: Any) -> EvaluationTemplateSpec:
    base: dict[str, Any] = {
        "name": "Backend Engineer",
        "skills": ["Python", "Distributed systems design"],
        "traits": ["Teamwork"],
        "pass_criteria": "Shows solid backend design.",
    }
    return EvaluationTemplateSpec.model_validate({**base, **fields})


PARTICIPANT = {
    "name": "Jane Doe",
    "profile": {"title": "Backend Developer", "experienceLevel": "Senior"},
    "background": {"skills": ["python"]},
}


@pytest.mark.parametrize(
    "tpl",
    [
        template(),
        template(skills=[], traits=[], pass_criteria=""),
        template(skills=["Kubernetes"], traits=[]),
        None,
    ],
    ids=["full", "empty-skills", "one-skill", "no-template"],
)
def test_every_dimension_is_covered(tpl: EvaluationTemplateSpec | None) -> None:
    plan = build_plan(profile(), tpl, None, None, None)
    assert {q.dimension for q in plan.questions} == {"System Design", "Communication", "Ownership"}
    essentials = [q for q in plan.questions if q.essential]
    assert sorted(q.dimension for q in essentials) == ["Communication", "Ownership", "System Design"]


def test_questions_from_template_and_participant() -> None:
    plan = build_plan(profile(), template(), "Technical Screen", PARTICIPANT, None)
    core = plan.core
    # The warm-up first, then the core grouped by dimension in rubric order, each opened by its
    # example question; then the reserve.
    assert [(q.kind, q.dimension) for q in core[:3]] == [
        ("background", "System Design"),
        ("example", "System Design"),
        ("skill", "System Design"),
    ]
    blocks = [q.dimension for q in core[1:]]
    assert blocks == sorted(blocks, key=["System Design", "Communication", "Ownership"].index)
    assert [q.id for q in plan.questions] == [f"q{i + 1}" for i in range(len(plan.questions))]
    assert plan.questions[: len(core)] == core
    assert all(q.reserve for q in plan.questions[len(core) :])
    assert core[0].text.startswith(
        "To start, please describe your work as a Backend Developer at the senior level"
    )
    python = next(q for q in plan.questions if q.skill == "Python" and q.kind == "skill")
    # Python shares no word with any dimension: asked under the heaviest, in a way that shows it.
    assert python.text.startswith(
        "Your background mentions Python. Tell me about a specific situation where you relied on "
        "Python, ideally one that also shows your system design:"
    )
    design = next(q for q in plan.questions if q.skill == "Distributed systems design")
    assert design.dimension == "System Design"
    teamwork = next(q for q in plan.questions if q.skill == "Teamwork")
    assert (teamwork.kind, teamwork.dimension) == ("trait", "Ownership")
    assert "also shows your ownership" in teamwork.text
    # The pass criteria are the bar, never read out; a question asks for the evidence instead.
    criteria = next(q for q in plan.questions if q.kind == "criteria")
    assert "backend design" not in criteria.text
    assert [q.dimension for q in plan.questions if q.essential] == [
        "System Design",
        "Communication",
        "Ownership",
    ]
    assert plan.max_follow_ups == 1
    # medium: about 15 s to ask + 90 s answer + 5 s turn-taking + half of one 45 s follow-up
    assert all(120 <= q.est_seconds <= 140 for q in plan.questions), [q.est_seconds for q in plan.questions]
    assert plan.opening.startswith(
        "Hello Jane. I'm Alex, a senior engineer at Acme. Thank you for joining the Backend Engineer "
        "interview, Technical Screen stage."
    )
    assert f"I will ask about {len(core)} questions" in plan.opening
    assert "We have about 30 minutes." in plan.opening
    assert "recorded and transcribed" in plan.opening
    assert "next steps" in plan.closing


def test_wording_varies_by_tone_and_difficulty() -> None:
    friendly = build_plan(profile(tone="friendly", difficulty="easy"), template(), None, None, None)
    strict = build_plan(profile(tone="strict", difficulty="hard"), template(), None, None, None)
    python = next(q for q in friendly.questions if q.skill == "Python" and q.kind == "skill")
    assert python.text == (
        "I'd love to hear about a specific situation where you relied on Python, ideally one that also "
        "shows your system design: what was the problem, what did you personally do, and what was the "
        "result?"
    )
    assert python.wording(0) == (
        "I'd love to hear about a time you used Python, ideally one that also shows your system design: "
        "what did you do?"
    )
    first = strict.questions[0]
    assert first.wording(2).startswith(
        "Describe the most demanding example from your work that put your system design to the test"
    )
    assert (friendly.start_level, strict.start_level) == (0, 2)
    assert friendly.opening.startswith("Hi.")
    assert strict.opening.startswith("Good day.")


def test_adaptive_start_level_follows_depth() -> None:
    assert (
        build_plan(profile(difficulty="adaptive"), template(depth="basic"), None, None, None).start_level == 0
    )
    assert (
        build_plan(profile(difficulty="adaptive"), template(depth="expert"), None, None, None).start_level
        == 2
    )


def test_domain_grounding_and_organization_in_opening() -> None:
    spec = profile().model_dump(by_alias=True)
    spec["grounding"] = {
        "organizationContext": "Acme builds payment rails. Founded 2010.",
        "domainContext": "card payments",
    }
    plan = build_plan(AgentProfileSpec.model_validate(spec), template(), None, None, None)
    python = next(q for q in plan.questions if q.skill == "Python" and q.kind == "skill")
    assert "relied on Python in card payments," in python.text
    assert "from your work in card payments where system design" in plan.questions[0].text
    assert "A little about us: Acme builds payment rails." in plan.opening


def test_roleplay_plays_the_scenario() -> None:
    spec = profile().model_dump(by_alias=True)
    spec["grounding"] = {
        "scenarioContext": "You are a support agent; I am an angry customer whose order is late."
    }
    plan = build_plan(
        AgentProfileSpec.model_validate(spec), template(), None, None, SessionMode.ROLEPLAY_SIMULATION
    )
    assert {q.kind for q in plan.questions} == {"scenario"}
    assert plan.questions[0].text.startswith(
        "Let's begin the roleplay. You are a support agent; I am an angry customer whose order is late."
    )
    assert all(q.text.startswith("Staying in the scenario:") for q in plan.questions[1:])
    # The scene moves on round the dimensions: each one's first turn before anyone's second.
    assert [q.dimension for q in plan.questions[:3]] == ["System Design", "Communication", "Ownership"]
    assert "pushes back" in plan.questions[3].text
    assert "This is a roleplay" in plan.opening


def test_async_has_no_follow_ups_and_says_so() -> None:
    plan = build_plan(profile(probingDepth="high"), template(), None, None, "async_interview")
    assert plan.max_follow_ups == 0
    assert "record your answers" in plan.opening


@pytest.mark.parametrize(("depth", "expected"), [("low", 0), ("medium", 1), ("high", 2)])
def test_probing_depth_sets_follow_ups(depth: str, expected: int) -> None:
    assert build_plan(profile(probingDepth=depth), template(), None, None, None).max_follow_ups == expected


def test_short_budget_drops_low_priority_but_keeps_each_dimension() -> None:
    many = template(skills=[f"Skill {i}" for i in range(12)], duration_minutes=10)
    plan = build_plan(profile(), many, None, None, None)
    # 600 s - 60 s for the opening and closing = 540 s; about 130 s a question -> 4 in the core, and
    # at the brisk pace (about 60 s a question) room for 5 more in reserve.
    assert len(plan.core) == 4
    assert {q.dimension for q in plan.core} == {"System Design", "Communication", "Ownership"}
    assert len(plan.questions) == 9
    assert plan.dropped
    assert plan.budget_s == 600
    assert plan.expected_s == 600
    # The duration override wins over the template's: an hour keeps most of the twelve skills.
    longer = build_plan(profile(), many, None, None, None, duration_minutes=60)
    assert longer.budget_s == 3600
    assert len(longer.core) > 20
    assert len({q.skill for q in longer.core if q.kind == "skill"}) >= 8


def test_tiny_budget_still_covers_every_dimension() -> None:
    # Five minutes, hard questions, two follow-ups each: one question fits the estimate, but each
    # dimension's first question fits at a brisk pace, and a dimension never asked cannot be scored.
    plan = build_plan(
        profile(probingDepth="high", difficulty="hard"), template(duration_minutes=5), None, None, None
    )
    assert [q.dimension for q in plan.core] == ["System Design", "Communication", "Ownership"]
    assert all(q.essential for q in plan.core)
    assert "We have about 5 minutes." in plan.opening


def test_plan_json_round_trip_and_version() -> None:
    plan = build_plan(profile(), template(), "Tech", PARTICIPANT, None)
    data = json.loads(json.dumps(plan.to_dict()))
    assert data["version"] == 2
    assert InterviewPlan.from_dict(data) == plan
    with pytest.raises(ValueError, match="version"):
        InterviewPlan.from_dict({**data, "version": 99})


def test_build_is_deterministic() -> None:
    a = build_plan(profile(), template(), "Tech", PARTICIPANT, None).to_dict()
    b = build_plan(profile(), template(), "Tech", PARTICIPANT, None).to_dict()
    assert a == b
