"""The library's front door: one object that the CLI and the API both drive.

It owns the store, loads each encoder once, and exposes ask/add/delete/build.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from index.builder import AddResult, Indexer, Progress
from index.jobs import RebuildJobs
from index.store import IndexMissingError, Space, Store
from rag.answers import to_answers
from rag.chunking import Chunker, ChunkingConfig
from rag.embedding import base_model, load_embedder, stored_embedder
from rag.models import Answer, TranscriptInfo
from rag.retrieval import Filters, Retriever
from rag.settings import Settings


@dataclass(frozen=True)
class AskResult:
    question: str
    answerable: bool
    answers: list[Answer]
    took_ms: float


class Engine:
    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.store = Store(settings.data_dir)
        self.rebuilds = RebuildJobs(self.rebuild)

    def configured_spaces(self) -> list[Space]:
        """The vector spaces new text is embedded in, from settings.

        A space records the encoder's own name ("<model>+int8" for int8 documents), so
        vectors of another precision are never mixed in or served from the cache. With
        the ``auto`` backend an index keeps the precision it was built with, so an
        upgrade or a move to another CPU never refuses an upload; name a backend and
        rebuild to change it.
        """
        s = self.settings
        models = [s.model] + ([s.multilingual_model] if s.multilingual_model else [])
        stored = {space.name: space.model for space in self.store.spaces}
        spaces = []
        for family, model in zip(("dense", "multilingual"), models, strict=False):
            kept = stored.get(family)
            if s.backend == "auto" and kept is not None and base_model(kept) == model:
                embedder = stored_embedder(kept, s.backend)
            else:
                embedder = load_embedder(model, s.backend)
            spaces.append(Space(family, embedder.name, "text", embedder.dim))
            if s.question_vectors:
                spaces.append(Space(f"{family}_question", embedder.name, "question", embedder.dim))
        return spaces

    def missing_index(self) -> IndexMissingError:
        return IndexMissingError(
            f"no index in {self.settings.data_dir}: build one with "
            f"`rag index build` (indexes {self.settings.seeds_dir}/) or add transcripts "
            "with POST /transcripts"
        )

    @property
    def chunker(self) -> Chunker:
        s = self.settings
        return Chunker(ChunkingConfig(s.chunk_words, s.chunk_overlap_words, s.max_chunk_chars))

    def indexer(self) -> Indexer:
        spaces = self.configured_spaces()
        embedders = {s.model: stored_embedder(s.model, self.settings.backend) for s in spaces}
        return Indexer(self.store, spaces, embedders, self.chunker, self.settings.batch_size)

    def retriever(self, mode: str | None = None) -> Retriever:
        """Questions are encoded by the models that built the index, whatever settings say."""
        embedders = {
            s.model: stored_embedder(s.model, self.settings.backend) for s in self.store.spaces
        }
        return Retriever(
            self.store,
            embedders,
            mode or self.settings.retrieval_mode,
            self.settings.passage_chars,
        )

    def ask(
        self,
        question: str,
        top_k: int | None = None,
        filters: Filters | None = None,
        mode: str | None = None,
    ) -> AskResult:
        started = time.perf_counter()
        if not self.store.is_built:
            raise self.missing_index()
        result = self.retriever(mode).search(question, top_k or self.settings.top_k, filters)
        took = (time.perf_counter() - started) * 1000
        return AskResult(question, result.answerable, to_answers(result.hits), round(took, 2))

    def build(self, paths: Sequence[Path], progress: Progress | None = None) -> list[int]:
        return self.indexer().build(paths, progress)

    def add_text(self, name: str, text: str, format: str | None = None) -> AddResult:
        return self.indexer().add_text(name, text, format)

    def add_bytes(self, name: str, data: bytes, format: str | None = None) -> AddResult:
        return self.indexer().add_bytes(name, data, format)

    def rebuild(self, progress: Progress | None = None) -> list[int]:
        return self.indexer().rebuild(progress)

    def delete(self, transcript_id: int) -> bool:
        return self.store.delete_transcript(transcript_id)

    def transcripts(self) -> list[TranscriptInfo]:
        return self.store.list_transcripts()

    def transcript(self, transcript_id: int) -> tuple[TranscriptInfo, str] | None:
        return self.store.get_transcript(transcript_id)

    def warm_up(self) -> None:
        """Load the encoders and the dictionary, so the first user question is fast."""
        if self.store.is_built:
            self.ask("warm up", 1)
            self.ask("预热", 1)
