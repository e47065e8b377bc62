"""The phone transport: a call bridged to the engine by a telephony provider's media stream, in Twilio
Media Streams' protocol (docs/phone.md).

The provider sends JSON text messages: `connected`, then `start` (the stream's and the call's ids, the
custom parameters, the media format: 8 kHz mono μ-law), then `media` every 20 ms (base64 μ-law of the
caller's `inbound` track), `mark` (a mark we sent has been played), `dtmf` and, when the call ends,
`stop`. The engine sends `media` (base64 μ-law), a `mark` after each interviewer line, and `clear` on
barge-in, which drops whatever the provider still buffers.

G.711 μ-law is the stdlib's `audioop` (C, maintained; on Python 3.13+ the `audioop-lts` package
provides the same module). Its 8 kHz is narrowband: the session upsamples it to 16 kHz for the VAD and
the recogniser, which hear telephone audio (300-3400 Hz) as a phone call sounds.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import json
import logging
import warnings
from dataclasses import dataclass
from typing import Any

from engine.live.stream import StreamTransport, Write
from engine.live.stream_limits import INVALID_DATA, POLICY, UNSUPPORTED, StreamViolation
from engine.live.transport import TransportKind
from media.outbound import InterviewerTrack

with warnings.catch_warnings():
    # Python 3.11-3.12 warn that `audioop` leaves the stdlib in 3.13, where `audioop-lts` (a declared
    # dependency there) installs the same module: the import is right on every version.
    warnings.simplefilter("ignore", DeprecationWarning)
    import audioop

__all__ = [
    "PHONE_RATE",
    "Connected",
    "Dtmf",
    "Mark",
    "Media",
    "PhoneTransport",
    "Stop",
    "StreamStart",
    "parse",
    "pcm_to_ulaw",
    "ulaw_to_pcm",
]

logger = logging.getLogger(__name__)

PHONE_RATE = 8000
ENCODING = "audio/x-mulaw"
MAX_SID = 64
MAX_PARAMETERS = 32
MAX_MARK = 64


def ulaw_to_pcm(data: bytes) -> bytes:
    """G.711 μ-law bytes to int16 little-endian PCM (same rate)."""
    return audioop.ulaw2lin(data, 2)


def pcm_to_ulaw(pcm: bytes) -> bytes:
    """int16 little-endian PCM to G.711 μ-law bytes (same rate)."""
    return audioop.lin2ulaw(pcm[: len(pcm) - len(pcm) % 2], 2)


# -- inbound messages --------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Connected:
    pass


@dataclass(frozen=True, slots=True)
class StreamStart:
    stream_sid: str
    call_sid: str
    custom_parameters: dict[str, str]


@dataclass(frozen=True, slots=True)
class Media:
    stream_sid: str | None
    track: str
    payload: bytes  # μ-law


@dataclass(frozen=True, slots=True)
class Mark:
    stream_sid: str | None
    name: str


@dataclass(frozen=True, slots=True)
class Dtmf:
    stream_sid: str | None
    digit: str


@dataclass(frozen=True, slots=True)
class Stop:
    stream_sid: str | None


Event = Connected | StreamStart | Media | Mark | Dtmf | Stop


def _invalid(what: str) -> StreamViolation:
    return StreamViolation(INVALID_DATA, what)


def _object(message: dict[str, Any], key: str) -> dict[str, Any]:
    value = message.get(key)
    if not isinstance(value, dict):
        raise _invalid(f"{key}: expected an object")
    return value


def _text(value: object, where: str, *, most: int = MAX_SID, empty: bool = False) -> str:
    if not isinstance(value, str) or (not value and not empty) or len(value) > most:
        raise _invalid(f"{where}: expected a string of at most {most} characters")
    return value


def _sid(message: dict[str, Any]) -> str | None:
    value = message.get("streamSid")
    return None if value is None else _text(value, "streamSid")


def parse(text: str) -> Event:
    """One message from the provider; StreamViolation (1007 malformed, 1003 unsupported) otherwise."""
    try:
        message = json.loads(text)
    except (json.JSONDecodeError, RecursionError):
        raise _invalid("malformed JSON") from None
    if not isinstance(message, dict):
        raise _invalid("expected a JSON object")
    event = message.get("event")
    if not isinstance(event, str):
        raise _invalid("event: expected a string")
    if event == "media":
        media = _object(message, "media")
        try:
            payload = base64.b64decode(
                _text(media.get("payload"), "media.payload", most=1 << 20), validate=True
            )
        except binascii.Error:
            raise _invalid("media.payload: not base64") from None
        track = media.get("track", "inbound")
        return Media(_sid(message), _text(track, "media.track"), payload)
    if event == "start":
        return _start(message)
    if event == "connected":
        return Connected()
    if event == "mark":
        return Mark(_sid(message), _text(_object(message, "mark").get("name"), "mark.name", most=MAX_MARK))
    if event == "dtmf":
        return Dtmf(_sid(message), _text(_object(message, "dtmf").get("digit"), "dtmf.digit", most=4))
    if event == "stop":
        return Stop(_sid(message))
    raise StreamViolation(UNSUPPORTED, f"unknown event {event[:32]!r}")


def _start(message: dict[str, Any]) -> StreamStart:
    start = _object(message, "start")
    stream_sid = _text(start.get("streamSid", message.get("streamSid")), "start.streamSid")
    call_sid = _text(start.get("callSid"), "start.callSid")
    media_format = start.get("mediaFormat")
    if media_format is not None:
        if not isinstance(media_format, dict):
            raise _invalid("start.mediaFormat: expected an object")
        shape = (
            media_format.get("encoding"),
            media_format.get("sampleRate"),
            media_format.get("channels", 1),
        )
        if shape != (ENCODING, PHONE_RATE, 1):
            raise StreamViolation(UNSUPPORTED, f"media format {shape!r}; only {ENCODING} at 8000 Hz, mono")
    raw = start.get("customParameters") or {}
    if not isinstance(raw, dict) or len(raw) > MAX_PARAMETERS:
        raise _invalid(f"start.customParameters: expected an object of at most {MAX_PARAMETERS} strings")
    parameters = {
        _text(key, "start.customParameters", most=200): _text(
            value, "start.customParameters", most=1000, empty=True
        )
        for key, value in raw.items()
    }
    return StreamStart(stream_sid, call_sid, parameters)


# -- the transport -----------------------------------------------------------------------------------


class PhoneTransport(StreamTransport):
    """One call's media stream, from its `start` on. The wire side (engine/api/phone_socket.py) reads the
    socket and calls `media`, `played`, `stop` and `lost`; the session reads `recv()`."""

    kind = TransportKind.PHONE

    def __init__(self, write: Write, start: StreamStart, *, max_queued_frames: int) -> None:
        super().__init__(write, in_rate=PHONE_RATE, out_rate=PHONE_RATE, max_queued_frames=max_queued_frames)
        self.stream_sid = start.stream_sid
        self.call_sid = start.call_sid
        self.lines_sent = 0  # marks sent, one behind each interviewer line
        self._stopped = False
        self._gone = False  # the provider stopped or closed the stream
        self.marks_played = 0
        self._mark_came = asyncio.Event()

    async def start(self, track: InterviewerTrack) -> None:
        await super().start(track)
        # The provider's `start` came before this transport was made: the call is up, unless it ended
        # while the session was starting.
        if self._stopped:
            self._hangup()
        elif self.ended:
            self._state("failed")
        else:
            self._state("connected")

    def encode_audio(self, pcm: bytes) -> str:
        payload = base64.b64encode(pcm_to_ulaw(pcm)).decode("ascii")
        return json.dumps({"event": "media", "streamSid": self.stream_sid, "media": {"payload": payload}})

    def send(self, message: dict[str, Any]) -> None:
        # The session says "listening" once the track has handed out a line's last frame: a mark right
        # behind its audio comes back from the provider when the caller has heard the whole line.
        if message.get("type") == "state" and message.get("state") == "listening":
            self.lines_sent += 1
            mark = {"name": f"line-{self.lines_sent}"}
            self.enqueue_after_audio(
                json.dumps({"event": "mark", "streamSid": self.stream_sid, "mark": mark})
            )

    def interrupted(self) -> None:
        super().interrupted()
        self.enqueue(json.dumps({"event": "clear", "streamSid": self.stream_sid}))

    # -- the wire side --------------------------------------------------------------------------------

    def check_sid(self, stream_sid: str | None) -> None:
        if stream_sid is not None and stream_sid != self.stream_sid:
            raise StreamViolation(POLICY, "streamSid differs from the stream's start")

    def media(self, event: Media) -> None:
        self.check_sid(event.stream_sid)
        if event.track != "inbound":
            return  # a stream with both tracks also echoes ours back: only the caller's is heard
        self.push_audio(ulaw_to_pcm(event.payload))

    def played(self, event: Mark) -> None:
        self.check_sid(event.stream_sid)
        self.marks_played += 1
        self._mark_came.set()
        logger.debug("phone stream %s: %s played", self.stream_sid, event.name)

    async def wait_heard(self) -> None:
        """Until the mark behind every line has come back (the caller heard it all), or the stream is gone."""
        while self.marks_played < self.lines_sent and not self._gone:
            self._mark_came.clear()
            await self._mark_came.wait()

    def stop(self) -> None:
        """The provider ended the stream (`stop`): the caller hung up."""
        self._gone = True
        self._mark_came.set()
        if not self._stopped:
            self._stopped = True
            self._hangup()
        self.end()

    @property
    def stopped(self) -> bool:
        return self._stopped

    def lost(self) -> None:
        """The socket closed or broke the protocol without `stop`: a lost call, resumable."""
        self._gone = True
        self._mark_came.set()
        if not self._stopped:
            self._state("failed")
        self.end()
