"""LlmScorer against a real OpenAI-compatible server on loopback (tests/llm_server.py), through a real
LlmClient: the server picks each reply from the request (which dimension's prompt, which attempt)."""

from __future__ import annotations

import json
import logging
import re
import threading
from collections.abc import Iterator
from typing import Any

import pytest

from config.settings import LlmSettings
from llm import ChatMessage, LlmClient
from scoring.llm_scorer import REPLY_FORMAT, LlmScorer, anchors
from scoring.model import (
    INSUFFICIENT_EVIDENCE,
    DimensionScore,
    Evidence,
    QuestionHint,
    Rubric,
    RubricItem,
    Scorer,
    ScoringError,
    Segment,
)
from tests.llm_server import LlmServer, Responder, Script

SEGMENTS = (
    Segment("seg-1", "interviewer", 0.0, 5.5, "Welcome! Tell me about a system you designed."),
    Segment(
        "seg-2",
        "candidate",
        6.0,
        21.5,
        "I designed the payments ledger at Acme. We used PostgreSQL with idempotency keys, so retries "
        "never double-charged anyone.",
    ),
    Segment("seg-3", "interviewer", 22.0, 26.0, "How did you handle failures between services?"),
    Segment(
        "seg-4",
        "candidate",
        26.5,
        44.0,
        "We used an outbox table and a relay; consumers were idempotent. Honestly, I \u201cowned\u201d the "
        "on-call rota too.",
    ),
    Segment(
        "seg-5", "candidate", 45.0, 52.25, "I explained the trade-offs to the product team in plain words."
    ),
)
RUBRIC = Rubric(
    items=(
        RubricItem("System Design", "Sound architecture and trade-offs.", 50),
        RubricItem("Reliability", "Handles failure, retries and on-call.", 30),
        RubricItem("Communication", "Explains clearly to any audience.", 20),
    ),
    scale_max=10,
    skills=("PostgreSQL", "Distributed systems"),
    traits=("Ownership",),
    objective="Can they run our payments backend?",
    pass_criteria="Designs an idempotent payment API.",
    questions=(
        QuestionHint(
            ("Tell me about a system you designed.", "Walk me through a design of yours."),
            "System Design",
            skill="Distributed systems",
        ),
        QuestionHint(("How did you handle failures between services?",), "Reliability"),
    ),
)
NAMES = [item.name for item in RUBRIC.items]


@pytest.fixture
def server(llm_server: LlmServer) -> Iterator[LlmServer]:
    llm_server.reset()
    yield llm_server
    llm_server.reset()


def _client(server: LlmServer) -> LlmClient:
    settings = LlmSettings(
        base_url=server.base_url, model="scorer", first_token_timeout_s=2, idle_timeout_s=2, max_tokens=800
    )
    return LlmClient(settings)


def _scorer(llm: LlmClient, **options: Any) -> LlmScorer:
    return LlmScorer(llm.reply, retry_delay_s=0, **options)


def _answer(score: Any, rationale: str = "Clear and concrete.", evidence: Any = ()) -> str:
    """A reply in the requested order (quotes, rationale, score); no insufficient_evidence key, which
    counts as false."""
    items = [{"segment_id": sid, "quote": quote} for sid, quote in evidence]
    return json.dumps({"evidence": items, "rationale": rationale, "score": score})


def _abstain(rationale: str = "Never asked about it.") -> str:
    return json.dumps({"evidence": [], "rationale": rationale, "score": None, "insufficient_evidence": True})


def _in_turn(*replies: Script) -> Responder:
    """The replies in the order the requests arrive."""
    pending = iter(replies)
    lock = threading.Lock()

    def respond(body: dict[str, Any]) -> Script:
        with lock:
            return next(pending)

    return respond


def _script(text: str, **options: Any) -> Script:
    """The reply streamed in small pieces, as a real server does (LlmClient.reply always streams)."""
    return Script(tokens=[text[i : i + 16] for i in range(0, len(text), 16)], **options)


