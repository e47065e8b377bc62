"""SentenceSplitter: table-driven cases, and the same sentences wherever the token boundaries fall."""

from __future__ import annotations

import pytest

from llm.sentences import SentenceSplitter, split_sentences

CASES: list[tuple[str, list[str]]] = [
    ("", []),
    ("   ", []),
    ("Hello there.", ["Hello there."]),
    ("Hello there. How are you?", ["Hello there.", "How are you?"]),
    ("Great! Next question: why?", ["Great!", "Next question: why?"]),
    ("Really?! Tell me more.", ["Really?!", "Tell me more."]),
    ("No trailing punctuation", ["No trailing punctuation"]),
    ("Use tools, e.g. Python or Go. Which one?", ["Use tools, e.g. Python or Go.", "Which one?"]),
    ("Use tools, e.g., Python. Right?", ["Use tools, e.g., Python.", "Right?"]),
    ("I spoke to Dr. Smith yesterday. Fine.", ["I spoke to Dr. Smith yesterday.", "Fine."]),
    ("She moved to the U.S. in 2010. Then?", ["She moved to the U.S. in 2010.", "Then?"]),
    ("It took 3.5 hours. Why?", ["It took 3.5 hours.", "Why?"]),
    ("See example.com for it. Ok.", ["See example.com for it.", "Ok."]),
    ("Well... maybe not. Go on.", ["Well... maybe not.", "Go on."]),
    ("Well... Let us move on.", ["Well...", "Let us move on."]),
    ("Hmm… okay then. Next.", ["Hmm… okay then.", "Next."]),
    ("Python, Java, etc. Which one?", ["Python, Java, etc.", "Which one?"]),
    ("Python, Java, etc. and more.", ["Python, Java, etc. and more."]),
    ('He said "stop." Then he left.', ['He said "stop."', "Then he left."]),
    ("(That is fine.) Go ahead.", ["(That is fine.)", "Go ahead."]),
    ("First line\nSecond line.", ["First line", "Second line."]),
    ("Hello.\n\nBye.", ["Hello.", "Bye."]),
    ("Spaces   inside   collapse.  Yes.", ["Spaces inside collapse.", "Yes."]),
    ("No. That is not it.", ["No.", "That is not it."]),
    ("Meet at 5 p.m. tomorrow. Ok?", ["Meet at 5 p.m. tomorrow.", "Ok?"]),
    ("... ?! Hi.", ["Hi."]),
]

LONG = (
    "When you think about the system you built at your last company, the one that handled payments "
    "for millions of users across several regions, with all the failure modes that implies and the "
    "on-call rotation you mentioned earlier, what would you change today and why"
)
NO_COMMAS = " ".join(["word"] * 120) + "."


def _every_split(text: str) -> list[list[str]]:
    """The tokenisations to check: whole, char by char, and two tokens split at every position."""
    return [[text], list(text)] + [[text[:i], text[i:]] for i in range(1, len(text))]


def _run(tokens: list[str], **kwargs: int) -> list[str]:
    splitter = SentenceSplitter(**kwargs)
    out: list[str] = []
    for token in tokens:
        out.extend(splitter.feed(token))
    return out + splitter.flush()


@pytest.mark.parametrize(("text", "expected"), CASES)
def test_sentences_table(text: str, expected: list[str]) -> None:
    assert split_sentences(text) == expected


@pytest.mark.parametrize(("text", "expected"), CASES)
def test_any_token_boundaries_give_same_sentences(text: str, expected: list[str]) -> None:
    for tokens in _every_split(text):
        assert _run(tokens) == expected, tokens


def test_sentence_is_returned_as_soon_as_its_end_is_certain() -> None:
    splitter = SentenceSplitter()
    assert splitter.feed("Hello there") == []
    assert splitter.feed(".") == []  # could still be "there.com" or "there..."
    assert splitter.feed(" How") == ["Hello there."]
    assert splitter.feed(" are you?") == []
    assert splitter.feed("\n") == ["How are you?"]
    assert splitter.flush() == []


def test_ellipsis_waits_for_the_next_word() -> None:
    splitter = SentenceSplitter()
    assert splitter.feed("Well... ") == []
    assert splitter.feed("Right.") == ["Well..."]
    assert splitter.flush() == ["Right."]


def test_long_clause_is_cut_at_its_last_comma_within_the_limit() -> None:
    sentences = split_sentences(LONG + "?")
    assert len(sentences) > 1
    assert all(len(s) <= 200 for s in sentences[:-1])
    assert sentences[0].endswith(",")
    assert " ".join(sentences) == LONG + "?"
    # Emitted as soon as 200 characters are in, before the sentence ends.
    splitter = SentenceSplitter()
    emitted = splitter.feed(LONG[:201])
    assert emitted == [sentences[0]]


def test_very_long_run_without_commas_is_cut_at_a_space() -> None:
    sentences = split_sentences(NO_COMMAS)
    assert len(sentences) == 2
    assert len(sentences[0]) <= 400
    assert " ".join(sentences) == NO_COMMAS


@pytest.mark.parametrize("text", [LONG, NO_COMMAS, LONG + ". " + LONG + "!"])
def test_long_texts_split_the_same_at_any_token_boundary(text: str) -> None:
    expected = split_sentences(text)
    for tokens in _every_split(text)[::7]:
        assert _run(tokens) == expected, tokens
    for size in (2, 3, 5, 11):
        assert _run([text[i : i + size] for i in range(0, len(text), size)]) == expected


def test_custom_limits_and_validation() -> None:
    assert split_sentences("aaa, bbb, ccc, ddd", max_chars=8) == ["aaa,", "bbb,", "ccc, ddd"]
    with pytest.raises(ValueError, match="max_chars"):
        SentenceSplitter(max_chars=10, hard_limit_chars=5)


def test_splitter_is_reusable_after_flush() -> None:
    splitter = SentenceSplitter()
    splitter.feed("One. Two")
    assert splitter.flush() == ["Two"]
    assert splitter.pending == ""
    assert splitter.feed("Three. ") == ["Three."]
