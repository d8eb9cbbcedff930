"""The library's front door: one object that the CLI and the API both drive.

It owns the store, loads the encoder once, and exposes ask/add/delete/build.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path

from index.builder import AddResult, Indexer, Progress
from index.jobs import RebuildJobs
from index.store import IndexMissingError, Store
from rag.answers import to_answers
from rag.chunking import Chunker, ChunkingConfig
from rag.embedding import Embedder, load_embedder
from rag.models import Answer, TranscriptInfo
from rag.retrieval import Retriever
from rag.settings import Settings


@dataclass(frozen=True)
class AskResult:
    question: str
    answers: list[Answer]
    took_ms: float


class Engine:
    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.store = Store(settings.data_dir)
        self.rebuilds = RebuildJobs(self.rebuild)

    @cached_property
    def embedder(self) -> Embedder:
        """The encoder for new text: the configured model."""
        return load_embedder(self.settings.model)

    def query_embedder(self) -> Embedder:
        """Questions must be encoded by the model that built the index."""
        model = self.store.model
        if model is None:
            raise self.missing_index()
        return self.embedder if model == self.settings.model else load_embedder(model)

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
        return Indexer(self.store, self.embedder, self.chunker, self.settings.batch_size)

    def ask(self, question: str, top_k: int | None = None) -> AskResult:
        started = time.perf_counter()
        if not self.store.is_built or self.store.count_chunks() == 0:
            raise self.missing_index()
        retriever = Retriever(self.store, self.query_embedder())
        hits = retriever.search(question, top_k or self.settings.top_k)
        took = (time.perf_counter() - started) * 1000
        return AskResult(question, to_answers(hits), round(took, 2))

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
        """Load the encoder and run one query so the first user question is fast."""
        if self.store.is_built and self.store.count_chunks():
            self.ask("warm up", 1)
