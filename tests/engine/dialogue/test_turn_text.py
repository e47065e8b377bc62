"""The turn taker's text heuristics: finished-looking answers, requests, backchannels, echoes."""

from __future__ import annotations

import pytest

from engine.dialogue.turn_text import detect_request, echo_similarity, is_backchannel, looks_complete

QUESTION = "Tell me about a project where you had to design a database schema from scratch."


@pytest.mark.parametrize(
    ("text", "complete"),
    [
        ("I used PostgreSQL.", True),
        ("Yes.", True),
        ("Why would you do that?", True),
        ("That was great!", True),
        ("I would pick the second option", True),
        ("We used Redis and", False),
        ("We used Redis and.", False),
        ("I chose it because", False),
        ("so um", False),
        ("It was, uh", False),
        ("I went with the", False),
        ("I wanted to", False),
        ("We started with", False),
        ("It depends on the kind of", False),
        ("It was like", False),
        ("First,", False),
        ("I think...", False),
        ("I think\u2026", False),
        ("Well -", False),
        ("yes", False),
        ("sure thing", False),
        ("", False),
        ("   ", False),
        ("...", False),
    ],
)
def test_looks_complete(text: str, complete: bool) -> None:
    assert looks_complete(text) is complete


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Could you repeat the question?", "repeat"),
        ("Sorry, can you say that again?", "repeat"),
        ("What was the question?", "repeat"),
        ("Sorry, I didn\u2019t catch that.", "repeat"),
        ("Come again?", "repeat"),
        ("What did you just say?", "repeat"),
        ("Can you rephrase that?", "rephrase"),
        ("Could you put it another way?", "rephrase"),
        ("I don't understand the question.", "rephrase"),
        ("I don't really understand what you're asking.", "rephrase"),
        ("What do you mean?", "rephrase"),
        ("Could you repeat or rephrase it?", "rephrase"),
        ("I don't understand, could you say it again?", "repeat"),
        ("I used PostgreSQL with a normalised schema.", None),
        ("Okay.", None),
        ("", None),
        (
            "We had to repeat the load test several times because the first runs were noisy and the "
            "numbers did not line up with what we saw in production at all.",
            None,
        ),
    ],
)
def test_detect_request(text: str, expected: str | None) -> None:
    assert detect_request(text) == expected


@pytest.mark.parametrize(
    ("text", "backchannel"),
    [
        ("mm-hmm", True),
        ("Mm hmm.", True),
        ("Uh-huh.", True),
        ("Okay, okay.", True),
        ("yeah, right", True),
        ("Got it.", True),
        ("got", False),
        ("okay so I think", False),
        ("yes, I did", False),
        ("", False),
    ],
)
def test_is_backchannel(text: str, backchannel: bool) -> None:
    assert is_backchannel(text) is backchannel


def test_echo_similarity() -> None:
    assert echo_similarity("design a database schema", QUESTION) == 1.0
    assert echo_similarity("", QUESTION) == 0.0
    assert echo_similarity("banana", QUESTION) == 0.0
    # Multiplicity counts: QUESTION has one "a"... and one "to".
    assert echo_similarity("to to", QUESTION) == pytest.approx(0.5)
