"""Speech recognition: faster-whisper (CTranslate2 Whisper) behind a small blocking, batch-shaped protocol.

`WhisperRecognizer.transcribe_batch` decodes several utterances with one batched decoder call
(`ctranslate2.models.Whisper.generate` on a batch of encoder outputs) instead of one
`WhisperModel.transcribe()` per utterance. On CPU the encoder still runs window by window: a batched
encoder call costs more per window there (bench/asr_batching.py has the numbers).

It mirrors what `transcribe()` does for one 30 s window with our options (same features, prompt,
suppressed tokens, greedy/beam settings, no-speech skip), so with `AsrOptions.window_s=30` the text is
token for token the same. By default utterances up to 10 s are encoded in a 20 s window instead, which
costs less than half as much at the same accuracy (see `AsrOptions`). An utterance whose first decode
would make `transcribe()` fall back to temperature sampling (too repetitive or too unlikely), or that is
longer than one window, is handed to `transcribe()` itself. Text without a letter or digit (the lone "."
Whisper may say to silence) counts as no text.

Each utterance may come with a prompt: the text said just before it (the previous piece of a long answer
that the segmenter cut), which Whisper reads as preceding context, as `transcribe()` does with
`initial_prompt`. And each result is checked for coverage: a decode that stops early can drop most of a
long utterance (Whisper without timestamps sometimes ends after its first sentence: 30 s of speech came
back as "Absolutely."). When the text has fewer than `asr_checks.MIN_WORDS_PER_SPEECH_S` words per second of
voiced audio, the utterance is transcribed again by `transcribe()` with timestamps, which walks the
window segment by segment, and the longer text is kept.

Everything here blocks; call it from a worker thread (see `media.asr_scheduler`).
"""

from __future__ import annotations

import logging
import math
import time
import zlib
from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol, runtime_checkable

import numpy as np
import numpy.typing as npt

from media import asr_checks
from media.asr_options import AsrOptions

if TYPE_CHECKING:
    pass

__all__ = [
    "WHISPER_SAMPLE_RATE",
    "FloatAudio",
    "Recognition",
    "SpeechRecognizer",
    "TimedTranscript",
    "TimedWord",
    "WhisperRecognizer",
    "pcm_to_float",
]

logger = logging.getLogger(__name__)

WHISPER_SAMPLE_RATE = 16_000
"""Whisper only takes 16 kHz mono; the media plane's PCM is already at this rate."""

FloatAudio = npt.NDArray[np.float32]

# faster-whisper's transcribe() defaults; the batched path applies the same rules so the two agree.
_COMPRESSION_RATIO_THRESHOLD = 2.4
_LOG_PROB_THRESHOLD = -1.0
_NO_SPEECH_THRESHOLD = 0.6
_MAX_LENGTH = 448  # Whisper's decoder context, prompt included
_DRAFT_TOKENS_PER_S = 12  # more than anyone speaks (about 5 words, 7 tokens, a second at the fastest)
_MAX_INITIAL_TIMESTAMP_INDEX = 50  # 1.0 s / 0.02 s, as transcribe() computes it
_WINDOW_FRAMES = 3000  # 30 s of 10 ms log-Mel frames: the window Whisper was trained on


def pcm_to_float(pcm: bytes) -> FloatAudio:
    """Little-endian int16 mono PCM to float32 in [-1, 1), the form Whisper takes."""
    if len(pcm) % 2:
        raise ValueError(f"int16 PCM must have an even number of bytes, got {len(pcm)}")
    return np.frombuffer(pcm, dtype="<i2").astype(np.float32) / np.float32(32768.0)


@dataclass(frozen=True, slots=True)
class Recognition:
    """One utterance's transcript.

    `confidence` is exp(mean token log-probability) of the decoded text (0 when there is no text);
    `audio_s` is the utterance length and `compute_s` its share of the decode call's wall time, so the
    compute seconds of a batch add up to what the batch cost. `hurried`: heard in a shorter encoder window
    than the finals' own, to keep up with a burst (`WhisperRecognizer.transcribe_hurried`); a little
    less exact, so the answer it belongs to is worth hearing again whole.
    """

    text: str
    confidence: float
    audio_s: float
    compute_s: float
    hurried: bool = False