def _messages(body: dict[str, Any]) -> list[dict[str, str]]:
    messages: list[dict[str, str]] = body["messages"]
    return messages


def _dimension(body: dict[str, Any]) -> str:
    found = re.search(r'Dimension: "(.+?)"', _messages(body)[0]["content"])
    assert found is not None, "every prompt names its dimension"
    return found.group(1)


def _per_dimension(answers: dict[str, Script]) -> Responder:
    return lambda body: answers[_dimension(body)]


def _requested(server: LlmServer) -> list[str]:
    return sorted(_dimension(r.body) for r in server.requests)


async def test_scores_every_dimension_with_verified_evidence(server: LlmServer) -> None:
    server.reset(
        responder=_per_dimension(
            {
                # The first dimension answers last: the result is still in rubric order.
                "System Design": _script(
                    _answer(
                        8,
                        "Idempotent ledger design.",
                        [("seg-2", "we used postgresql with IDEMPOTENCY keys.")],
                    ),
                    first_token_delay_s=0.2,
                ),
                "Reliability": _script(
                    _answer(
                        7.5,
                        "Outbox pattern; owns on-call.",
                        [("seg-4", "an outbox   table and a relay"), ("seg-4", 'I "owned" the on-call rota')],
                    )
                ),
                "Communication": _script(
                    _answer(
                        6,
                        "Explains to non-engineers.",
                        [
                            (
                                "seg-5",
                                "\u201cI explained the trade-offs to the product team in plain words.\u201d",
                            )
                        ],
                    )
                ),
            }
        )
    )
    async with _client(server) as llm:
        scorer: Scorer = _scorer(llm)
        scores = await scorer.score(RUBRIC, SEGMENTS)
    assert scorer.name == "llm"
    assert scores == [
        DimensionScore(
            "System Design",
            8,
            "Idempotent ledger design.",
            (Evidence("seg-2", 6.0, 21.5, "We used PostgreSQL with idempotency keys"),),
        ),
        DimensionScore(
            "Reliability",
            7.5,
            "Outbox pattern; owns on-call.",
            (
                Evidence("seg-4", 26.5, 44.0, "an outbox table and a relay"),
                Evidence("seg-4", 26.5, 44.0, "I \u201cowned\u201d the on-call rota"),
            ),
        ),
        DimensionScore(
            "Communication",
            6,
            "Explains to non-engineers.",
            (
                Evidence(
                    "seg-5", 45.0, 52.25, "I explained the trade-offs to the product team in plain words"
                ),
            ),
        ),
    ]
    assert _requested(server) == sorted(NAMES)


async def test_invented_quotes_are_discarded_and_counted(
    server: LlmServer, caplog: pytest.LogCaptureFixture
) -> None:
    server.reset(
        responder=_per_dimension(
            {
                "System Design": _script(
                    _answer(9, "Built it all.", [("seg-2", "I built Kubernetes from scratch")])
                ),
                "Reliability": _script(
                    _answer(
                        7,
                        "Outbox.",
                        [("seg-4", "consumers were idempotent"), ("seg-4", "we never had an outage")],
                    )
                ),
                "Communication": _script(_answer(5, "Average.", [("seg-5", "I gave a TED talk")])),
            }
        )
    )
    caplog.set_level(logging.INFO, logger="scoring.llm_scorer")
    async with _client(server) as llm:
        design, reliability, communication = await _scorer(llm).score(RUBRIC, SEGMENTS)
    # A score above the midpoint that no quote backs is kept, but flagged.
    assert design == DimensionScore("System Design", 9, "Built it all. (no verifiable quote)")
    assert reliability.rationale == "Outbox."
    assert reliability.evidence == (Evidence("seg-4", 26.5, 44.0, "consumers were idempotent"),)
    assert communication == DimensionScore("Communication", 5, "Average.")  # the midpoint is not above it
    discarded = {
        record.args[1]: record.args[0]
        for record in caplog.records
        if "discarded" in record.msg and isinstance(record.args, tuple)
    }
    assert discarded == {"System Design": 1, "Reliability": 1, "Communication": 1}


