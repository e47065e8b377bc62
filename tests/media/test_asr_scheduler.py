"""AsrScheduler with a fake recognizer: priorities, coalescing, shedding, batching, cancellation, errors,
shutdown. The fake blocks on a threading.Event so what is queued behind a busy lane is deterministic."""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Iterator, Sequence

import numpy as np
import pytest

from media.asr import FloatAudio, Recognition, TimedTranscript
from media.asr_scheduler import JOB_KINDS, AsrScheduler, AsrSchedulerClosed


def utterance(label: int, seconds: float = 0.5) -> FloatAudio:
    """Audio whose first sample carries `label`, so the fake can tell utterances apart."""
    audio = np.zeros(int(16_000 * seconds), np.float32)
    audio[0] = label / 1000
    return audio


def label_of(audio: FloatAudio) -> int:
    return round(float(audio[0]) * 1000)


class Boom(RuntimeError):
    pass


class FakeRecognizer:
    """Records each batch (as labels); the first `blocked` calls wait for `gate`. Label 666 raises Boom."""

    def __init__(self, *, blocked: int = 0, max_batch: int | None = None) -> None:
        self.batches: list[list[int]] = []
        self.prompts: list[list[str] | None] = []
        self.threads: set[str] = set()
        # Set (through the loop) once a call has started: lets a test wait without blocking the loop.
        self.entered = asyncio.Event()
        try:
            self._loop: asyncio.AbstractEventLoop | None = asyncio.get_running_loop()
        except RuntimeError:  # built by a factory in a worker thread
            self._loop = None
        self.gate = threading.Event()
        self._blocked = blocked
        self._lock = threading.Lock()
        if max_batch is not None:
            self.max_batch = max_batch

    def transcribe_batch(
        self, audios: Sequence[FloatAudio], prompts: Sequence[str] | None = None
    ) -> list[Recognition]:
        labels = [label_of(audio) for audio in audios]
        with self._lock:
            self.batches.append(labels)
            self.prompts.append(list(prompts) if prompts is not None else None)
            self.threads.add(threading.current_thread().name)
            block = self._blocked > 0
            self._blocked -= 1
        if self._loop is not None:
            self._loop.call_soon_threadsafe(self.entered.set)
        if block:
            assert self.gate.wait(5), "test never opened the gate"
        if 666 in labels:
            raise Boom("recognizer failed")
        return [
            Recognition(f"u{label}", 0.9, len(audio) / 16_000, 0.01)
            for label, audio in zip(labels, audios, strict=True)
        ]


async def started(fake: FakeRecognizer) -> None:
    """Wait until the fake is inside a call (the lane is busy)."""
    await asyncio.wait_for(fake.entered.wait(), 5)


async def settle() -> None:
    """Let every ready task run until it blocks again."""
    for _ in range(5):
        await asyncio.sleep(0)


def text(result: Recognition | None) -> str | None:
    return None if result is None else result.text


@pytest.fixture(autouse=True)
def no_leaked_threads() -> Iterator[None]:
    before = set(threading.enumerate())
    yield
    leaked = [t for t in threading.enumerate() if t not in before and t.is_alive()]
    assert not leaked, f"threads left running: {leaked}"


def assert_no_other_tasks() -> None:
    assert asyncio.all_tasks() == {asyncio.current_task()}


async def test_final_round_trip_and_stats() -> None:
    fake = FakeRecognizer()
    async with AsrScheduler(lambda: fake) as asr:
        result = await asr.final(utterance(1, seconds=2.0))
        pcm_result = await asr.final(np.zeros(1600, "<i2").tobytes())  # int16 PCM bytes are accepted too
        stats = asr.stats()
    assert result == Recognition("u1", 0.9, 2.0, 0.01)
    assert pcm_result.text == "u0"
    assert fake.prompts == [[""], [""]]
    assert (stats.finals, stats.partials, stats.batches, stats.failed_batches) == (2, 0, 2, 0)
    assert stats.audio_s == pytest.approx(2.1)
    assert stats.compute_s == pytest.approx(0.02)
    assert (stats.dropped_partials, stats.queued_finals, stats.queued_partials, stats.in_flight) == (
        0,
        0,
        0,
        0,
    )
    assert stats.jobs == 2
    assert stats.busy_s > 0
    assert stats.real_time_factor == pytest.approx(0.02 / 2.1)
    assert all(name.startswith("asr-lane") for name in fake.threads)
    assert_no_other_tasks()


