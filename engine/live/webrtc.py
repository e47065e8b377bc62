"""The WebRTC transport: the join page's peer connection (aiortc), its audio track and the "events" data
channel. The page sends an offer; `start()` answers it (`answer`), with ICE gathered (no trickle)."""

from __future__ import annotations

import logging
from typing import Any, cast

import av
from aiortc import MediaStreamTrack, RTCPeerConnection, RTCSessionDescription
from aiortc.mediastreams import MediaStreamError

from config.settings import IceServer
from engine.live.channel import EventChannel
from engine.live.transport import ConnectionState, TransportHandler, TransportKind
from media import audio_jitter
from media.inbound_clock import AIORTC_HOLD_FRAMES
from media.outbound import InterviewerTrack, SenderTrack
from media.signalling import OfferError, accept_offer, audio_codec, codec_delay, rtc_configuration

__all__ = ["WebRtcTransport"]

logger = logging.getLogger(__name__)


class WebRtcTransport:
    kind = TransportKind.WEBRTC

    def __init__(self, offer: RTCSessionDescription, ice_servers: list[IceServer]) -> None:
        self._offer = offer
        self._pc = RTCPeerConnection(rtc_configuration(ice_servers))
        self._inbound: MediaStreamTrack | None = None
        self._handler: TransportHandler | None = None
        self._channel = EventChannel(self._on_message)
        self.codec_delay = 0.0
        # aiortc's receiver would hold each frame until the one four places later has come, and 14 after
        # a lost packet; `start` replaces its buffer with one that holds nothing (media/audio_jitter.py).
        # The session's clock counts whichever is in place.
        self.inbound_hold_frames = AIORTC_HOLD_FRAMES
        self.answer: RTCSessionDescription | None = None
        self._buffers: list[audio_jitter.PromptAudioBuffer] = []

        @self._pc.on("track")
        def _on_track(track: MediaStreamTrack) -> None:
            if track.kind == "audio" and self._inbound is None:
                self._inbound = track

        @self._pc.on("datachannel")
        def _on_datachannel(channel: Any) -> None:
            self._channel.attach(channel)

        @self._pc.on("connectionstatechange")
        async def _on_state() -> None:
            if self._handler is not None:
                # aiortc's states are exactly the transport's (typed there as a plain str).
                self._handler.on_state(cast(ConnectionState, self._pc.connectionState))

    def bind(self, handler: TransportHandler) -> None:
        self._handler = handler

    def _on_message(self, message: dict[str, Any]) -> None:
        if self._handler is not None:
            self._handler.on_message(message)

    async def start(self, track: InterviewerTrack) -> None:
        # The sender takes the interviewer's lines as Opus packets encoded once per line (media/opus.py)
        # when the call uses Opus, instead of encoding every frame of every call itself.
        sender = SenderTrack(track)
        self._pc.addTrack(sender)
        answer = await accept_offer(self._pc, self._offer)
        # No packet can have come yet: the page starts ICE only once it has this answer.
        audio = [t.receiver for t in self._pc.getTransceivers() if t.kind == "audio"]
        buffers = [audio_jitter.install(receiver) for receiver in audio]
        self._buffers = [b for b in buffers if b is not None]
        if audio and len(self._buffers) == len(audio):
            self.inbound_hold_frames = 0
        sender.opus = audio_codec(answer.sdp) == "opus"
        # The codec delays both directions: the candidate's voice reaches us that much after it was
        # said, and the interviewer's reaches the candidate that much after it left.
        self.codec_delay = codec_delay(answer.sdp)
        if self._inbound is None:
            raise OfferError("sdp", "the offer sends no audio track")
        self.answer = answer

    async def recv(self) -> av.AudioFrame:
        if self._inbound is None:
            raise MediaStreamError
        while True:
            frame = await self._inbound.recv()
            if isinstance(frame, av.AudioFrame):
                return frame

    def send(self, message: dict[str, Any]) -> None:
        self._channel.send(message)

    def interrupted(self) -> None:
        """Nothing to drop: the sender pulls each frame as it is due, so nothing is buffered ahead."""

    async def close(self) -> None:
        await self._pc.close()
        for buffer in self._buffers:
            # Loss on the way in is what an operator asks about when a candidate's voice broke up.
            if summary := buffer.summary():
                logger.info("inbound audio: %s", summary)
