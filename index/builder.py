"""Parse, chunk and embed transcripts, then hand them to the store.

This is the one place the pipeline's stages meet for writing: building the
index from files, adding one transcript, and deleting one.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from index.store import NewTranscript, Store, text_sha
from rag.chunking import Chunker
from rag.decoding import decode
from rag.embedding import Embedder
from rag.formats import ParseError, parse
from rag.models import Chunk

Progress = Callable[[int, int], None]
"""Called with (chunks embedded so far, chunks to embed)."""

EMBED_BATCH = 256


@dataclass(frozen=True)
class AddResult:
    id: int
    name: str
    format: str
    chunks: int
    created: bool


def collect_files(paths: Sequence[Path]) -> list[Path]:
    """Files named directly, and the files inside named folders (README files skipped)."""
    files: list[Path] = []
    for path in paths:
        if path.is_dir():
            files.extend(
                p
                for p in sorted(path.rglob("*"))
                if p.is_file() and not p.name.startswith(".") and p.stem.upper() != "README"
            )
        elif path.is_file():
            files.append(path)
        else:
            raise FileNotFoundError(f"no such file or folder: {path}")
    return files


class Indexer:
    def __init__(self, store: Store, embedder: Embedder, chunker: Chunker, batch_size: int = 32):
        self.store = store
        self.embedder = embedder
        self.chunker = chunker
        self.batch_size = batch_size

    def prepare(self, name: str, text: str, format: str | None = None) -> tuple[str, list[Chunk]]:
        parsed = parse(text, format=format, filename=name)
        chunks = self.chunker.chunk(parsed)
        if not chunks:
            raise ParseError(f"{name}: no text to index")
        return parsed.format, chunks

    def embed(self, chunks: Sequence[Chunk], progress: Progress | None = None) -> np.ndarray:
        """Vectors for the chunks, reusing any the store has already computed."""
        model, dim = self.embedder.name, self.embedder.dim
        shas = [text_sha(c.embed_text) for c in chunks]
        cached = self.store.cached_vectors(model, shas, dim)
        todo = {sha: c.embed_text for sha, c in zip(shas, chunks, strict=True) if sha not in cached}
        pending = list(todo.items())
        done = len(chunks) - len(pending)
        if progress:
            progress(done, len(chunks))
        for i in range(0, len(pending), EMBED_BATCH):
            batch = pending[i : i + EMBED_BATCH]
            vectors = self.embedder.encode_documents(
                [text for _, text in batch], batch_size=self.batch_size
            )
            cached.update(zip((sha for sha, _ in batch), vectors, strict=True))
            done += len(batch)
            if progress:
                progress(done, len(chunks))
        if not chunks:
            return np.zeros((0, dim), dtype=np.float32)
        return np.stack([cached[sha] for sha in shas]).astype(np.float32)

    def add_text(self, name: str, text: str, format: str | None = None) -> AddResult:
        self.store.check_model(self.embedder.name)
        existing = self.store.find_by_sha(text_sha(text))
        if existing is not None:
            info, _ = self.store.get_transcript(existing) or (None, None)
            if info is not None:
                return AddResult(info.id, info.name, info.format, info.chunks, created=False)
        fmt, chunks = self.prepare(name, text, format)
        vectors = self.embed(chunks)
        tid, created = self.store.add_transcript(
            NewTranscript(name, fmt, text, chunks, vectors), self.embedder.name
        )
        return AddResult(tid, name, fmt, len(chunks), created)

    def build(self, paths: Sequence[Path], progress: Progress | None = None) -> list[int]:
        """Index exactly these files, replacing what the store held, in one atomic switch."""
        files = collect_files(paths)
        if not files:
            raise FileNotFoundError("no transcript files found in " + ", ".join(map(str, paths)))
        prepared = []
        for path in files:
            text = decode(path.read_bytes())
            fmt, chunks = self.prepare(path.name, text)
            prepared.append((path.name, fmt, text, chunks))
        all_chunks = [c for *_, chunks in prepared for c in chunks]
        vectors = self.embed(all_chunks, progress)
        items, offset = [], 0
        for name, fmt, text, chunks in prepared:
            items.append(
                NewTranscript(name, fmt, text, chunks, vectors[offset : offset + len(chunks)])
            )
            offset += len(chunks)
        return self.store.replace_all(items, self.embedder.name)
