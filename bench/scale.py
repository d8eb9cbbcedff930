"""Data dirs of any size from one real build: its transcripts copied, vectors jittered.

A million chunks cannot be embedded on a laptop for every benchmark run, so
larger sizes reuse the real chunks' vectors plus Gaussian noise (cosine about
0.9 to the original), renormalised. Copies get distinct content hashes; their
chunk text and offsets are the real ones. Note the store's embedding cache is
keyed by text, so it ends up holding one jittered copy per text.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from index.store import Indexed, NewTranscript, Store, text_sha
from rag.chunking import Chunker
from rag.formats import parse

NOISE = 0.45


def scaled_copy(source: Path, target: Path, chunks: int, seed: int = 0) -> int:
    """Fill ``target`` with about ``chunks`` chunks taken from the store in ``source``."""
    store = Store(source)
    model, dim = store.model or "", store.dim
    base: list[tuple[NewTranscript, np.ndarray]] = []
    chunker = Chunker()
    for info in store.list_transcripts():
        found = store.get_transcript(info.id)
        if found is None:
            continue
        _, text = found
        pieces = chunker.chunk(parse(text, format=info.format, filename=info.name))
        shas = [text_sha(c.embed_text) for c in pieces]
        cached = store.cached_vectors(model, shas, dim)
        if pieces and all(s in cached for s in shas):
            vectors = np.stack([cached[s] for s in shas])
            base.append(
                (NewTranscript(info.name, info.format, text, Indexed(pieces, vectors)), vectors)
            )
    rng = np.random.default_rng(seed)
    items: list[NewTranscript] = []
    total, copy = 0, 0
    while total < chunks:
        for original, vectors in base:
            if total >= chunks:
                break
            if copy:
                noisy = vectors + rng.normal(scale=NOISE / np.sqrt(dim), size=vectors.shape)
                vectors = (noisy / np.linalg.norm(noisy, axis=1, keepdims=True)).astype(np.float32)
            items.append(
                NewTranscript(
                    f"{copy}-{original.name}",
                    original.format,
                    original.text,
                    Indexed(original.indexed.chunks, vectors),
                    sha256=f"{original.sha256}-{copy}",
                )
            )
            total += len(vectors)
        copy += 1
    Store(target).replace_all(items, model)
    return total
