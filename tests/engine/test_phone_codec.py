"""The phone path's parts without a server: the μ-law codec, the media-stream protocol's parser, the
message gate, the stream transport's queues and outbound pump, and the stream URL."""

from __future__ import annotations

import asyncio
import base64
import json

import numpy as np
import pytest
from aiortc.mediastreams import MediaStreamError
from starlette.requests import Request

from config.settings import Settings
from engine.api.phone_streams import stream_url
from engine.live.phone import (
    PHONE_RATE,
    Media,
    PhoneTransport,
    Stop,
    StreamStart,
    parse,
    pcm_to_ulaw,
    ulaw_to_pcm,
)
from engine.live.stream_limits import MessageGate, StreamViolation, close_reason
from media.outbound import InterviewerTrack, Utterance


def _tone(rate: int, seconds: float, hz: float = 440.0, amplitude: float = 8000.0) -> bytes:
    t = np.arange(int(rate * seconds)) / rate
    return (amplitude * np.sin(2 * np.pi * hz * t)).astype("<i2").tobytes()


def test_mu_law_round_trip_keeps_the_signal() -> None:
    pcm = _tone(PHONE_RATE, 0.5)
    ulaw = pcm_to_ulaw(pcm)
    assert len(ulaw) == len(pcm) // 2  # one byte a sample
    back = np.frombuffer(ulaw_to_pcm(ulaw), "<i2").astype(np.float64)
    original = np.frombuffer(pcm, "<i2").astype(np.float64)
    snr = 10 * np.log10(np.sum(original**2) / np.sum((original - back) ** 2))
    assert snr > 30, snr  # G.711 gives about 38 dB on a loud tone
    assert pcm_to_ulaw(bytes(4)) == b"\xff\xff"  # silence is 0xFF on the wire
    assert pcm_to_ulaw(bytes(5)) == b"\xff\xff"  # an odd trailing byte is not half a sample


def _start(**start: object) -> str:
    body = {"streamSid": "MZ1", "callSid": "CA1", **start}
    return json.dumps({"event": "start", "start": body})


def test_the_protocol_is_parsed_and_every_bad_message_has_its_code() -> None:
    assert parse(_start(customParameters={"a": "b"})) == StreamStart("MZ1", "CA1", {"a": "b"})
    payload = base64.b64encode(b"\x7f" * 160).decode()
    media = parse(json.dumps({"event": "media", "streamSid": "MZ1", "media": {"payload": payload}}))
    assert media == Media("MZ1", "inbound", b"\x7f" * 160)
    assert parse('{"event": "stop", "streamSid": "MZ1"}') == Stop("MZ1")
    cases = {
        "{not json": (1007, "malformed JSON"),
        "[1, 2]": (1007, "expected a JSON object"),
        '{"event": 5}': (1007, "event: expected a string"),
        '{"event": "media", "media": {"payload": "@@"}}': (1007, "media.payload: not base64"),
        '{"event": "media"}': (1007, "media: expected an object"),
        '{"event": "start", "start": {"streamSid": "MZ1"}}': (1007, "start.callSid"),
        '{"event": "mark", "mark": {}}': (1007, "mark.name"),
        '{"event": "dance"}': (1003, "unknown event 'dance'"),
        _start(mediaFormat={"encoding": "audio/l16", "sampleRate": 16000}): (1003, "media format"),
        _start(customParameters=["a"]): (1007, "start.customParameters"),
    }
    for text, (code, reason) in cases.items():
        with pytest.raises(StreamViolation) as caught:
            parse(text)
        assert caught.value.code == code, text
        assert caught.value.reason.startswith(reason), (text, caught.value.reason)
    assert len(close_reason("é" * 200).encode()) <= 123


def test_the_gate_limits_size_and_rate() -> None:
    now = [0.0]
    gate = MessageGate(max_bytes=100, per_second=10, burst=5, clock=lambda: now[0])
    with pytest.raises(StreamViolation) as caught:
        gate.admit("x" * 101)
    assert caught.value.code == 1009
    with pytest.raises(StreamViolation):
        gate.admit("é" * 60)  # 120 bytes in 60 characters
    for _ in range(5):  # the burst (a message refused for its size took none of it)
        gate.admit("x")
    with pytest.raises(StreamViolation) as caught:
        gate.admit("x")
    assert caught.value.code == 1008
    now[0] += 0.1  # one message's worth refilled
    gate.admit("x")


class _Wire:
    def __init__(self) -> None:
        self.sent: list[dict[str, object]] = []

    async def write(self, message: str | bytes) -> None:
        assert isinstance(message, str)
        self.sent.append(json.loads(message))


