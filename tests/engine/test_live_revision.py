"""The whole-answer pass: utterances grouped into answers, transcribed again in one pass, and the words
given back to the live segments they were spoken in, or the live text kept when the pass cannot help."""

from __future__ import annotations

import asyncio

import numpy as np
import pytest

from engine.live.revision import CONTEXT_GAP_S, Answer, Heard, Said, assign_words, revise
from media.asr import Recognition, TimedTranscript, TimedWord
from media.audio import SAMPLE_RATE


def timed(*words: tuple[str, float, float]) -> TimedTranscript:
    text = " ".join(w for w, _, _ in words)
    return TimedTranscript(Recognition(text, 0.8, 5.0, 0.1), tuple(TimedWord(w, s, e) for w, s, e in words))


def done(heard: Heard) -> asyncio.Task[Heard]:
    async def value() -> Heard:
        return heard

    return asyncio.get_running_loop().create_task(value())


def tone(seconds: float, level: int) -> bytes:
    return np.full(round(seconds * SAMPLE_RATE), level, dtype="<i2").tobytes()


class Recorder:
    def __init__(self, result: TimedTranscript | None) -> None:
        self.result = result
        self.audio: list[bytes] = []
        self.stored: list[tuple[dict[str, str], float]] = []

    async def transcribe(self, audio: bytes) -> TimedTranscript | None:
        self.audio.append(audio)
        return self.result

    async def store(self, texts: dict[str, str], confidence: float) -> None:
        self.stored.append((texts, confidence))


def test_words_go_to_the_segment_they_were_spoken_in() -> None:
    revised = timed(
        ("I", 0.1, 0.2), ("built", 0.3, 0.6), ("it", 2.0, 2.1), ("then", 2.9, 3.1), ("shipped", 3.2, 3.6)
    )
    # Segments start at 0 s and 3.0 s; "then" (middle 3.0 s) belongs to the second.
    assert assign_words(revised, [0.0, 3.0]) == ["I built it", "then shipped"]
    assert assign_words(revised, [0.0]) == ["I built it then shipped"]


def test_a_short_segment_left_without_words_takes_the_nearest_boundary_word() -> None:
    # Whisper put "then" (middle 4.05 s) just after the third segment's start: the second (3.0-4.0 s)
    # would be empty and the whole pass thrown away. It takes that boundary word instead.
    revised = timed(
        ("I", 0.1, 0.2), ("built", 0.3, 0.6), ("it", 2.0, 2.95), ("then", 4.0, 4.1), ("shipped", 4.2, 4.6)
    )
    assert assign_words(revised, [0.0, 3.0, 4.0]) == ["I built it", "then", "shipped"]
    # Nothing to borrow (each neighbour has one word, or the nearest word is over 0.5 s away: the pass
    # probably missed the segment): it stays empty and revise() keeps the live text.
    assert assign_words(timed(("a", 0.1, 0.2), ("b", 4.2, 4.3)), [0.0, 3.0, 4.0]) == ["a", "", "b"]
    far = timed(("a", 0.1, 0.2), ("b", 0.3, 0.4), ("c", 4.7, 4.8), ("d", 4.9, 5.0))
    assert assign_words(far, [0.0, 3.0, 4.0]) == ["a b", "", "c d"]


async def test_utterances_close_together_are_one_answer() -> None:
    answer = Answer()
    first = Said(1.0, 2.0, b"", done(Heard("a", "s1")))
    second = Said(2.5, 4.0, b"", done(Heard("b", "s2")))
    assert answer.previous_final(first.start) is None
    assert answer.add(first) == []
    assert answer.previous_final(second.start) is first.final
    assert answer.add(second) == []
    later = 4.0 + CONTEXT_GAP_S + 0.1
    assert answer.previous_final(later) is None
    third = Said(later, later + 1, b"", done(Heard("c", "s3")))
    assert answer.add(third) == [first, second]
    assert answer.close() == [third]
    assert answer.close() == []


async def test_an_answer_is_transcribed_again_and_its_segments_get_the_better_words() -> None:
    said = [
        Said(10.0, 11.0, tone(1.2, 1000), done(Heard("this is a mistake of", "s1"))),
        Said(11.5, 13.0, tone(1.7, 2000), done(Heard("the purpose", "s2"))),
    ]
    fake = Recorder(timed(("this", 0.1, 0.2), ("is", 0.3, 0.4), ("the", 0.5, 0.6), ("acoustic", 0.7, 1.0),
                          ("corpus", 1.6, 2.0), ("indeed", 2.2, 2.6)))  # fmt: skip
    assert await revise(said, fake.transcribe, fake.store)
    assert fake.stored == [({"s1": "this is the acoustic", "s2": "corpus indeed"}, 0.8)]
    # One stretch of audio: each utterance where it was spoken, silence between.
    (audio,) = fake.audio
    samples = np.frombuffer(audio, "<i2")
    assert len(samples) == round(3.2 * SAMPLE_RATE)
    assert samples[0] == 1000
    assert samples[round(1.3 * SAMPLE_RATE)] == 0
    assert samples[round(1.6 * SAMPLE_RATE)] == 2000


@pytest.mark.parametrize(
    ("result", "why"),
    [
        (timed(("only", 0.1, 0.3)), "fewer words than the live text"),
        (
            timed(("all", 0.1, 0.2), ("in", 0.3, 0.4), ("the", 0.5, 0.6), ("first", 0.7, 0.9)),
            "a segment left empty",
        ),
        (None, "the recogniser cannot revise"),
    ],
)
async def test_the_live_text_stays_when_the_pass_cannot_help(
    result: TimedTranscript | None, why: str
) -> None:
    said = [
        Said(0.0, 1.0, tone(1.0, 1000), done(Heard("one two", "s1"))),
        Said(1.5, 3.0, tone(1.5, 1000), done(Heard("three", "s2"))),
    ]
    fake = Recorder(result)
    assert not await revise(said, fake.transcribe, fake.store), why
    assert fake.stored == []


async def test_one_utterance_or_nothing_stored_is_left_alone() -> None:
    fake = Recorder(timed(("hello", 0.1, 0.3)))
    assert not await revise(
        [Said(0.0, 1.0, tone(1.0, 1), done(Heard("hello", "s1")))], fake.transcribe, fake.store
    )
    silent = [Said(0.0, 1.0, b"", done(Heard("", None))), Said(1.5, 2.0, b"", done(Heard("", None)))]
    assert not await revise(silent, fake.transcribe, fake.store)
    assert fake.audio == []


async def test_one_utterance_heard_in_a_hurry_is_heard_again_whole() -> None:
    # Its final was decoded in a burst's shorter window (Recognition.hurried): the pass runs for it too.
    fake = Recorder(timed(("I", 0.1, 0.2), ("shipped", 0.3, 0.6), ("it", 0.7, 0.8)))
    said = [Said(0.0, 1.0, tone(1.0, 1), done(Heard("I ship tit", "s1", hurried=True)))]
    assert await revise(said, fake.transcribe, fake.store)
    assert len(fake.audio) == 1
    assert fake.stored == [({"s1": "I shipped it"}, 0.8)]
    # The same rules as any pass: fewer words than the live text leaves it alone.
    short = Recorder(timed(("I", 0.1, 0.2)))
    said = [Said(0.0, 1.0, tone(1.0, 1), done(Heard("I shipped it", "s1", hurried=True)))]
    assert not await revise(said, short.transcribe, short.store)
    assert short.stored == []
