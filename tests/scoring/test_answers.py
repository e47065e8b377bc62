"""Feature table tests for the answer analysis of the embedded interviewer."""

from __future__ import annotations

import pytest

from scoring.answers import STRONG_ANSWER, analyse, gaps

STRONG = (
    "At my last job I led the migration of our billing service from a monolith to Kafka-based "
    "services on AWS. I designed the partitioning, wrote the consumer library in Python, and we cut "
    "p99 latency from 900 ms to 120 ms and saved 30% on compute."
)


def test_strong_answer_features() -> None:
    f = analyse(STRONG, "Python", ["Python", "Kafka"])
    assert f.word_count == 46
    assert f.numbers == ("99", "900", "120", "30%")
    assert f.technologies == ("Kafka-based", "AWS", "Python")
    assert f.first_person_actions == 2
    assert f.we_statements == 1
    assert f.outcomes == 3
    assert f.star == ("situation", "action", "result")
    assert f.has_example is True
    assert f.mentions_tradeoff is False
    assert f.hedges == 0
    assert f.covers_skill is True
    assert f.keyword_hits == ("Python", "Kafka")
    assert f.coverage == 1.0
    assert f.strength == 0.894
    assert f.is_strong
    assert gaps(f) == ("tradeoff",)


def test_empty_answer_is_zero() -> None:
    f = analyse("", "SQL", [])
    assert (f.word_count, f.strength, f.covers_skill, f.coverage) == (0, 0.0, False, 0.0)
    assert gaps(f) == ("example", "personal_action", "number", "outcome", "skill", "tradeoff")


@pytest.mark.parametrize(
    ("answer", "field", "expected"),
    [
        ("We shipped it in two weeks.", "numbers", ("two",)),
        ("It took 3.5 days and a dozen people.", "numbers", ("3.5", "dozen")),
        # Spoken figures, as a recogniser writes them: one run of number words is one figure.
        (
            "It went from ninety three percent to ninety nine point six.",
            "numbers",
            ("ninety three percent", "ninety nine point six"),
        ),
        (
            "About four thousand customers, a hundred and fifty of them more than once.",
            "numbers",
            ("four thousand", "hundred and fifty"),
        ),
        ("We cut it to seventeen seconds, twenty-four hours a day.", "numbers", ("seventeen", "twenty-four")),
        ("I used postgres and redis daily.", "technologies", ("postgres", "redis")),
        ("The tooling at Stripe was GraphQL based.", "technologies", ("Stripe", "GraphQL")),
        ("Then I decided to roll back, and I've mentored two juniors.", "first_person_actions", 2),
        ("We did it, our team planned it.", "we_statements", 2),
        ("We did it, our team planned it.", "first_person_actions", 0),
        ("Maybe, kind of, I guess it was fine stuff.", "hedges", 4),
        ("We chose Redis instead of Memcached; the downside was cost.", "mentions_tradeoff", True),
        ("For example, once a deploy failed.", "has_example", True),
        ("Deploys are fine.", "has_example", False),
        ("My task was to fix it, I fixed it and it reduced errors.", "star", ("task", "action", "result")),
    ],
)
def test_feature_table(answer: str, field: str, expected: object) -> None:
    assert getattr(analyse(answer, None, []), field) == expected


def test_skill_coverage_multiword_and_keywords() -> None:
    f = analyse("I designed a distributed cache system.", "Distributed systems design", ["cache", "queue"])
    # "systems" is not literally named, so the multi-word skill is not covered.
    assert f.covers_skill is False
    assert f.keyword_hits == ("cache",)
    assert f.coverage == pytest.approx(0.333)
    g = analyse("Our design of distributed systems was careful.", "Distributed systems design", [])
    assert g.covers_skill is True


def test_vague_answer_is_weak_and_hedges_penalise() -> None:
    vague = analyse("We kind of did some stuff with it, maybe.", "Python", [])
    assert vague.strength == 0.0
    assert vague.strength < STRONG_ANSWER
    plain = analyse("We did some work with it.", "Python", [])
    assert plain.strength == 0.099  # 0.25 * 6 / 80 + 0.08 ("we" only)
    assert gaps(plain)[:2] == ("example", "personal_action")


def test_to_dict_is_plain() -> None:
    d = analyse("I built 2 services.", None, []).to_dict()
    assert d["numbers"] == ["2"]
    assert d["first_person_actions"] == 1
    assert d["coverage"] == 1.0
