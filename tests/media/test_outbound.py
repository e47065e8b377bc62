"""The interviewer's paced outbound track, driven by a hand-moved clock (no sleeping)."""

from __future__ import annotations

import asyncio
import fractions
from dataclasses import replace
from typing import Any

import av
import numpy as np
import pytest
from aiortc.mediastreams import MediaStreamError

from media.opus import encode_line, silence_packet
from media.outbound import InterviewerTrack, SenderTrack, Utterance
from media.tts import WordMark


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def utterance(frames: int, text: str = "hello there friend", words: tuple[WordMark, ...] = ()) -> Utterance:
    out = np.full(960 * frames, 1000, dtype="<i2").tobytes()
    rec = np.full(320 * frames, 1000, dtype="<i2").tobytes()
    return Utterance(text, out, rec, words)


async def next_frame(track: InterviewerTrack, clock: Clock) -> np.ndarray:
    frame = await track.recv()
    clock.now += 0.02
    samples = frame.to_ndarray()
    assert samples.shape == (1, 960)
    assert frame.sample_rate == 48000
    return samples


async def test_silence_when_idle_with_steady_timestamps() -> None:
    clock = Clock()
    track = InterviewerTrack(clock)
    pts = []
    for _ in range(5):
        frame = await track.recv()
        pts.append(frame.pts)
        clock.now += 0.02
        assert not frame.to_ndarray().any()
    assert pts == [0, 960, 1920, 2880, 3840]
    track.stop()


async def test_speech_is_sent_then_silence_and_the_recording_hears_each_frame() -> None:
    clock = Clock()
    heard: list[tuple[float, int]] = []
    track = InterviewerTrack(clock, on_audio=lambda at, pcm: heard.append((at, len(pcm))))
    await next_frame(track, clock)  # one idle frame first
    playback = track.play(utterance(3))
    assert track.speaking
    sent = [await next_frame(track, clock) for _ in range(4)]
    assert [bool(s.any()) for s in sent] == [True, True, True, False]
    assert playback.started.result() == pytest.approx(100.02)
    result = playback.done.result()
    assert not result.interrupted
    assert result.played_s == pytest.approx(0.06)
    assert [size for _, size in heard] == [640, 640, 640]
    assert [at for at, _ in heard] == pytest.approx([100.02, 100.04, 100.06])
    assert not track.speaking
    track.stop()


async def test_interrupt_cuts_speech_and_keeps_only_the_words_played() -> None:
    clock = Clock()
    words = (WordMark(0.0, 0, 5), WordMark(0.03, 6, 5), WordMark(0.09, 12, 6))
    track = InterviewerTrack(clock)
    first = track.play(utterance(10, words=words))
    queued = track.play(utterance(5))
    for _ in range(3):
        await next_frame(track, clock)
    track.interrupt()
    assert not (await next_frame(track, clock)).any()
    result = first.done.result()
    assert result.interrupted
    assert result.played_s == pytest.approx(0.06)
    assert first.utterance.spoken_text(result.played_s) == "hello there"
    assert queued.done.result().interrupted
    assert queued.started.cancelled()
    track.stop()


async def test_pause_holds_the_place_and_resume_carries_on() -> None:
    clock = Clock()
    heard: list[float] = []
    track = InterviewerTrack(clock, on_audio=lambda at, pcm: heard.append(at))
    playback = track.play(utterance(4))
    assert (await next_frame(track, clock)).any()
    track.pause()
    assert track.paused
    assert track.speaking  # still has its line to finish
    assert not any([(await next_frame(track, clock)).any() for _ in range(3)])
    track.resume()
    sent = [await next_frame(track, clock) for _ in range(4)]
    assert [bool(s.any()) for s in sent] == [True, True, True, False]
    result = playback.done.result()
    assert not result.interrupted
    assert result.played_s == pytest.approx(0.08)  # the line, not the pause
    assert result.ended_at == pytest.approx(100.14)  # but it ended later for the pause
    assert heard == pytest.approx([100.0, 100.08, 100.1, 100.12])  # the recording has the gap
    track.stop()


