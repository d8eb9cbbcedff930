"""The data directory: SQLite (the truth) plus the search indexes derived from it.

A chunk may be searched in several vector spaces (an English encoder over its
text, a multilingual one, an encoder over a Q&A pair's question alone) and by
keywords. Writes go to SQLite in one transaction first; the derived indexes
are then saved. A build or rebuild writes a new generation's files before the
transaction that makes it live commits, so a crash at any moment leaves the
old state or the new one, and opening the store repairs any drift from the
vectors cached in SQLite.
"""

from __future__ import annotations

import errno
import fcntl
import hashlib
import json
import logging
import shutil
import sqlite3
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np

from index.database import Database
from index.keyword_index import KeywordIndex
from index.locking import ReadWriteLock
from index.vectors import VectorIndex, create_vector_index, load_vector_index
from rag.models import Chunk, ChunkKind, ChunkSpan, Neighbour, StoredChunk, TranscriptInfo

log = logging.getLogger(__name__)


class StoreError(RuntimeError):
    """A store operation cannot proceed; the message says why and what to do."""


class IndexMissingError(StoreError):
    pass


class ModelMismatchError(StoreError):
    pass


class BusyError(StoreError):
    """Another process holds the lock for a long operation on this data dir."""


class StorageFullError(StoreError):
    """The disk under the data dir is full; the write was undone, nothing else changed."""


def _out_of_space(exc: BaseException) -> bool:
    if isinstance(exc, OSError):
        return exc.errno in (errno.ENOSPC, errno.EDQUOT, errno.EFBIG)
    return isinstance(exc, sqlite3.Error) and exc.sqlite_errorcode == sqlite3.SQLITE_FULL


@contextmanager
def _space_checked(data_dir: Path, outcome: str) -> Iterator[None]:
    """A full disk becomes a StorageFullError that says what to do."""
    try:
        yield
    except (OSError, sqlite3.Error) as exc:
        if not _out_of_space(exc):
            raise
        raise StorageFullError(
            f"the disk holding {data_dir} is full: {outcome}, and everything stored before "
            "is unchanged; free some space and try again"
        ) from exc


def text_sha(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class Space:
    """A vector space: which encoder embeds which text of each chunk.

    ``view`` is ``text`` (the chunk with its context) or ``question`` (a Q&A
    chunk's question alone, so a pair is found by its question too).
    """

    name: str
    model: str
    view: str = "text"
    dim: int = 0


def view_text(chunk: Chunk, view: str) -> str | None:
    if view == "text":
        return chunk.embed_text
    if view == "question":
        return chunk.question if chunk.kind is ChunkKind.QA else None
    raise ValueError(f"unknown view {view!r}")


@dataclass
class Indexed:
    """Chunks of one transcript and, per space, the vectors of the chunks it holds.

    ``vectors[space]`` has one row per chunk whose view text exists, in order.
    """

    chunks: list[Chunk]
    vectors: dict[str, np.ndarray]


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
        chunk.roles,
    )


@dataclass
class _PendingVectors:
    """Vectors bound for a live index once the transaction holding their chunks commits."""

    parts: list[tuple[np.ndarray, np.ndarray]] = field(default_factory=list)

    def add(self, ids: np.ndarray, vectors: np.ndarray) -> None:
        self.parts.append((ids, vectors))