async def test_a_quote_claimed_for_the_wrong_segment_moves_to_its_own(
    server: LlmServer, caplog: pytest.LogCaptureFixture
) -> None:
    evidence = [
        ("seg-2", "consumers were idempotent"),  # said in seg-4
        ("seg-99", "in plain words"),  # no such segment; said in seg-5
        ("[seg-2]", "payments ledger"),  # the id as the transcript shows it
    ]
    server.reset(_script(_answer(8, "Solid.", evidence)))
    caplog.set_level(logging.INFO, logger="scoring.llm_scorer")
    async with _client(server) as llm:
        [score] = await _scorer(llm).score(Rubric((RubricItem("Reliability", "", 100),), 10), SEGMENTS)
    assert score.evidence == (
        Evidence("seg-4", 26.5, 44.0, "consumers were idempotent"),
        Evidence("seg-5", 45.0, 52.25, "in plain words"),
        Evidence("seg-2", 6.0, 21.5, "payments ledger"),
    )
    assert score.rationale == "Solid."
    assert any("re-attributed 2 " in record.getMessage() for record in caplog.records)


async def test_interviewer_segments_are_never_evidence(server: LlmServer) -> None:
    evidence = [
        ("seg-1", "Tell me about a system you designed"),  # the interviewer's words, their segment
        ("seg-2", "How did you handle failures"),  # the interviewer's words, a candidate's segment
        ("seg-3", "an outbox table"),  # the candidate's words, claimed as the interviewer's
    ]
    server.reset(_script(_answer(7, "Good.", evidence)))
    async with _client(server) as llm:
        [score] = await _scorer(llm).score(Rubric((RubricItem("Reliability", "", 100),), 10), SEGMENTS)
    assert score == DimensionScore("Reliability", 7, "Good. (no verifiable quote)")


@pytest.mark.parametrize(
    "wrapped",
    [
        "```json\nANSWER\n```",
        "```\nANSWER\n```\nLet me know if you need more.",
        "Here is my assessment:\n\nANSWER\n\nI hope this helps.",
        "Assessment {draft, not JSON} follows. ANSWER",
    ],
    ids=["json-fence", "bare-fence-and-prose", "prose-around", "brace-in-prose"],
)
async def test_json_inside_fences_or_prose_is_accepted(server: LlmServer, wrapped: str) -> None:
    server.reset(_script(wrapped.replace("ANSWER", _answer(4, "Partial.", [("seg-2", "payments ledger")]))))
    async with _client(server) as llm:
        [score] = await _scorer(llm).score(Rubric((RubricItem("System Design", "", 100),), 10), SEGMENTS)
    assert score == DimensionScore(
        "System Design", 4, "Partial.", (Evidence("seg-2", 6.0, 21.5, "payments ledger"),)
    )
    assert len(server.requests) == 1


