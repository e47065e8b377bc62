"""The answers the turn-taking benchmark plays: synthetic ones with pauses spliced in, and real people's.

Synthetic (`answers`): two interview-style sentences, each synthesised in one piece and cut at a word
boundary, with a hesitation pause of 0.5-1.2 s spliced in mid-sentence (the audio before the pause is the
start of the sentence as the voice says it inside the sentence, so its prosody is that of a speaker who is
not done) and a 0.3-0.6 s gap between the sentences.

Human (`human_answers`): recordings of real speakers that ship in packages (`bench.real_speech`: MFA's
spontaneous monologues and disfluent clips, LibriVox and JFK read speech, Asterisk's phone prompts), each
played as one answer as it was recorded. Their pauses are found by level (10 ms frames more than 12 dB
above the recording's own noise floor count as sound) and sorted by length; the speaker goes on after
every one of them, so the interviewer taking the turn in any is a cut-in. A pause is mid-sentence unless
the word before it ends a sentence in Whisper's own punctuated transcript of the whole recording
(`transcribe_timed`); mid-sentence pauses are reported by length: 0.5-1.2 s (the issue's hesitation
range), 0.25-0.5 s, and over 1.2 s.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import webrtcvad

from bench.real_speech import SOURCES, Recording, load
from media.asr import TimedWord
from media.tts import DEFAULT_VOICE, TextToSpeech
from media.vad import VadConfig
from tests.speech import resample

__all__ = ["RATE", "SENTENCES", "Answer", "Gap", "answers", "human_answers", "played_answers", "sound_span"]

RATE = 16_000
SOUND_DBFS = -45.0
HUMAN_SETS = ("spontaneous", "disfluent", "read", "sentences", "phone")

SENTENCES = (
    "I would put the incoming orders on a queue and let a pool of workers process them in order.",
    "We moved the billing service to Kubernetes because the old servers kept failing under load.",
    "In my last role I led a team of five engineers that built the payments platform from scratch.",
    "The main trade-off was consistency against availability when the network between regions failed.",
    "I think the best approach would be to cache the results in Redis for a few minutes at most.",
    "First I would look at the error logs, and then I would check the latency dashboard for spikes.",
    "My biggest weakness is that I sometimes take on too much of the work myself instead of delegating.",
    "We measured the response times before and after the change and the median dropped by half.",
    "I usually start by writing a small prototype so that we can test the idea with real users early.",
    "That project taught me to ask for feedback early instead of waiting until everything was finished.",
    "The database was the bottleneck, so we added read replicas and moved the reports off the primary.",
    "When two teams disagreed about the interface, I wrote down both options and we picked one together.",
    "Our deployments used to take an hour, and after we automated the pipeline they took ten minutes.",
    "I would shard the users table by customer so that no single node holds more than a few million rows.",
    "The hardest bug I fixed was a race condition that only happened when two requests arrived together.",
    "We chose PostgreSQL over a document store because most of our queries joined several tables.",
    "To onboard new engineers I paired with each of them for their first week on a real ticket.",
    "The service retried failed calls with exponential backoff and gave up after about thirty seconds.",
    "I try to keep pull requests small, because reviewers catch more problems in a short change.",
    "We found the memory leak by comparing heap snapshots taken an hour apart on the staging server.",
    "If I had more time I would have written load tests before the launch rather than after it.",
    "The customer wanted a new feature every week, so we agreed on a monthly release with a demo.",
    "I measured the cache hit rate first, and it turned out that most requests missed the cache anyway.",
    "Our on-call rotation had six people, and each incident got a short written review the next day.",
    "For the search feature we used an inverted index that we rebuilt every night from the main tables.",
    "I learned to estimate work in small pieces, because my large estimates were always far too low.",
)


# -- synthetic answers -------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Gap:
    """A silence inside an answer: from the end of the sound before it to the start of the sound after."""

    start_s: float
    end_s: float
    kind: str  # "hesitation" (mid-sentence) or "sentence" (between the two sentences)


@dataclass(slots=True)
class Answer:
    pcm: bytes
    gaps: list[Gap]
    end_s: float  # end of the last sound


def sound_span(samples: np.ndarray) -> tuple[int, int]:
    """First and last+1 sample of the 10 ms frames above SOUND_DBFS."""
    frame = RATE // 100
    n = len(samples) // frame
    if n == 0:
        return 0, len(samples)
    frames = samples[: n * frame].astype(np.float64).reshape(n, frame)
    rms = np.sqrt(np.mean(frames * frames, axis=1)) / 32768.0
    loud = np.nonzero(20 * np.log10(np.maximum(rms, 1e-9)) > SOUND_DBFS)[0]
    if len(loud) == 0:
        return 0, 0
    return int(loud[0]) * frame, (int(loud[-1]) + 1) * frame


def quietest_cut(samples: np.ndarray, around: int, reach: int) -> int:
    """The start of the quietest 10 ms within `reach` samples of `around`: a word mark that is an estimate
    (Piper's) lands on the boundary rather than inside a word."""
    frame = RATE // 100
    lo, hi = max(frame, around - reach), min(len(samples) - frame, around + reach)
    best, best_energy = around, float("inf")
    for start in range(lo, hi, frame // 2):
        chunk = samples[start : start + frame].astype(np.float64)
        energy = float(np.dot(chunk, chunk))
        if energy < best_energy:
            best, best_energy = start, energy
    return best


def render_sentence(tts: TextToSpeech, text: str, cuts: int, rng: random.Random) -> list[np.ndarray]:
    """`text` spoken in one piece, cut at `cuts` word boundaries (not near either end): its pieces."""
    speech = tts.synthesize(text, DEFAULT_VOICE)
    samples = np.frombuffer(resample(speech.pcm, speech.sample_rate, RATE), dtype="<i2")
    first, last = sound_span(samples)
    samples = samples[first:last]
    offset = first / RATE
    marks = [m for m in speech.words if m.start_s - offset > 0.3]
    eligible = marks[2:-2]  # keep a couple of words at either end: a pause there is not mid-sentence
    chosen = sorted(rng.sample(range(len(eligible)), cuts), key=lambda i: eligible[i].start_s)
    points = [
        quietest_cut(samples, round((eligible[i].start_s - offset) * RATE), RATE * 6 // 100) for i in chosen
    ]
    pieces, previous = [], 0
    for point in points:
        piece = samples[previous:point]
        end = sound_span(piece)[1]
        pieces.append(piece[:end])
        rest = samples[point:]
        previous = point + sound_span(rest)[0]
    pieces.append(samples[previous:])
    return pieces


def build_answer(tts: TextToSpeech, texts: Sequence[str], rng: random.Random) -> Answer:
    parts: list[np.ndarray] = [np.zeros(RATE, dtype=np.int16)]
    gaps: list[Gap] = []
    position = RATE

    def add_silence(seconds: float, kind: str) -> None:
        nonlocal position
        samples = round(seconds * RATE)
        gaps.append(Gap(position / RATE, (position + samples) / RATE, kind))
        parts.append(np.zeros(samples, dtype=np.int16))
        position += samples

    for index, text in enumerate(texts):
        if index:
            add_silence(rng.uniform(0.3, 0.6), "sentence")
        pieces = render_sentence(tts, text, 1, rng)
        for number, piece in enumerate(pieces):
            if number:
                add_silence(rng.uniform(0.5, 1.2), "hesitation")
            parts.append(piece.astype(np.int16))
            position += len(piece)
    end_s = position / RATE
    parts.append(np.zeros(3 * RATE, dtype=np.int16))
    mixed = np.concatenate(parts).astype(np.float64)
    # A microphone's noise floor: digital silence is no real pause, and the VAD and the model both see it.
    noise = np.random.default_rng(rng.randrange(2**32)).normal(0.0, 16.0, len(mixed))
    pcm = np.clip(mixed + noise, -32768, 32767).astype("<i2").tobytes()
    return Answer(pcm, gaps, end_s)


def answers(tts: TextToSpeech, count: int, seed: int) -> list[Answer]:
    rng = random.Random(seed)
    built = []
    for i in range(count):
        first, second = SENTENCES[(2 * i) % len(SENTENCES)], SENTENCES[(2 * i + 1) % len(SENTENCES)]
        built.append(build_answer(tts, (first, second), rng))
    return built


# -- real people ---------------------------------------------------------------------------------------


def _frame_levels(samples: np.ndarray) -> np.ndarray:
    """dBFS of each 10 ms frame."""
    frame = RATE // 100
    n = len(samples) // frame
    frames = samples[: n * frame].astype(np.float64).reshape(n, frame)
    rms = np.sqrt(np.mean(frames * frames, axis=1)) / 32768.0
    return np.asarray(20 * np.log10(np.maximum(rms, 1e-9)))


def _room_tone(samples: np.ndarray, levels: np.ndarray, frames: int = 20) -> np.ndarray:
    """The recording's quietest 200 ms (its own room and microphone), to pad it with: white noise at the
    same level is heard as speech by the VAD, which a real room's hum is not."""
    frame = RATE // 100
    if len(levels) <= frames:
        return np.zeros(frame, dtype=np.float64)
    window = np.convolve(levels, np.ones(frames) / frames, mode="valid")
    start = int(np.argmin(window)) * frame
    tone = samples[start : start + frames * frame].astype(np.float64)
    # Fade both ends so the tiled copies join without a click.
    fade = np.linspace(0.0, 1.0, frame)
    tone[:frame] *= fade
    tone[-frame:] *= fade[::-1]
    return tone


def _sounds_like_speech(tone: np.ndarray) -> bool:
    """Whether the engine's VAD (its default aggressiveness) hears 1 s of this room tone as speech."""
    pcm = np.clip(np.resize(tone, RATE), -32768, 32767).astype("<i2").tobytes()
    vad = webrtcvad.Vad(VadConfig().aggressiveness)
    step = RATE // 50 * 2  # 20 ms of 16-bit samples
    speech = sum(bool(vad.is_speech(pcm[i : i + step], RATE)) for i in range(0, len(pcm) - step + 1, step))
    return speech >= 3


def pause_kind(seconds: float, after_sentence: bool) -> str:
    """ "sentence" after a word that ends a sentence; mid-sentence pauses by length: "hesitation" for
    0.5-1.2 s (the issue's range), "short" below, "long" above; "brief" under 0.25 s either way."""
    if seconds < 0.25:
        return "brief"
    if after_sentence:
        return "sentence"
    if seconds > 1.2:
        return "long"
    return "hesitation" if seconds >= 0.5 else "short"


def _ends_sentence(words: Sequence[TimedWord], at_s: float) -> bool:
    """Whether the last word heard before `at_s` (recording time) ends with . ? or ! in Whisper's own
    punctuated transcript."""
    before = [w for w in words if w.start < at_s]
    return bool(before) and before[-1].word.rstrip("\"')").endswith((".", "?", "!"))


def human_answer(pcm16k: np.ndarray, words: Sequence[TimedWord] = ()) -> Answer | None:
    """One recording as an answer: 1 s before and 3 s after of its own room tone, its pauses of
    0.1 s or more found by level. None when it has no sound, or when the VAD hears its room tone as
    speech (a browser's noise suppression would take that hiss out; this benchmark has none)."""
    levels = _frame_levels(pcm16k)
    if len(levels) < 10:
        return None
    floor, peak = float(np.percentile(levels, 10)), float(np.percentile(levels, 95))
    loud = levels > max(floor + 12.0, peak - 40.0)
    frames = np.nonzero(loud)[0]
    if len(frames) == 0:
        return None
    first, last = int(frames[0]), int(frames[-1])
    frame = RATE // 100
    # Keep a little of the recording's own quiet either side of the voice (a breath, the room).
    body = pcm16k[max(0, (first - 20) * frame) : (last + 21) * frame].astype(np.float64)
    lead = min(20, first) * frame
    tone = _room_tone(pcm16k, levels)
    if _sounds_like_speech(tone):
        return None  # a hiss the VAD hears as speech: no pause in it could be heard either
    before, after = np.resize(tone, RATE), np.resize(tone, 3 * RATE)
    mixed = np.concatenate([before, body, after])
    offset = (RATE + lead) / RATE - first / 100  # seconds: recording frame time -> answer time
    gaps: list[Gap] = []
    quiet_from: int | None = None
    for index in range(first, last + 1):
        if not loud[index]:
            if quiet_from is None:
                quiet_from = index
        elif quiet_from is not None:
            length = (index - quiet_from) / 100
            if length >= 0.1:
                kind = pause_kind(length, _ends_sentence(words, quiet_from / 100))
                gaps.append(Gap(quiet_from / 100 + offset, index / 100 + offset, kind))
            quiet_from = None
    pcm = np.clip(mixed, -32768, 32767).astype("<i2").tobytes()
    return Answer(pcm, gaps, (last + 1) / 100 + offset)


def human_answers(
    recordings: Sequence[Recording],
    timed: Callable[[np.ndarray], Sequence[TimedWord]],
    sets: Sequence[str] = HUMAN_SETS,
) -> list[Answer]:
    """Recordings of the given sets as answers, their pauses placed in sentences by `timed` (16 kHz float
    audio to punctuated words with times). The joined LibriVox passage is left out: its gaps are where
    separate recordings were put together."""
    found = []
    for recording in recordings:
        if recording.set not in sets or recording.id == "librivox/joined":
            continue
        answer = human_answer(recording.pcm16k, timed(recording.pcm16k.astype(np.float32) / 32768.0))
        if answer is not None:
            found.append(answer)
    return found


def played_answers(
    cache: Path, min_s: float = 3.0, max_s: float = 30.0, log: Callable[[str], None] = print
) -> list[tuple[bytes, float]]:
    """Real people's recordings (`bench.real_speech`) as answers a scripted candidate plays: 16 kHz int16
    PCM of `min_s`-`max_s` of voice (1 s of the recording's own room tone before it, 1 s after its last
    sound) with the offset of that last sound, taken from each set in turn."""
    recordings, failed = load(cache, list(SOURCES), log)
    if failed:
        log(f"human recordings missing from: {', '.join(failed)}")
    by_set: dict[str, list[tuple[bytes, float]]] = {}
    for recording in recordings:
        answer = human_answer(recording.pcm16k)
        if recording.id == "librivox/joined" or answer is None or not min_s <= answer.end_s - 1 <= max_s:
            continue
        by_set.setdefault(recording.set, []).append(
            (answer.pcm[: round((answer.end_s + 1.0) * RATE) * 2], answer.end_s)
        )
    queues = [list(found) for _, found in sorted(by_set.items())]
    ordered = []
    while any(queues):
        ordered += [queue.pop(0) for queue in queues if queue]
    return ordered