class Store:
    def __init__(self, data_dir: Path) -> None:
        self.data_dir = Path(data_dir)
        self.data_dir.mkdir(parents=True, exist_ok=True)
        self.db = Database(self.data_dir / "store.sqlite")
        self._lock = ReadWriteLock()
        self._vectors: dict[str, VectorIndex] = {}
        self._keywords: KeywordIndex | None = None
        self._spaces: list[Space] = []
        self._loaded_version = -1
        self.repairs: list[str] = self._remove_leftovers() + self._load_and_repair()
        for message in self.repairs:
            log.warning("store repair: %s", message)

    # --- state ----------------------------------------------------------------

    def _stored_spaces(self) -> list[Space]:
        raw = self.db.get_meta("spaces")
        return [Space(**s) for s in json.loads(raw)] if raw else []

    @property
    def spaces(self) -> list[Space]:
        """The live index's spaces, as of the last load (kept current by every search)."""
        return self._spaces

    @property
    def model(self) -> str | None:
        """The primary encoder's model."""
        spaces = self.spaces
        return spaces[0].model if spaces else None

    @property
    def is_built(self) -> bool:
        self._refresh_if_stale()
        return bool(self._spaces)

    @property
    def vector_count(self) -> int:
        """Vectors of the primary space (one per chunk when in step)."""
        self._refresh_if_stale()
        spaces = self.spaces
        index = self._vectors.get(spaces[0].name) if spaces else None
        return len(index) if index is not None else 0

    def _vectors_path(self, space: str, generation: int) -> Path:
        return self.data_dir / f"vectors-{space}-{generation}.faiss"

    def check_spaces(self, spaces: Sequence[Space]) -> None:
        """New vectors must come from the encoders that built the index."""
        stored = [(s.name, s.model, s.view) for s in self.spaces]
        wanted = [(s.name, s.model, s.view) for s in spaces]
        if stored and stored != wanted:
            raise ModelMismatchError(
                f"the index in {self.data_dir} was built with "
                f"{', '.join(f'{n}={m}' for n, m, _ in stored)}, not "
                f"{', '.join(f'{n}={m}' for n, m, _ in wanted)}; rebuild it "
                "(`rag index rebuild`) to switch models"
            )

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

    # --- opening and repair ---------------------------------------------------

    def _remove_leftovers(self) -> list[str]:
        """Files and rows of a build that never became live."""
        generation = self.db.generation
        live = {self._vectors_path(s.name, generation).name for s in self._stored_spaces()}
        live.add(KeywordIndex.path(self.data_dir, generation).name)
        repairs = []
        for pattern in ("vectors-*", "keywords-*", ".keywords-*"):
            for stray in self.data_dir.glob(pattern):
                if stray.name not in live and not any(
                    stray.name.startswith(name + ".") for name in live
                ):
                    if stray.is_dir():
                        shutil.rmtree(stray, ignore_errors=True)
                    else:
                        stray.unlink(missing_ok=True)
                    repairs.append(f"removed unfinished file {stray.name}")
        with self.db.transaction() as tx:
            # Rows of the generation before the live one are kept for in-flight questions
            # until the next start; rows of a later one belong to a build that never finished.
            tx.execute("DELETE FROM chunks WHERE generation < ?", (generation,))
            stale = tx.execute("DELETE FROM chunks WHERE generation > ?", (generation,)).rowcount
        if stale:
            repairs.append(f"removed {stale} chunks of an unfinished build")
        return repairs

    def _load_space(self, space: Space, generation: int) -> tuple[VectorIndex, list[str]]:
        """The space's vectors, made to agree with SQLite."""
        repairs: list[str] = []
        path = self._vectors_path(space.name, generation)
        if path.exists():
            vectors = load_vector_index(path)
        else:
            vectors = create_vector_index(space.dim)
            repairs.append(f"vector file {path.name} was missing; recreated it")
        want = self.db.space_shas(space.name, generation)
        have = set(vectors.ids().tolist())
        extra = np.array(sorted(have - want.keys()), dtype=np.int64)
        missing = sorted(want.keys() - have)
        if len(extra):
            vectors.remove(extra)
            repairs.append(f"removed {len(extra)} {space.name} vectors whose chunks are gone")
        if missing:
            cached = self.db.cached_vectors(space.model, [want[i] for i in missing], space.dim)
            found = [i for i in missing if want[i] in cached]
            if found:
                vectors.add(
                    np.array(found, dtype=np.int64), np.stack([cached[want[i]] for i in found])
                )
                repairs.append(f"restored {len(found)} {space.name} vectors from the database")
            if len(found) < len(missing):
                repairs.append(
                    f"{len(missing) - len(found)} chunks have no stored {space.name} vector; "
                    "run `rag index rebuild`"
                )
        if len(extra) or missing or not path.exists():
            vectors.save(path)
        return vectors, repairs

    def _load_and_repair(self) -> list[str]:
        """Make every derived index agree with SQLite, and say what had to change."""
        with self.db.write_lock:
            version = self.db.version
            generation = self.db.generation
            repairs: list[str] = []
            loaded: dict[str, VectorIndex] = {}
            spaces = self._stored_spaces()
            for space in spaces:
                loaded[space.name], fixed = self._load_space(space, generation)
                repairs.extend(fixed)
            keywords = None
            if spaces:
                keywords, fixed_keywords = KeywordIndex.open(self.db, self.data_dir, generation)
                repairs.extend([fixed_keywords] if fixed_keywords else [])
            with self._lock.write():
                self._vectors, self._keywords, self._spaces = loaded, keywords, spaces
            self._loaded_version = version
            return repairs

    def _refresh_if_stale(self) -> None:
        """Another process (the CLI beside a server) may have written: catch up with it."""
        if self.db.version == self._loaded_version:
            return
        with self.db.write_lock:
            if self.db.version != self._loaded_version:
                for message in self._load_and_repair():
                    log.info("reloaded indexes: %s", message)

    # --- reads ----------------------------------------------------------------

    def list_transcripts(self) -> list[TranscriptInfo]:
        return self.db.list_transcripts()

    def get_transcript(self, transcript_id: int) -> tuple[TranscriptInfo, str] | None:
        return self.db.get_transcript(transcript_id)

    def find_by_sha(self, sha256: str) -> int | None:
        return self.db.find_by_sha(sha256)

    def count_transcripts(self) -> int:
        return self.db.count_transcripts()

    def count_chunks(self) -> int:
        return self.db.count_chunks()

    def transcript_sources(self) -> list[tuple[int, str, str, str]]:
        return self.db.transcript_sources()

    def cached_vectors(self, model: str, shas: list[str], dim: int) -> dict[str, np.ndarray]:
        return self.db.cached_vectors(model, shas, dim)

    def _require_built(self) -> None:
        if not self.is_built:
            raise IndexMissingError(
                f"no index in {self.data_dir}; build one with `rag index build`"
            )

    def search(self, space: str, vector: np.ndarray, k: int) -> list[tuple[int, float]]:
        self._refresh_if_stale()
        self._require_built()
        with self._lock.read():
            index = self._vectors.get(space)
            if index is None:
                return []
            scores, ids = index.search(vector, k)
        return [(int(i), float(s)) for s, i in zip(scores, ids, strict=True) if i >= 0]

    def keyword_search(
        self, query: str, k: int, alternatives: Sequence[Sequence[str]] = ()
    ) -> list[tuple[int, float]]:
        """BM25 over the chunks; ``alternatives``: words given as alternative readings."""
        self._refresh_if_stale()
        self._require_built()
        with self._lock.read():
            keywords = self._keywords
        return keywords.search(query, k, alternatives) if keywords else []

    def keyword_idf(self, terms: list[str]) -> dict[str, float]:
        with self._lock.read():
            keywords = self._keywords
        return keywords.idf(terms) if keywords else {}

    def keyword_spellings(self, terms: list[str]) -> dict[str, str]:
        """Terms the keyword index lacks, to the known terms they are likely typos of."""
        with self._lock.read():
            keywords = self._keywords
        return keywords.nearest(terms) if keywords else {}

    def get_chunks(self, ids: list[int]) -> dict[int, StoredChunk]:
        return self.db.get_chunks(ids)

    def chunk_spans(self, ids: list[int]) -> dict[int, ChunkSpan]:
        return self.db.chunk_spans(ids)

    def transcript_names(self, ids: list[int]) -> dict[int, str]:
        return self.db.transcript_names(ids)

    def neighbours(self, chunk: StoredChunk, reach: int) -> list[Neighbour]:
        return self.db.neighbours(chunk, reach)

    def transcript_slice(self, transcript_id: int, start: int, end: int) -> str:
        return self.db.transcript_slice(transcript_id, start, end)

    def vectors_of(self, space: Space, ids: list[int]) -> dict[int, np.ndarray]:
        return self.db.space_vectors(space.name, space.model, ids, space.dim)

    def chunk_filter(
        self,
        transcript_ids: list[int] | None = None,
        speakers: list[str] | None = None,
        kinds: list[str] | None = None,
    ) -> set[int]:
        return self.db.chunk_filter(transcript_ids, speakers, kinds)

    # --- writes ---------------------------------------------------------------

    def _insert_indexed(
        self,
        tx,
        generation: int,
        transcript_id: int,
        indexed: Indexed,
        spaces: Sequence[Space],
        targets: Mapping[str, VectorIndex | _PendingVectors],
    ) -> None:
        """Insert one transcript's chunks, record and cache their vectors, add them to targets."""
        ids = self.db.insert_chunks(tx, generation, transcript_id, map(_chunk_row, indexed.chunks))
        for space in spaces:
            rows = [
                (cid, text_sha(text))
                for cid, chunk in zip(ids, indexed.chunks, strict=True)
                if (text := view_text(chunk, space.view)) is not None
            ]
            vectors = indexed.vectors[space.name]
            if len(rows) != len(vectors):
                raise StoreError(f"{space.name}: {len(vectors)} vectors for {len(rows)} texts")
            self.db.insert_chunk_vectors(tx, space.name, rows)
            self.db.cache_vectors(
                tx, space.model, zip((sha for _, sha in rows), vectors, strict=True)
            )
            targets[space.name].add(np.array([cid for cid, _ in rows], dtype=np.int64), vectors)

    def _save_live(self, generation: int) -> None:
        """Persist the live indexes after an in-place write, noting the version they reflect.

        The write is already committed to SQLite, so a full disk here loses
        nothing: the live indexes in memory hold it, and the next start
        restores the vector files from the vectors SQLite caches.
        """
        with self._lock.write():
            try:
                for space in self.spaces:
                    self._vectors[space.name].save(self._vectors_path(space.name, generation))
                if self._keywords is not None:
                    self._keywords.refresh()
            except OSError as exc:
                if not _out_of_space(exc):
                    raise
                log.warning("%s is full; index files are saved at the next start", self.data_dir)
        self._loaded_version = self.db.version

    def add_transcript(self, new: NewTranscript, spaces: Sequence[Space]) -> tuple[int, bool]:
        """Store a transcript and its chunks durably, then index them.

        Returns the transcript id and whether it was created (False: the same
        upload was already stored, and its existing id is returned).
        """
        with self.db.write_lock:
            self._refresh_if_stale()
            self.check_spaces(spaces)
            existing = self.db.find_by_sha(new.sha256)
            if existing is not None:
                return existing, False
            if not self.is_built:
                return self.replace_all([new], spaces)[0], True
            generation = self.db.generation
            pending = {s.name: _PendingVectors() for s in spaces}
            with (
                _space_checked(self.data_dir, f"{new.name} was not stored"),
                self.db.transaction() as tx,
            ):
                tid = self.db.insert_transcript(
                    tx, new.name, new.format, new.sha256, new.text, new.source
                )
                self._insert_indexed(tx, generation, tid, new.indexed, spaces, pending)
                self.db.bump_version(tx)
            # Only committed rows reach the live vectors: a failed commit leaves them as they were.
            with self._lock.write():
                for name, vectors in pending.items():
                    for ids, rows in vectors.parts:
                        self._vectors[name].add(ids, rows)
            self._save_live(generation)
            return tid, True

    def delete_transcript(self, transcript_id: int) -> bool:
        with self.db.write_lock:
            self._refresh_if_stale()
            ids = np.array(
                self.db.transcript_chunk_ids(transcript_id, self.db.generation), dtype=np.int64
            )
            with (
                _space_checked(self.data_dir, "the transcript was not deleted"),
                self.db.transaction() as tx,
            ):
                deleted = tx.execute(
                    "DELETE FROM transcripts WHERE id = ?", (transcript_id,)
                ).rowcount
                self.db.bump_version(tx)
            if not deleted:
                return False
            with self._lock.write():
                for index in self._vectors.values():
                    index.remove(ids)
            self._save_live(self.db.generation)
            return True

    def _switch_generation(
        self, fill: Callable[..., list[int]], spaces: Sequence[Space]
    ) -> list[int]:
        """Write a whole new generation beside the live one and make it live atomically.

        ``fill(tx, generation, targets)`` inserts the new chunks (adding their
        vectors to ``targets``) and returns the transcript ids the generation holds.
        """
        with self.db.write_lock:
            old_generation = self.db.generation
            old_spaces = self.spaces
            generation = old_generation + 1
            targets = {s.name: create_vector_index(s.dim) for s in spaces}
            try:
                with (
                    _space_checked(self.data_dir, "the new index was not made live"),
                    self.db.transaction() as tx,
                ):
                    transcript_ids = fill(tx, generation, targets)
                    # The old generation's rows stay until the next switch: a question
                    # searching the old vectors right now must still find its chunks.
                    tx.execute(
                        "DELETE FROM chunks WHERE generation NOT IN (?, ?)",
                        (generation, old_generation),
                    )
                    self.db.set_meta(tx, "spaces", json.dumps([asdict(s) for s in spaces]))
                    self.db.set_meta(tx, "generation", str(generation))
                    self.db.bump_version(tx)
                    for space in spaces:
                        targets[space.name].save(self._vectors_path(space.name, generation))
                    rows = self.db.keyword_rows(generation)
                    keywords = KeywordIndex.write_new(self.db, rows, self.data_dir, generation)
            except BaseException:
                # Free what the unfinished generation wrote (a full disk needs it back now).
                for space in spaces:
                    self._vectors_path(space.name, generation).unlink(missing_ok=True)
                shutil.rmtree(KeywordIndex.path(self.data_dir, generation), ignore_errors=True)
                raise
            with self._lock.write():
                self._vectors, self._keywords, self._spaces = targets, keywords, list(spaces)
            self._loaded_version = self.db.version
            for space in old_spaces:
                self._vectors_path(space.name, old_generation).unlink(missing_ok=True)
            shutil.rmtree(KeywordIndex.path(self.data_dir, old_generation), ignore_errors=True)
            return transcript_ids

    def replace_all(self, items: list[NewTranscript], spaces: Sequence[Space]) -> list[int]:
        """Make the store hold exactly ``items``, as one atomic switch to a new generation.

        Transcripts whose upload is already stored keep their id and added time.
        """
        if not items:
            raise StoreError("nothing to index: no transcripts were given")

        def fill(tx, generation: int, targets: dict[str, VectorIndex]) -> list[int]:
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
                self._insert_indexed(tx, generation, tid, item.indexed, spaces, targets)
            marks = ",".join("?" * len(transcript_ids))
            tx.execute(f"DELETE FROM transcripts WHERE id NOT IN ({marks})", transcript_ids)
            return transcript_ids

        return self._switch_generation(fill, spaces)

    def swap_in(
        self, prepared: dict[int, Indexed], spaces: Sequence[Space], catch_up: CatchUp
    ) -> list[int]:
        """Make a rebuilt index live: ``prepared`` maps transcript ids to their new chunks.

        Transcripts uploaded while the rebuild ran are indexed by ``catch_up``
        under the write lock, and deleted ones are skipped, so nothing is lost.
        """

        def fill(tx, generation: int, targets: dict[str, VectorIndex]) -> list[int]:
            current = self.db.transcript_sources()
            late = [row for row in current if row[0] not in prepared]
            everything = {**prepared, **(catch_up(late) if late else {})}
            for tid, *_ in current:
                self._insert_indexed(tx, generation, tid, everything[tid], spaces, targets)
            return [row[0] for row in current]

        return self._switch_generation(fill, spaces)
