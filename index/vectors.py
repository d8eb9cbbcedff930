"""The vector-index interface every backend implements, and the factory that picks one.

Ids are chunk ids. Keeping the interface this small lets a remote backend
(a Qdrant cluster) replace the in-process FAISS index without touching callers.
"""

from __future__ import annotations

from pathlib import Path
from typing import Protocol

import numpy as np


class VectorIndex(Protocol):
    dim: int

    def __len__(self) -> int: ...

    def add(self, ids: np.ndarray, vectors: np.ndarray) -> None: ...

    def remove(self, ids: np.ndarray) -> None: ...

    def search(self, query: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
        """Scores and ids of the ``k`` nearest vectors, best first; ids of -1 pad."""
        ...

    def ids(self) -> np.ndarray: ...

    def save(self, path: Path) -> None:
        """Write atomically: a crash leaves the previous file or the new one."""
        ...


def create_vector_index(dim: int) -> VectorIndex:
    from index.faiss_index import FaissIndex

    return FaissIndex.create(dim)


def load_vector_index(path: Path) -> VectorIndex:
    from index.faiss_index import FaissIndex

    return FaissIndex.load(path)
