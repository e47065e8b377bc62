"""The embedded scorer: evidence first, no credit for repetition, buzzwords or off-topic talk, the same
content scores the same, quotes are the candidate's own words. Each rule on a constructed transcript."""

from __future__ import annotations

from collections.abc import Sequence

import pytest

from scoring.embedded import EmbeddedScorer
from scoring.embeddings import SentenceEncoder
from scoring.model import INSUFFICIENT_EVIDENCE, DimensionScore, QuestionHint, Rubric, RubricItem, Segment

QUESTIONS = {
    "System Design": "Tell me about a system you designed for scale. How did you approach it?",
    "Communication": "How do you explain a technical decision to people outside engineering?",
    "Ownership": "Describe a time you owned a problem from start to finish. What did you do?",
}
STRONG = {
    "System Design": (
        "Last year I designed the billing system on PostgreSQL for 2 million customers. The problem was "
        "that invoices and the ledger lived in one table, so every month-end run locked it for hours. I "
        "split the ledger from the invoices, I added read replicas for reporting and partitioned the "
        "ledger by month, because month-end only touches one partition. We chose Kafka over polling, "
        "which cost us operational work but let us replay events. As a result p99 latency dropped from "
        "900 to 120 milliseconds."
    ),
    "Communication": (
        "When I proposed moving our services to Kubernetes, finance and support had to agree. I wrote a "
        "one page memo for finance that started with the cost, 40 thousand dollars a year saved, instead "
        "of the architecture, because that was what they would decide on. For support I ran a 20 minute "
        "demo of how rollbacks work, since their worry was outages. I answered every question in writing "
        "afterwards, and the decision was approved in one meeting."
    ),
    "Ownership": (
        "In 2023 our deploys failed 30 percent of the time and nobody owned the pipeline, so I took it on. "
        "I measured which steps failed and found three flaky tests and a shared staging database. I "
        "rewrote the pipeline in GitHub Actions, I gave each run its own database so tests stopped "
        "interfering, and I set up alerts. Within 6 weeks failures went down to 2 percent, and I wrote the "
        "runbook so the next person could own it."
    ),
}
WEAK = {
    "System Design": (
        "I guess we kind of used a database and some servers. It was fine, I think, it mostly worked and "
        "people were happy enough with it, we did the usual things that you do."
    ),
    "Communication": (
        "I just talk to them, maybe. I try to be clear and not too technical, I guess, and usually it is "
        "fine, people understand what I mean most of the time."
    ),
    "Ownership": (
        "The team handled it mostly, I am not sure what happened exactly. I helped where I could and we "
        "sorted it out somehow, these things usually work out okay."
    ),
}
BUZZWORDS = (
    "I architected a cloud native, event driven microservices mesh on Kubernetes with Istio, Kafka, gRPC, "
    "Redis and DynamoDB, and I drove ten x scalability at five nines. I led forty engineers with a lot of "
    "synergy, leveraging serverless, edge computing and a zero trust, API first, data driven mindset, and "
    "that drove a three hundred percent increase in velocity with best practices end to end."
)
MEDIUM_DESIGN = (
    "I worked on our order service. It was getting slow, so I added a cache in front of the database and "
    "moved the reports to a replica, because the reports were the slow part. It helped a lot and the pages "
    "loaded faster after that."
)
OFF_TOPIC = (
    "Honestly what I love most is hiking. Last summer I walked the whole Alpine pass with my brother over "
    "two weeks, we carried everything ourselves, slept in huts and saw the most beautiful lakes. I planned "
    "the route, I booked the huts months ahead, and we finished a day early, which was a great feeling."
)


@pytest.fixture(scope="module")
def encoder() -> SentenceEncoder:
    return SentenceEncoder.load()


@pytest.fixture
def scorer(encoder: SentenceEncoder) -> EmbeddedScorer:
    return EmbeddedScorer(encoder)


def rubric(scale_max: int = 10, plan: bool = True) -> Rubric:
    items = (
        RubricItem("System Design", "Designs scalable, reliable systems and weighs trade-offs.", 50),
        RubricItem("Communication", "Explains decisions clearly to any audience.", 25),
        RubricItem("Ownership", "Takes problems from start to finish personally.", 25),
    )
    hints = tuple(QuestionHint((text,), dim) for dim, text in QUESTIONS.items())
    return Rubric(items, scale_max, questions=hints if plan else ())


