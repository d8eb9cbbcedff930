"""The data directory: SQLite (the truth) plus the vector index derived from it.

Writes go to SQLite in one transaction first; the vector file is then saved
atomically. A build or rebuild writes its vectors to a new generation file
before the transaction that makes it live commits, so a crash at any moment
leaves the old state or the new one, and opening the store repairs any drift
between the two from the vectors cached in SQLite.
"""

from __future__ import annotations

import fcntl
import hashlib
import logging
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from index.database import Database
from index.vectors import VectorIndex, create_vector_index, load_vector_index
from rag.models import Chunk, StoredChunk, TranscriptInfo

log = logging.getLogger(__name__)


class StoreError(RuntimeError):
    """A store operation cannot proceed; the message says why and what to do."""


class IndexMissingError(StoreError):
    pass


class ModelMismatchError(StoreError):
    pass


class BusyError(StoreError):
    """Another process holds the lock for a long operation on this data dir."""


def text_sha(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


@dataclass
class Indexed:
    """Chunks of one transcript and their vectors, row for row."""

    chunks: list[Chunk]
    vectors: np.ndarray


@dataclass
class NewTranscript:
    """A parsed, chunked and embedded transcript ready to store.

    ``text`` is what citations index into; ``source`` is the uploaded text when
    the parser made a different readable text (subtitles, JSON). The content
    hash is of the upload, so the same file twice is recognised.
    """

    name: str
    format: str
    text: str
    indexed: Indexed
    source: str | None = None
    sha256: str = field(default="")

    def __post_init__(self) -> None:
        if self.source == self.text:
            self.source = None
        if not self.sha256:
            self.sha256 = text_sha(self.source if self.source is not None else self.text)


CatchUp = Callable[[list[tuple[int, str, str, str]]], dict[int, Indexed]]
"""Indexes transcripts (id, name, format, source) that arrived while a rebuild ran."""


def _chunk_row(chunk: Chunk) -> tuple:
    return (
        chunk.start,
        chunk.end,
        str(chunk.kind),
        chunk.section,
        chunk.speaker,
        chunk.question,
        chunk.start_time,
        chunk.end_time,
        text_sha(chunk.embed_text),
    )


class Store:
    def __init__(self, data_dir: Path) -> None:
        self.data_dir = Path(data_dir)
        self.data_dir.mkdir(parents=True, exist_ok=True)
        self.db = Database(self.data_dir / "store.sqlite")
        self._vectors_lock = threading.Lock()
        self._vectors: VectorIndex | None = None
        self._loaded_version = -1
        self.repairs: list[str] = self._remove_leftovers() + self._load_and_repair()
        for message in self.repairs:
            log.warning("store repair: %s", message)

    # --- state ----------------------------------------------------------------

    @property
    def model(self) -> str | None:
        return self.db.get_meta("model")

    @property
    def dim(self) -> int:
        return int(self.db.get_meta("dim") or 0)

    @property
    def is_built(self) -> bool:
        return self.model is not None

    @property
    def vector_count(self) -> int:
        self._refresh_if_stale()
        return len(self._vectors) if self._vectors is not None else 0

    def _vectors_path(self, generation: int) -> Path:
        return self.data_dir / f"vectors-{generation}.faiss"

    def check_model(self, model: str) -> None:
        if self.model is not None and self.model != model:
            raise ModelMismatchError(
                f"the index in {self.data_dir} was built with model {self.model!r}, "
                f"not {model!r}; rebuild it (`rag index rebuild`) to switch models"
            )

    def _remove_leftovers(self) -> list[str]:
        """Files and rows of a build that never became live."""
        repairs = []
        live = self._vectors_path(self.db.generation)
        for stray in self.data_dir.glob("vectors-*.faiss*"):
            if stray != live:
                stray.unlink(missing_ok=True)
                repairs.append(f"removed unfinished vector file {stray.name}")
        with self.db.transaction() as tx:
            stale = tx.execute(
                "DELETE FROM chunks WHERE generation != ?", (self.db.generation,)
            ).rowcount
        if stale:
            repairs.append(f"removed {stale} chunks of an unfinished build")
        return repairs

    def _load_and_repair(self) -> list[str]:
        """Make the vector index agree with SQLite, and say what had to change."""
        with self.db.write_lock:
            version = self.db.version
            generation = self.db.generation
            repairs: list[str] = []
            if not self.is_built:
                self._loaded_version = version
                return repairs
            path = self._vectors_path(generation)
            if path.exists():
                vectors = load_vector_index(path)
            else:
                vectors = create_vector_index(self.dim)
                repairs.append(f"vector file {path.name} was missing; recreated it")
            have = set(vectors.ids().tolist())
            want = set(self.db.chunk_ids(generation).tolist())
            extra = np.array(sorted(have - want), dtype=np.int64)
            missing = sorted(want - have)
            if len(extra):
                vectors.remove(extra)
                repairs.append(f"removed {len(extra)} vectors whose chunks are gone")
            if missing:
                shas = self.db.chunk_shas(missing)
                cached = self.db.cached_vectors(self.model or "", shas.values(), self.dim)
                found = [i for i in missing if shas.get(i) in cached]
                if found:
                    vectors.add(
                        np.array(found, dtype=np.int64),
                        np.stack([cached[shas[i]] for i in found]),
                    )
                    repairs.append(f"restored {len(found)} vectors from the database")
                if len(found) < len(missing):
                    repairs.append(
                        f"{len(missing) - len(found)} chunks have no stored vector; "
                        "run `rag index rebuild`"
                    )
            if len(extra) or missing or not path.exists():
                vectors.save(path)
            with self._vectors_lock:
                self._vectors = vectors
            self._loaded_version = version
            return repairs

    def _refresh_if_stale(self) -> None:
        """Another process (the CLI beside a server) may have written: catch up with it."""
        if self.db.version == self._loaded_version:
            return
        with self.db.write_lock:
            if self.db.version != self._loaded_version:
                for message in self._load_and_repair():
                    log.info("reloaded vectors: %s", message)

    @contextmanager
    def exclusive(self, operation: str) -> Iterator[None]:
        """Held across processes (a server and the CLI) for the length of ``operation``."""
        with open(self.data_dir / f"{operation}.lock", "w") as handle:
            try:
                fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                raise BusyError(f"a {operation} is already running on {self.data_dir}") from None
            try:
                yield
            finally:
                fcntl.flock(handle, fcntl.LOCK_UN)

    # --- reads ----------------------------------------------------------------

    def list_transcripts(self) -> list[TranscriptInfo]:
        return self.db.list_transcripts()

    def get_transcript(self, transcript_id: int) -> tuple[TranscriptInfo, str] | None:
        return self.db.get_transcript(transcript_id)

    def find_by_sha(self, sha256: str) -> int | None:
        return self.db.find_by_sha(sha256)

    def count_chunks(self) -> int:
        return self.db.count_chunks()

    def transcript_sources(self) -> list[tuple[int, str, str, str]]:
        return self.db.transcript_sources()

    def cached_vectors(self, model: str, shas: list[str], dim: int) -> dict[str, np.ndarray]:
        return self.db.cached_vectors(model, shas, dim)

    def search(self, vector: np.ndarray, k: int) -> list[tuple[int, float]]:
        self._refresh_if_stale()
        if self._vectors is None:
            raise IndexMissingError(
                f"no index in {self.data_dir}; build one with `rag index build`"
            )
        with self._vectors_lock:
            scores, ids = self._vectors.search(vector, k)
        return [(int(i), float(s)) for s, i in zip(scores, ids, strict=True) if i >= 0]

    def get_chunks(self, ids: list[int]) -> dict[int, StoredChunk]:
        return self.db.get_chunks(ids)

    # --- writes ---------------------------------------------------------------

    def _finish_write(self, generation: int) -> None:
        """Persist the in-memory vectors and note the version they now reflect."""
        if self._vectors is not None:
            with self._vectors_lock:
                self._vectors.save(self._vectors_path(generation))
        self._loaded_version = self.db.version

    def add_transcript(self, new: NewTranscript, model: str) -> tuple[int, bool]:
        """Store a transcript and its chunks durably, then index them.

        Returns the transcript id and whether it was created (False: the same
        upload was already stored, and its existing id is returned).
        """
        vectors = new.indexed.vectors
        dim = int(vectors.shape[1])
        with self.db.write_lock:
            self._refresh_if_stale()
            self.check_model(model)
            existing = self.db.find_by_sha(new.sha256)
            if existing is not None:
                return existing, False
            generation = self.db.generation
            with self.db.transaction() as tx:
                tid = self.db.insert_transcript(
                    tx, new.name, new.format, new.sha256, new.text, new.source
                )
                ids = self._insert_indexed(tx, generation, tid, new.indexed, model)
                if not self.is_built:
                    self.db.set_meta(tx, "model", model)
                    self.db.set_meta(tx, "dim", str(dim))
                    self.db.set_meta(tx, "generation", str(generation))
                self.db.bump_version(tx)
            with self._vectors_lock:
                if self._vectors is None:
                    self._vectors = create_vector_index(dim)
                self._vectors.add(np.array(ids, dtype=np.int64), vectors)
            self._finish_write(generation)
            return tid, True

    def delete_transcript(self, transcript_id: int) -> bool:
        with self.db.write_lock:
            self._refresh_if_stale()
            ids = self.db.transcript_chunk_ids(transcript_id)
            with self.db.transaction() as tx:
                deleted = tx.execute(
                    "DELETE FROM transcripts WHERE id = ?", (transcript_id,)
                ).rowcount
                self.db.bump_version(tx)
            if not deleted:
                return False
            if self._vectors is not None:
                with self._vectors_lock:
                    self._vectors.remove(np.array(ids, dtype=np.int64))
            self._finish_write(self.db.generation)
            return True

    def _insert_indexed(
        self, tx, generation: int, transcript_id: int, indexed: Indexed, model: str
    ) -> list[int]:
        ids = self.db.insert_chunks(tx, generation, transcript_id, map(_chunk_row, indexed.chunks))
        self.db.cache_vectors(
            tx,
            model,
            zip((text_sha(c.embed_text) for c in indexed.chunks), indexed.vectors, strict=True),
        )
        return ids

    def _switch_generation(
        self, fill: Callable[[object, int, VectorIndex], list[int]], model: str, dim: int
    ) -> list[int]:
        """Write a whole new generation beside the live one and make it live atomically.

        ``fill(tx, generation, vectors)`` inserts the new chunks and vectors and
        returns the transcript ids the new generation holds.
        """
        with self.db.write_lock:
            old_generation = self.db.generation
            generation = old_generation + 1
            vectors = create_vector_index(dim)
            with self.db.transaction() as tx:
                transcript_ids = fill(tx, generation, vectors)
                tx.execute("DELETE FROM chunks WHERE generation != ?", (generation,))
                self.db.set_meta(tx, "model", model)
                self.db.set_meta(tx, "dim", str(dim))
                self.db.set_meta(tx, "generation", str(generation))
                self.db.bump_version(tx)
                vectors.save(self._vectors_path(generation))
            with self._vectors_lock:
                self._vectors = vectors
            self._loaded_version = self.db.version
            self._vectors_path(old_generation).unlink(missing_ok=True)
            return transcript_ids

    def replace_all(self, items: list[NewTranscript], model: str) -> list[int]:
        """Make the store hold exactly ``items``, as one atomic switch to a new generation.

        Transcripts whose upload is already stored keep their id and added time.
        """
        if not items:
            raise StoreError("nothing to index: no transcripts were given")
        dim = int(items[0].indexed.vectors.shape[1])

        def fill(tx, generation: int, vectors: VectorIndex) -> list[int]:
            transcript_ids: list[int] = []
            for item in items:
                tid = self.db.find_by_sha(item.sha256)
                if tid is None:
                    tid = self.db.insert_transcript(
                        tx, item.name, item.format, item.sha256, item.text, item.source
                    )
                else:
                    tx.execute(
                        "UPDATE transcripts SET name = ?, format = ? WHERE id = ?",
                        (item.name, item.format, tid),
                    )
                if tid in transcript_ids:
                    continue
                transcript_ids.append(tid)
                ids = self._insert_indexed(tx, generation, tid, item.indexed, model)
                vectors.add(np.array(ids, dtype=np.int64), item.indexed.vectors)
            marks = ",".join("?" * len(transcript_ids))
            tx.execute(f"DELETE FROM transcripts WHERE id NOT IN ({marks})", transcript_ids)
            return transcript_ids

        return self._switch_generation(fill, model, dim)

    def swap_in(
        self, prepared: dict[int, Indexed], model: str, dim: int, catch_up: CatchUp
    ) -> list[int]:
        """Make a rebuilt index live: ``prepared`` maps transcript ids to their new chunks.

        Transcripts uploaded while the rebuild ran are indexed by ``catch_up``
        under the write lock, and deleted ones are skipped, so nothing is lost.
        """

        def fill(tx, generation: int, vectors: VectorIndex) -> list[int]:
            current = self.db.transcript_sources()
            late = [row for row in current if row[0] not in prepared]
            everything = {**prepared, **(catch_up(late) if late else {})}
            transcript_ids = []
            for tid, *_ in current:
                indexed = everything[tid]
                ids = self._insert_indexed(tx, generation, tid, indexed, model)
                vectors.add(np.array(ids, dtype=np.int64), indexed.vectors)
                transcript_ids.append(tid)
            return transcript_ids

        return self._switch_generation(fill, model, dim)