@pytest.mark.parametrize(
    ("bad", "problem"),
    [
        (_answer(11), "between 0 and 10"),
        (_answer(-1), "between 0 and 10"),
        ('{"score": NaN, "rationale": "x", "evidence": []}', "score"),
        (_answer("7"), "JSON number"),
        (_answer(True), "JSON number"),
        (_answer(6, "   "), "rationale"),
        (_answer(6, "x", [("seg-2", "payments ledger")] * 6), "evidence"),
        ('{"rationale": "Missing the score.", "evidence": []}', "score"),
        ('{"score": 6, "rationale": "cut off', "no JSON object"),
        ('{"evidence": [], "rationale": "Unsure.", "score": null}', "insufficient_evidence is not true"),
        (
            '{"evidence": [], "rationale": "x", "score": null, "insufficient_evidence": false}',
            "insufficient_evidence is not true",
        ),
        (
            '{"evidence": [], "rationale": "x", "score": 4, "insufficient_evidence": true}',
            "score must be null",
        ),
        (
            '{"evidence": [], "rationale": "x", "score": null, "insufficient_evidence": "yes"}',
            "true or false",
        ),
    ],
    ids=[
        "above",
        "below",
        "nan",
        "string",
        "bool",
        "blank-rationale",
        "six-quotes",
        "no-score",
        "truncated",
        "null-without-flag",
        "null-with-flag-false",
        "score-with-flag",
        "flag-not-bool",
    ],
)
async def test_an_invalid_reply_is_corrected_then_accepted(server: LlmServer, bad: str, problem: str) -> None:
    good = _answer(7, "Fixed.", [("seg-2", "payments ledger")])
    # A retry carries the bad reply and a correction: four messages instead of two.
    server.reset(responder=lambda body: _script(bad if len(_messages(body)) == 2 else good))
    async with _client(server) as llm:
        [score] = await _scorer(llm).score(Rubric((RubricItem("System Design", "", 100),), 10), SEGMENTS)
    assert score == DimensionScore(
        "System Design", 7, "Fixed.", (Evidence("seg-2", 6.0, 21.5, "payments ledger"),)
    )
    first, second = (_messages(r.body) for r in server.requests)
    assert second[:2] == first
    assert second[2] == {"role": "assistant", "content": bad}
    assert second[3]["role"] == "user"
    assert problem in second[3]["content"]
    assert "from 0 to 10" in second[3]["content"]


async def test_garbage_every_time_raises_naming_the_dimension(server: LlmServer) -> None:
    server.reset(Script(tokens=["I'm sorry,", " I can't", " score this."]))
    async with _client(server) as llm:
        with pytest.raises(
            ScoringError, match=r"'System Design' failed after 3 attempt\(s\): no JSON object"
        ):
            await _scorer(llm).score(Rubric((RubricItem("System Design", "", 100),), 10), SEGMENTS)
    assert len(server.requests) == 3
    # Each retry shows only the latest bad reply, so the prompt does not grow.
    assert [len(_messages(r.body)) for r in server.requests] == [2, 4, 4]


async def test_server_errors_are_retried_then_raise(server: LlmServer) -> None:
    server.reset(Script(mode="error", status=500, error_message="model crashed"))
    async with _client(server) as llm:
        with pytest.raises(
            ScoringError, match=r"'Reliability' failed after 2 attempt\(s\): HTTP 500.*crashed"
        ):
            await _scorer(llm, retries=1).score(Rubric((RubricItem("Reliability", "", 100),), 10), SEGMENTS)
    assert len(server.requests) == 2


async def test_a_server_error_then_a_good_reply_succeeds(server: LlmServer) -> None:
    replies = iter([Script(mode="error", status=503), _script(_answer(3, "Weak."))])
    lock = threading.Lock()

    def respond(body: dict[str, Any]) -> Script:
        with lock:
            return next(replies)

    server.reset(responder=respond)
    async with _client(server) as llm:
        [score] = await _scorer(llm).score(Rubric((RubricItem("Reliability", "", 100),), 10), SEGMENTS)
    assert score == DimensionScore("Reliability", 3, "Weak.")
    first, second = (_messages(r.body) for r in server.requests)
    assert first == second  # nothing to correct: the same request again


async def test_the_per_call_timeout_counts_as_a_failed_attempt(server: LlmServer) -> None:
    server.reset(_script(_answer(5, "Late."), first_token_delay_s=1.5))
    async with _client(server) as llm:
        with pytest.raises(ScoringError, match=r"timed out after 0\.2 s"):
            await _scorer(llm, retries=1, timeout_s=0.2).score(
                Rubric((RubricItem("Reliability", "", 100),), 10), SEGMENTS
            )
    assert len(server.requests) == 2


async def test_one_failed_dimension_fails_the_scoring(server: LlmServer) -> None:
    good = _script(_answer(6, "Fine."))
    server.reset(
        responder=_per_dimension(
            {"System Design": good, "Reliability": Script(tokens=["no json"]), "Communication": good}
        )
    )
    async with _client(server) as llm:
        with pytest.raises(ScoringError, match="'Reliability'"):
            await _scorer(llm).score(RUBRIC, SEGMENTS)


