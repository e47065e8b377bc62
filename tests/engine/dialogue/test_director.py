"""The embedded director: follow-ups, difficulty, modes, time, persistence, determinism."""

from __future__ import annotations

import json
from typing import Any

import pytest

from config.profiles import AgentProfileSpec
from config.templates import EvaluationTemplateSpec
from engine.dialogue.director import DirectorReply, EmbeddedDirector, Progress
from engine.dialogue.plan import InterviewPlan, build_plan

RUBRIC: list[dict[str, Any]] = [
    {"name": "System Design", "description": "Designs scalable systems.", "weight": 60},
    {"name": "Communication", "weight": 40},
]
VAGUE = "We did some stuff with it, maybe."
STRONG = (
    "At my last job I led the migration of our billing service from a monolith to Kafka-based "
    "services on AWS. I designed the partitioning, wrote the consumer library in Python, and we cut "
    "p99 latency from 900 ms to 120 ms and saved 30% on compute."
)


def make_plan(mode: str | None = None, minutes: int = 30, **behaviour: str) -> InterviewPlan:
    prof = AgentProfileSpec.model_validate({"name": "P", "rubric": RUBRIC, "behavior": behaviour})
    tpl = EvaluationTemplateSpec(name="Backend", skills=["Python", "SQL"], duration_minutes=minutes)
    return build_plan(prof, tpl, None, None, mode)


def run(director: EmbeddedDirector, answers: list[str], step_s: float = 60) -> list[DirectorReply]:
    director.opening()
    return [director.next_after(a, step_s * (i + 1)) for i, a in enumerate(answers)]


@pytest.mark.parametrize(("depth", "follow_ups"), [("low", 0), ("medium", 1), ("high", 2)])
def test_probing_depth_limits_follow_ups_on_vague_answers(depth: str, follow_ups: int) -> None:
    d = EmbeddedDirector(make_plan(probingDepth=depth))
    kinds = [r.kind for r in run(d, [VAGUE] * (follow_ups + 1))]
    assert kinds == ["follow_up"] * follow_ups + ["question"]
    assert d.progress.index == 1


def test_no_follow_up_on_strong_answer() -> None:
    d = EmbeddedDirector(make_plan(probingDepth="high"))
    reply = run(d, [STRONG])[0]
    assert reply.kind == "question"
    assert reply.question_id == "q2"
    assert reply.features is not None
    assert reply.features.strength == 0.794


def test_follow_ups_target_what_is_missing() -> None:
    d = EmbeddedDirector(make_plan(probingDepth="high"))
    d.opening()
    first = d.next_after(VAGUE, 30)
    assert (
        first.text
        == "Thank you. Could you give me one specific example, a real situation, and walk me through it?"
    )
    second = d.next_after("Once we moved the app to a new server.", 60)
    assert second.text == "Thank you. You described what the team did. What did you personally do?"
    assert d.progress.probed == ["example", "personal_action"]

    d2 = EmbeddedDirector(make_plan(probingDepth="high"))
    d2.opening()
    # Example and personal action present; the number is the first thing missing.
    reply = d2.next_after("When I was at my last job I fixed the Python deploy script.", 30)
    assert reply.kind == "follow_up"
    assert reply.text.endswith(
        "Can you put a number on it: how big was it, how many, or how much did it change?"
    )


def test_tone_shapes_follow_up_lead() -> None:
    d = EmbeddedDirector(make_plan(probingDepth="medium", tone="challenging"))
    assert run(d, [VAGUE])[0].text.startswith("I'm not convinced yet. ")


