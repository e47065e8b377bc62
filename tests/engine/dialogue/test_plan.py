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
    assert [(q.id, q.kind, q.dimension, q.skill) for q in plan.questions] == [
        ("q1", "background", "System Design", None),
        ("q2", "skill", "System Design", "Python"),
        ("q3", "skill", "System Design", "Distributed systems design"),
        ("q4", "trait", "System Design", "Teamwork"),
        ("q5", "dimension", "Communication", None),
        ("q6", "dimension", "Ownership", None),
        ("q7", "criteria", "System Design", None),
    ]
    q = plan.questions
    assert q[0].text.startswith(
        "To start, please describe your work as a Backend Developer at the senior level"
    )
    assert q[1].text.startswith("Your background mentions Python. Tell me about a specific situation")
    assert "Shows solid backend design" in q[6].text
    assert [x.essential for x in q] == [True, False, False, False, True, True, False]
    assert plan.max_follow_ups == 1
    assert all(x.est_seconds == 165 for x in q)  # medium 120 s + one 45 s follow-up
    assert plan.opening.startswith(
        "Hello Jane. I'm Alex, a senior engineer at Acme. Thank you for joining the Backend Engineer "
        "interview, Technical Screen stage."
    )
    assert "recorded and transcribed" in plan.opening
    assert "next steps" in plan.closing


def test_wording_varies_by_tone_and_difficulty() -> None:
    friendly = build_plan(profile(tone="friendly", difficulty="easy"), template(), None, None, None)
    strict = build_plan(profile(tone="strict", difficulty="hard"), template(), None, None, None)
    assert friendly.questions[0].text == (
        "I'd love to hear about a specific situation where you relied on Python: what was the problem, "
        "what did you personally do, and what was the result?"
    )
    assert (
        friendly.questions[0].wording(0) == "I'd love to hear about a time you used Python. What did you do?"
    )
    assert strict.questions[0].wording(2).startswith("Describe the hardest problem you solved with Python")
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
    assert "relied on Python in card payments:" in plan.questions[0].text
    assert "A little about us: Acme builds payment rails." in plan.opening


def test_roleplay_plays_the_scenario() -> None:
    spec = profile().model_dump(by_alias=True)
    spec["grounding"] = {
        "scenarioContext": "You are a support agent; I am an angry customer whose order is late."
    }
    plan = build_plan(
        AgentProfileSpec.model_validate(spec), template(), None, None, SessionMode.ROLEPLAY_SIMULATION
    )
    assert [q.kind for q in plan.questions] == ["scenario", "scenario", "scenario"]
    assert plan.questions[0].text.startswith(
        "Let's begin the roleplay. You are a support agent; I am an angry customer whose order is late."
    )
    assert plan.questions[1].text.startswith("Staying in the scenario:")
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
    # 600 s - 60 s framing = 540 s; 165 s each -> 3 questions, one per dimension.
    assert len(plan.questions) == 3
    assert {q.dimension for q in plan.questions} == {"System Design", "Communication", "Ownership"}
    assert len(plan.dropped) == 13
    assert plan.budget_s == 600
    # The duration override wins over the template's.
    longer = build_plan(profile(), many, None, None, None, duration_minutes=60)
    assert longer.dropped == ()
    assert len(longer.questions) == 16


def test_tiny_budget_keeps_at_least_one_question() -> None:
    plan = build_plan(
        profile(probingDepth="high", difficulty="hard"), template(duration_minutes=5), None, None, None
    )
    assert len(plan.questions) == 1
    assert plan.questions[0].dimension == "System Design"


def test_plan_json_round_trip_and_version() -> None:
    plan = build_plan(profile(), template(), "Tech", PARTICIPANT, None)
    data = json.loads(json.dumps(plan.to_dict()))
    assert data["version"] == 1
    assert InterviewPlan.from_dict(data) == plan
    with pytest.raises(ValueError, match="version"):
        InterviewPlan.from_dict({**data, "version": 99})


def test_build_is_deterministic() -> None:
    a = build_plan(profile(), template(), "Tech", PARTICIPANT, None).to_dict()
    b = build_plan(profile(), template(), "Tech", PARTICIPANT, None).to_dict()
    assert a == b