async def test_a_final_carries_its_prompt_to_the_recognizer() -> None:
    fake = FakeRecognizer(blocked=1)
    async with AsrScheduler(lambda: fake, max_batch=8) as asr:
        first = asyncio.ensure_future(asr.final(utterance(1)))
        await started(fake)
        # Queued while the lane is busy, so the next two go in one batch, each with its own prompt.
        second = asyncio.ensure_future(asr.final(utterance(2), prompt="what came before"))
        third = asyncio.ensure_future(asr.final(utterance(3)))
        await asyncio.sleep(0.01)
        fake.gate.set()
        await asyncio.gather(first, second, third)
    assert fake.batches == [[1], [2, 3]]
    assert fake.prompts == [[""], ["what came before", ""]]


async def test_finals_go_first_and_new_partials_are_shed_while_finals_wait() -> None:
    fake = FakeRecognizer(blocked=1)
    async with AsrScheduler(lambda: fake, max_batch=8) as asr:
        busy = asyncio.create_task(asr.final(utterance(1)))
        await started(fake)  # the lane is now stuck in batch [1]
        partials = [
            asyncio.create_task(asr.partial(key, utterance(label))) for key, label in (("a", 10), ("b", 20))
        ]
        await settle()
        finals = [asyncio.create_task(asr.final(utterance(label))) for label in (2, 3)]
        await settle()
        shed = await asr.partial("c", utterance(30))  # finals are waiting: answered None at once
        assert shed is None
        assert asr.stats().queued_finals == 2
        assert asr.stats().queued_partials == 2
        fake.gate.set()
        assert [text(r) for r in await asyncio.gather(busy, *finals, *partials)] == [
            "u1",
            "u2",
            "u3",
            "u10",
            "u20",
        ]
        assert asr.stats().dropped_partials == 1
    assert fake.batches == [[1], [2, 3], [10, 20]]


async def test_newer_partial_replaces_the_queued_one_for_its_key() -> None:
    fake = FakeRecognizer(blocked=1)
    async with AsrScheduler(lambda: fake) as asr:
        busy = asyncio.create_task(asr.partial("a", utterance(1)))
        await started(fake)
        older = asyncio.create_task(asr.partial("a", utterance(2)))
        other = asyncio.create_task(asr.partial("b", utterance(3)))
        await settle()
        newer = asyncio.create_task(asr.partial("a", utterance(4)))
        assert await older is None  # superseded while queued, before the lane is free
        fake.gate.set()
        # The in-flight partial for "a" is not replaced; the newest queued one keeps "a"'s place before "b".
        assert [text(r) for r in await asyncio.gather(busy, newer, other)] == ["u1", "u4", "u3"]
        assert asr.stats().dropped_partials == 1
        assert asr.stats().partials == 3
    assert fake.batches == [[1], [4, 3]]


@pytest.mark.parametrize(
    ("max_batch", "recognizer_max", "expected"), [(2, None, [1, 2, 2]), (8, 1, [1, 1, 1, 1, 1])]
)
async def test_batches_are_capped_by_scheduler_and_recognizer(
    max_batch: int, recognizer_max: int | None, expected: list[int]
) -> None:
    fake = FakeRecognizer(blocked=1, max_batch=recognizer_max)
    async with AsrScheduler(lambda: fake, max_batch=max_batch) as asr:
        await asr.warm_up()
        first = asyncio.create_task(asr.final(utterance(0)))
        await started(fake)
        rest = [asyncio.create_task(asr.final(utterance(label))) for label in range(1, 5)]
        await settle()
        fake.gate.set()
        results = await asyncio.gather(first, *rest)
    assert [r.text for r in results] == [f"u{i}" for i in range(5)]
    assert [len(batch) for batch in fake.batches] == expected
    assert [label for batch in fake.batches for label in batch] == list(range(5))


