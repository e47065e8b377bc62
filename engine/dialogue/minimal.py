"""A minimal interviewer: the profile's intro, then the template's skills as questions, in order.

It stands in until the agent-profile-driven interviewer lands. It never judges answers; it only
waits for each one to end. Progress (the next question) is saved after every answer so a candidate
who drops and reopens the link continues where they left off.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any, Protocol

from config.profiles import AgentProfileSpec
from config.templates import EvaluationTemplateSpec

__all__ = ["Conversation", "InterviewScript", "build_script", "run_minimal"]

logger = logging.getLogger(__name__)

ANSWER_TIMEOUT_S = 60.0


class Conversation(Protocol):
    """What the live session offers an interviewer."""

    async def say(self, text: str) -> None:
        """Speak, returning when the words have been played (or cut off)."""

    async def listen(self, patience: float) -> bool:
        """Wait for the candidate's turn to end; False when they said nothing for `patience` seconds."""

    async def save_progress(self, state: dict[str, Any]) -> None:
        """Persist where the interview is, for a resume."""


@dataclass(frozen=True, slots=True)
class InterviewScript:
    greeting: str
    questions: tuple[str, ...]
    closing: str
    welcome_back: str


def _question(skill: str) -> str:
    return f"Tell me about your experience with {skill}. Please give a concrete example of something you did."


def build_script(
    profile: AgentProfileSpec, template: EvaluationTemplateSpec | None, candidate_name: str | None
) -> InterviewScript:
    first = (candidate_name or "").split(" ")[0].strip()
    hello = f"Hello {first}." if first else "Hello."
    intro = profile.intro.strip().rstrip(".")
    who = f" I'm {intro}." if intro else " I'm your interviewer today."
    title = f" for the {template.name} interview" if template is not None else ""
    greeting = (
        f"{hello}{who} Thank you for joining{title}. This conversation is recorded and transcribed. "
        "I will ask you a few questions; take your time, and answer in your own words."
    )
    skills = list(template.skills) if template is not None else []
    questions = [_question(skill) for skill in skills]
    if not questions:
        questions = ["Please tell me about yourself and the work you are most proud of."]
    closing = "Thank you, that was my last question. We will be in touch about next steps. Goodbye."
    return InterviewScript(greeting, tuple(questions), closing, "Welcome back. Let's continue.")


async def run_minimal(conversation: Conversation, script: InterviewScript, progress: dict[str, Any]) -> None:
    """Runs the interview from `progress` (as saved earlier) to its end."""
    start = progress.get("next_question", 0)
    start = start if isinstance(start, int) and 0 <= start <= len(script.questions) else 0
    if progress.get("greeted"):
        await conversation.say(script.welcome_back)
    else:
        await conversation.say(script.greeting)
        await conversation.save_progress({"greeted": True})
    for index in range(start, len(script.questions)):
        await conversation.save_progress({"next_question": index, "asked": True})
        await conversation.say(script.questions[index])
        answered = await conversation.listen(ANSWER_TIMEOUT_S)
        if not answered:
            logger.info("no answer to question %d within %.0f s; moving on", index, ANSWER_TIMEOUT_S)
        await conversation.save_progress({"next_question": index + 1})
    await conversation.say(script.closing)
    await conversation.save_progress({"next_question": len(script.questions), "finished": True})