def test_an_answer_acknowledged_early_gets_a_reply_without_a_second_thank_you() -> None:
    plain = EmbeddedDirector(make_plan(probingDepth="medium"))
    early = EmbeddedDirector(make_plan(probingDepth="medium"))
    plain.opening()
    early.opening()
    assert early.acknowledgement() in early.acknowledgements()
    question, probe = plain.next_after(STRONG, 60), plain.next_after(VAGUE, 120)
    question_early = early.next_after(STRONG, 60, acknowledged=True)
    probe_early = early.next_after(VAGUE, 120, acknowledged=True)
    # Same decisions; only the acknowledgement already said is left out.
    assert (question_early.kind, probe_early.kind) == (question.kind, probe.kind) == ("question", "follow_up")
    assert question.text.startswith(tuple(plain.acknowledgements()))
    assert not question_early.text.startswith(tuple(early.acknowledgements()))
    assert question.text.endswith(question_early.text)
    assert probe.text == f"Thank you. {probe_early.text}"


def test_a_lead_that_says_something_is_kept_after_an_early_acknowledgement() -> None:
    d = EmbeddedDirector(make_plan(probingDepth="medium", tone="challenging"))
    d.opening()
    assert d.next_after(VAGUE, 30, acknowledged=True).text.startswith("I'm not convinced yet. ")


def test_adaptive_difficulty_moves_up_and_down() -> None:
    plan = make_plan(probingDepth="low", difficulty="adaptive")
    assert plan.start_level == 1
    up = EmbeddedDirector(plan)
    reply = run(up, [STRONG])[0]
    assert up.progress.level == 2
    assert plan.questions[1].harder in reply.text
    down = EmbeddedDirector(plan)
    reply = run(down, ["No idea."])[0]
    assert down.progress.level == 0
    assert plan.questions[1].easier in reply.text


def test_fixed_difficulty_never_moves() -> None:
    d = EmbeddedDirector(make_plan(probingDepth="low", difficulty="hard"))
    run(d, ["No idea."])
    assert d.progress.level == 2


def test_practice_session_gives_feedback() -> None:
    d = EmbeddedDirector(make_plan(mode="practice_session", probingDepth="low"))
    reply = run(d, [STRONG])[0]
    assert reply.kind == "feedback_then_question"
    assert reply.text.startswith(
        "Feedback: good that you used a concrete example and you were clear about what you did yourself. "
        "To make it stronger, mention the trade-offs you weighed."
    )


def test_async_interview_never_follows_up() -> None:
    d = EmbeddedDirector(make_plan(mode="async_interview", probingDepth="high"))
    replies = run(d, [VAGUE] * 3)
    assert [r.kind for r in replies] == ["question", "question", "question"]
    assert replies[0].text.startswith("Thank you, your answer is recorded.")


def test_closes_after_last_question_with_next_steps() -> None:
    plan = make_plan(probingDepth="low")
    d = EmbeddedDirector(plan)
    # A minute an answer: the thirty minutes outlast every question, the reserve's included.
    replies = run(d, [STRONG] * len(plan.questions))
    assert [r.kind for r in replies] == ["question"] * (len(plan.questions) - 1) + ["closing"]
    assert replies[-1].text.startswith("Thank you, that completes the interview.")
    assert d.finished
    assert d.progress.asked == [q.id for q in plan.questions]
    assert d.progress.covered == ["System Design", "Communication"]
    assert d.next_after("anything", 9999).kind == "closing"


def test_time_up_closes_politely() -> None:
    plan = make_plan(probingDepth="high", minutes=5)
    d = EmbeddedDirector(plan)
    d.opening()
    reply = d.next_after(VAGUE, 290)
    assert reply.kind == "closing"
    assert reply.text.startswith("We've reached the end of our time.")


def test_short_on_time_skips_covered_dimensions() -> None:
    plan = make_plan(probingDepth="low", minutes=10)
    assert [q.dimension for q in plan.core] == [
        "System Design",
        "System Design",
        "System Design",
        "Communication",
        "Communication",
    ]
    d = EmbeddedDirector(plan)
    d.opening()
    # 600 s budget; after 360 s only 210 s are left (less 30 s to close): not enough for the rest of
    # the core, so the further System Design questions give way to Communication's first.
    reply = d.next_after(STRONG, 360)
    assert reply.question_id == "q4"
    assert reply.dimension == "Communication"
    assert d.progress.skipped == ["q2", "q3"]
    # Every dimension covered, 120 s left: the next question is asked while a brief answer fits...
    assert d.next_after(STRONG, 480).question_id == "q5"
    # ...and with 70 s left, none does: a polite close, on time.
    closing = d.next_after(STRONG, 530)
    assert closing.text.startswith("We've reached the end of our time.")
    assert d.progress.skipped == ["q2", "q3", *(q.id for q in plan.questions[5:])]


