"""Building a live session's interviewer: a fresh plan, or the saved plan and progress on a resume."""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Callable

from config.settings import Settings
from engine.dialogue.director import Progress
from engine.dialogue.interviewer import Interviewer, Port
from engine.dialogue.latency import TurnLatency
from engine.dialogue.plan import InterviewPlan, build_plan
from engine.dialogue.prompt import system_prompt
from engine.dialogue.resume import ResumeError, fetch_resume, with_resume_skills
from engine.dialogue.turns import TurnConfig
from engine.services.join import Interview
from llm import LlmClient

__all__ = ["build_interviewer", "expected_minutes", "interview_plan", "turn_config", "with_resume"]

logger = logging.getLogger(__name__)


def turn_config(settings: Settings) -> TurnConfig:
    media = settings.media
    turn = settings.turn
    return TurnConfig(
        end_silence_s=media.turn_silence_ms / 1000,
        barge_in_min_s=media.barge_in_ms / 1000,
        hold_on_overlap=media.barge_in_hold,
        nudge_after_s=media.idle_nudge_s,
        end_after_s=max(media.idle_end_s, media.idle_nudge_s + 1),
        confident_silence_s=turn.confident_silence_ms / 1000,
        hesitation_s=turn.hesitation_ms / 1000,
        acknowledge_min_words=turn.acknowledge_min_words,
        acknowledge_after_s=turn.acknowledge_after_ms / 1000,
    )


def _saved(interview: Interview) -> tuple[InterviewPlan, Progress] | None:
    state = interview.progress
    if "plan" not in state or "progress" not in state:
        return None
    try:
        return InterviewPlan.from_dict(state["plan"]), Progress.from_dict(state["progress"])
    except (ValueError, KeyError, TypeError):
        # A plan saved by an older engine: start a fresh one rather than fail the candidate.
        logger.warning("session %s: saved plan unreadable; starting a new plan", interview.session_id)
        return None


async def with_resume(interview: Interview, settings: Settings) -> Interview:
    """The interview with the resume's skills in the participant's background, when there is a
    resume_url and no saved plan yet; unchanged (and logged) when the resume cannot be read."""
    url = interview.participant.get("resume_url")
    if not url or _saved(interview) is not None:
        return interview
    try:
        text = await fetch_resume(
            str(url),
            timeout_s=settings.media.resume_timeout_s,
            allow_private=settings.media.resume_allow_private,
        )
    except ResumeError as exc:
        logger.warning("session %s: resume not used: %s", interview.session_id, exc)
        return interview
    return dataclasses.replace(interview, participant=with_resume_skills(interview.participant, text))


def interview_plan(interview: Interview) -> tuple[InterviewPlan, Progress | None]:
    """The saved plan and progress on a resume; otherwise a fresh plan for the session's stage."""
    saved = _saved(interview)
    if saved is not None:
        return saved
    stage_name = str(interview.stage.get("name")) if interview.stage else None
    stage_minutes = interview.stage.get("duration_minutes") if interview.stage else None
    plan = build_plan(
        interview.profile,
        interview.template,
        stage_name,
        interview.participant,
        duration_minutes=stage_minutes if isinstance(stage_minutes, int) else None,
    )
    return plan, None


def expected_minutes(interview: Interview) -> int:
    """How long the candidate is told the interview takes: the plan's expected length, which is less
    than the template's or stage's duration when the plan's questions run out first. (Before the
    interview starts this plan does not yet have the resume's skills, which can only add questions.)"""
    plan, _ = interview_plan(interview)
    return plan.stated_minutes


def build_interviewer(
    interview: Interview,
    port: Port,
    settings: Settings,
    llm: LlmClient | None,
    *,
    on_turn: Callable[[TurnLatency], None] | None = None,
) -> Interviewer:
    stage_name = str(interview.stage.get("name")) if interview.stage else None
    plan, progress = interview_plan(interview)
    prompt = (
        system_prompt(interview.profile, interview.template, stage_name, minutes=plan.stated_minutes)
        if llm is not None
        else ""
    )
    return Interviewer(
        port,
        plan,
        progress,
        seed=interview.session_id,
        turns=turn_config(settings),
        llm=llm,
        system_prompt=prompt,
        on_turn=on_turn,
    )
