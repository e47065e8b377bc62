"""Offer checks run before aiortc parses anything."""

from __future__ import annotations

import re

import pytest
from aiortc import RTCPeerConnection

from media.signalling import MAX_SDP_BYTES, OfferError, check_offer


@pytest.fixture
async def offer_sdp() -> str:
    pc = RTCPeerConnection()
    pc.addTransceiver("audio", direction="sendrecv")
    await pc.setLocalDescription(await pc.createOffer())
    sdp = pc.localDescription.sdp
    await pc.close()
    return sdp


def field_of(sdp: str, kind: str = "offer") -> str:
    with pytest.raises(OfferError) as caught:
        check_offer(sdp, kind)
    return caught.value.field


def test_a_real_offer_passes(offer_sdp: str) -> None:
    described = check_offer(offer_sdp, "offer")
    assert (described.type, described.sdp) == ("offer", offer_sdp)


def test_wrong_type(offer_sdp: str) -> None:
    assert field_of(offer_sdp, "answer") == "type"


@pytest.mark.parametrize(
    "mutate",
    [
        lambda s: "",
        lambda s: "hello",
        lambda s: s.replace("v=0", "v=0\x00"),
        lambda s: s + "a=x\r\n" * (MAX_SDP_BYTES // 5),
        lambda s: s.replace("m=audio", "m=video"),
        lambda s: (
            s.replace("opus/48000/2", "foo/48000/2")
            .replace("PCMU/8000", "x/8000")
            .replace("PCMA/8000", "y/8000")
        ),
        lambda s: "\r\n".join(line for line in s.split("\r\n") if not line.startswith("a=ice-ufrag")),
        lambda s: "\r\n".join(line for line in s.split("\r\n") if not line.startswith("a=fingerprint")),
        lambda s: s.replace("a=fingerprint:sha-256 ", "a=fingerprint:sha-256 zz"),
        lambda s: s.replace("a=fingerprint:sha-256", "a=fingerprint:md5"),
        lambda s: s + "m=audio 9 UDP/TLS/RTP/SAVPF 0\r\n" * 9,
        lambda s: re.sub(r"m=audio \d+", "m=audio nine", s),
    ],
)
def test_hostile_offers_name_the_sdp(offer_sdp: str, mutate: object) -> None:
    assert callable(mutate)
    assert field_of(mutate(offer_sdp)) == "sdp"
