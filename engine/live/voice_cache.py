"""Rendered interviewer lines, kept for the next session that says the same thing in the same voice.

Every candidate of a template hears the same planned questions, and every interview the same
acknowledgements, nudges and closing lines; rendering one (neural synthesis, then resampling to 48 and
16 kHz) costs about a tenth of a second of CPU per second of speech with Piper, every time. An `Utterance`
is immutable, so one rendering can be played to any number of sessions. Lines that differ per candidate
(the greeting with their name, an LLM's wording) simply miss.

The cache is bounded by bytes (least recently used goes first) and shared by the sessions of one engine
(one per speech engine object, so two apps in one process, as in the tests, keep their own). Two sessions
asking for the same line at once share one rendering.
"""

from __future__ import annotations

import asyncio
import contextlib
import weakref
from collections import OrderedDict
from collections.abc import Awaitable, Callable

from media.outbound import Utterance
from media.tts import TextToSpeech, Voice

__all__ = ["DEFAULT_MAX_BYTES", "UtteranceCache", "cache_for", "configure"]

DEFAULT_MAX_BYTES = 48 * 1024 * 1024  # about 6 minutes of speech (48 kHz wire + 16 kHz recording copies)

_Key = tuple[str, str, int, int]


class UtteranceCache:
    def __init__(self, max_bytes: int = DEFAULT_MAX_BYTES) -> None:
        self.max_bytes = max_bytes
        self._lines: OrderedDict[_Key, Utterance] = OrderedDict()
        self._rendering: dict[_Key, asyncio.Future[Utterance]] = {}
        self._bytes = 0
        self.hits = 0
        self.misses = 0

    @property
    def size_bytes(self) -> int:
        return self._bytes

    async def get(self, text: str, voice: Voice, render: Callable[[], Awaitable[Utterance]]) -> Utterance:
        """The line rendered before, or `render()`'s result (then kept). Call on the event loop."""
        key = (text, voice.name, voice.rate, voice.pitch)
        kept = self._lines.get(key)
        if kept is not None:
            self._lines.move_to_end(key)
            self.hits += 1
            return kept
        pending = self._rendering.get(key)
        if pending is not None:
            self.hits += 1
            # Shielded: one waiter cancelled (a barge-in) must not cancel the others' rendering.
            return await asyncio.shield(pending)
        self.misses += 1
        future: asyncio.Future[Utterance] = asyncio.ensure_future(render())
        # Retrieved even when every waiter was cancelled (no "exception never retrieved" noise).
        future.add_done_callback(lambda done: done.cancelled() or done.exception())
        self._rendering[key] = future
        try:
            utterance = await asyncio.shield(future)
        finally:
            if self._rendering.get(key) is future:
                del self._rendering[key]
        self._keep(key, utterance)
        return utterance

    def _keep(self, key: _Key, utterance: Utterance) -> None:
        size = _size(utterance)
        if size > self.max_bytes // 4 or key in self._lines:
            return  # a very long line would push out many short ones that come back more often
        self._lines[key] = utterance
        self._bytes += size
        while self._bytes > self.max_bytes:
            _, oldest = self._lines.popitem(last=False)
            self._bytes -= _size(oldest)


def _size(utterance: Utterance) -> int:
    return len(utterance.pcm_out) + len(utterance.pcm_rec) + sum(len(p) for p in utterance.opus)


_caches: weakref.WeakKeyDictionary[TextToSpeech, UtteranceCache] = weakref.WeakKeyDictionary()


def cache_for(tts: TextToSpeech) -> UtteranceCache | None:
    """The cache of the lines `tts` rendered (one per speech engine object, released with it); None when
    caching is off for it (`configure(tts, 0)`) or it cannot be weakly referenced and hashed."""
    try:
        cache = _caches.get(tts)
        if cache is None:
            cache = _caches[tts] = UtteranceCache()
    except TypeError:
        return None
    return cache if cache.max_bytes > 0 else None


def configure(tts: TextToSpeech, max_bytes: int) -> None:
    """Bound the cache of `tts` to `max_bytes` (IE_TTS__CACHE_MB); 0 turns caching off for it."""
    with contextlib.suppress(TypeError):
        _caches[tts] = UtteranceCache(max_bytes)
