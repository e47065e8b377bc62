"""The evidence gate (`scoring.evidence`): the transcript cut into exchanges, exchanges grouped into
questions (by the plan, follow-ups included, or one by one without a plan), the per-dimension verdict
(never asked, never planned, too few words, enough) and `enforce` holding any scorer's output to it."""

from __future__ import annotations

from collections.abc import Sequence

import pytest

from scoring.evidence import (
    DEFAULT_MIN_WORDS,
    DimensionEvidence,
    Exchange,
    enforce,
    exchanges,
    lexical_placer,
    questions,
    sufficiency,
)
from scoring.model import (
    ASSESSED,
    INSUFFICIENT_EVIDENCE,
    DimensionScore,
    Evidence,
    QuestionHint,
    Rubric,
    RubricItem,
    Segment,
)

ITEMS = (
    RubricItem("System Design", "Designs for scale", 50),
    RubricItem("Communication", "Explains clearly", 30),
    RubricItem("Ownership", "Owns outcomes", 20),
)
DESIGN_Q = "Tell me about a distributed system you designed for scale."
TALK_Q = "How do you explain a technical decision to stakeholders outside engineering?"
OWN_Q = "Describe a project where you owned the outcome from start to finish."
PLAN = (
    QuestionHint(
        (DESIGN_Q, "What is a system you built that had to scale?"), "System Design", "Go", ("scale",)
    ),
    QuestionHint((TALK_Q,), "Communication"),
    QuestionHint((OWN_Q,), "Ownership"),
)
# 25 words, nothing specific about anything: still 25 words of evidence.
OFF_TOPIC = (
    "Honestly the weather here has been lovely lately and I have been cycling to the lake every "
    "weekend with my two dogs and a flask"
)


def words(n: int) -> str:
    return " ".join(f"word{i}" for i in range(n))


def rubric(plan: Sequence[QuestionHint] = PLAN) -> Rubric:
    return Rubric(items=ITEMS, scale_max=10, questions=tuple(plan))


def transcript(*turns: tuple[str, str]) -> list[Segment]:
    """Segments in the order given, two seconds each."""
    return [
        Segment(f"s{i}", speaker, 2.0 * i, 2.0 * i + 1.5, text) for i, (speaker, text) in enumerate(turns)
    ]


def ask(text: str) -> tuple[str, str]:
    return ("interviewer", text)


def say(text: str) -> tuple[str, str]:
    return ("candidate", text)


# --- exchanges ---------------------------------------------------------------------------------------


def test_exchanges_join_interviewer_lines_and_candidate_segments_in_time_order() -> None:
    segments = transcript(
        say("Hello?"),  # the candidate speaks before any question: an exchange with no prompt
        ask("Welcome."),
        ask(DESIGN_Q),
        say("I built a queue."),
        say("It scaled to a million jobs."),
        ask(TALK_Q),
        say("   "),  # a blank answer only: the exchange is dropped
        ask(OWN_Q),
        say("I owned the migration."),
    )
    found = exchanges(list(reversed(segments)))  # stored order does not matter: start time does
    assert [(e.prompt, e.answer_text) for e in found] == [
        ("", "Hello?"),
        (f"Welcome. {DESIGN_Q}", "I built a queue. It scaled to a million jobs."),
        (OWN_Q, "I owned the migration."),
    ]
    assert [s.id for s in found[1].answers] == ["s3", "s4"]


# --- questions -----------------------------------------------------------------------------------------


def test_with_a_plan_follow_ups_stay_with_their_question_and_take_its_dimension() -> None:
    segments = transcript(
        ask("Hi, thanks for joining. Are you ready?"),
        say("Yes, ready."),
        ask(DESIGN_Q),
        say("I designed the billing ledger."),
        ask("And what happened next with it?"),
        say("We partitioned it by month."),
        ask("Could you say more?"),
        say("Reads moved to replicas."),
        ask("On communication: " + TALK_Q),
        say("I write a one page memo."),
        ask("Who read it?"),
        say("Finance and support."),
    )
    seen: list[str] = []

    def placer(_: Rubric, exchange: Exchange) -> str | None:
        seen.append(exchange.prompt)
        return None

    grouped = questions(rubric(), exchanges(segments), place=placer)
    # The greeting precedes every planned question: it is placed (here: nowhere), the rest follow the plan.
    assert seen == ["Hi, thanks for joining. Are you ready?"]
    assert [(q.dimension, len(q.exchanges)) for q in grouped] == [
        (None, 1),
        ("System Design", 3),
        ("Communication", 2),
    ]
    design = grouped[1]
    assert design.wording == DESIGN_Q
    assert design.planned == PLAN[0].wordings
    assert (design.skill, design.keywords) == ("Go", ("scale",))
    assert design.answer_text == (
        "I designed the billing ledger. We partitioned it by month. Reads moved to replicas."
    )
    assert design.words == 14
    assert grouped[2].skill is None  # the plan named no skill