async def test_the_request_carries_the_rubric_and_the_transcript(server: LlmServer) -> None:
    server.reset(_script(_answer(5, "Average.")))
    async with _client(server) as llm:
        await _scorer(llm).score(RUBRIC, SEGMENTS)
    bodies = {_dimension(r.body): r.body for r in server.requests}
    assert sorted(bodies) == sorted(NAMES)
    body = bodies["System Design"]
    assert body["model"] == "scorer"
    assert body["stream"] is True
    system, user = _messages(body)
    assert system["role"] == "system"
    prompt = system["content"]
    for expected in (
        "impartial interview assessor",
        "Scale: 0 to 10",
        'Dimension: "System Design" (weight 50% of the overall rating)',
        "Sound architecture and trade-offs.",
        "Can they run our payments backend?",
        "PostgreSQL; Distributed systems",
        "Ownership",
        "Designs an idempotent payment API.",
        "- Tell me about a system you designed. / Walk me through a design of yours. (skill: Distributed systems)",
        "- 10 of 10 (top): " + anchors(RUBRIC, RUBRIC.items[0])[2],
        "- 6 of 10 (middle): " + anchors(RUBRIC, RUBRIC.items[0])[1],
        "- 2 of 10 (low): " + anchors(RUBRIC, RUBRIC.items[0])[0],
        "judge only what the candidate said",
        "verbatim from the candidate's segments",
        REPLY_FORMAT,
    ):
        assert expected in prompt, expected
    assert "How did you handle failures" not in prompt  # another dimension's question
    assert "Reliability" not in prompt
    assert user == {
        "role": "user",
        "content": "\n".join(
            [
                "[seg-1] interviewer (0.0-5.5 s): Welcome! Tell me about a system you designed.",
                "[seg-2] candidate (6.0-21.5 s): I designed the payments ledger at Acme. We used PostgreSQL "
                "with idempotency keys, so retries never double-charged anyone.",
                "[seg-3] interviewer (22.0-26.0 s): How did you handle failures between services?",
                "[seg-4] candidate (26.5-44.0 s): We used an outbox table and a relay; consumers were "
                "idempotent. Honestly, I \u201cowned\u201d the on-call rota too.",
                "[seg-5] candidate (45.0-52.2 s): I explained the trade-offs to the product team in plain words.",
            ]
        ),
    }
    communication = _messages(bodies["Communication"])[0]["content"]
    assert "weight 20%" in communication
    assert "Questions planned" not in communication  # none were planned for it


async def test_anchors_follow_the_scale(server: LlmServer) -> None:
    server.reset(_script(_answer(3.5, "Fair.")))
    async with _client(server) as llm:
        [score] = await _scorer(llm).score(Rubric((RubricItem("Reliability", "", 100),), 5), SEGMENTS)
    # 3.5 is above the midpoint of 0..5, and no quote backs it.
    assert score == DimensionScore("Reliability", 3.5, "Fair. (no verifiable quote)")
    prompt = _messages(server.requests[0].body)[0]["content"]
    assert "Scale: 0 to 5," in prompt
    assert "- 1 of 5 (low): " in prompt
    assert "- 3 of 5 (middle): " in prompt
    assert "- 5 of 5 (top): " in prompt


async def test_dimensions_run_concurrently_but_at_most_two_at_a_time(server: LlmServer) -> None:
    names = ["Design", "Reliability", "Communication", "Ownership", "Security"]
    rubric = Rubric(tuple(RubricItem(name, "", 20) for name in names), 100)
    server.reset(
        responder=lambda body: _script(
            _answer(10 * (names.index(_dimension(body)) + 1), "Ok."), first_token_delay_s=0.05
        )
    )
    in_flight = peak = 0
    async with _client(server) as llm:

        async def complete(messages: list[ChatMessage]) -> str:
            nonlocal in_flight, peak
            in_flight += 1
            peak = max(peak, in_flight)
            try:
                return await llm.reply(messages)
            finally:
                in_flight -= 1

        scores = await LlmScorer(complete).score(rubric, SEGMENTS)
    assert [(s.name, s.score) for s in scores] == [(name, 10 * (i + 1)) for i, name in enumerate(names)]
    assert _requested(server) == sorted(names)
    assert 1 <= peak <= 2