async def test_idle_lanes_share_the_queue() -> None:
    fake = FakeRecognizer()
    async with AsrScheduler(lambda: fake, workers=2, max_batch=8) as asr:
        await asr.warm_up()
        results = await asyncio.gather(*(asr.final(utterance(label)) for label in range(4)))
    assert [r.text for r in results] == ["u0", "u1", "u2", "u3"]
    assert sorted(len(batch) for batch in fake.batches) == [2, 2]


async def test_warm_up_builds_one_recognizer_per_lane_in_worker_threads() -> None:
    calls: list[str] = []

    def factory() -> FakeRecognizer:
        calls.append(threading.current_thread().name)
        return FakeRecognizer()

    async with AsrScheduler(factory, workers=3) as asr:
        await asr.warm_up()
        await asr.warm_up()  # already loaded: no new calls
        await asr.final(utterance(1))
    assert len(calls) == 3
    assert all(name.startswith("asr-lane") for name in calls)


async def test_cancelled_callers_leave_the_lane_working() -> None:
    fake = FakeRecognizer(blocked=1)
    async with AsrScheduler(lambda: fake) as asr:
        in_flight = asyncio.create_task(asr.final(utterance(1)))
        await started(fake)
        queued_final = asyncio.create_task(asr.final(utterance(2)))
        await settle()
        queued_partial = asyncio.create_task(asr.partial("a", utterance(3)))  # shed: final 2 waits
        await settle()
        assert asr.stats().queued_finals == 1
        in_flight.cancel()
        queued_final.cancel()
        await asyncio.gather(in_flight, queued_final, return_exceptions=True)
        assert in_flight.cancelled()
        assert queued_final.cancelled()
        assert await queued_partial is None
        assert asr.stats().queued_finals == 0
        partial = asyncio.create_task(asr.partial("a", utterance(4)))
        await settle()
        partial.cancel()
        await asyncio.gather(partial, return_exceptions=True)
        assert asr.stats().queued_partials == 0
        fake.gate.set()  # the abandoned batch finishes; its result is dropped
        assert (await asr.final(utterance(5))).text == "u5"
    assert fake.batches == [[1], [5]]


async def test_recognizer_errors_reach_the_callers_and_the_lane_survives() -> None:
    fake = FakeRecognizer(blocked=1)
    async with AsrScheduler(lambda: fake) as asr:
        first = asyncio.create_task(asr.final(utterance(1)))
        await started(fake)
        bad = [asyncio.create_task(asr.final(utterance(label))) for label in (666, 2)]
        await settle()
        fake.gate.set()
        assert (await first).text == "u1"
        for task in bad:  # both were in the failing batch
            with pytest.raises(Boom):
                await task
        assert (await asr.final(utterance(3))).text == "u3"
        stats = asr.stats()
    assert (stats.failed_batches, stats.batches, stats.finals) == (1, 2, 2)


async def test_a_failing_factory_is_retried() -> None:
    attempts = 0

    def factory() -> FakeRecognizer:
        nonlocal attempts
        attempts += 1
        if attempts == 1:
            raise OSError("model file missing")
        return FakeRecognizer()

    async with AsrScheduler(factory) as asr:
        with pytest.raises(OSError, match="missing"):
            await asr.warm_up()
        assert (await asr.final(utterance(1))).text == "u1"
    assert attempts == 2


async def test_closing_fails_queued_work_finishes_in_flight_and_leaks_nothing() -> None:
    fake = FakeRecognizer(blocked=1)
    asr = AsrScheduler(lambda: fake)
    with pytest.raises(AsrSchedulerClosed):
        await asr.final(utterance(0))  # not started yet
    async with asr:
        in_flight = asyncio.create_task(asr.final(utterance(1)))
        await started(fake)
        queued_partial = asyncio.create_task(asr.partial("a", utterance(2)))
        await settle()
        queued_final = asyncio.create_task(asr.final(utterance(3)))
        await settle()
        closing = asyncio.create_task(asr.aclose())
        await settle()
        assert await queued_partial is None
        with pytest.raises(AsrSchedulerClosed):
            await queued_final
        assert not closing.done()  # waits for the batch in flight
        fake.gate.set()
        await closing
        assert (await in_flight).text == "u1"
    assert fake.batches == [[1]]
    with pytest.raises(AsrSchedulerClosed):
        await asr.partial("a", utterance(4))
    with pytest.raises(RuntimeError, match="once"):
        await asr.__aenter__()
    assert_no_other_tasks()
    assert not [t for t in threading.enumerate() if t.name.startswith("asr-lane")]


