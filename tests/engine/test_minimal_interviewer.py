"""The stand-in interviewer: what it says, in what order, and where it resumes."""

from __future__ import annotations

from typing import Any

from config.profiles import AgentProfileSpec
from config.templates import EvaluationTemplateSpec
from engine.dialogue.minimal import build_script, run_minimal
from tests.helpers import profile_body, template_body


class Recorded:
    def __init__(self, answers: list[bool]) -> None:
        self.said: list[str] = []
        self.progress: list[dict[str, Any]] = []
        self._answers = answers

    async def say(self, text: str) -> None:
        self.said.append(text)

    async def listen(self, patience: float) -> bool:
        assert patience > 0
        return self._answers.pop(0)

    async def save_progress(self, state: dict[str, Any]) -> None:
        self.progress.append(state)


def script(skills: list[str] | None = None) -> Any:
    profile = AgentProfileSpec.model_validate(profile_body())
    body = {k: v for k, v in template_body(skills=skills or ["Go", "Kafka"]).items() if k != "preset"}
    template = EvaluationTemplateSpec.model_validate(body)
    return build_script(profile, template, "Jane Smith")


def test_script_greets_by_first_name_with_the_intro_and_the_recording_notice() -> None:
    built = script()
    assert built.greeting.startswith("Hello Jane. I'm Alex, a senior engineer at Acme.")
    assert "Senior Backend Engineer" in built.greeting
    assert "recorded" in built.greeting
    assert [("Go" in q, "Kafka" in q) for q in built.questions] == [(True, False), (False, True)]


def test_script_without_template_or_skills_still_asks_something() -> None:
    profile = AgentProfileSpec.model_validate(profile_body(intro=""))
    built = build_script(profile, None, None)
    assert built.greeting.startswith("Hello. I'm your interviewer today.")
    assert len(built.questions) == 1


async def test_runs_every_question_in_order_and_saves_progress() -> None:
    built = script()
    conversation = Recorded([True, False])
    await run_minimal(conversation, built, {})
    assert conversation.said == [built.greeting, *built.questions, built.closing]
    assert conversation.progress[-1] == {"next_question": 2, "finished": True}
    assert {"next_question": 1} in conversation.progress


async def test_resumes_at_the_saved_question() -> None:
    built = script(["Go", "Kafka", "Rust"])
    conversation = Recorded([True, True])
    await run_minimal(conversation, built, {"greeted": True, "next_question": 1})
    assert conversation.said == [built.welcome_back, built.questions[1], built.questions[2], built.closing]


async def test_nonsense_progress_starts_over() -> None:
    built = script()
    conversation = Recorded([True, True])
    await run_minimal(conversation, built, {"next_question": "x"})
    assert conversation.said[0] == built.greeting