@pytest.mark.parametrize(
    "transcript",
    [
        (),
        (SEGMENTS[0], SEGMENTS[2]),
        (Segment("seg-9", "candidate", 1.0, 2.0, "   "), SEGMENTS[0]),
    ],
    ids=["empty", "interviewer-only", "blank-candidate"],
)
async def test_no_candidate_speech_raises_without_a_request(
    server: LlmServer, transcript: tuple[Segment, ...]
) -> None:
    async with _client(server) as llm:
        with pytest.raises(ScoringError, match="no candidate speech"):
            await _scorer(llm).score(RUBRIC, transcript)
    assert server.requests == []


async def test_a_long_rationale_is_cut_rather_than_retried(server: LlmServer) -> None:
    server.reset(_script(_answer(2, "word " * 200)))
    async with _client(server) as llm:
        [score] = await _scorer(llm).score(Rubric((RubricItem("Reliability", "", 100),), 10), SEGMENTS)
    assert len(score.rationale) == 400
    assert score.rationale.endswith("\u2026")
    assert len(server.requests) == 1


@pytest.mark.parametrize(
    "options",
    [{"retries": -1}, {"timeout_s": 0}, {"retry_delay_s": -1}, {"concurrency": 0}, {"samples": 0}],
)
def test_invalid_options_are_rejected(options: dict[str, Any]) -> None:
    async def complete(messages: list[ChatMessage]) -> str:
        return ""

    with pytest.raises(ValueError, match=next(iter(options))):
        LlmScorer(complete, **options)


# --- anchored levels, quotes first, abstention, samples, whole-word quotes


def test_anchors_describe_this_dimension_and_differ_per_dimension() -> None:
    design, reliability, communication = (anchors(RUBRIC, item) for item in RUBRIC.items)
    for levels, description in (
        (design, "sound architecture and trade-offs"),
        (reliability, "handles failure, retries and on-call"),
        (communication, "explains clearly to any audience"),
    ):
        low, middle, top = levels
        assert len({low, middle, top}) == 3
        for level in levels:
            assert description in level.casefold(), (description, level)
    assert len({design, reliability, communication}) == 3
    low, middle, top = design
    assert "System Design" in top
    assert "concrete example of their own" in top
    assert "measurable outcome" in top
    assert "Distributed systems" in top  # the skill its planned question probes
    assert "Designs an idempotent payment API" in top  # the pass criteria
    assert "generic or only partly concrete" in middle
    assert "repeats an earlier answer" in low
    assert "Distributed systems" not in anchors(RUBRIC, RUBRIC.items[2])[2]  # not Communication's skill
    assert anchors(RUBRIC, RUBRIC.items[0]) == design  # deterministic


def test_anchors_pick_up_related_traits_and_the_objective() -> None:
    ownership = RubricItem("Ownership", "Takes ownership of outcomes.", 100)
    rubric = Rubric((ownership,), 10, skills=("Kafka",), traits=("Ownership", "Curiosity"), objective="Hire?")
    _, middle, top = anchors(rubric, ownership)
    assert "shows Ownership in what they did" in top
    assert "Curiosity" not in top
    assert "Kafka" not in top + middle  # a skill that shares no word with the dimension
    assert "objective (Hire?)" in top  # no pass criteria: the objective instead
    bare = anchors(Rubric((RubricItem("Grit", "", 100),), 10), RubricItem("Grit", "", 100))
    assert all('"Grit"' in level for level in bare)