async def test_cancelled_close_releases_the_callers() -> None:
    fake = FakeRecognizer(blocked=1)
    asr = AsrScheduler(lambda: fake)
    await asr.__aenter__()
    in_flight = asyncio.create_task(asr.final(utterance(1)))
    await started(fake)
    closing = asyncio.create_task(asr.aclose())
    await settle()
    closing.cancel()
    with pytest.raises(asyncio.CancelledError):
        await closing
    with pytest.raises(AsrSchedulerClosed):
        await in_flight
    lanes = [t for t in threading.enumerate() if t.name.startswith("asr-lane")]
    fake.gate.set()  # the abandoned call finishes in its thread, which then exits
    for thread in lanes:
        thread.join(5)
    assert_no_other_tasks()


async def test_closing_waits_for_a_load_nobody_waits_for() -> None:
    release = threading.Event()

    def slow_factory() -> FakeRecognizer:
        assert release.wait(5)
        return FakeRecognizer()

    async with AsrScheduler(slow_factory) as asr:
        warm = asyncio.create_task(asr.warm_up())
        await settle()
        warm.cancel()  # the load goes on in its thread
        await asyncio.gather(warm, return_exceptions=True)
        asyncio.get_running_loop().call_later(0.05, release.set)
    assert release.is_set()
    assert_no_other_tasks()


async def test_rejects_audio_it_cannot_take() -> None:
    fake = FakeRecognizer()
    async with AsrScheduler(lambda: fake) as asr:
        for bad in (np.zeros(10, np.int16), np.zeros((2, 10), np.float32)):
            with pytest.raises(ValueError, match="float samples"):
                await asr.final(bad)  # type: ignore[arg-type]
        with pytest.raises(ValueError, match="even number"):
            await asr.partial("a", b"\x00")
        assert asr.stats().queued_finals == 0
    assert fake.batches == []


def test_rejects_bad_arguments() -> None:
    with pytest.raises(ValueError, match=">= 1"):
        AsrScheduler(FakeRecognizer, workers=0)
    with pytest.raises(ValueError, match=">= 1"):
        AsrScheduler(FakeRecognizer, max_batch=0)


async def test_revisions_wait_for_finals_and_run_alone() -> None:
    class Timed(FakeRecognizer):
        def __init__(self) -> None:
            super().__init__(blocked=1)
            self.timed: list[int] = []

        def transcribe_timed(self, audio: FloatAudio, prompt: str = "") -> TimedTranscript:
            self.timed.append(label_of(audio))
            return TimedTranscript(Recognition("whole", 0.9, len(audio) / 16_000, 0.02), ())

    fake = Timed()
    async with AsrScheduler(lambda: fake, max_batch=8) as asr:
        first = asyncio.ensure_future(asr.final(utterance(1)))
        await started(fake)
        revision = asyncio.ensure_future(asr.revise(utterance(7)))
        later = asyncio.ensure_future(asr.final(utterance(2)))
        await asyncio.sleep(0.01)
        fake.gate.set()
        results = await asyncio.gather(first, revision, later)
        stats = asr.stats()
    # The final queued after the revision still went first.
    assert fake.batches == [[1], [2]]
    assert fake.timed == [7]
    assert results[1] == TimedTranscript(Recognition("whole", 0.9, 0.5, 0.02), ())
    assert stats.batches == 3


class TimedFake(FakeRecognizer):
    """Also answers revisions, recording when each one started."""

    def __init__(self) -> None:
        super().__init__()
        self.timed: list[tuple[int, float]] = []

    def transcribe_timed(self, audio: FloatAudio, prompt: str = "") -> TimedTranscript:
        self.timed.append((label_of(audio), time.monotonic()))
        return TimedTranscript(Recognition("whole", 0.9, len(audio) / 16_000, 0.02), ())


