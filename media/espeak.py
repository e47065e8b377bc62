"""eSpeak NG text-to-speech through ctypes, with the library and voice data shipped by `espeakng_loader`.

eSpeak NG is a small formant synthesiser: robotic, but it needs no model download, runs hundreds of times
faster than real time on one core, and reports when every word starts, which barge-in handling needs.

The library runs in AUDIO_OUTPUT_SYNCHRONOUS mode: `espeak_Synth` returns only when the whole text has been
rendered, calling our synth callback on the calling thread with blocks of samples and events along the way.
No eSpeak thread and no audio device are involved.

libespeak-ng keeps all of its state (the synth callback, the current voice, rate, pitch, the output buffer)
in C globals. Every `ctypes.CDLL` of the same file shares that one copy, so two `EspeakTts` instances, or
two threads using one instance, would mix up each other's speech; without serialisation, parallel calls
were seen to abort the process with glibc heap corruption. `_LIBRARY_LOCK` serialises every call into the
library; it is deliberately the module's only global state. Each call sets the callback, voice and
parameters afresh under the lock, so nothing is cached across calls that another instance could change.
Synthesis takes about 1-2 ms per second of speech, so the lock is held only briefly.

`EspeakTts.phonemize` exposes eSpeak's text-to-phoneme conversion (IPA) under the same lock: neural
voices trained on eSpeak phonemes (`media.piper`) use it as their front end, so this module stays the only
one that calls into the library.

Output is not bit-identical between identical requests: eSpeak's pitch flutter keeps its phase in a
function-static variable that nothing resets, so speech shifts by up to ~20 ms depending on what was
synthesised before. Tests compare durations and word times with a tolerance, never bytes.
"""

from __future__ import annotations

import ctypes
import logging
import re
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

import espeakng_loader

from media.tts import DEFAULT_VOICE, Speech, Voice, WordMark

__all__ = ["ESPEAK_SAMPLE_RATE", "EspeakTts"]

logger = logging.getLogger(__name__)

# The rate eSpeak NG's own voices synthesise at; espeak_Initialize reports it, this is for documentation
# and for callers that need it before the first synthesis.
ESPEAK_SAMPLE_RATE = 22050

# Guards every call into libespeak-ng, across all EspeakTts instances: the library is process-global (see
# the module docstring). A lock, not state: which instance initialised the library is not tracked here.
_LIBRARY_LOCK = threading.Lock()

# speak_lib.h constants.
_AUDIO_OUTPUT_SYNCHRONOUS = 2
_INITIALIZE_DONT_EXIT = 0x8000  # without it a missing data folder calls exit() inside the library
_POS_CHARACTER = 1
_CHARS_UTF8 = 1  # and deliberately not espeakSSML (0x10) nor espeakPHONEMES (0x100): text is plain text
_EE_OK = 0
_EE_NOT_FOUND = 2
_EVENT_LIST_TERMINATED = 0
_EVENT_WORD = 1
_PARAM_RATE = 1
_PARAM_VOLUME = 2
_PARAM_PITCH = 3
_PARAM_RANGE = 4
_PARAM_PUNCTUATION = 5
_PARAM_CAPITALS = 6
_PARAM_WORDGAP = 7
_PUNCT_NONE = 0
_PHONEMES_IPA = 0x02  # espeak_TextToPhonemes phonememode: IPA symbols, words separated by spaces

# A voice is a voice file name (or eSpeak's display name) with an optional "+variant". Slashes and dots
# are refused so that a name can never point eSpeak at a file outside its voice folders.
_VOICE_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9 _()-]*")
_VARIANT_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9 _-]*")


class _EventId(ctypes.Union):
    _fields_ = [("number", ctypes.c_int), ("name", ctypes.c_char_p), ("string", ctypes.c_char * 8)]


class _Event(ctypes.Structure):
    """espeak_EVENT."""

    _fields_ = [
        ("type", ctypes.c_int),
        ("unique_identifier", ctypes.c_uint),
        ("text_position", ctypes.c_int),  # 1-based, in characters (code points) of the UTF-8 text
        ("length", ctypes.c_int),  # in characters
        ("audio_position", ctypes.c_int),  # milliseconds since the start of this espeak_Synth's audio
        ("sample", ctypes.c_int),
        ("user_data", ctypes.c_void_p),
        ("id", _EventId),
    ]


