"""Parse, chunk and embed transcripts, then hand them to the store.

This is the one place the pipeline's stages meet for writing: building the
index from files, adding one upload, and rebuilding everything stored.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from index.store import Indexed, NewTranscript, Store, text_sha
from rag.chunking import Chunker
from rag.decoding import decode
from rag.embedding import Embedder
from rag.formats import ParseError, parse
from rag.models import Chunk, ParsedTranscript

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

    def prepare(
        self, name: str, source: str, format: str | None = None
    ) -> tuple[ParsedTranscript, list[Chunk]]:
        parsed = parse(source, format=format, filename=name)
        chunks = self.chunker.chunk(parsed)
        if not chunks:
            raise ParseError(f"{name}: no text to index")
        return parsed, chunks

    def embed(self, chunks: Sequence[Chunk], progress: Progress | None = None) -> np.ndarray:
        """Vectors for the chunks, reusing any the store has already computed."""
        model, dim = self.embedder.name, self.embedder.dim
        shas = [text_sha(c.embed_text) for c in chunks]
        cached = self.store.cached_vectors(model, shas, dim)
        pending = list(
            {
                sha: c.embed_text for sha, c in zip(shas, chunks, strict=True) if sha not in cached
            }.items()
        )
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

    def _index_all(
        self, sources: Sequence[tuple[str, str, str | None]], progress: Progress | None
    ) -> list[tuple[ParsedTranscript, Indexed]]:
        """Parse and chunk every (name, source, format), then embed all chunks in one pass."""
        prepared = [self.prepare(name, source, fmt) for name, source, fmt in sources]
        vectors = self.embed([c for _, chunks in prepared for c in chunks], progress)
        out, offset = [], 0
        for parsed, chunks in prepared:
            out.append((parsed, Indexed(chunks, vectors[offset : offset + len(chunks)])))
            offset += len(chunks)
        return out

    def add_bytes(self, name: str, data: bytes, format: str | None = None) -> AddResult:
        return self.add_text(name, decode(data), format)

    def add_text(self, name: str, source: str, format: str | None = None) -> AddResult:
        self.store.check_model(self.embedder.name)
        existing = self.store.find_by_sha(text_sha(source))
        found = self.store.get_transcript(existing) if existing is not None else None
        if found is not None:
            info = found[0]
            return AddResult(info.id, info.name, info.format, info.chunks, created=False)
        [(parsed, indexed)] = self._index_all([(name, source, format)], None)
        new = NewTranscript(name, parsed.format, parsed.text, indexed, source=source)
        tid, created = self.store.add_transcript(new, self.embedder.name)
        return AddResult(tid, name, parsed.format, len(indexed.chunks), created)

    def build(self, paths: Sequence[Path], progress: Progress | None = None) -> list[int]:
        """Index exactly these files, replacing what the store held, in one atomic switch."""
        files = collect_files(paths)
        if not files:
            raise FileNotFoundError("no transcript files found in " + ", ".join(map(str, paths)))
        sources = []
        for path in files:
            try:
                sources.append((path.name, decode(path.read_bytes()), None))
            except ValueError as exc:
                raise ParseError(f"{path}: {exc}") from None
        items = [
            NewTranscript(name, parsed.format, parsed.text, indexed, source=source)
            for (name, source, _), (parsed, indexed) in zip(
                sources, self._index_all(sources, progress), strict=True
            )
        ]
        return self.store.replace_all(items, self.embedder.name)

    def rebuild(self, progress: Progress | None = None) -> list[int]:
        """Re-parse and re-embed every stored transcript beside the live index, then swap."""
        with self.store.exclusive("rebuild"):
            return self._rebuild(progress)

    def _rebuild(self, progress: Progress | None) -> list[int]:
        rows = self.store.transcript_sources()

        def index_rows(rows: Sequence[tuple[int, str, str, str]], progress: Progress | None):
            results = self._index_all([(name, src, fmt) for _, name, fmt, src in rows], progress)
            return {row[0]: indexed for row, (_, indexed) in zip(rows, results, strict=True)}

        prepared = index_rows(rows, progress)
        return self.store.swap_in(
            prepared,
            self.embedder.name,
            self.embedder.dim,
            catch_up=lambda late: index_rows(late, None),
        )