async def test_a_revision_waits_for_a_quiet_moment_or_its_longest_wait() -> None:
    fake = TimedFake()
    quiet_s = 0.3
    async with AsrScheduler(lambda: fake, revision_quiet_s=quiet_s, revision_max_wait_s=5.0) as asr:
        # Someone speaks: caption partials every 0.1 s for 0.6 s. The revision asked for meanwhile
        # waits, and the partials are decoded at once.
        revision = asyncio.ensure_future(asr.revise(utterance(7)))
        asked = time.monotonic()
        last_partial = asked
        for n in range(6):
            assert text(await asr.partial("s1", utterance(10 + n))) == f"u{10 + n}"
            last_partial = time.monotonic()
            await asyncio.sleep(0.1)
        assert not revision.done()
        assert fake.timed == []
        await asyncio.wait_for(revision, 5)
        ((label, ran_at),) = fake.timed
        assert label == 7
        # It ran once nothing had been asked for quiet_s, not before.
        assert ran_at - last_partial >= quiet_s - 0.02

    # Speech that never pauses does not starve it: it runs once it has waited its longest.
    fake = TimedFake()
    async with AsrScheduler(lambda: fake, revision_quiet_s=10.0, revision_max_wait_s=0.4) as asr:
        revision = asyncio.ensure_future(asr.revise(utterance(8)))
        asked = time.monotonic()
        while not revision.done():
            await asr.partial("s1", utterance(1))
            await asyncio.sleep(0.05)
            assert time.monotonic() - asked < 5, "the revision never ran"
        ((label, ran_at),) = fake.timed
        assert label == 8
        assert 0.4 - 0.02 <= ran_at - asked < 2.0

    with pytest.raises(ValueError, match="revision_quiet_s"):
        AsrScheduler(FakeRecognizer, revision_quiet_s=-1)


async def test_a_recognizer_without_revisions_answers_none() -> None:
    async with AsrScheduler(FakeRecognizer) as asr:
        assert await asr.revise(utterance(3)) is None


class DraftFake(FakeRecognizer):
    """Also has a draft decode (no second passes), answering "d<label>"."""

    def __init__(self) -> None:
        super().__init__()
        self.drafts: list[list[int]] = []

    def transcribe_draft(
        self, audios: Sequence[FloatAudio], prompts: Sequence[str] | None = None
    ) -> list[Recognition]:
        labels = [label_of(audio) for audio in audios]
        self.drafts.append(labels)
        return [
            Recognition(f"d{label}", 0.5, len(audio) / 16_000, 0.01)
            for label, audio in zip(labels, audios, strict=True)
        ]


async def test_caption_partials_are_drafts_and_what_a_turn_may_wait_for_is_not() -> None:
    fake = DraftFake()
    async with AsrScheduler(lambda: fake) as asr:
        assert text(await asr.partial("s1", utterance(1))) == "d1"
        assert text(await asr.partial(("s1", "final"), utterance(2), speculative=True)) == "u2"
        assert (await asr.final(utterance(3))).text == "u3"
    assert fake.drafts == [[1]]
    assert fake.batches == [[2], [3]]
    # A recognizer without drafts decodes caption partials in full.
    plain = FakeRecognizer()
    async with AsrScheduler(lambda: plain) as asr:
        assert text(await asr.partial("s1", utterance(4))) == "u4"
    assert plain.batches == [[4]]


async def test_lane_time_is_told_by_the_kind_of_job() -> None:
    class Both(DraftFake, TimedFake):
        """Drafts and revisions."""

    fake = Both()
    async with AsrScheduler(lambda: fake) as asr:
        before = asr.stats().busy_by_kind
        await asr.partial("s1", utterance(1))
        await asr.partial(("s1", "final"), utterance(2), speculative=True)
        await asr.final(utterance(3))
        await asr.revise(utterance(4))
        stats = asr.stats()
    assert before == dict.fromkeys(JOB_KINDS, 0.0)
    assert set(stats.busy_by_kind) == set(JOB_KINDS)
    assert all(seconds > 0 for seconds in stats.busy_by_kind.values()), stats.busy_by_kind
    assert sum(stats.busy_by_kind.values()) == pytest.approx(stats.busy_s)


