"""Parse, chunk and embed transcripts, then hand them to the store.

This is the one place the pipeline's stages meet for writing: building the
index from files, adding one upload, and rebuilding everything stored.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from index.store import Indexed, NewTranscript, Space, Store, text_sha, view_text
from rag.chunking import Chunker
from rag.decoding import decode
from rag.embedding import Embedder
from rag.formats import ParseError, parse
from rag.models import Chunk, ParsedTranscript
from rag.translation import passage_gloss

Progress = Callable[[int, int], None]
"""Called with (texts embedded so far, texts to embed)."""

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
    """Embeds each chunk in every configured space, reusing vectors the store has cached."""

    def __init__(
        self,
        store: Store,
        spaces: Sequence[Space],
        embedders: Mapping[str, Embedder],
        chunker: Chunker,
        batch_size: int | None = None,
    ) -> None:
        self.store = store
        self.spaces = list(spaces)
        self.embedders = embedders
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

    def embed(
        self, chunks: Sequence[Chunk], progress: Progress | None = None
    ) -> dict[str, np.ndarray]:
        """Per space, the vectors of the chunks that have its view's text, in chunk order."""
        jobs = []
        for space in self.spaces:
            texts = [t for c in chunks if (t := view_text(c, space.view)) is not None]
            if space.model == self.spaces[0].model:  # the English encoder: Chinese in English
                texts = [passage_gloss(t) for t in texts]
            shas = [text_sha(t) for t in texts]
            cached = self.store.cached_vectors(space.model, shas, space.dim)
            pending = {sha: t for sha, t in zip(shas, texts, strict=True) if sha not in cached}
            jobs.append((space, shas, cached, list(pending.items())))
        total = sum(len(shas) for _, shas, _, _ in jobs)
        done = total - sum(len(pending) for *_, pending in jobs)
        if progress:
            progress(done, total)
        out: dict[str, np.ndarray] = {}
        for space, shas, cached, pending in jobs:
            embedder = self.embedders[space.model]
            for i in range(0, len(pending), EMBED_BATCH):
                batch = pending[i : i + EMBED_BATCH]
                vectors = embedder.encode_documents(
                    [text for _, text in batch], batch_size=self.batch_size
                )
                cached.update(zip((sha for sha, _ in batch), vectors, strict=True))
                done += len(batch)
                if progress:
                    progress(done, total)
            out[space.name] = (
                np.stack([cached[sha] for sha in shas]).astype(np.float32)
                if shas
                else np.zeros((0, space.dim), dtype=np.float32)
            )
        return out

    def _index_all(
        self, sources: Sequence[tuple[str, str, str | None]], progress: Progress | None
    ) -> list[tuple[ParsedTranscript, Indexed]]:
        """Parse and chunk every (name, source, format), then embed all chunks in one pass."""
        prepared = [self.prepare(name, source, fmt) for name, source, fmt in sources]
        all_chunks = [c for _, chunks in prepared for c in chunks]
        vectors = self.embed(all_chunks, progress)
        offsets = dict.fromkeys(vectors, 0)
        out = []
        for parsed, chunks in prepared:
            mine: dict[str, np.ndarray] = {}
            for space in self.spaces:
                n = sum(1 for c in chunks if view_text(c, space.view) is not None)
                start = offsets[space.name]
                mine[space.name] = vectors[space.name][start : start + n]
                offsets[space.name] = start + n
            out.append((parsed, Indexed(chunks, mine)))
        return out

    def add_bytes(self, name: str, data: bytes, format: str | None = None) -> AddResult:
        return self.add_text(name, decode(data), format)

    def add_text(self, name: str, source: str, format: str | None = None) -> AddResult:
        self.store.check_spaces(self.spaces)
        existing = self.store.find_by_sha(text_sha(source))
        found = self.store.get_transcript(existing) if existing is not None else None
        if found is not None:
            info = found[0]
            return AddResult(info.id, info.name, info.format, info.chunks, created=False)
        [(parsed, indexed)] = self._index_all([(name, source, format)], None)
        new = NewTranscript(name, parsed.format, parsed.text, indexed, source=source)
        tid, created = self.store.add_transcript(new, self.spaces)
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
        return self.store.replace_all(items, self.spaces)

    def rebuild(self, progress: Progress | None = None) -> list[int]:
        """Re-parse and re-embed every stored transcript beside the live index, then swap."""
        with self.store.exclusive("rebuild"):
            return self._rebuild(progress)

    def _rebuild(self, progress: Progress | None) -> list[int]:
        def index_rows(
            rows: Sequence[tuple[int, str, str, str]], progress: Progress | None
        ) -> dict[int, Indexed]:
            results = self._index_all([(name, src, fmt) for _, name, fmt, src in rows], progress)
            return {row[0]: indexed for row, (_, indexed) in zip(rows, results, strict=True)}

        prepared = index_rows(self.store.transcript_sources(), progress)
        return self.store.swap_in(
            prepared, self.spaces, catch_up=lambda late: index_rows(late, None)
        )
