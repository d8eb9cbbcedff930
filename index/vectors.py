"""The vector-index interface every backend implements, and the factory that picks one.

Ids are chunk ids. Keeping the interface this small lets a remote backend
(a Qdrant cluster) replace the in-process FAISS index without touching callers.
The FAISS backend chooses exact or approximate search by size on its own, with
the threshold and search breadth from settings (``RAG_ANN_THRESHOLD``,
``RAG_ANN_NPROBE``).
"""

from __future__ import annotations

from pathlib import Path
from typing import Protocol

import numpy as np


class VectorIndex(Protocol):
    dim: int

    @property
    def kind(self) -> str:
        """How searches run: ``"exact"`` or an approximate method such as ``"ivf"``."""
        ...

    def __len__(self) -> int: ...

    def add(self, ids: np.ndarray, vectors: np.ndarray) -> None: ...

    def remove(self, ids: np.ndarray) -> None: ...

    def search(self, query: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
        """Scores and ids of the ``k`` nearest vectors, best first; ids of -1 pad."""
        ...

    def ids(self) -> np.ndarray: ...

    def save(self, path: Path) -> None:
        """Persist to ``path``: a crash leaves the previous state or the new one.

        Saving again to the same path may append only what changed since.
        """
        ...


def _tuning() -> dict[str, int]:
    from rag.settings import get_settings

    settings = get_settings()
    return {"ann_threshold": settings.ann_threshold, "nprobe": settings.ann_nprobe}


def create_vector_index(dim: int) -> VectorIndex:
    from index.faiss_index import FaissIndex

    return FaissIndex.create(dim, **_tuning())


def load_vector_index(path: Path) -> VectorIndex:
    from index.faiss_index import FaissIndex

    return FaissIndex.load(path, **_tuning())