class HurryFake(FakeRecognizer):
    """Also has a hurried decode (a shorter window), answering "h<label>" marked hurried."""

    def __init__(self, *, blocked: int = 0) -> None:
        super().__init__(blocked=blocked)
        self.hurried: list[list[int]] = []

    def hold_next(self) -> None:
        """The next call waits for the gate again."""
        self._blocked = 1
        self.gate.clear()
        self.entered.clear()

    def transcribe_hurried(
        self, audios: Sequence[FloatAudio], prompts: Sequence[str] | None = None
    ) -> list[Recognition]:
        labels = [label_of(audio) for audio in audios]
        self.hurried.append(labels)
        return [
            Recognition(f"h{label}", 0.8, len(audio) / 16_000, 0.01, hurried=True)
            for label, audio in zip(labels, audios, strict=True)
        ]


async def test_a_burst_of_finals_is_heard_in_a_hurry_and_counted() -> None:
    fake = HurryFake(blocked=1)
    async with AsrScheduler(lambda: fake, hurry_batch=3) as asr:
        first = asyncio.ensure_future(asr.final(utterance(1)))
        await started(fake)
        # Three answers end while the lane is busy: they all wait for the next call, which hurries.
        burst = [asyncio.ensure_future(asr.final(utterance(label))) for label in (2, 3, 4)]
        await settle()
        fake.gate.set()
        assert (await first).text == "u1"
        heard = [await job for job in burst]
        assert [(r.text, r.hurried) for r in heard] == [("h2", True), ("h3", True), ("h4", True)]
        # Two speculations together are below the threshold: the finals' own window.
        fake.hold_next()
        busy = asyncio.ensure_future(asr.final(utterance(5)))
        await started(fake)
        pair = [
            asyncio.ensure_future(asr.partial((key, "final"), utterance(label), speculative=True))
            for key, label in (("a", 6), ("b", 7))
        ]
        await settle()
        fake.gate.set()
        await busy
        assert [text(await job) for job in pair] == ["u6", "u7"]
        # A burst of speculations hurries like one of finals; caption drafts never do.
        fake.hold_next()
        busy = asyncio.ensure_future(asr.final(utterance(8)))
        await started(fake)
        guesses = [
            asyncio.ensure_future(asr.partial((key, "final"), utterance(label), speculative=True))
            for key, label in (("a", 9), ("b", 10), ("c", 11))
        ]
        await settle()
        fake.gate.set()
        await busy
        assert [text(await job) for job in guesses] == ["h9", "h10", "h11"]
        stats = asr.stats()
    assert fake.hurried == [[2, 3, 4], [9, 10, 11]]
    assert stats.hurried == 6
    assert stats.finals + stats.partials == 11


async def test_no_hurry_unless_asked() -> None:
    fake = HurryFake(blocked=1)
    async with AsrScheduler(lambda: fake) as asr:  # hurry_batch=0: never
        first = asyncio.ensure_future(asr.final(utterance(1)))
        await started(fake)
        burst = [asyncio.ensure_future(asr.final(utterance(label))) for label in (2, 3, 4, 5)]
        await settle()
        fake.gate.set()
        await first
        assert [(await job).text for job in burst] == ["u2", "u3", "u4", "u5"]
        assert asr.stats().hurried == 0
    assert fake.hurried == []
    with pytest.raises(ValueError, match="hurry_batch"):
        AsrScheduler(FakeRecognizer, hurry_batch=-1)


async def test_work_decoded_for_a_caller_that_went_is_counted_as_discarded() -> None:
    fake = FakeRecognizer(blocked=1)
    async with AsrScheduler(lambda: fake) as asr:
        guess = asyncio.ensure_future(asr.partial(("s1", "final"), utterance(1), speculative=True))
        await started(fake)
        guess.cancel()  # the speaker went on while it was being decoded
        with pytest.raises(asyncio.CancelledError):
            await guess
        fake.gate.set()
        assert (await asr.final(utterance(2))).text == "u2"
        stats = asr.stats()
    assert fake.batches == [[1], [2]]
    assert stats.discarded == 1
    assert 0 < stats.discarded_s <= stats.busy_by_kind["speculation"]
