"""The numpy sentence encoder: same vectors as sentence-transformers, offline, batch-independent,
thread-safe, and a clear error when the model is not installed."""

from __future__ import annotations

import asyncio
import importlib.util
import json
import re
import socket
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from scoring.embeddings import PIP_INSTALL, EmbeddingModelMissing, SentenceEncoder
from scoring.model import ScoringError

REFERENCE = Path(__file__).parent / "data" / "minilm_reference.json"

LONG_PARAGRAPH = (
    "I owned the on-call rotation for our payments platform, wrote the runbooks, and cut the pages per "
    "week from forty to six by fixing the noisiest alerts first and deleting the ones nobody acted on. "
)
LONG_TEXT = LONG_PARAGRAPH * 12  # well over 256 word pieces


@pytest.fixture(scope="module")
def encoder() -> SentenceEncoder:
    return SentenceEncoder.load()


@pytest.fixture(scope="module")
def reference() -> dict[str, Any]:
    data: dict[str, Any] = json.loads(REFERENCE.read_text(encoding="utf-8"))
    return data


def test_matches_sentence_transformers(encoder: SentenceEncoder, reference: dict[str, Any]) -> None:
    # The reference set includes a text that must be truncated, so truncation is checked too.
    assert max(reference["word_pieces"]) > reference["max_seq_length"]
    expected = np.array(reference["vectors"], dtype=np.float64)
    got = encoder.encode(reference["sentences"]).astype(np.float64)
    for sentence, want, have in zip(reference["sentences"], expected, got, strict=True):
        cosine = want @ have / np.linalg.norm(want)
        assert cosine >= 0.9999, sentence
        np.testing.assert_allclose(have[:16], want[:16], atol=1e-4, err_msg=sentence)
    np.testing.assert_allclose(got @ got.T, np.array(reference["cosine"]), atol=1e-4)


def test_loads_and_encodes_without_network(monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(*args: object, **kwargs: object) -> None:
        raise OSError("network access attempted")

    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket.socket, "connect_ex", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)

    vectors = SentenceEncoder.load().encode(["Does this work offline?"])

    assert vectors.shape == (1, 384)


def test_paraphrases_are_closer_than_unrelated_texts(encoder: SentenceEncoder) -> None:
    latency, cache, holiday = encoder.encode(
        [
            "I reduced the API latency by caching results",
            "By adding a cache I cut response times of the API",
            "My favourite holiday was in Spain",
        ]
    )

    assert latency @ cache > 0.6
    assert latency @ cache > latency @ holiday + 0.4
    assert latency @ cache > cache @ holiday + 0.4
    assert (
        encoder.similarity(
            "I reduced the API latency by caching results", "My favourite holiday was in Spain"
        )
        < 0.2
    )


def test_batch_and_one_by_one_agree(encoder: SentenceEncoder) -> None:
    # Very different lengths in one batch: padding must not change any text's vector.
    texts = [
        "Yes.",
        LONG_TEXT,
        "I led a team of five engineers on the billing rewrite.",
        "",
        "No idea, sorry!",
    ]
    small_batches = SentenceEncoder.load(encoder.model_dir, batch_size=2, cache_size=0)

    together = small_batches.encode(texts)
    alone = np.concatenate([small_batches.encode([text]) for text in texts])

    np.testing.assert_allclose(together, alone, atol=1e-5)
    np.testing.assert_allclose(together, encoder.encode(texts), atol=1e-5)


def test_output_shape_dtype_and_norm(encoder: SentenceEncoder) -> None:
    texts = ["", "   ", "42", "Caching, sharding & replicas: 3 ways to scale!", LONG_TEXT]

    vectors = encoder.encode(texts)

    assert vectors.shape == (len(texts), encoder.dimension) == (5, 384)
    assert vectors.dtype == np.float32
    assert np.isfinite(vectors).all()
    np.testing.assert_allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)
    assert encoder.encode([]).shape == (0, 384)


def test_long_text_is_truncated_not_rejected(encoder: SentenceEncoder) -> None:
    # Only the first 256 word pieces count: what comes after them changes nothing.
    base, extended = encoder.encode([LONG_TEXT, LONG_TEXT + " And then I went on holiday to Spain."])

    np.testing.assert_allclose(base, extended, atol=1e-6)


def test_duplicates_and_cache_return_the_same_vectors(encoder: SentenceEncoder) -> None:
    first = encoder.encode(["Tell me about yourself.", "Tell me about yourself."])
    first[0] *= 0.0  # callers own the returned array; this must not reach the cache

    again = encoder.encode(["Tell me about yourself."])

    np.testing.assert_array_equal(again[0], first[1])
    assert np.linalg.norm(again[0]) == pytest.approx(1.0, abs=1e-5)
    encoder.clear_cache()
    np.testing.assert_allclose(encoder.encode(["Tell me about yourself."])[0], first[1], atol=1e-6)


async def test_concurrent_calls_from_worker_threads(encoder: SentenceEncoder) -> None:
    texts = [f"Answer number {i}: I improved the deploy pipeline by {i} percent." for i in range(24)]
    fresh = SentenceEncoder.load(encoder.model_dir, cache_size=0)
    expected = fresh.encode(texts)

    results = await asyncio.gather(*(asyncio.to_thread(fresh.encode, texts[i::4]) for i in range(4)))

    for i, vectors in enumerate(results):
        np.testing.assert_allclose(vectors, expected[i::4], atol=1e-5)


def test_a_single_string_is_refused(encoder: SentenceEncoder) -> None:
    with pytest.raises(TypeError, match="sequence of texts"):
        encoder.encode("not a list")


def test_missing_model_dir_raises_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(EmbeddingModelMissing, match=re.escape(PIP_INSTALL)) as info:
        SentenceEncoder.load(tmp_path / "nowhere")

    assert isinstance(info.value, ScoringError)
    assert "model.safetensors" in str(info.value)


def test_missing_package_raises_a_clear_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(importlib.util, "find_spec", lambda name: None)

    with pytest.raises(EmbeddingModelMissing, match=r"not installed.*" + re.escape(PIP_INSTALL)):
        SentenceEncoder.load()


def test_one_shared_encoder_per_model_dir(tmp_path: Path) -> None:
    first = SentenceEncoder.shared()
    assert SentenceEncoder.shared() is first
    assert SentenceEncoder.shared(first.model_dir) is first
    assert first.encode(["shared"]).shape == (1, 384)
    with pytest.raises(EmbeddingModelMissing):
        SentenceEncoder.shared(tmp_path)  # a directory without a model is not cached as one
    with pytest.raises(EmbeddingModelMissing):
        SentenceEncoder.shared(tmp_path)