async def test_interrupt_while_paused_drops_the_line_and_unpauses() -> None:
    clock = Clock()
    track = InterviewerTrack(clock)
    first = track.play(utterance(5))
    await next_frame(track, clock)
    track.pause()
    await next_frame(track, clock)
    track.interrupt()
    assert not track.paused
    result = first.done.result()
    assert result.interrupted
    assert result.played_s == pytest.approx(0.02)
    assert result.ended_at == pytest.approx(100.02)  # when the sound stopped, not the interrupt
    second = track.play(utterance(1))
    assert (await next_frame(track, clock)).any()
    assert second.done.result().played_s == pytest.approx(0.02)
    track.stop()


async def test_pacing_waits_for_the_clock_and_skips_ahead_after_a_stall() -> None:
    clock = Clock()
    track = InterviewerTrack(clock)
    await track.recv()  # frame 0 due now
    waiting = asyncio.ensure_future(track.recv())  # frame 1 is due 20 ms later
    await asyncio.sleep(0)
    assert not waiting.done()
    clock.now += 0.02
    await asyncio.wait_for(waiting, 1)
    clock.now += 1.0  # the loop stalled for a second
    late = await track.recv()
    assert late.pts is not None
    assert late.pts >= 960 * 50, "frames the browser would drop are skipped, not burst"
    track.stop()


def test_empty_utterance_finishes_at_once() -> None:
    async def run() -> None:
        track = InterviewerTrack(Clock())
        playback = track.play(Utterance("", b"", b""))
        assert playback.done.result().played_s == 0
        assert not track.speaking
        track.stop()

    asyncio.run(run())


def test_spoken_text_without_word_marks() -> None:
    whole = utterance(2, text="Hi.")
    assert whole.spoken_text(0.04) == "Hi."
    assert whole.spoken_text(0.02) == ""


async def next_packet(track: SenderTrack, clock: Clock) -> av.Packet[Any]:
    packet = await track.recv()
    clock.now += 0.02
    assert isinstance(packet, av.Packet)
    return packet


async def test_with_opus_the_sender_gets_the_lines_own_packets_then_one_silence_packet() -> None:
    clock = Clock()
    heard: list[float] = []
    track = InterviewerTrack(clock, on_audio=lambda at, pcm: heard.append(at))
    sender = SenderTrack(track)
    sender.opus = True
    idle = await next_packet(sender, clock)
    assert bytes(idle) == silence_packet()
    line = utterance(3)
    encoded = replace(line, opus=encode_line(line.pcm_out))
    assert encoded.frames == 4  # the look-ahead's tail takes a fourth frame
    playback = track.play(encoded)
    sent = [await next_packet(sender, clock) for _ in range(5)]
    assert [bytes(p) for p in sent[:4]] == list(encoded.opus)
    assert bytes(sent[4]) == silence_packet()
    assert [p.pts for p in [idle, *sent]] == [0, 960, 1920, 2880, 3840, 4800]
    assert all(p.time_base == fractions.Fraction(1, 48000) for p in sent)
    assert playback.done.result().played_s == pytest.approx(0.08)
    # The recording hears the line's own three frames (its 16 kHz copy has no fourth).
    assert heard == pytest.approx([100.02, 100.04, 100.06])
    track.stop()
    with pytest.raises(MediaStreamError):
        await sender.recv()


async def test_a_line_without_packets_is_encoded_frame_by_frame_and_frames_go_out_without_opus() -> None:
    clock = Clock()
    track = InterviewerTrack(clock)
    sender = SenderTrack(track)
    sender.opus = True
    track.play(utterance(2))
    sent = [bytes(await next_packet(sender, clock)) for _ in range(3)]
    assert sent[0] != silence_packet()
    assert sent[1] != silence_packet()
    assert sent[2] == silence_packet()
    # A call on G.711: frames, which aiortc encodes itself.
    sender.opus = False
    track.play(utterance(1))
    frame = await sender.recv()
    assert isinstance(frame, av.AudioFrame)
    assert frame.to_ndarray().any()
    track.stop()