async def test_the_prompt_asks_for_quotes_before_the_score_and_discounts_surface_features(
    server: LlmServer,
) -> None:
    server.reset(_script(_answer(5, "Average.")))
    async with _client(server) as llm:
        await _scorer(llm).score(Rubric((RubricItem("Reliability", "Handles failure.", 100),), 10), SEGMENTS)
    prompt = _messages(server.requests[0].body)[0]["content"]
    assert REPLY_FORMAT in prompt
    assert (
        REPLY_FORMAT.index('"evidence"') < REPLY_FORMAT.index('"rationale"') < REPLY_FORMAT.index('"score"')
    )
    assert '"insufficient_evidence"' in REPLY_FORMAT
    assert prompt.index("copy into evidence the quotes") < prompt.index("then decide the score")
    for rule in (
        "length, jargon, tool names, numbers and a confident tone earn nothing by themselves",
        "repeated or reworded from another question earns nothing new",
        "off-topic answer scores low however long",
        "Technical correctness matters",
        '"insufficient_evidence": true and "score": null',
    ):
        assert rule in prompt, rule


async def test_an_abstention_is_insufficient_evidence_not_a_score(server: LlmServer) -> None:
    server.reset(_script(_abstain("Reliability was never asked about.")))
    async with _client(server) as llm:
        [score] = await _scorer(llm).score(Rubric((RubricItem("Reliability", "", 100),), 10), SEGMENTS)
    assert score == DimensionScore.insufficient("Reliability", "Reliability was never asked about.")
    assert score.score is None
    assert score.status == INSUFFICIENT_EVIDENCE
    assert score.evidence == ()
    assert len(server.requests) == 1


async def test_a_null_score_without_the_flag_is_corrected(server: LlmServer) -> None:
    bad = '{"evidence": [], "rationale": "Hard to say.", "score": null}'
    server.reset(responder=_in_turn(_script(bad), _script(_abstain("Too little said on it."))))
    async with _client(server) as llm:
        [score] = await _scorer(llm).score(Rubric((RubricItem("Reliability", "", 100),), 10), SEGMENTS)
    assert score == DimensionScore.insufficient("Reliability", "Too little said on it.")
    first, second = (_messages(r.body) for r in server.requests)
    assert second[:2] == first
    assert second[2] == {"role": "assistant", "content": bad}
    assert "insufficient_evidence is not true" in second[3]["content"]


async def test_samples_keep_the_median_and_its_evidence(server: LlmServer) -> None:
    server.reset(
        responder=_in_turn(
            _script(_answer(4, "Four.", [("seg-2", "payments ledger")])),
            _script(_answer(9, "Nine.", [("seg-4", "an outbox table")])),
            _script(_answer(6, "Six.", [("seg-4", "consumers were idempotent")])),
        )
    )
    async with _client(server) as llm:
        [score] = await _scorer(llm, samples=3).score(
            Rubric((RubricItem("Reliability", "", 100),), 10), SEGMENTS
        )
    assert score == DimensionScore(
        "Reliability",
        6,
        "Six. (median of 3 samples: 4, 6, 9)",
        (Evidence("seg-4", 26.5, 44.0, "consumers were idempotent"),),
    )
    bodies = [r.body for r in server.requests]
    assert len(bodies) == 3
    assert bodies[0] == bodies[1] == bodies[2]  # independent requests, the same prompt


async def test_samples_tied_around_the_median_share_their_evidence(server: LlmServer) -> None:
    server.reset(
        responder=_in_turn(
            _script(_abstain("Barely touched on.")),
            _script(_answer(4, "Some.", [("seg-2", "payments ledger")])),
            _script(_answer(8, "More.", [("seg-4", "an outbox table"), ("seg-2", "payments ledger")])),
        )
    )
    async with _client(server) as llm:
        [score] = await _scorer(llm, samples=3).score(
            Rubric((RubricItem("Reliability", "", 100),), 10), SEGMENTS
        )
    assert score.score == 6
    assert score.rationale == "Some. (median of 2 samples: 4, 8; 1 found too little evidence)"
    assert score.evidence == (
        Evidence("seg-2", 6.0, 21.5, "payments ledger"),
        Evidence("seg-4", 26.5, 44.0, "an outbox table"),
    )


