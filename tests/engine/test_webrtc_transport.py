"""The WebRTC transport on its own: two peers in one loop, no network beyond loopback."""

from __future__ import annotations

import asyncio

from aiortc import RTCPeerConnection
from aiortc.mediastreams import AudioStreamTrack

from engine.live.transport import TransportHandler
from engine.live.webrtc import WebRtcTransport
from media.inbound_clock import AIORTC_HOLD_FRAMES
from media.outbound import InterviewerTrack
from media.signalling import OPUS_DELAY_S


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
        # The session's clock counts aiortc's hold of four frames (a stream transport's is none).
        assert transport.inbound_hold_frames == AIORTC_HOLD_FRAMES
        await page.setRemoteDescription(transport.answer)
        frame = await asyncio.wait_for(transport.recv(), 10)
        assert frame.sample_rate == 48000
        assert "connected" in states
    finally:
        track.stop()
        await transport.close()
        await page.close()
