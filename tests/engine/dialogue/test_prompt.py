"""The interviewer's prompt: the chat for the next turn and the system prompt."""

from __future__ import annotations

import pytest

from config.profiles import AgentProfileSpec
from config.templates import EvaluationTemplateSpec
from engine.dialogue.prompt import build_messages, system_prompt
from llm import ChatMessage


def test_build_messages_maps_speakers_and_merges_turns() -> None:
    messages = build_messages(
        " prompt ",
        [
            ("interviewer", "Hello."),
            ("interviewer", "First question?"),
            ("candidate", "An answer."),
            ("candidate", " "),
        ],
    )
    assert messages == [
        ChatMessage("system", "prompt"),
        ChatMessage("assistant", "Hello.\nFirst question?"),
        ChatMessage("user", "An answer."),
    ]
    opening = build_messages("p", [])
    assert [m.role for m in opening] == ["system", "user"]
    assert [m.role for m in build_messages("p", [("interviewer", "Hi?")])][-1] == "user"
    with pytest.raises(ValueError, match="speaker"):
        build_messages("p", [("narrator", "x")])


def _profile() -> AgentProfileSpec:
    return AgentProfileSpec.model_validate(
        {
            "name": "Senior Engineering Interviewer",
            "intro": "Alex, a senior engineer at Acme.",
            "rubric": [
                {"name": "System Design", "description": "Sound trade-offs.", "weight": 60},
                {"name": "Communication", "weight": 40},
            ],
            "behavior": {
                "tone": "challenging",
                "style": "adaptive",
                "difficulty": "hard",
                "probingDepth": "high",
            },
            "grounding": {
                "organizationContext": "Acme builds payment rails.",
                "scenarioContext": "A failing deploy.",
            },
        }
    )


def _template() -> EvaluationTemplateSpec:
    return EvaluationTemplateSpec.model_validate(
        {
            "name": "Senior Backend Engineer",
            "objective": "Can they run our payments backend?",
            "skills": ["PostgreSQL", "Distributed systems"],
            "traits": ["Ownership"],
            "pass_criteria": "Designs an idempotent payment API.",
            "default_session_mode": "roleplay_simulation",
        }
    )


def test_system_prompt_contains_persona_objective_and_rules() -> None:
    prompt = system_prompt(_profile(), _template(), "Technical deep dive", "Ask about PostgreSQL next.")
    for expected in (
        "Alex, a senior engineer at Acme",
        "challenging",
        "Probe deeply",
        "hard questions",
        "Can they run our payments backend?",
        "PostgreSQL; Distributed systems",
        "Ownership",
        "Designs an idempotent payment API.",
        "System Design (Sound trade-offs.)",
        "Acme builds payment rails.",
        "A failing deploy.",
        "roleplay simulation",
        "Technical deep dive",
        "Ask about PostgreSQL next.",
        "one question at a time",
        "no markdown, no lists",
        "Never reveal scores",
    ):
        assert expected in prompt, expected


def test_system_prompt_without_template() -> None:
    profile = AgentProfileSpec.model_validate(
        {"name": "Generic", "focus": "generic", "rubric": [{"name": "A", "weight": 100}]}
    )
    prompt = system_prompt(profile, None, None, None)
    assert prompt.startswith("You are an AI interviewer.")
    assert "Objective" not in prompt
    assert "Never reveal scores" in prompt