def transcript(answers: dict[str, str | Sequence[tuple[str, str]]]) -> list[Segment]:
    """The planned questions in order, each with its answer (or several prompt/answer turns)."""
    segments: list[Segment] = []
    t = 0.0
    for dim, question in QUESTIONS.items():
        if dim not in answers:
            continue
        given = answers[dim]
        turns = [(question, given)] if isinstance(given, str) else list(given)
        for prompt, answer in turns:
            segments.append(Segment(f"i{len(segments)}", "interviewer", t, t + 5, prompt))
            segments.append(Segment(f"c{len(segments)}", "candidate", t + 6, t + 30, answer))
            t += 40
    return segments


def scores(
    scorer: EmbeddedScorer, answers: dict[str, str | Sequence[tuple[str, str]]], **kw: bool
) -> dict[str, DimensionScore]:
    return {s.name: s for s in scorer.score_sync(rubric(**kw), transcript(answers))}


def value(score: DimensionScore) -> float:
    assert score.score is not None, score.rationale
    return score.score


@pytest.mark.parametrize("plan", [True, False])
def test_strong_answers_outrank_weak_ones_on_every_dimension(scorer: EmbeddedScorer, plan: bool) -> None:
    strong = scores(scorer, dict(STRONG), plan=plan)
    weak = scores(scorer, dict(WEAK), plan=plan)
    for name in QUESTIONS:
        assert value(strong[name]) >= value(weak[name]) + 3, (name, strong[name], weak[name])
        assert value(strong[name]) >= 7, strong[name]  # the scale's top band is reachable


def test_a_dimension_never_asked_is_not_scored(scorer: EmbeddedScorer) -> None:
    found = scores(scorer, {"System Design": STRONG["System Design"]})
    assert value(found["System Design"]) >= 7
    for name in ("Communication", "Ownership"):
        assert found[name].score is None
        assert found[name].status == INSUFFICIENT_EVIDENCE
        assert "ended before" in found[name].rationale
        assert found[name].evidence == ()


LEAVING = (
    "Oh, sorry, that's, that's my son's nursery calling, he's got a temperature, I'm really sorry, I'm "
    "going to have to go and get him. Can we, can we pick this up another time?"
)


async def test_words_of_leaving_as_the_call_ends_are_not_an_answer(scorer: EmbeddedScorer) -> None:
    answers = {"System Design": STRONG["System Design"], "Communication": STRONG["Communication"]}
    left = transcript({**answers, "Ownership": LEAVING})  # the candidate's words end the call
    found = {s.name: s for s in scorer.score_sync(rubric(), left)}
    assert found["Ownership"].score is None
    assert found["Ownership"].status == INSUFFICIENT_EVIDENCE
    assert "last words were not an answer" in found["Ownership"].rationale
    assert value(found["System Design"]) >= 7
    assert value(found["Communication"]) >= 7
    gate = await scorer.sufficiency(rubric(), left)
    assert not gate["Ownership"].sufficient
    assert gate["System Design"].sufficient
    # The same words with the interviewer closing the call are an answer, about something else: scored, low.
    closed = [
        *left,
        Segment("close", "interviewer", left[-1].end + 1, left[-1].end + 4, "Thank you, goodbye."),
    ]
    answered = {s.name: s for s in scorer.score_sync(rubric(), closed)}
    assert value(answered["Ownership"]) <= 2
    # And an answer that is about the question stays one, even as the last words of a call.
    kept = {s.name: s for s in scorer.score_sync(rubric(), transcript(dict(STRONG)))}
    assert value(kept["Ownership"]) >= 7


def test_too_few_words_on_a_dimension_is_not_scored(scorer: EmbeddedScorer) -> None:
    found = scores(scorer, {**STRONG, "Ownership": "Yes, I did that once."})
    assert found["Ownership"].score is None
    assert "5 words" in found["Ownership"].rationale
    assert found["System Design"].score is not None


def test_the_same_story_told_to_every_question_earns_nothing_new(scorer: EmbeddedScorer) -> None:
    story = STRONG["System Design"]
    canned = scores(scorer, dict.fromkeys(QUESTIONS, story))
    honest = scores(scorer, dict(STRONG))
    for name in ("Communication", "Ownership"):
        assert value(canned[name]) <= 2, canned[name]
        assert value(canned[name]) < value(honest[name]) - 4
        assert "repeated an earlier answer" in canned[name].rationale
    # Reworded, it is still the same story.
    reworded = (
        "A year ago I built billing on PostgreSQL for two million customers. Invoices and the ledger shared "
        "one table, so the month-end job locked it for hours; I separated the ledger from invoices, put "
        "reporting on read replicas and partitioned the ledger by month, since month-end only touches one "
        "month. Kafka instead of polling cost operational effort but allowed replays, and p99 went from "
        "900 to 120 milliseconds."
    )
    again = scores(scorer, {**STRONG, "Ownership": reworded})
    assert value(again["Ownership"]) <= 3, again["Ownership"]


