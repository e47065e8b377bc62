"""Checks on an SDP offer before it reaches aiortc, and the engine's answer to it.

aiortc's parser is written for well-formed peers; a hostile or truncated offer can make it raise
anything from ValueError to IndexError. Everything a browser could send is therefore checked here
first, and whatever still fails inside aiortc is reported as the offer's fault, with the peer
connection closed so nothing leaks.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass

from aiortc import RTCConfiguration, RTCIceServer, RTCPeerConnection, RTCSessionDescription
from aiortc.sdp import SessionDescription

from config.settings import IceServer

__all__ = [
    "MAX_SDP_BYTES",
    "OPUS_DELAY_S",
    "OfferError",
    "accept_offer",
    "audio_codec",
    "check_offer",
    "codec_delay",
    "rtc_configuration",
]

logger = logging.getLogger(__name__)

MAX_SDP_BYTES = 64 * 1024
MAX_MEDIA_SECTIONS = 8
AUDIO_CODECS = frozenset({"opus", "pcmu", "pcma"})
HASHES = frozenset({"sha-1", "sha-224", "sha-256", "sha-384", "sha-512"})
# libopus's algorithmic delay (2.5 ms framing + 4 ms look-ahead): decoded audio lags what was captured by
# this much, in each direction. G.711 has none.
OPUS_DELAY_S = 0.0065
FINGERPRINT = re.compile(r"[0-9A-Fa-f]{2}(:[0-9A-Fa-f]{2}){15,63}")


@dataclass(frozen=True, slots=True)
class OfferError(Exception):
    """The offer is unusable; `field` names the request field at fault."""

    field: str
    message: str

    def __str__(self) -> str:
        return f"{self.field}: {self.message}"


def rtc_configuration(ice_servers: list[IceServer]) -> RTCConfiguration:
    return RTCConfiguration(
        iceServers=[
            RTCIceServer(urls=s.urls, username=s.username, credential=s.credential) for s in ice_servers
        ]
    )


def check_offer(sdp: str, kind: str) -> RTCSessionDescription:
    if kind != "offer":
        raise OfferError("type", f"expected 'offer', got {kind[:20]!r}")
    if len(sdp.encode("utf-8", "surrogatepass")) > MAX_SDP_BYTES:
        raise OfferError("sdp", f"larger than {MAX_SDP_BYTES} bytes")
    if "\x00" in sdp or not sdp.lstrip().startswith("v=0"):
        raise OfferError("sdp", "not an SDP session description (it must start with 'v=0')")
    try:
        parsed = SessionDescription.parse(sdp)
    except Exception as exc:
        raise OfferError("sdp", f"malformed SDP: {type(exc).__name__}") from None
    if len(parsed.media) > MAX_MEDIA_SECTIONS:
        raise OfferError("sdp", f"more than {MAX_MEDIA_SECTIONS} media sections")
    audio = [m for m in parsed.media if m.kind == "audio"]
    if not audio:
        raise OfferError("sdp", "the offer has no audio section; the page must send the microphone")
    if not any(c.mimeType.split("/")[-1].lower() in AUDIO_CODECS for m in audio for c in m.rtp.codecs):
        raise OfferError("sdp", "no supported audio codec (Opus, PCMU or PCMA)")
    if not any(m.ice and m.ice.usernameFragment and m.dtls and m.dtls.fingerprints for m in audio):
        raise OfferError("sdp", "missing ICE credentials or DTLS fingerprint")
    for media in parsed.media:
        for fingerprint in media.dtls.fingerprints if media.dtls else []:
            # aiortc takes any string here and only fails at the DTLS handshake, long after the answer.
            if fingerprint.algorithm.lower() not in HASHES or not FINGERPRINT.fullmatch(fingerprint.value):
                raise OfferError("sdp", f"malformed DTLS fingerprint ({fingerprint.algorithm[:20]})")
    return RTCSessionDescription(sdp=sdp, type="offer")


async def accept_offer(pc: RTCPeerConnection, offer: RTCSessionDescription) -> RTCSessionDescription:
    """Apply the offer and produce the answer (ICE gathering complete: no trickle).

    On failure the caller must close `pc`; it still holds transports."""
    try:
        await pc.setRemoteDescription(offer)
        answer = await pc.createAnswer()
        assert answer is not None
        await pc.setLocalDescription(answer)
    except Exception as exc:
        logger.info("offer rejected by the WebRTC stack: %s", type(exc).__name__)
        raise OfferError("sdp", f"the offer could not be applied: {exc}"[:300]) from None
    local = pc.localDescription
    return RTCSessionDescription(sdp=local.sdp, type=local.type)


def audio_codec(answer_sdp: str) -> str | None:
    """The audio codec both ends send, as "opus", "pcmu" or "pcma" (the answer's first audio codec);
    None when it cannot be told."""
    try:
        parsed = SessionDescription.parse(answer_sdp)
    except Exception:
        return None
    for media in parsed.media:
        if media.kind == "audio" and media.rtp.codecs:
            return str(media.rtp.codecs[0].mimeType).split("/")[-1].lower()
    return None


def codec_delay(answer_sdp: str) -> float:
    """Seconds by which the negotiated audio codec delays what it carries; 0 when it cannot be told."""
    return OPUS_DELAY_S if audio_codec(answer_sdp) == "opus" else 0.0
