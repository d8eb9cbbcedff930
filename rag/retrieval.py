"""Finds the chunks that answer a question: nearest vectors, overlaps removed."""

from __future__ import annotations

from dataclasses import dataclass

from index.store import Store
from rag.embedding import Embedder
from rag.models import StoredChunk


@dataclass(frozen=True)
class Hit:
    chunk: StoredChunk
    score: float


def _overlaps(a: StoredChunk, b: StoredChunk) -> bool:
    return a.transcript_id == b.transcript_id and a.start < b.end and b.start < a.end


def drop_overlaps(hits: list[Hit]) -> list[Hit]:
    """Keep the best-scored of any chunks that share characters, so no passage shows twice."""
    kept: list[Hit] = []
    for hit in sorted(hits, key=lambda h: -h.score):
        if not any(_overlaps(hit.chunk, k.chunk) for k in kept):
            kept.append(hit)
    return kept


class Retriever:
    def __init__(self, store: Store, embedder: Embedder) -> None:
        self.store = store
        self.embedder = embedder

    def search(self, question: str, top_k: int) -> list[Hit]:
        vector = self.embedder.encode_query(question)
        # Overlapping windows compete for the same places, so look a little deeper.
        pairs = self.store.search(vector, top_k * 3 + 10)
        chunks = self.store.get_chunks([cid for cid, _ in pairs])
        hits = [Hit(chunks[cid], score) for cid, score in pairs if cid in chunks]
        return drop_overlaps(hits)[:top_k]