def test_off_topic_answers_score_low_however_long(scorer: EmbeddedScorer) -> None:
    long_off_topic = f"{OFF_TOPIC} {OFF_TOPIC}"
    found = scores(scorer, {**STRONG, "System Design": long_off_topic})
    assert value(found["System Design"]) <= 3, found["System Design"]
    assert "did not address" in found["System Design"].rationale


# Off-topic talk that still sounds like an interview answer: praise of the employer, a hobby project.
PRAISE = (
    "First I want to say how much I admire this company. I have followed you since your first product "
    "launch, I read every post on your engineering blog, and your culture and mission are exactly what I "
    "am looking for. Your office looks amazing and everyone I have met here has been so friendly."
)
HOBBY_PROJECT = (
    "Outside work I restore old motorbikes. Last winter I rebuilt a 1978 Honda in my garage, I stripped "
    "the engine, ordered parts from Japan and rewired the whole thing myself. It took four months and in "
    "the spring it started on the first kick, which was the best feeling."
)


@pytest.mark.parametrize("answer", [PRAISE, HOBBY_PROJECT], ids=["praise", "hobby"])
def test_an_answer_about_something_else_scores_low_even_when_it_sounds_like_one(
    scorer: EmbeddedScorer, answer: str
) -> None:
    drifted = scores(scorer, {**STRONG, "Communication": answer})["Communication"]
    strong = scores(scorer, {**STRONG})["Communication"]
    # The bottom band: the meaning model reads the hobby story as a fair account of something (it sees
    # the answer, not the question), and the drift check only partly gates it.
    assert value(drifted) <= 4, drifted
    assert value(drifted) <= value(strong) - 3, (drifted, strong)


def test_a_question_about_the_company_is_answered_by_talking_about_it(scorer: EmbeddedScorer) -> None:
    """The stock subjects off-topic talk drifts to are only drift when something else was asked."""
    motivation = "Why do you want to work for our company?"
    segments = [
        Segment("i0", "interviewer", 0, 5, motivation),
        Segment("c1", "candidate", 6, 30, PRAISE),
    ]
    items = (RubricItem("Motivation", "Why the candidate wants this job and this company.", 100),)
    found = scorer.score_sync(
        Rubric(items, 10, questions=(QuestionHint((motivation,), "Motivation"),)), segments
    )
    assert dict(found[0].parts)["relevance"] >= 0.8, found[0]


def test_buzzwords_score_below_a_plain_relevant_answer(scorer: EmbeddedScorer) -> None:
    buzz = scores(scorer, {**STRONG, "System Design": BUZZWORDS})["System Design"]
    plain = scores(scorer, {**STRONG, "System Design": MEDIUM_DESIGN})["System Design"]
    assert value(buzz) < value(plain), (buzz, plain)
    assert value(buzz) <= 4


def test_sweeping_rules_in_place_of_reasoning_score_below_a_reasoned_answer(scorer: EmbeddedScorer) -> None:
    creed = (
        "I designed our order service and I always put a cache in front of every database, because caches "
        "always make things faster and you never need to think about invalidation, whatever the system is. "
        "There's no need to measure first, it is always the best way, and we shipped it in 2 weeks."
    )
    sweeping = scores(scorer, {**STRONG, "System Design": creed})["System Design"]
    plain = scores(scorer, {**STRONG, "System Design": MEDIUM_DESIGN})["System Design"]
    assert dict(sweeping.parts)["measured"] < 0.5, sweeping
    assert value(sweeping) < value(plain), (sweeping, plain)


def test_work_handed_to_others_is_not_the_candidates_own(scorer: EmbeddedScorer) -> None:
    own = (
        "A customer's deploys kept failing, so I read the build logs, I found a stale token in their "
        "pipeline settings, I rotated it with them on a call and I wrote the fix into our help article."
    )
    handed = (
        "A customer's deploys kept failing, so I read the build logs, but I didn't really find anything, "
        "so I passed it on to tier three and they found a stale token. I let the customer know."
    )
    mine = scores(scorer, {**STRONG, "Ownership": own})["Ownership"]
    theirs = scores(scorer, {**STRONG, "Ownership": handed})["Ownership"]
    # Ownership is the part this rule moves; the totals also carry relevance, which a short answer swings.
    assert dict(theirs.parts)["ownership"] <= dict(mine.parts)["ownership"] - 0.2, (theirs, mine)