async def test_inbound_frames_are_bounded_and_end_with_the_stream() -> None:
    transport = PhoneTransport(_Wire().write, StreamStart("MZ1", "CA1", {}), max_queued_frames=10)
    frame = pcm_to_ulaw(bytes(320))
    for _ in range(15):
        transport.media(Media("MZ1", "inbound", frame))
    transport.media(Media("MZ1", "outbound", frame))  # our own audio echoed back is not the caller
    assert transport.dropped_inbound == 5
    first = await transport.recv()
    # The oldest were dropped; timestamps count every sample, so the gap stays visible.
    assert (first.sample_rate, first.samples, first.pts) == (PHONE_RATE, 160, 5 * 160)
    with pytest.raises(StreamViolation):
        transport.media(Media("MZ2", "inbound", frame))
    transport.lost()
    for _ in range(9):
        await transport.recv()  # what was queued is still read
    with pytest.raises(MediaStreamError):
        await transport.recv()


async def test_the_interviewer_goes_out_as_20_ms_mu_law_with_marks_and_clear() -> None:
    wire = _Wire()
    transport = PhoneTransport(wire.write, StreamStart("MZ1", "CA1", {}), max_queued_frames=10)
    track = InterviewerTrack(asyncio.get_running_loop().time)
    await transport.start(track)
    try:
        playback = track.play(Utterance("Hello.", _tone(48000, 0.3), _tone(16000, 0.3)))
        await playback.done
        await asyncio.sleep(0.1)
        transport.send({"type": "state", "state": "listening"})
        transport.send({"type": "caption", "text": "Hello."})  # no page on a phone: dropped
        transport.interrupted()
        await asyncio.sleep(0.1)
    finally:
        await transport.close()
        track.stop()
    media = [m for m in wire.sent if m["event"] == "media"]
    # 0.3 s of speech is 15 frames of 160 bytes; silence before and after it is not sent.
    assert 14 <= len(media) <= 16, len(media)
    payloads = [base64.b64decode(m["media"]["payload"]) for m in media]  # type: ignore[index]
    assert {len(p) for p in payloads} == {160}
    assert all(m["streamSid"] == "MZ1" for m in wire.sent)
    heard = np.frombuffer(ulaw_to_pcm(b"".join(payloads)), "<i2").astype(np.float64)
    assert np.sqrt(np.mean(heard**2)) > 3000  # the tone, not silence
    assert [m["event"] for m in wire.sent[len(media) :]] == ["mark", "clear"]
    assert wire.sent[len(media)]["mark"] == {"name": "line-1"}


async def test_a_mark_asked_for_as_the_line_ends_still_follows_all_of_its_audio() -> None:
    """The session says "listening" as soon as the track has handed out a line's last frame; the end of
    that frame is still in the resampler and in an unfilled 20 ms chunk then, so a mark queued at once
    went out before it (and the far end reported the line heard before it was)."""
    wire = _Wire()
    transport = PhoneTransport(wire.write, StreamStart("MZ1", "CA1", {}), max_queued_frames=10)
    track = InterviewerTrack(asyncio.get_running_loop().time)
    await transport.start(track)
    try:
        for line in range(1, 4):
            # Lengths that are not whole 20 ms frames at 8 kHz, so each line ends inside a chunk.
            playback = track.play(Utterance("Hello.", _tone(48000, 0.207 * line), _tone(16000, 0.207 * line)))
            await playback.done
            transport.send({"type": "state", "state": "listening"})
            await asyncio.sleep(0.15)
    finally:
        await transport.close()
        track.stop()
    events = [m["event"] for m in wire.sent]
    assert events.count("mark") == 3, events
    marks = [i for i, event in enumerate(events) if event == "mark"]
    # Each mark comes after the last media of its line and before the first of the next.
    for line, at in enumerate(marks):
        assert events[at - 1] == "media"
        assert line == len(marks) - 1 or "media" in events[at + 1 : marks[line + 1]]
    assert all(event == "mark" for event in events[marks[-1] :]), events[marks[-1] :]


def _request(scheme: str) -> Request:
    host = b"engine.internal:8000"
    return Request(
        {"type": "http", "scheme": scheme, "path": "/", "root_path": "", "headers": [(b"host", host)]}
    )


def test_the_stream_url_follows_the_public_address() -> None:
    plain = Settings(_env_file=None)
    assert stream_url(plain, _request("http"), "tok") == "ws://engine.internal:8000/v1/phone-streams/tok"
    assert stream_url(plain, _request("https"), "tok") == "wss://engine.internal:8000/v1/phone-streams/tok"
    public = Settings(_env_file=None, public_base_url="https://interviews.example.test/ie/")
    expected = "wss://interviews.example.test/ie/v1/phone-streams/tok"
    assert stream_url(public, _request("http"), "tok") == expected