def test_an_alternative_planned_wording_opens_the_same_question() -> None:
    segments = transcript(ask("So, what is a system you built that had to scale?"), say("A search index."))
    (only,) = questions(rubric(), exchanges(segments))
    assert only.dimension == "System Design"


def test_without_a_plan_each_exchange_stands_alone_and_is_placed_by_the_placer() -> None:
    segments = transcript(
        ask(DESIGN_Q),
        say("I designed the billing ledger."),
        ask("And what happened next with it?"),
        say("We partitioned it by month."),
    )
    placed = {"I designed the billing ledger.": "System Design"}
    grouped = questions(rubric(plan=()), exchanges(segments), place=lambda _, e: placed.get(e.answer_text))
    # No plan to tie the follow-up to its question: it is judged on its own, and fits no dimension.
    assert [(q.dimension, q.wording, q.planned) for q in grouped] == [
        ("System Design", DESIGN_Q, ()),
        (None, "And what happened next with it?", ()),
    ]


def test_the_lexical_placer_picks_the_one_dimension_sharing_the_most_words() -> None:
    plain = rubric(plan=())
    assert lexical_placer(plain, Exchange("How do you explain things?", [])) == "Communication"
    assert lexical_placer(plain, Exchange("On ownership: what did you own?", [])) == "Ownership"
    # No shared word, or a tie between two dimensions: evidence for none.
    assert lexical_placer(plain, Exchange("What is your favourite food?", [])) is None
    assert lexical_placer(plain, Exchange("Explain how you own things.", [])) is None


# --- sufficiency ---------------------------------------------------------------------------------------


def verdicts_of(
    segments: Sequence[Segment], plan: Sequence[QuestionHint] = PLAN, **kw: int
) -> dict[str, DimensionEvidence]:
    r = rubric(plan)
    return sufficiency(r, questions(r, exchanges(segments), place=lambda *_: None), **kw)


def test_a_planned_dimension_never_reached_is_not_assessed_because_the_interview_ended() -> None:
    verdicts = verdicts_of(transcript(ask(DESIGN_Q), say(words(30))))
    assert verdicts["System Design"] == DimensionEvidence("System Design", 1, 30, True, "")
    for name in ("Communication", "Ownership"):
        verdict = verdicts[name]
        assert (verdict.questions, verdict.words, verdict.sufficient) == (0, 0, False)
        assert "ended before" in verdict.why
        assert verdict.why.startswith("Not assessed")


def test_a_dimension_no_question_was_about_is_not_assessed() -> None:
    design_only = PLAN[:1]
    verdicts = verdicts_of(transcript(ask(DESIGN_Q), say(words(30))), plan=design_only)
    assert verdicts["System Design"].sufficient
    for name in ("Communication", "Ownership"):
        assert not verdicts[name].sufficient
        assert "no question" in verdicts[name].why
        assert "ended before" not in verdicts[name].why


def test_without_any_placed_question_nothing_is_assessed() -> None:
    verdicts = verdicts_of(transcript(ask("Anything else?"), say(words(60))), plan=())
    assert {n: v.sufficient for n, v in verdicts.items()} == dict.fromkeys(
        ("System Design", "Communication", "Ownership"), False
    )
    assert all("no question" in v.why for v in verdicts.values())


def test_too_few_words_is_not_assessed_and_the_rationale_says_how_many() -> None:
    verdicts = verdicts_of(
        transcript(
            ask(DESIGN_Q), say("It was fine, I think."), ask(TALK_Q), say("I talk."), ask(OWN_Q), say("Yes.")
        )
    )
    design, talk, own = verdicts["System Design"], verdicts["Communication"], verdicts["Ownership"]
    assert (design.questions, design.words, design.sufficient) == (1, 5, False)
    assert "5 words" in design.why
    assert f"{DEFAULT_MIN_WORDS} needed" in design.why
    assert (talk.words, talk.sufficient) == (2, False)
    assert "2 words" in talk.why
    assert "said 1 word on" in own.why  # singular