class _VoiceInfo(ctypes.Structure):
    """espeak_VOICE, as returned by espeak_ListVoices."""

    _fields_ = [
        ("name", ctypes.c_char_p),
        ("languages", ctypes.c_void_p),
        ("identifier", ctypes.c_char_p),
        ("gender", ctypes.c_ubyte),
        ("age", ctypes.c_ubyte),
        ("variant", ctypes.c_ubyte),
        ("xx1", ctypes.c_ubyte),
        ("score", ctypes.c_int),
        ("spare", ctypes.c_void_p),
    ]


_SynthCallback = ctypes.CFUNCTYPE(
    ctypes.c_int, ctypes.POINTER(ctypes.c_short), ctypes.c_int, ctypes.POINTER(_Event)
)


@dataclass(slots=True)
class _Capture:
    """What the synth callback collects during one espeak_Synth call."""

    chunks: list[bytes] = field(default_factory=list)
    words: list[tuple[int, int, int]] = field(default_factory=list)  # (audio ms, 1-based position, length)
    error: BaseException | None = None


class EspeakTts:
    """`TextToSpeech` backed by libespeak-ng. Thread-safe; instances are cheap until first used.

    Output is int16 mono at eSpeak's native rate (22050 Hz); resample where another rate is needed.
    """

    def __init__(
        self,
        *,
        library_path: str | Path | None = None,
        data_path: str | Path | None = None,
        buffer_ms: int = 200,
    ) -> None:
        self._library_path = str(library_path or espeakng_loader.get_library_path())
        self._data_path = str(data_path or espeakng_loader.get_data_path())
        # Only the size of the blocks handed to the callback; larger blocks mean fewer Python calls.
        self._buffer_ms = buffer_ms
        self._lib: ctypes.CDLL | None = None
        self._sample_rate: int | None = None
        # The library keeps a raw pointer to this thunk, so it must live as long as the instance does.
        self._callback = _SynthCallback(self._on_synth)
        self._capture: _Capture | None = None

    @property
    def sample_rate(self) -> int:
        """The rate of the PCM this engine produces (initialises the library if needed)."""
        with _LIBRARY_LOCK:
            self._ensure_initialized()
            assert self._sample_rate is not None
            return self._sample_rate

    def voices(self) -> tuple[str, ...]:
        """Voice names `synthesize` accepts (e.g. "en-us"); any may carry a "+variant" from `variants()`."""
        with _LIBRARY_LOCK:
            lib = self._ensure_initialized()
            listed = ctypes.cast(lib.espeak_ListVoices(None), ctypes.POINTER(ctypes.POINTER(_VoiceInfo)))
            names: set[str] = set()
            index = 0
            while listed[index]:
                identifier = listed[index].contents.identifier
                if identifier:
                    # espeak_SetVoiceByName finds a voice by its file name, not its path ("gmw/en-US").
                    names.add(identifier.decode("utf-8", "replace").rsplit("/", 1)[-1].lower())
                index += 1
        return tuple(sorted(names))

    def variants(self) -> tuple[str, ...]:
        """Voice variants (e.g. "f3", "klatt") that can be appended to a voice name with "+"."""
        folder = Path(self._data_path) / "voices" / "!v"
        return tuple(sorted(p.name for p in folder.iterdir() if p.is_file()))

    def synthesize(self, text: str, voice: Voice = DEFAULT_VOICE) -> Speech:
        """Speak `text` literally (no SSML, no phoneme escapes). Blank text gives empty speech.

        Raises ValueError for a voice eSpeak does not have, RuntimeError if the library fails.
        """
        name = self._checked_voice_name(voice.name)
        # A NUL would end the C string early; a lone surrogate cannot be encoded. Both are replaced by one
        # character so that eSpeak's character positions still index the caller's `text`.
        clean = text.replace("\x00", " ")
        encoded = clean.encode("utf-8", errors="replace") + b"\x00"
        blank = not clean.strip()
        started = time.perf_counter()
        with _LIBRARY_LOCK:
            lib = self._ensure_initialized()
            assert self._sample_rate is not None
            sample_rate = self._sample_rate
            self._apply_voice(lib, name, voice)
            if blank:
                # eSpeak renders a few ms of near-silence for blank text; callers want nothing at all.
                return Speech(b"", sample_rate, ())
            capture = _Capture()
            self._capture = capture
            try:
                lib.espeak_SetSynthCallback(self._callback)
                status = lib.espeak_Synth(
                    encoded, len(encoded), 0, _POS_CHARACTER, 0, _CHARS_UTF8, None, None
                )
                lib.espeak_Synchronize()
            finally:
                self._capture = None
        if capture.error is not None:
            raise RuntimeError("eSpeak synthesis callback failed") from capture.error
        if status != _EE_OK:
            raise RuntimeError(f"espeak_Synth failed with status {status}")
        pcm = b"".join(capture.chunks)
        words = self._word_marks(capture.words, text)
        speech = Speech(pcm, sample_rate, words)
        elapsed = time.perf_counter() - started
        logger.debug(
            "synthesised %s chars into %.2f s of audio in %.1f ms (real-time factor %.4f)",
            len(text),
            speech.duration_s,
            elapsed * 1000,
            elapsed / speech.duration_s if speech.duration_s else 0.0,
        )
        return speech

    def phonemize(self, text: str, voice_name: str = "en-us") -> str:
        """`text` (plain text, never markup) as IPA phonemes in `voice_name`'s language, words separated
        by spaces. eSpeak converts one clause per call; clauses are joined with a space, so punctuation
        is not in the result. Blank or unpronounceable text gives "".

        Raises ValueError for a voice eSpeak does not have.
        """
        name = self._checked_voice_name(voice_name)
        # As in `synthesize`: one replacement character per NUL or lone surrogate.
        encoded = text.replace("\x00", " ").encode("utf-8", errors="replace") + b"\x00"
        buffer = ctypes.create_string_buffer(encoded, len(encoded))
        pointer = ctypes.c_void_p(ctypes.addressof(buffer))
        pieces: list[str] = []
        with _LIBRARY_LOCK:
            lib = self._ensure_initialized()
            # Rate and pitch do not change phonemes; the default ones are set only so that selecting a
            # voice has one code path.
            self._apply_voice(lib, name, Voice(name=voice_name))
            # espeak_TextToPhonemes advances `pointer` past the clause it converted (a character or two
            # too far: it reads ahead), and sets it to NULL after the last one.
            while pointer.value:
                phonemes = lib.espeak_TextToPhonemes(ctypes.byref(pointer), _CHARS_UTF8, _PHONEMES_IPA)
                if phonemes:
                    pieces.append(phonemes.decode("utf-8", "replace"))
        return " ".join(piece.strip() for piece in pieces if piece.strip())

    def _checked_voice_name(self, name: str) -> bytes:
        base, plus, variant = name.partition("+")
        if not _VOICE_NAME.fullmatch(base) or (plus and not _VARIANT_NAME.fullmatch(variant)):
            raise ValueError(
                f"invalid eSpeak voice name {name!r}: expected a voice such as 'en-us' or 'en-us+f3'"
            )
        # eSpeak silently ignores an unknown variant, so check it against the variant files ourselves.
        if plus and variant not in self.variants():
            raise ValueError(
                f"unknown eSpeak voice variant {variant!r} in {name!r}; see EspeakTts.variants()"
            )
        return name.encode("utf-8")

    def _ensure_initialized(self) -> ctypes.CDLL:
        """Load and initialise the library once for this instance. Caller holds _LIBRARY_LOCK."""
        if self._lib is not None:
            return self._lib
        lib = ctypes.CDLL(self._library_path)
        lib.espeak_Initialize.argtypes = [ctypes.c_int, ctypes.c_int, ctypes.c_char_p, ctypes.c_int]
        lib.espeak_Initialize.restype = ctypes.c_int
        lib.espeak_SetSynthCallback.argtypes = [_SynthCallback]
        lib.espeak_SetSynthCallback.restype = None
        lib.espeak_SetVoiceByName.argtypes = [ctypes.c_char_p]
        lib.espeak_SetVoiceByName.restype = ctypes.c_int
        lib.espeak_SetParameter.argtypes = [ctypes.c_int, ctypes.c_int, ctypes.c_int]
        lib.espeak_SetParameter.restype = ctypes.c_int
        lib.espeak_Synth.argtypes = [
            ctypes.c_char_p,
            ctypes.c_size_t,
            ctypes.c_uint,
            ctypes.c_int,
            ctypes.c_uint,
            ctypes.c_uint,
            ctypes.c_void_p,
            ctypes.c_void_p,
        ]
        lib.espeak_Synth.restype = ctypes.c_int
        lib.espeak_Synchronize.argtypes = []
        lib.espeak_Synchronize.restype = ctypes.c_int
        lib.espeak_ListVoices.argtypes = [ctypes.c_void_p]
        lib.espeak_ListVoices.restype = ctypes.c_void_p
        lib.espeak_TextToPhonemes.argtypes = [ctypes.POINTER(ctypes.c_void_p), ctypes.c_int, ctypes.c_int]
        lib.espeak_TextToPhonemes.restype = ctypes.c_char_p
        # Initialising again (another instance did already) reloads the same data; it is how each
        # instance can be self-contained without a process-wide "initialised" flag.
        rate = int(
            lib.espeak_Initialize(
                _AUDIO_OUTPUT_SYNCHRONOUS, self._buffer_ms, self._data_path.encode(), _INITIALIZE_DONT_EXIT
            )
        )
        if rate <= 0:
            raise RuntimeError(f"espeak_Initialize failed (data path {self._data_path!r})")
        logger.info("eSpeak NG initialised at %s Hz from %s", rate, self._data_path)
        self._lib = lib
        self._sample_rate = rate
        return lib

    @staticmethod
    def _apply_voice(lib: ctypes.CDLL, name: bytes, voice: Voice) -> None:
        """Select the voice and set every parameter we depend on. Caller holds _LIBRARY_LOCK."""
        status = int(lib.espeak_SetVoiceByName(name))
        if status == _EE_NOT_FOUND:
            raise ValueError(
                f"unknown eSpeak voice {voice.name!r}; see EspeakTts.voices() for the available ones"
            )
        if status != _EE_OK:
            raise RuntimeError(f"espeak_SetVoiceByName({voice.name!r}) failed with status {status}")
        # Selecting a voice comes first: it may reset parameters. The rest are set to eSpeak's defaults in
        # case other code in this process changed them.
        for parameter, value in (
            (_PARAM_RATE, voice.rate),
            (_PARAM_PITCH, voice.pitch),
            (_PARAM_VOLUME, 100),
            (_PARAM_RANGE, 50),
            (_PARAM_WORDGAP, 0),
        ):
            status = int(lib.espeak_SetParameter(parameter, value, 0))
            if status != _EE_OK:
                raise RuntimeError(f"espeak_SetParameter({parameter}, {value}) failed with status {status}")
        # espeak-ng 1.52 applies these two (espeak_GetParameter shows the new value) but reports
        # EE_INTERNAL_ERROR for them, so their status is not checked. Without them, punctuation would be
        # spoken by name or capitals announced if anything else in the process had switched that on.
        lib.espeak_SetParameter(_PARAM_PUNCTUATION, _PUNCT_NONE, 0)
        lib.espeak_SetParameter(_PARAM_CAPITALS, 0, 0)

    def _on_synth(
        self,
        wav: ctypes._Pointer[ctypes.c_short],
        num_samples: int,
        events: ctypes._Pointer[_Event],
    ) -> int:
        """The synth callback: runs on the thread inside espeak_Synth. Returns 1 to abort synthesis."""
        capture = self._capture
        if capture is None:  # not ours to collect: abort rather than write into nothing
            return 1
        try:
            if wav and num_samples > 0:
                capture.chunks.append(ctypes.string_at(wav, num_samples * 2))
            index = 0
            while events[index].type != _EVENT_LIST_TERMINATED:
                event = events[index]
                if event.type == _EVENT_WORD:
                    capture.words.append((event.audio_position, event.text_position, event.length))
                index += 1
        except BaseException as exc:  # an exception must not unwind through C
            capture.error = exc
            return 1
        return 0

    @staticmethod
    def _word_marks(raw: list[tuple[int, int, int]], text: str) -> tuple[WordMark, ...]:
        marks: list[WordMark] = []
        for audio_ms, position, length in raw:
            offset = position - 1
            if length <= 0 or not 0 <= offset < len(text):
                continue
            mark = WordMark(audio_ms / 1000, offset, min(length, len(text) - offset))
            # eSpeak reports zero-length or blank "words" for stray punctuation and after words it expands
            # (an emoji's name); they mark nothing the listener could hear as that text.
            if not mark.word(text).strip():
                continue
            marks.append(mark)
        return tuple(marks)