def test_the_same_content_in_other_words_scores_within_a_point(scorer: EmbeddedScorer) -> None:
    reworded = (
        "For our move to Kubernetes I needed sign-off from finance and from support. Finance got a single "
        "page from me that opened with the money, a saving of 40 thousand dollars a year, rather than the "
        "architecture, because cost was what they would judge it on. Support had a 20 minute demo from me "
        "showing how a rollback works, since outages were what worried them. Afterwards I wrote answers to "
        "all their questions, and it was approved in a single meeting."
    )
    first = scores(scorer, dict(STRONG))["Communication"]
    second = scores(scorer, {**STRONG, "Communication": reworded})["Communication"]
    assert abs(value(first) - value(second)) <= 1.0, (first, second)


def test_content_split_across_a_follow_up_scores_like_one_answer(scorer: EmbeddedScorer) -> None:
    answer = STRONG["Ownership"]
    cut = answer.index(" I rewrote")
    split = [
        (QUESTIONS["Ownership"], answer[:cut]),
        ("What did you do about it?", answer[cut + 1 :]),
    ]
    whole = scores(scorer, dict(STRONG))["Ownership"]
    followed = scores(scorer, {**STRONG, "Ownership": split})["Ownership"]
    assert abs(value(whole) - value(followed)) <= 1.0, (whole, followed)
    assert "1 follow-up" in followed.rationale


def test_same_transcript_same_scores(scorer: EmbeddedScorer, encoder: SentenceEncoder) -> None:
    first = scorer.score_sync(rubric(), transcript(dict(STRONG)))
    assert EmbeddedScorer(encoder).score_sync(rubric(), transcript(dict(STRONG))) == first


async def test_score_is_async_and_matches_the_sync_result(scorer: EmbeddedScorer) -> None:
    found = await scorer.score(rubric(), transcript(dict(STRONG)))
    assert found == scorer.score_sync(rubric(), transcript(dict(STRONG)))


def test_evidence_is_verbatim_word_bounded_and_from_the_candidate(scorer: EmbeddedScorer) -> None:
    segments = transcript(dict(STRONG))
    by_id = {s.id: s for s in segments}
    found = scorer.score_sync(rubric(), segments)
    assert all(s.evidence for s in found)
    for score in found:
        assert len(score.evidence) <= 3
        for quote in score.evidence:
            segment = by_id[quote.segment_id]
            assert segment.speaker == "candidate"
            at = segment.text.find(quote.quote)
            assert at >= 0, quote
            end = at + len(quote.quote)
            assert at == 0 or not segment.text[at - 1].isalnum()
            assert end == len(segment.text) or not segment.text[end].isalnum()
            assert (quote.start, quote.end) == (segment.start, segment.end)


def test_long_quotes_are_cut_at_a_word_boundary(scorer: EmbeddedScorer) -> None:
    run_on = " ".join([STRONG["System Design"].replace(".", ",")] * 3)  # one sentence, no full stops
    found = scores(scorer, {**STRONG, "System Design": run_on})["System Design"]
    for quote in found.evidence:
        assert len(quote.quote) <= 300
        assert quote.quote in run_on
        end = run_on.index(quote.quote) + len(quote.quote)
        assert end == len(run_on) or not run_on[end].isalnum()


@pytest.mark.parametrize("scale_max", [5, 10, 100])
def test_scores_follow_the_rubric_scale(scorer: EmbeddedScorer, scale_max: int) -> None:
    ten = scores(scorer, dict(STRONG))
    scaled = {s.name: s for s in scorer.score_sync(rubric(scale_max), transcript(dict(STRONG)))}
    for name in QUESTIONS:
        assert 0 <= value(scaled[name]) <= scale_max
        assert abs(value(scaled[name]) / scale_max - value(ten[name]) / 10) <= 0.011
    if scale_max == 100:
        assert all(value(s) == int(value(s)) for s in scaled.values())


def test_no_candidate_speech_assesses_nothing(scorer: EmbeddedScorer) -> None:
    found = scorer.score_sync(rubric(), [])
    assert [s.status for s in found] == [INSUFFICIENT_EVIDENCE] * 3