def test_follow_up_answers_add_up_to_enough_words() -> None:
    verdicts = verdicts_of(transcript(ask(DESIGN_Q), say(words(12)), ask("Go on?"), say(words(8))))
    assert verdicts["System Design"] == DimensionEvidence("System Design", 1, 20, True, "")


def test_a_long_answer_that_misses_the_point_is_still_evidence() -> None:
    verdicts = verdicts_of(transcript(ask(TALK_Q), say(OFF_TOPIC)))
    assert verdicts["Communication"] == DimensionEvidence("Communication", 1, 25, True, "")


def test_many_words_that_say_little_are_not_evidence() -> None:
    # 25 words, but apologies and repeats: 9 distinct content words, fewer than 60% of the 20 needed.
    leaving = (
        "Oh, sorry, sorry, that's, that's the nursery calling, I'm really sorry, I'm going to have to "
        "take this, I'll have to go, I'm so sorry."
    )
    verdict = verdicts_of(transcript(ask(TALK_Q), say(leaving)))["Communication"]
    assert (verdict.words, verdict.sufficient) == (25, False)
    assert "9 distinct content words" in verdict.why
    assert "fewer than the 12 needed" in verdict.why
    # As many words with something in them are evidence (and so are 12 distinct content words).
    told = (
        "I explained the outage to the customer in plain words, said what we knew, what we did not "
        "know yet, and when they would hear from me next."
    )
    assert verdicts_of(transcript(ask(TALK_Q), say(told)))["Communication"].sufficient


@pytest.mark.parametrize(("min_words", "sufficient"), [(5, True), (20, True), (26, False), (40, False)])
def test_the_minimum_number_of_words_is_a_parameter(min_words: int, sufficient: bool) -> None:
    verdicts = verdicts_of(transcript(ask(TALK_Q), say(OFF_TOPIC)), min_words=min_words)
    verdict = verdicts["Communication"]
    assert verdict.sufficient is sufficient
    assert (f"fewer than the {min_words} needed" in verdict.why) is not sufficient


# --- enforce -------------------------------------------------------------------------------------------


def test_enforce_overrules_a_scored_dimension_the_gate_rejects_and_keeps_the_rest() -> None:
    quote = Evidence("s1", 0.0, 1.0, "I designed it")
    design = DimensionScore("System Design", 7.5, "Strong design.", (quote,), (("relevance", 0.9),))
    talk = DimensionScore("Communication", 6.0, "Made up from the other answers.", (quote,))
    own = DimensionScore.insufficient("Ownership", "The scorer's own reason: the answer was inaudible.")
    extra = DimensionScore("Unknown", 3.0, "Not in the rubric's verdicts.")
    gate = "Not assessed: the interview ended before any question on this dimension was asked."
    verdicts = {
        "System Design": DimensionEvidence("System Design", 1, 40, True, ""),
        "Communication": DimensionEvidence("Communication", 0, 0, False, gate),
        "Ownership": DimensionEvidence("Ownership", 0, 0, False, "Not assessed: the gate's reason."),
    }
    kept = enforce([design, talk, own, extra], verdicts)
    assert [s.name for s in kept] == ["System Design", "Communication", "Ownership", "Unknown"]
    assert kept[0] == design
    assert kept[0].status == ASSESSED
    overruled = kept[1]
    assert (overruled.score, overruled.status, overruled.rationale) == (None, INSUFFICIENT_EVIDENCE, gate)
    assert (overruled.evidence, overruled.parts) == ((), ())
    assert not overruled.assessed
    assert kept[2] == own  # the scorer abstained for its own reason: that reason stays
    assert kept[3] == extra


def test_enforce_keeps_a_scorers_abstention_even_when_the_gate_found_enough_words() -> None:
    own = DimensionScore.insufficient("Ownership", "The model could not judge it.")
    verdicts = {"Ownership": DimensionEvidence("Ownership", 2, 80, True, "")}
    assert enforce([own], verdicts) == [own]


def test_a_dimension_score_has_a_score_exactly_when_it_was_assessed() -> None:
    with pytest.raises(ValueError, match="exactly when"):
        DimensionScore("Ownership", None, "No score.")
    with pytest.raises(ValueError, match="exactly when"):
        DimensionScore("Ownership", 5.0, "A score.", status=INSUFFICIENT_EVIDENCE)