@dataclass(frozen=True, slots=True)
class TimedWord:
    """A recognised word and where it lies in the audio (seconds from its start)."""

    word: str
    start: float
    end: float


@dataclass(frozen=True, slots=True)
class TimedTranscript:
    """A long stretch of speech transcribed in one pass, word by word (`WhisperRecognizer.transcribe_timed`)."""

    recognition: Recognition
    words: tuple[TimedWord, ...]


@runtime_checkable
class SpeechRecognizer(Protocol):
    def transcribe_batch(
        self, audios: Sequence[FloatAudio], prompts: Sequence[str] | None = None
    ) -> list[Recognition]:
        """Transcribe float32 mono 16 kHz utterances in [-1, 1]; blocking; one result per input, in order.
        `prompts` (one per utterance, "" for none) is what was said just before each one."""
        ...


def _as_audio(audio: npt.ArrayLike) -> FloatAudio:
    array = np.asarray(audio)
    if array.ndim != 1:
        raise ValueError(f"audio must be 1-D mono samples, got shape {array.shape}")
    return np.ascontiguousarray(array, dtype=np.float32)


def _spoken(text: str) -> str:
    """`text`, or "" when it has no letter or digit: a lone "." or "..." is what Whisper says to silence."""
    return text if any(ch.isalnum() for ch in text) else ""


def _compression_ratio(text: str) -> float:
    data = text.encode("utf-8")
    return len(data) / len(zlib.compress(data)) if data else 0.0


@dataclass(frozen=True, slots=True)
class _Decoded:
    text: str
    avg_logprob: float


