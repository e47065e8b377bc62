"""The embedded scorer: strong answers outrank weak ones on every dimension, deterministically, with
evidence quoted from the candidate's own segments."""

from __future__ import annotations

import pytest

from scoring.embedded import EmbeddedScorer, score_transcript
from scoring.model import DimensionScore, QuestionHint, Rubric, RubricItem, Segment

QUESTIONS = {
    "System Design": "Tell me about a system you designed with PostgreSQL. How did you approach it?",
    "Communication": "How do you explain a technical decision to people outside engineering?",
    "Ownership": "Describe a time you owned a problem from start to finish. What did you do?",
}
STRONG = {
    "System Design": (
        "Last year I designed the billing system on PostgreSQL for 2 million customers. I split the "
        "ledger from the invoices, I added read replicas and partitioned by month, and as a result p99 "
        "latency dropped from 900 to 120 milliseconds. We chose Kafka over polling, which cost us some "
        "operational work but let us replay events."
    ),
    "Communication": (
        "For example, when I proposed moving to Kubernetes, I wrote a one page memo for finance with the "
        "cost in dollars, 40 thousand a year saved, and I ran a 20 minute demo for support. I answered "
        "their questions in writing, and the decision was approved in one meeting."
    ),
    "Ownership": (
        "In 2023 our deploys failed 30 percent of the time. I took it on myself: I traced the flaky tests, "
        "I rewrote the pipeline in GitHub Actions and I set up alerts. Within 6 weeks failures went down "
        "to 2 percent and I documented the runbook for the team."
    ),
}
WEAK = {
    "System Design": "I guess we kind of used a database. It was fine, I think.",
    "Communication": "I just talk to them, maybe.",
    "Ownership": "The team handled it, not sure what happened in the end.",
}


def rubric(scale_max: int = 10, plan: bool = True) -> Rubric:
    items = (
        RubricItem("System Design", "Designs scalable, reliable systems and weighs trade-offs.", 50),
        RubricItem("Communication", "Explains decisions clearly to any audience.", 25),
        RubricItem("Ownership", "Takes problems from start to finish personally.", 25),
    )
    hints = tuple(
        QuestionHint((text,), dim, "PostgreSQL" if dim == "System Design" else "", ())
        for dim, text in QUESTIONS.items()
    )
    return Rubric(
        items,
        scale_max,
        skills=("PostgreSQL",),
        traits=("Communication", "Ownership"),
        questions=hints if plan else (),
    )


def transcript(answers: dict[str, str]) -> list[Segment]:
    segments: list[Segment] = []
    t = 0.0
    for i, (dim, question) in enumerate(QUESTIONS.items()):
        segments.append(Segment(f"i{i}", "interviewer", t, t + 5, question))
        segments.append(Segment(f"c{i}", "candidate", t + 6, t + 30, answers[dim]))
        t += 40
    return segments


def by_name(scores: list[DimensionScore]) -> dict[str, float]:
    return {s.name: s.score for s in scores}


@pytest.mark.parametrize("plan", [True, False])
def test_strong_answers_outrank_weak_ones_on_every_dimension(plan: bool) -> None:
    strong = by_name(score_transcript(rubric(plan=plan), transcript(STRONG)))
    weak = by_name(score_transcript(rubric(plan=plan), transcript(WEAK)))
    for name in QUESTIONS:
        assert strong[name] > weak[name] + 3, (name, strong, weak)
        assert 0 <= weak[name] <= strong[name] <= 10
    assert min(strong.values()) >= 6
    assert max(weak.values()) <= 3


def test_mixed_answers_rank_per_dimension() -> None:
    mixed = {**WEAK, "Ownership": STRONG["Ownership"]}
    scores = by_name(score_transcript(rubric(), transcript(mixed)))
    assert scores["Ownership"] > scores["System Design"]
    assert scores["Ownership"] > scores["Communication"]


def test_same_transcript_same_scores_and_rationale() -> None:
    first = score_transcript(rubric(), transcript(STRONG))
    assert score_transcript(rubric(), transcript(STRONG)) == first


async def test_the_scorer_interface() -> None:
    scorer = EmbeddedScorer()
    assert scorer.name == "embedded"
    scores = await scorer.score(rubric(), transcript(STRONG))
    assert [s.name for s in scores] == list(QUESTIONS)


def test_evidence_quotes_the_candidates_own_segments() -> None:
    segments = {s.id: s for s in transcript(STRONG)}
    for score in score_transcript(rubric(), transcript(STRONG)):
        assert 1 <= len(score.evidence) <= 3
        for item in score.evidence:
            segment = segments[item.segment_id]
            assert segment.speaker == "candidate"
            assert item.quote in segment.text
            assert (item.start, item.end) == (segment.start, segment.end)
        assert score.rationale


@pytest.mark.parametrize("scale_max", [5, 10, 100])
def test_scores_are_on_the_rubric_scale(scale_max: int) -> None:
    ten = by_name(score_transcript(rubric(10), transcript(STRONG)))
    scaled = by_name(score_transcript(rubric(scale_max), transcript(STRONG)))
    for name, value in scaled.items():
        assert 0 <= value <= scale_max
        assert value == pytest.approx(ten[name] * scale_max / 10, abs=scale_max / 10 * 0.06 + 0.5)
    if scale_max == 100:
        assert all(float(v).is_integer() for v in scaled.values())


def test_a_dimension_nobody_answered_about_scores_zero_and_says_so() -> None:
    partial = [s for s in transcript(STRONG) if s.id not in ("i2", "c2")]
    scores = {s.name: s for s in score_transcript(rubric(), partial)}
    assert scores["Ownership"].score == 0
    assert "Not assessed" in scores["Ownership"].rationale
    assert scores["Ownership"].evidence == ()


def test_follow_ups_stay_with_their_question_and_depth_counts() -> None:
    question = QUESTIONS["System Design"]
    base = [
        Segment("i0", "interviewer", 0, 5, question),
        Segment("c0", "candidate", 6, 10, "We used PostgreSQL for the billing system."),
        Segment("i1", "interviewer", 11, 14, "What was your own part in it, with a number?"),
    ]
    deeper = [*base, Segment("c1", "candidate", 15, 30, STRONG["System Design"])]
    shallow = [*base, Segment("c1", "candidate", 15, 18, "Not sure, the team did most of it.")]
    deep_score = by_name(score_transcript(rubric(), deeper))["System Design"]
    shallow_score = by_name(score_transcript(rubric(), shallow))["System Design"]
    assert deep_score > shallow_score
    design = score_transcript(rubric(), deeper)[0]
    assert "1 follow-up" in design.rationale
    assert "follow-ups brought out more detail" in design.rationale


def test_empty_transcript_scores_every_dimension_zero() -> None:
    scores = score_transcript(rubric(), [])
    assert [s.score for s in scores] == [0.0, 0.0, 0.0]
