"""`completion_of`: whether an interview covered its plan, from the dialogue state the live session
stores (the plan, the director's progress and how the session ended)."""

from __future__ import annotations

from typing import Any

from engine.analysis.job import completion_of

PLAN_QUESTIONS = [
    {"id": "q1", "text": "Tell me about a system you designed for scale.", "dimension": "System Design"},
    {"id": "q2", "text": "How did you make it fail safely?", "dimension": "System Design"},
    {"id": "q3", "text": "How do you explain a decision to finance?", "dimension": "Communication"},
    {"id": "q4", "text": "Describe an outcome you owned end to end.", "dimension": "Ownership"},
]


def state(
    asked: list[str], *, skipped: list[str] | None = None, finished: bool, **extra: Any
) -> dict[str, Any]:
    """A session's stored dialogue state, as the interviewer and the live session save it."""
    return {
        "plan": {
            "version": 1,
            "questions": PLAN_QUESTIONS,
            "dimensions": ["System Design", "Communication", "Ownership"],
        },
        "progress": {"version": 1, "asked": asked, "skipped": skipped or [], "finished": finished},
        **extra,
    }


def test_every_planned_question_asked_and_a_normal_end_is_complete() -> None:
    completion = completion_of(state(["q1", "q2", "q3", "q4"], finished=True, end_reason="completed"))
    assert completion == {
        "complete": True,
        "endReason": "completed",
        "questionsPlanned": 4,
        "questionsAsked": 4,
        "notAsked": [],
        "dimensionsNotReached": [],
        "summary": "The interview covered all 4 planned questions.",
    }


def test_a_hangup_after_two_of_four_questions_is_incomplete() -> None:
    completion = completion_of(state(["q1", "q3"], finished=False, end_reason="hangup"))
    assert completion is not None
    assert completion["complete"] is False
    assert completion["endReason"] == "hangup"
    assert (completion["questionsPlanned"], completion["questionsAsked"]) == (4, 2)
    assert completion["notAsked"] == [PLAN_QUESTIONS[1]["text"], PLAN_QUESTIONS[3]["text"]]
    # System Design was reached through q1, though q2 on it was not asked: only Ownership was never reached.
    assert completion["dimensionsNotReached"] == ["Ownership"]
    assert "ended the interview" in completion["summary"]
    assert "2 of 4" in completion["summary"]


def test_a_hangup_after_every_question_is_still_not_a_complete_interview() -> None:
    completion = completion_of(state(["q1", "q2", "q3", "q4"], finished=False, end_reason="hangup"))
    assert completion is not None
    assert (completion["complete"], completion["notAsked"], completion["dimensionsNotReached"]) == (
        False,
        [],
        [],
    )
    assert "4 of 4" in completion["summary"]


def test_running_out_of_time_with_skipped_questions_is_incomplete() -> None:
    completion = completion_of(
        state(["q1", "q2"], skipped=["q3", "q4"], finished=True, end_reason="completed")
    )
    assert completion is not None
    assert completion["complete"] is False
    assert completion["endReason"] == "completed"
    assert completion["notAsked"] == [PLAN_QUESTIONS[2]["text"], PLAN_QUESTIONS[3]["text"]]
    assert completion["dimensionsNotReached"] == ["Communication", "Ownership"]
    assert "time" in completion["summary"]
    assert "2 of 4" in completion["summary"]
    assert "2 left out" in completion["summary"]


def test_a_finished_interview_without_a_stored_end_reason_counts_as_completed() -> None:
    completion = completion_of(state(["q1", "q2", "q3", "q4"], finished=True))
    assert completion is not None
    assert (completion["complete"], completion["endReason"]) == (True, "completed")
    unfinished = completion_of(state(["q1"], finished=False))
    assert unfinished is not None
    assert (unfinished["complete"], unfinished["endReason"]) == (False, "unknown")
    assert unfinished["summary"] == "The interview ended after 1 of 4 planned questions."


def test_without_a_plan_there_is_nothing_to_compare_with() -> None:
    assert completion_of({}) is None
    assert completion_of({"end_reason": "hangup"}) is None
    assert completion_of({"progress": {"asked": ["q1"], "finished": True}}) is None
    assert completion_of({"plan": {"questions": PLAN_QUESTIONS}}) is None  # a plan but no progress


RESERVE = [
    {
        "id": "q5",
        "text": "What habit matters most for design?",
        "dimension": "System Design",
        "reserve": True,
    },
    {"id": "q6", "text": "How do you explain trade-offs?", "dimension": "Communication", "reserve": True},
]


def with_reserve(asked: list[str], **kwargs: Any) -> dict[str, Any]:
    stored = state(asked, **kwargs)
    stored["plan"] = {**stored["plan"], "version": 2, "questions": PLAN_QUESTIONS + RESERVE}
    return stored


def test_reserve_questions_left_unasked_are_not_missing() -> None:
    # Reserve questions are asked only while time is left: the core done, the interview is complete.
    completion = completion_of(
        with_reserve(["q1", "q2", "q3", "q4"], skipped=["q5", "q6"], finished=True, end_reason="completed")
    )
    assert completion is not None
    assert (completion["complete"], completion["questionsPlanned"], completion["notAsked"]) == (True, 4, [])
    # One asked counts among the planned ones.
    asked = completion_of(
        with_reserve(["q1", "q2", "q3", "q4", "q5"], skipped=["q6"], finished=True, end_reason="completed")
    )
    assert asked is not None
    assert (asked["complete"], asked["questionsPlanned"], asked["questionsAsked"]) == (True, 5, 5)
    assert asked["summary"] == "The interview covered all 5 planned questions."


def test_a_hangup_says_the_interview_ended_early_with_reserve_questions_too() -> None:
    completion = completion_of(with_reserve(["q1", "q2"], finished=False, end_reason="hangup"))
    assert completion is not None
    assert (completion["complete"], completion["endReason"]) == (False, "hangup")
    assert completion["questionsPlanned"] == 4
    assert completion["dimensionsNotReached"] == ["Communication", "Ownership"]
    assert completion["summary"] == (
        "The interview ended early: the candidate ended the interview after 2 of 4 planned questions."
    )


def test_a_hangup_during_the_goodbye_is_a_normal_end() -> None:
    # The director had closed (finished) when the candidate pressed End: nothing was cut short.
    completion = completion_of(state(["q1", "q2", "q3", "q4"], finished=True, end_reason="hangup"))
    assert completion is not None
    assert (completion["complete"], completion["endReason"]) == (True, "completed")