class WhisperRecognizer:
    """faster-whisper's `WhisperModel`, loaded once (blocking) from `options.model`.

    Thread-safe: CTranslate2 models take concurrent calls, and no per-call state is kept here.
    """

    def __init__(self, options: AsrOptions) -> None:
        from faster_whisper import WhisperModel
        from faster_whisper.tokenizer import Tokenizer
        from faster_whisper.transcribe import get_suppressed_tokens

        self.options = options
        model_dir = Path(options.model)
        if model_dir.is_dir() and not (model_dir / "tokenizer.json").is_file():
            # faster-whisper would fetch the tokenizer from the Hugging Face Hub; we never download.
            raise FileNotFoundError(f"{model_dir / 'tokenizer.json'} is missing")
        started = time.perf_counter()
        # local_files_only: a model name is only looked up in the local cache, never fetched.
        self._model: Any = WhisperModel(
            options.model,
            device=options.device,
            compute_type=options.compute_type,
            cpu_threads=options.threads_per_model,
            local_files_only=True,
        )
        language = options.language if self._model.model.is_multilingual else "en"
        self._language = language
        self._tokenizer: Any = Tokenizer(
            self._model.hf_tokenizer, self._model.model.is_multilingual, task="transcribe", language=language
        )
        self._prompt: list[int] = self._model.get_prompt(self._tokenizer, [], without_timestamps=True)
        # transcribe()'s default suppress_tokens=[-1]: the model's non-speech symbols plus special tokens.
        self._suppress_tokens: list[int] = list(get_suppressed_tokens(self._tokenizer, [-1]))
        logger.info(
            "Whisper model %s loaded in %.2fs (device=%s, compute_type=%s, threads=%s)",
            options.model,
            time.perf_counter() - started,
            options.device,
            options.compute_type,
            options.threads_per_model,
        )

    @property
    def max_batch(self) -> int:
        """Most utterances one model call takes; `AsrScheduler` hands over no more, so results come back
        per call instead of after a long queue of calls."""
        return self.options.decode_batch

    def transcribe(self, audio: FloatAudio, prompt: str = "") -> Recognition:
        """One utterance; same as `transcribe_batch([audio], [prompt])[0]`."""
        return self.transcribe_batch([audio], [prompt])[0]

    def transcribe_batch(
        self, audios: Sequence[FloatAudio], prompts: Sequence[str] | None = None
    ) -> list[Recognition]:
        return self._transcribe_batch(audios, prompts, retries=True)

    def transcribe_draft(
        self, audios: Sequence[FloatAudio], prompts: Sequence[str] | None = None
    ) -> list[Recognition]:
        """`transcribe_batch` without its second passes: the greedy decode as it comes, and "" where it is
        unreliable (too repetitive or too unlikely) instead of transcribe()'s temperature fallback. For
        caption partials, which are replaced a second later: on hard audio (a disfluent speaker, a
        repeated letter) the fallback decodes again at up to five temperatures, 1.1-1.3 s on one core
        against 0.2 s for the greedy pass (docs/benchmarks.md, capacity with real voices), and would hold
        the recogniser's lane from the finals the conversation waits for."""
        return self._transcribe_batch(audios, prompts, retries=False, window_s=self.options.draft_window_s)

    def transcribe_hurried(
        self, audios: Sequence[FloatAudio], prompts: Sequence[str] | None = None
    ) -> list[Recognition]:
        """`transcribe_batch` with the drafts' shorter encoder window for the utterances that fit it
        (second passes kept), marked `hurried`. For a burst of finals that all wait for one batch (several
        answers ending at once): the encoder is most of a final's cost, and a 10 s window costs about a
        third of the 20 s one (52 against 144 ms per window on one core), for a live word error rate
        about half a point higher on real speech (docs/benchmarks.md)."""
        return self._transcribe_batch(audios, prompts, retries=True, window_s=self.options.draft_window_s)

    def _transcribe_batch(
        self,
        audios: Sequence[FloatAudio],
        prompts: Sequence[str] | None,
        *,
        retries: bool,
        window_s: float | None = None,
    ) -> list[Recognition]:
        arrays = [_as_audio(audio) for audio in audios]
        texts = [""] * len(arrays) if prompts is None else [prompt.strip() for prompt in prompts]
        if len(texts) != len(arrays):
            raise ValueError(f"{len(texts)} prompts for {len(arrays)} utterances")
        results: list[Recognition | None] = [None] * len(arrays)
        # Windows of one encoder call must have the same length, and CTranslate2 wants the prompts of one
        # decoder call to be as long as each other: group by both.
        tokens = [self._prompt_tokens(text) for text in texts]
        groups: dict[tuple[int, int], list[tuple[int, npt.NDArray[np.float32]]]] = {}
        # The shortest window at least twice the audio's length: `window_s` (a draft's own, shorter
        # one first), else Whisper's 30 s.
        sizes = sorted({round((window_s or self.options.window_s) * 100), round(self.options.window_s * 100)})
        for index, audio in enumerate(arrays):
            features = self._model.feature_extractor(audio)
            # transcribe() drops the last frame (content_frames = frames - 1); do the same so texts match.
            content_frames = features.shape[-1] - 1
            if content_frames <= 0:
                results[index] = Recognition("", 0.0, len(audio) / WHISPER_SAMPLE_RATE, 0.0)
            elif content_frames > _WINDOW_FRAMES:
                results[index] = self._transcribe_sequential(audio, texts[index])
            else:
                frames = next((size for size in sizes if 2 * content_frames <= size), _WINDOW_FRAMES)
                key = (frames, len(tokens[index]))
                groups.setdefault(key, []).append((index, features[:, :content_frames]))

        size = self.options.decode_batch
        for (frames, _), windows in groups.items():
            for start in range(0, len(windows), size):
                chunk = windows[start : start + size]
                started = time.perf_counter()
                prompts_of = [tokens[index] for index, _ in chunk]
                # A draft's (and a hurried final's) decoder stops at what the audio could hold: a decode
                # that loops (more often in a short window) would otherwise run to Whisper's 448 tokens,
                # and it is dropped as unreliable either way (a final then gets its second pass).
                hurried = retries and frames < round(self.options.window_s * 100)
                longest = max(features.shape[-1] for _, features in chunk) / 100
                bounded = hurried or not retries
                limit = _draft_length(prompts_of, longest) if bounded else _MAX_LENGTH
                decoded = self._decode_windows([features for _, features in chunk], frames, prompts_of, limit)
                share = (time.perf_counter() - started) / len(chunk)
                for (index, _), outcome in zip(chunk, decoded, strict=True):
                    result = self._recognition(arrays[index], outcome, share, texts[index], retries=retries)
                    results[index] = replace(result, hurried=True) if hurried else result
        return [result for result in results if result is not None]

    def _recognition(
        self, audio: FloatAudio, outcome: _Decoded | None, share: float, prompt: str, *, retries: bool
    ) -> Recognition:
        audio_s = len(audio) / WHISPER_SAMPLE_RATE
        if not retries:
            text = _spoken(outcome.text) if outcome is not None else ""
            confidence = math.exp(outcome.avg_logprob) if outcome is not None and text else 0.0
            return Recognition(text, min(1.0, confidence), audio_s, share)
        if outcome is None:
            # transcribe() would retry this one with temperature sampling; let it do exactly that. Without
            # the prompt: a decode too repetitive or too unlikely may be the context's doing.
            fallback = self._transcribe_sequential(audio)
            return Recognition(fallback.text, fallback.confidence, audio_s, share + fallback.compute_s)
        text = _spoken(outcome.text)
        confidence = math.exp(outcome.avg_logprob) if text else 0.0
        if prompt and len(text.split()) > asr_checks.MAX_WORDS_PER_S * audio_s + 2:
            # The context ran away with the decoder; hear the audio on its own.
            logger.info(
                "prompted decode of %.1fs gave %s words: decoded again without", audio_s, len(text.split())
            )
            retry = self._transcribe_sequential(audio)
            return Recognition(retry.text, retry.confidence, audio_s, share + retry.compute_s)
        if not asr_checks.covers(text, audio):
            # Words are missing: walk the window segment by segment instead, and keep the fuller text.
            retry = self._transcribe_sequential(audio, prompt, timestamps=True)
            logger.info(
                "coverage retry of a %.1fs utterance: %s words -> %s",
                audio_s,
                len(text.split()),
                len(retry.text.split()),
            )
            if len(retry.text.split()) > len(text.split()):
                return Recognition(retry.text, retry.confidence, audio_s, share + retry.compute_s)
            share += retry.compute_s
        return Recognition(text, min(1.0, confidence), audio_s, share)

    def transcribe_timed(self, audio: FloatAudio, prompt: str = "") -> TimedTranscript:
        """`audio` (any length) through faster-whisper's own `transcribe()`, 30 s window after window with
        the text so far as context and word timestamps: slower than `transcribe_batch`, and what offline
        transcription of a whole answer gets right that short live utterances miss."""
        started = time.perf_counter()
        audio = _as_audio(audio)
        segments, _info = self._model.transcribe(
            audio,
            language=self._language,
            beam_size=self.options.beam_size,
            vad_filter=False,
            word_timestamps=True,
            initial_prompt=prompt or None,
        )
        words: list[TimedWord] = []
        logprob_sum = 0.0
        token_count = 0
        for segment in segments:
            count = len(segment.tokens) + 1
            logprob_sum += segment.avg_logprob * count
            token_count += count
            words += [
                TimedWord(w.word.strip(), w.start, w.end) for w in segment.words or () if w.word.strip()
            ]
        text = _spoken(" ".join(w.word for w in words))
        confidence = math.exp(logprob_sum / token_count) if text and token_count else 0.0
        recognition = Recognition(
            text, min(1.0, confidence), len(audio) / WHISPER_SAMPLE_RATE, time.perf_counter() - started
        )
        return TimedTranscript(recognition, tuple(words) if text else ())

    def _prompt_tokens(self, prompt: str) -> list[int]:
        if not prompt:
            return list(self._prompt)
        previous = self._tokenizer.encode(" " + prompt)
        return list(self._model.get_prompt(self._tokenizer, previous, without_timestamps=True))

    def _encode(self, batch: npt.NDArray[np.float32]) -> Any:
        """Encoder output for a [batch, mels, frames] array, as a CTranslate2 StorageView."""
        import ctranslate2

        whisper = self._model.model
        if whisper.device != "cpu" or len(batch) == 1:
            return whisper.encode(ctranslate2.StorageView.from_array(batch))
        # On CPU a batched encoder call costs more per window than single calls (the attention working set
        # outgrows the caches, see the bench); only the decoder gains from batching. So encode one window
        # at a time and decode them together; the encoder outputs are the same either way.
        single = [
            whisper.encode(ctranslate2.StorageView.from_array(batch[i : i + 1])) for i in range(len(batch))
        ]
        return ctranslate2.StorageView.from_array(np.concatenate([np.asarray(out) for out in single]))

    def _decode_windows(
        self,
        windows: Sequence[npt.NDArray[np.float32]],
        frames: int,
        prompts: Sequence[list[int]],
        max_length: int = _MAX_LENGTH,
    ) -> list[_Decoded | None]:
        """Decode log-Mel windows (zero-padded to `frames`) as one batch; None where transcribe() falls back."""
        from faster_whisper.audio import pad_or_trim

        whisper = self._model.model
        batch = np.ascontiguousarray(np.stack([pad_or_trim(window, frames) for window in windows]))
        generated = whisper.generate(
            self._encode(batch),
            [list(prompt) for prompt in prompts],
            beam_size=self.options.beam_size,
            patience=1.0,
            length_penalty=1.0,
            repetition_penalty=1.0,
            no_repeat_ngram_size=0,
            max_length=max_length,
            return_scores=True,
            return_no_speech_prob=True,
            suppress_blank=True,
            suppress_tokens=self._suppress_tokens,
            max_initial_timestamp_index=_MAX_INITIAL_TIMESTAMP_INDEX,
        )
        decoded: list[_Decoded | None] = []
        for result in generated:
            tokens: list[int] = result.sequences_ids[0]
            # The score is length-normalised (length_penalty 1); undo it the way transcribe() does.
            avg_logprob = float(result.scores[0]) * len(tokens) / (len(tokens) + 1)
            no_speech = float(result.no_speech_prob)
            text = self._tokenizer.decode(tokens).strip()
            silent = no_speech > _NO_SPEECH_THRESHOLD and avg_logprob < _LOG_PROB_THRESHOLD
            unreliable = (
                _compression_ratio(text) > _COMPRESSION_RATIO_THRESHOLD or avg_logprob < _LOG_PROB_THRESHOLD
            )
            if unreliable and not silent:
                decoded.append(None)
            elif no_speech > _NO_SPEECH_THRESHOLD and avg_logprob <= _LOG_PROB_THRESHOLD:
                decoded.append(_Decoded("", avg_logprob))  # transcribe() skips the window as silence
            else:
                decoded.append(_Decoded(text, avg_logprob))
        return decoded

    def _transcribe_sequential(
        self, audio: FloatAudio, prompt: str = "", *, timestamps: bool = False
    ) -> Recognition:
        """faster-whisper's own `transcribe()`, iterated here so the work stays on this thread."""
        started = time.perf_counter()
        segments, _info = self._model.transcribe(
            audio,
            language=self._language,
            beam_size=self.options.beam_size,
            vad_filter=False,  # the segmenter already cut the speech out
            temperature=list(self.options.fallback_temperatures),
            best_of=self.options.fallback_best_of,
            without_timestamps=not timestamps,
            condition_on_previous_text=False,
            initial_prompt=prompt or None,
        )
        texts: list[str] = []
        logprob_sum = 0.0
        token_count = 0
        for segment in segments:
            texts.append(segment.text)
            count = len(segment.tokens) + 1
            logprob_sum += segment.avg_logprob * count
            token_count += count
        text = _spoken("".join(texts).strip())
        confidence = math.exp(logprob_sum / token_count) if text and token_count else 0.0
        return Recognition(
            text, min(1.0, confidence), len(audio) / WHISPER_SAMPLE_RATE, time.perf_counter() - started
        )


def _draft_length(prompts: Sequence[list[int]], seconds: float) -> int:
    """The most tokens a draft of `seconds` of audio decodes to (its prompt and start tokens included)."""
    return min(_MAX_LENGTH, max(len(p) for p in prompts) + math.ceil(_DRAFT_TOKENS_PER_S * seconds) + 8)
