"""The WebRTC transport on its own: two peers in one loop, no network beyond loopback."""

from __future__ import annotations

import asyncio
import itertools
import re
import statistics
from collections.abc import Callable
from typing import Any

import av
import pytest
from aiortc import RTCPeerConnection
from aiortc.mediastreams import AudioStreamTrack

from engine.live.transport import TransportHandler
from engine.live.webrtc import WebRtcTransport
from media.outbound import InterviewerTrack
from media.signalling import OPUS_DELAY_S

SAMPLES_48K = 960  # one 20 ms frame's timestamp step at 48 kHz


class TimedTrack(AudioStreamTrack):
    """The page's microphone (silence), noting when each frame left for the network, by timestamp."""

    def __init__(self, clock: Callable[[], float]) -> None:
        super().__init__()
        self.sent_at: dict[int, float] = {}  # by frame number
        self._clock = clock

    async def recv(self) -> Any:
        frame = await super().recv()
        if isinstance(frame, av.AudioFrame) and frame.pts is not None:
            self.sent_at[frame.pts // frame.samples] = self._clock()
        return frame


async def test_an_offer_is_answered_with_opus_and_the_receivers_hold_counted() -> None:
    page = RTCPeerConnection()
    page.addTrack(AudioStreamTrack())
    page.createDataChannel("events")
    await page.setLocalDescription(await page.createOffer())
    states: list[str] = []
    transport = WebRtcTransport(page.localDescription, [])
    transport.bind(TransportHandler(lambda _m: None, states.append, lambda: None))
    track = InterviewerTrack(asyncio.get_running_loop().time)
    try:
        await transport.start(track)
        assert transport.answer is not None
        assert "opus/48000" in transport.answer.sdp.lower()
        assert transport.codec_delay == OPUS_DELAY_S
        # The engine's receiver holds no frame back (media/audio_jitter.py), and says so to the
        # session's clock; with aiortc's own buffer this would be 4.
        assert transport.inbound_hold_frames == 0
        await page.setRemoteDescription(transport.answer)
        frame = await asyncio.wait_for(transport.recv(), 10)
        assert frame.sample_rate == 48000
        assert "connected" in states
    finally:
        track.stop()
        await transport.close()
        await page.close()


@pytest.mark.parametrize("lost", [None, 25], ids=["no-loss", "one-packet-lost"])
async def test_each_frame_reaches_the_engine_as_it_arrives_also_after_a_lost_packet(
    lost: int | None, caplog: pytest.LogCaptureFixture
) -> None:
    """aiortc's own buffer hands a frame over 80 ms late (when the packet four places later comes) and,
    after one lost packet, 280 ms late for the rest of the call; the engine's hands each over at once."""
    loop = asyncio.get_running_loop()
    page = RTCPeerConnection()
    microphone = TimedTrack(loop.time)
    sender = page.addTrack(microphone)
    page.createDataChannel("events")
    await page.setLocalDescription(await page.createOffer())
    transport = WebRtcTransport(page.localDescription, [])
    transport.bind(TransportHandler(lambda _m: None, lambda _s: None, lambda: None))
    track = InterviewerTrack(loop.time)
    received: list[tuple[int, float]] = []
    caplog.set_level("INFO", logger="engine.live.webrtc")
    try:
        await transport.start(track)
        assert transport.answer is not None
        await page.setRemoteDescription(transport.answer)
        if lost is not None:
            # The network loses the page's `lost`-th RTP packet (the page's own DTLS transport; the
            # engine's side is untouched).
            dtls = sender.transport
            send_rtp = dtls._send_rtp
            count = 0

            async def lossy(data: bytes) -> None:
                nonlocal count
                count += 1
                if count != lost:
                    await send_rtp(data)

            dtls._send_rtp = lossy  # type: ignore[method-assign]
        while len(received) < 60:
            frame = await asyncio.wait_for(transport.recv(), 10)
            assert isinstance(frame, av.AudioFrame)
            assert frame.pts is not None
            received.append((frame.pts, loop.time()))
    finally:
        track.stop()
        microphone.stop()
        await transport.close()
        await page.close()

    # The receiver's timestamps (48 kHz) start at the first frame it got, the page's (8 kHz) at the first
    # it sent; compared by frame number.
    first = min(microphone.sent_at)
    sent = microphone.sent_at
    delays = [
        at - sent[first + pts // SAMPLES_48K] for pts, at in received if first + pts // SAMPLES_48K in sent
    ]
    assert len(delays) >= 55
    if lost is not None:
        # The frame lost is missing, the ones after it keep their places.
        steps = [(b - a) // SAMPLES_48K for (a, _), (b, _) in itertools.pairwise(received)]
        assert steps.count(2) == 1, steps
        assert set(steps) == {1, 2}, steps
    # The loss is in the log when the call ends, and only then.
    logged = [r.getMessage() for r in caplog.records if r.name == "engine.live.webrtc"]
    if lost is None:
        assert logged == []
    else:
        assert len(logged) == 1, logged
        assert re.fullmatch(r"inbound audio: 1 of \d+ packets lost, 0 late or repeated, 0 resyncs", logged[0])
    later = delays[30:]
    assert statistics.median(delays) < 0.05, delays
    assert statistics.median(later) < 0.05, later
