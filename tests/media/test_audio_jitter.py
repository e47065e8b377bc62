"""The inbound audio's reorder buffer as a pure state machine: packets in, frames out."""

from __future__ import annotations

from aiortc import RTCPeerConnection
from aiortc.jitterbuffer import JitterBuffer
from aiortc.rtp import RtpPacket

from media.audio_jitter import RESYNC_AFTER, PromptAudioBuffer, install


def packet(seq: int) -> RtpPacket:
    p = RtpPacket(payload_type=111, sequence_number=seq & 0xFFFF, timestamp=(seq * 960) & 0xFFFFFFFF)
    p._data = seq.to_bytes(4, "big", signed=True)  # type: ignore[attr-defined]  # set by aiortc's receiver
    return p


def handed(buffer: PromptAudioBuffer | JitterBuffer, seqs: list[int]) -> list[tuple[int, int | None]]:
    """For each packet in, the packet whose frame came out at once (None: nothing came out)."""
    out = []
    for seq in seqs:
        _, frame = buffer.add(packet(seq))
        out.append((seq, None if frame is None else int.from_bytes(frame.data, "big", signed=True)))
    return out


def test_each_packet_comes_out_as_it_goes_in_with_its_timestamp() -> None:
    buffer = PromptAudioBuffer()
    pli, frame = buffer.add(packet(7))
    assert pli is False
    assert frame is not None
    assert frame.timestamp == 7 * 960
    assert handed(buffer, [8, 9, 10]) == [(8, 8), (9, 9), (10, 10)]
    assert (buffer.handed, buffer.gaps, buffer.dropped) == (4, 0, 0)


def test_a_lost_packet_costs_no_delay_after_it() -> None:
    ours = handed(PromptAudioBuffer(), [*range(50), *range(51, 80)])
    assert all(out == seq for seq, out in ours)
    # aiortc's own buffer, for contrast: 4 packets behind, then 14 behind for good after the loss.
    theirs = handed(JitterBuffer(capacity=16, prefetch=4), [*range(50), *range(51, 80)])
    assert theirs[10] == (10, 6)
    assert theirs[-1][1] is not None
    assert theirs[-1][0] - theirs[-1][1] >= 14


def test_a_late_or_repeated_packet_is_dropped_and_counted() -> None:
    buffer = PromptAudioBuffer()
    assert buffer.summary() == ""
    assert handed(buffer, [1, 3, 2, 3, 4]) == [(1, 1), (3, 3), (2, None), (3, None), (4, 4)]
    assert (buffer.handed, buffer.gaps, buffer.dropped) == (3, 1, 2)
    assert buffer.summary() == "1 of 4 packets lost, 2 late or repeated, 0 resyncs"


def test_sequence_numbers_wrap_around() -> None:
    buffer = PromptAudioBuffer()
    seqs = [65533, 65534, 65535, 65536, 65537]
    # The packets carry 0 and 1 after 65535; each comes out at once, in order.
    assert [out for _, out in handed(buffer, seqs)] == seqs
    assert buffer.gaps == 0
    assert buffer.dropped == 0


def test_a_stream_that_restarts_its_numbers_is_followed_after_a_second() -> None:
    buffer = PromptAudioBuffer()
    handed(buffer, list(range(30000, 30010)))
    restarted = handed(buffer, list(range(100, 100 + RESYNC_AFTER + 5)))
    assert all(out is None for _, out in restarted[: RESYNC_AFTER - 1])
    assert all(out == seq for seq, out in restarted[RESYNC_AFTER - 1 :])
    assert buffer.resyncs == 1


async def test_install_replaces_an_audio_receivers_buffer_once() -> None:
    pc = RTCPeerConnection()
    try:
        receiver = pc.addTransceiver("audio").receiver
        buffer = install(receiver)
        assert isinstance(buffer, PromptAudioBuffer)
        assert install(receiver) is buffer  # already in place
        # Something that is not aiortc's receiver as this module knows it: left alone, and said so.
        assert install(object()) is None  # type: ignore[arg-type]
    finally:
        await pc.close()
