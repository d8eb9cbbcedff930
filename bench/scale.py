"""Data dirs of any size from one real build: its transcripts copied, vectors jittered.

A million chunks cannot be embedded on a laptop for every benchmark run, so
larger sizes reuse the real chunks' vectors in every space the source index
has (dense, question, multilingual, ...). The first copy keeps the real
vectors; each later copy adds Gaussian noise to every vector of every space
independently and renormalises. The noise is a fixed share of the space's own
spread (the RMS distance of its vectors from their mean): encoders bunch their
vectors very differently (random pairs of real chunks: cosine 0.32 under MiniLM,
0.84 under e5), and noise of one absolute size would leave MiniLM's copies
near their originals (cosine 0.9, nearest real neighbour 0.70) but scatter
e5's further than their nearest real neighbours (0.92), a space of noise with
no neighbourhoods left for an index to find. With the share, a copy sits at
about a third of the distance to its original's nearest neighbour in both.
Copies get distinct content hashes; their chunk text and offsets are the real
ones, so the keyword index sees each real text once per copy. The store's
embedding cache is keyed by text and keeps the first vector it is given, so it
holds the real (unjittered) vector of each text.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from index.store import Indexed, NewTranscript, Space, Store, text_sha, view_text
from rag.chunking import Chunker, ChunkingConfig
from rag.formats import parse
from rag.models import Chunk
from rag.settings import get_settings

NOISE_SHARE = 0.55
"""Noise norm as a share of the space's spread: 0.45 for MiniLM (spread 0.83), 0.22 for e5."""


def _cached(store: Store, spaces: list[Space], chunks: list[Chunk]) -> dict[str, np.ndarray]:
    """Per space, the cached vectors of the chunks that have its view's text, in order.

    A space missing any of them is left out of the result.
    """
    out: dict[str, np.ndarray] = {}
    for space in spaces:
        shas = [text_sha(t) for c in chunks if (t := view_text(c, space.view)) is not None]
        cached = store.cached_vectors(space.model, shas, space.dim)
        if all(s in cached for s in shas):
            rows = [cached[s] for s in shas] or [np.zeros((0, space.dim))]
            out[space.name] = np.vstack(rows).astype(np.float32)
    return out


def spread(vectors: np.ndarray) -> float:
    """RMS distance of the vectors from their mean (0 for none)."""
    if not len(vectors):
        return 0.0
    centred = vectors - vectors.mean(axis=0)
    return float(np.sqrt((centred**2).sum(axis=1).mean()))


def _jitter(vectors: np.ndarray, noise: float, rng: np.random.Generator) -> np.ndarray:
    noisy = vectors + rng.normal(scale=noise / np.sqrt(vectors.shape[1]), size=vectors.shape)
    norms = np.linalg.norm(noisy, axis=1, keepdims=True)
    return (noisy / np.maximum(norms, 1e-12)).astype(np.float32)


def scaled_copy(source: Path, target: Path, chunks: int, seed: int = 0) -> int:
    """Fill ``target`` with about ``chunks`` chunks taken from the store in ``source``.

    Transcripts are re-chunked as the build did (chunking settings) and their
    vectors looked up in the source's embedding cache; a transcript missing a
    vector in any space is left out.
    """
    store = Store(source)
    spaces = store.spaces
    if not spaces:
        raise RuntimeError(f"no index in {source} to scale")
    s = get_settings()
    chunker = Chunker(ChunkingConfig(s.chunk_words, s.chunk_overlap_words, s.max_chunk_chars))
    base: list[NewTranscript] = []
    for _, name, fmt, upload in store.transcript_sources():
        parsed = parse(upload, format=fmt, filename=name)
        pieces = chunker.chunk(parsed)
        vectors = _cached(store, spaces, pieces)
        if pieces and len(vectors) == len(spaces):
            indexed = Indexed(pieces, vectors)
            base.append(NewTranscript(name, parsed.format, parsed.text, indexed, source=upload))
    if not base:
        raise RuntimeError(f"no transcript in {source} has cached vectors in every space")
    noise = {
        space.name: NOISE_SHARE * spread(np.vstack([t.indexed.vectors[space.name] for t in base]))
        for space in spaces
    }
    rng = np.random.default_rng(seed)
    items: list[NewTranscript] = []
    total, copy = 0, 0
    while total < chunks:
        for original in base:
            if total >= chunks:
                break
            vectors = original.indexed.vectors
            if copy:
                vectors = {name: _jitter(v, noise[name], rng) for name, v in vectors.items()}
            items.append(
                NewTranscript(
                    f"{copy}-{original.name}",
                    original.format,
                    original.text,
                    Indexed(original.indexed.chunks, vectors),
                    source=original.source,
                    sha256=f"{original.sha256}-{copy}",
                )
            )
            total += len(original.indexed.chunks)
        copy += 1
    Store(target).replace_all(items, spaces)
    return total