def test_a_follow_up_never_takes_the_time_owed_to_a_dimension_not_yet_asked() -> None:
    plan = make_plan(probingDepth="high", minutes=10)
    d = EmbeddedDirector(plan)
    d.opening()
    # 600 s: after a vague first answer at 440 s, 130 s are left before the close; a follow-up (45 s)
    # would leave less than Communication's first question needs (about 110 s without its own
    # follow-ups), so that question comes instead.
    reply = d.next_after(VAGUE, 440)
    assert (reply.kind, reply.dimension) == ("question", "Communication")
    # With time to spare the same answer is probed.
    d2 = EmbeddedDirector(plan)
    d2.opening()
    assert d2.next_after(VAGUE, 60).kind == "follow_up"


def test_questions_are_announced_by_dimension() -> None:
    d = EmbeddedDirector(make_plan(probingDepth="low", style="conversational"), seed="s1")
    opening = d.opening()
    assert opening.endswith(f"Let's start with system design. {d.current_question()}")
    nxt = d.next_after(STRONG, 60)
    assert nxt.dimension == "System Design"
    assert any(f"{lead} system design. " in nxt.text for lead in ("Still on", "Staying with"))
    while nxt.dimension == "System Design":
        nxt = d.next_after(STRONG, 60 * (len(d.progress.asked) + 1))
    assert any(
        lead.format(n="communication") in nxt.text
        for lead in ("Let's talk about {n}.", "Let's turn to {n}.", "Now, a question on {n}.")
    ), nxt.text
    assert "We look for" not in nxt.text


def test_repeat_rephrase_resume() -> None:
    d = EmbeddedDirector(make_plan(probingDepth="medium"))
    opening = d.opening()
    question = d.current_question()
    assert opening.endswith(f"Question 1. Let's start with system design. {question}")
    assert d.repeat() == f"Of course. {question}"
    assert d.rephrase() == f"Let me put it another way. {d.plan.questions[0].easier}"
    d.next_after(VAGUE, 30)
    assert (
        d.rephrase()
        == "Let me put it another way: think of one time this actually happened. What was going on?"
    )
    assert d.resume_line() == (
        "Welcome back. Let's continue where we left off. "
        "Could you give me one specific example, a real situation, and walk me through it?"
    )


def test_progress_round_trip_resumes_identically() -> None:
    plan = make_plan(probingDepth="high", difficulty="adaptive")
    a = EmbeddedDirector(plan, seed="session-1")
    a.opening()
    a.next_after(VAGUE, 40)
    saved = json.loads(json.dumps({"plan": plan.to_dict(), "progress": a.progress.to_dict()}))
    assert saved["progress"]["version"] == 1
    b = EmbeddedDirector(
        InterviewPlan.from_dict(saved["plan"]), Progress.from_dict(saved["progress"]), seed="session-1"
    )
    assert b.progress == a.progress
    assert b.next_after(STRONG, 100) == a.next_after(STRONG, 100)
    with pytest.raises(ValueError, match="version"):
        Progress.from_dict({**saved["progress"], "version": 0})


def test_deterministic_per_seed() -> None:
    answers = [VAGUE, STRONG, "No idea.", STRONG, VAGUE, STRONG]

    def transcript(seed: str) -> list[str]:
        d = EmbeddedDirector(make_plan(probingDepth="medium", style="conversational"), seed=seed)
        return [r.text for r in run(d, answers)]

    assert transcript("s1") == transcript("s1")
    assert transcript("s1") != transcript("s2")