async def test_most_samples_abstaining_make_the_dimension_insufficient(server: LlmServer) -> None:
    server.reset(
        responder=_in_turn(
            _script(_abstain("Not asked.")),
            _script(_answer(7, "Good.", [("seg-4", "an outbox table")])),
            _script(_abstain("Only one sentence on it.")),
        )
    )
    async with _client(server) as llm:
        [score] = await _scorer(llm, samples=3).score(
            Rubric((RubricItem("Reliability", "", 100),), 10), SEGMENTS
        )
    assert score.status == INSUFFICIENT_EVIDENCE
    assert score.score is None
    assert score.rationale == "Not asked. (2 of 3 samples found too little evidence)"


async def test_a_failed_sample_is_left_out_and_all_failing_raises(server: LlmServer) -> None:
    rubric = Rubric((RubricItem("Reliability", "", 100),), 10)
    server.reset(
        responder=_in_turn(
            Script(mode="error", status=500, error_message="model crashed"),
            _script(_answer(5, "Five.")),
            _script(_answer(7, "Seven.", [("seg-4", "an outbox table")])),
        )
    )
    async with _client(server) as llm:
        [score] = await _scorer(llm, samples=3, retries=0).score(rubric, SEGMENTS)
    assert score.score == 6
    assert "(median of 2 samples: 5, 7; 1 failed)" in score.rationale
    server.reset(Script(mode="error", status=500, error_message="model crashed"))
    async with _client(server) as llm:
        with pytest.raises(ScoringError, match=r"'Reliability' failed after 1 attempt\(s\): HTTP 500"):
            await _scorer(llm, samples=3, retries=0).score(rubric, SEGMENTS)
    assert len(server.requests) == 3


async def test_samples_share_the_concurrency_limit(server: LlmServer) -> None:
    rubric = Rubric((RubricItem("Design", "", 50), RubricItem("Reliability", "", 50)), 10)
    server.reset(_script(_answer(5, "Ok."), first_token_delay_s=0.05))
    in_flight = peak = 0
    async with _client(server) as llm:

        async def complete(messages: list[ChatMessage]) -> str:
            nonlocal in_flight, peak
            in_flight += 1
            peak = max(peak, in_flight)
            try:
                return await llm.reply(messages)
            finally:
                in_flight -= 1

        scores = await LlmScorer(complete, samples=3).score(rubric, SEGMENTS)
    assert [s.score for s in scores] == [5, 5]
    assert _requested(server) == ["Design"] * 3 + ["Reliability"] * 3
    assert peak == 2


async def test_quotes_are_widened_to_whole_words(server: LlmServer) -> None:
    said = Segment(
        "seg-7", "candidate", 60.0, 70.0, "We didn't lose a payment; Acme's ledger stayed consistent."
    )
    evidence = [
        ("seg-2", "dempotency ke"),  # starts and ends inside words
        ("seg-7", "idn't lose a paym"),  # an apostrophe inside a word
        ("seg-7", "me's ledger"),
        ("seg-7", "stayed consistent."),  # already whole words
    ]
    server.reset(_script(_answer(7, "Concrete.", evidence)))
    async with _client(server) as llm:
        [score] = await _scorer(llm).score(
            Rubric((RubricItem("Reliability", "", 100),), 10), (*SEGMENTS, said)
        )
    assert score.evidence == (
        Evidence("seg-2", 6.0, 21.5, "idempotency keys"),
        Evidence("seg-7", 60.0, 70.0, "didn't lose a payment"),
        Evidence("seg-7", 60.0, 70.0, "Acme's ledger"),
        Evidence("seg-7", 60.0, 70.0, "stayed consistent"),
    )
    assert score.rationale == "Concrete."
