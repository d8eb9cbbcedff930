"""The data directory: SQLite (the truth) plus the vector index derived from it.

Writes go to SQLite in one transaction first; the vector file is then saved
atomically. A full build writes its vectors to a new generation file before the
transaction that makes it live commits, so a crash at any moment leaves the old
state or the new one, and opening the store repairs any drift between the two.
"""

from __future__ import annotations

import hashlib
import logging
import threading
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


def text_sha(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


@dataclass
class NewTranscript:
    """A parsed, chunked and embedded transcript ready to store."""

    name: str
    format: str
    text: str
    chunks: list[Chunk]
    vectors: np.ndarray
    sha256: str = field(default="")

    def __post_init__(self) -> None:
        if not self.sha256:
            self.sha256 = text_sha(self.text)


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
        self.repairs: list[str] = self._load_and_repair()
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

    def _vectors_path(self, generation: int) -> Path:
        return self.data_dir / f"vectors-{generation}.faiss"

    def check_model(self, model: str) -> None:
        if self.model is not None and self.model != model:
            raise ModelMismatchError(
                f"the index in {self.data_dir} was built with model {self.model!r}, "
                f"not {model!r}; rebuild it (`rag index rebuild`) to switch models"
            )

    def _load_and_repair(self) -> list[str]:
        """Make the vector index agree with SQLite, and say what had to change."""
        generation = self.db.generation
        repairs: list[str] = []
        for stray in self.data_dir.glob("vectors-*.faiss*"):
            if stray != self._vectors_path(generation):
                stray.unlink(missing_ok=True)
                repairs.append(f"removed stale vector file {stray.name}")
        with self.db.transaction() as tx:
            stale = tx.execute("DELETE FROM chunks WHERE generation != ?", (generation,)).rowcount
        if stale:
            repairs.append(f"removed {stale} chunks of an unfinished build")
        if not self.is_built:
            return repairs
        path = self._vectors_path(generation)
        if path.exists():
            vectors = load_vector_index(path)
        else:
            vectors = create_vector_index(self.dim)
            repairs.append(f"vector file {path.name} was missing; recreating it")
        have = set(vectors.ids().tolist())
        want = set(self.db.chunk_ids(generation).tolist())
        extra = np.array(sorted(have - want), dtype=np.int64)
        missing = sorted(want - have)
        if len(extra):
            vectors.remove(extra)
            repairs.append(f"removed {len(extra)} vectors with no chunk")
        if missing:
            shas = self.db.chunk_shas(missing)
            cached = self.db.cached_vectors(self.model or "", shas.values(), self.dim)
            found = [i for i in missing if shas.get(i) in cached]
            if found:
                vectors.add(
                    np.array(found, dtype=np.int64), np.stack([cached[shas[i]] for i in found])
                )
                repairs.append(f"restored {len(found)} vectors from the database")
            if len(found) < len(missing):
                repairs.append(
                    f"{len(missing) - len(found)} chunks have no stored vector; "
                    "run `rag index rebuild`"
                )
        if repairs and (len(extra) or missing or not path.exists()):
            vectors.save(path)
        self._vectors = vectors
        return repairs

    # --- reads ----------------------------------------------------------------

    def list_transcripts(self) -> list[TranscriptInfo]:
        return self.db.list_transcripts()

    def get_transcript(self, transcript_id: int) -> tuple[TranscriptInfo, str] | None:
        return self.db.get_transcript(transcript_id)

    def find_by_sha(self, sha256: str) -> int | None:
        return self.db.find_by_sha(sha256)

    def count_chunks(self) -> int:
        return self.db.count_chunks()

    def cached_vectors(self, model: str, shas: list[str], dim: int) -> dict[str, np.ndarray]:
        return self.db.cached_vectors(model, shas, dim)

    def search(self, vector: np.ndarray, k: int) -> list[tuple[int, float]]:
        if self._vectors is None:
            raise IndexMissingError(
                f"no index in {self.data_dir}; build one with `rag index build` "
                "(or `bash scripts/serve.sh`, which indexes seeds/)"
            )
        with self._vectors_lock:
            scores, ids = self._vectors.search(vector, k)
        return [(int(i), float(s)) for s, i in zip(scores, ids, strict=True) if i >= 0]

    def get_chunks(self, ids: list[int]) -> dict[int, StoredChunk]:
        return self.db.get_chunks(ids)

    # --- writes ---------------------------------------------------------------

    def add_transcript(self, new: NewTranscript, model: str) -> tuple[int, bool]:
        """Store a transcript and its chunks durably, then index them.

        Returns the transcript id and whether it was created (False: the same text
        was already stored, and its existing id is returned).
        """
        dim = int(new.vectors.shape[1])
        with self.db.write_lock:
            self.check_model(model)
            existing = self.db.find_by_sha(new.sha256)
            if existing is not None:
                return existing, False
            generation = self.db.generation
            with self.db.transaction() as tx:
                tid = self.db.insert_transcript(tx, new.name, new.format, new.sha256, new.text)
                ids = self.db.insert_chunks(tx, generation, tid, map(_chunk_row, new.chunks))
                self.db.cache_vectors(
                    tx,
                    model,
                    zip((text_sha(c.embed_text) for c in new.chunks), new.vectors, strict=True),
                )
                if not self.is_built:
                    self.db.set_meta(tx, "model", model)
                    self.db.set_meta(tx, "dim", str(dim))
                    self.db.set_meta(tx, "generation", str(generation))
            with self._vectors_lock:
                if self._vectors is None:
                    self._vectors = create_vector_index(dim)
                self._vectors.add(np.array(ids, dtype=np.int64), new.vectors)
                self._vectors.save(self._vectors_path(generation))
            return tid, True

    def delete_transcript(self, transcript_id: int) -> bool:
        with self.db.write_lock:
            conn = self.db.connect()
            ids = [
                r[0]
                for r in conn.execute(
                    "SELECT id FROM chunks WHERE transcript_id = ?", (transcript_id,)
                )
            ]
            with self.db.transaction() as tx:
                deleted = tx.execute(
                    "DELETE FROM transcripts WHERE id = ?", (transcript_id,)
                ).rowcount
            if not deleted:
                return False
            if self._vectors is not None:
                with self._vectors_lock:
                    self._vectors.remove(np.array(ids, dtype=np.int64))
                    self._vectors.save(self._vectors_path(self.db.generation))
            return True

    def replace_all(self, items: list[NewTranscript], model: str) -> list[int]:
        """Make the store hold exactly ``items``, as one atomic switch to a new generation.

        Transcripts whose text is already stored keep their id and added time.
        """
        if not items:
            raise StoreError("nothing to index: no transcripts were given")
        dim = int(items[0].vectors.shape[1])
        with self.db.write_lock:
            old_generation = self.db.generation
            generation = old_generation + 1
            vectors = create_vector_index(dim)
            new_path = self._vectors_path(generation)
            transcript_ids: list[int] = []
            with self.db.transaction() as tx:
                for item in items:
                    tid = self.db.find_by_sha(item.sha256)
                    if tid is None:
                        tid = self.db.insert_transcript(
                            tx, item.name, item.format, item.sha256, item.text
                        )
                    else:
                        tx.execute(
                            "UPDATE transcripts SET name = ?, format = ? WHERE id = ?",
                            (item.name, item.format, tid),
                        )
                    if tid in transcript_ids:
                        continue
                    transcript_ids.append(tid)
                    ids = self.db.insert_chunks(tx, generation, tid, map(_chunk_row, item.chunks))
                    self.db.cache_vectors(
                        tx,
                        model,
                        zip(
                            (text_sha(c.embed_text) for c in item.chunks), item.vectors, strict=True
                        ),
                    )
                    vectors.add(np.array(ids, dtype=np.int64), item.vectors)
                marks = ",".join("?" * len(transcript_ids))
                tx.execute(f"DELETE FROM transcripts WHERE id NOT IN ({marks})", transcript_ids)
                tx.execute("DELETE FROM chunks WHERE generation != ?", (generation,))
                self.db.set_meta(tx, "model", model)
                self.db.set_meta(tx, "dim", str(dim))
                self.db.set_meta(tx, "generation", str(generation))
                vectors.save(new_path)
            with self._vectors_lock:
                self._vectors = vectors
            self._vectors_path(old_generation).unlink(missing_ok=True)
            return transcript_ids
