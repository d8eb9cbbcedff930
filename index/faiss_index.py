"""FAISS behind the ``VectorIndex`` interface, exact while small and IVF once large.

Exact inner product (``IndexIDMap2(IndexFlatIP)``) costs about 0.25 ms per
thousand vectors a question on one busy core (15 ms at 58k), so beyond
``ann_threshold`` (25k: about 6 ms) the index turns itself into two parts inside
the ``add`` that crosses the threshold, from the vectors it already holds, so
nothing is re-embedded:

- the vectors themselves in fp16 (``IndexIDMap(IndexScalarQuantizer)``), and
- an IVF index of 4-bit product codes over them (``IndexIVFPQFastScan``: a byte per
  four dimensions, scanned with SIMD table lookups, about 15x less memory traffic
  than scanning the fp16 vectors).

A question scans half of the IVF clusters (within ``SCAN_BUDGET`` vectors) on the
codes, keeps the best ``REFINE_CANDIDATES``, and scores those again on their fp16
vectors, so the order it returns is the vectors' own. Scanning codes instead of
vectors lets a question scan several times more of the index in less time, which
is what e5's vectors (bunched in one direction) need: on the 65,097-chunk
earnings-call build, recall@10 against exact search went from 0.93 (fp16 IVF,
a quarter of the clusters, 2.3 ms) to 0.99 (1.3 ms). IVF rather than HNSW because
IVF removes ids natively (no tombstones), adds in time proportional to what is
added, and keeps its recall for questions unlike the passages (HNSW32 at efSearch
256 on the same build: e5 recall@10 0.84 for the eval sets' questions). Once
``nlist_for`` its size is more clusters than it has (every fourfold growth or so),
it retrains on its next save (about a minute at a million vectors). Files from
before (one IVF index holding the vectors: ``IndexIVFFlat`` or fp16
``IndexIVFScalarQuantizer``) are converted on load and rewritten on the next save.

The file is append-only between compactions: it starts with a plain FAISS index
(so ``faiss.read_index`` opens it), for a large index followed by the second,
then checksummed records of the ids added and removed since. Saving after a
small write appends and fsyncs those records, so adding one transcript costs
time proportional to the transcript; a torn trailing record (a crash mid-append)
is ignored on load, leaving the old state, and the store's repair-on-open
restores anything missing from SQLite. When the records grow past a fraction of
the index, or the file is not the one this object last wrote, ``save`` rewrites
the whole file atomically instead.
"""

from __future__ import annotations

import logging
import math
import os
import struct
import uuid
import zlib
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

import faiss
import numpy as np

DEFAULT_ANN_THRESHOLD = 25_000
DEFAULT_NPROBE = 128
"""The fewest clusters a question scans (``nprobe_for`` may scan more)."""
SCAN_SHARE = 1 / 2
SCAN_BUDGET = 131_072
"""A question scans half of the clusters while that is at most this many vectors' codes."""
REFINE_CANDIDATES = 256
"""Best candidates by their codes that are scored again on their vectors (at least 2k)."""
TRAIN_POINTS_PER_LIST = 64
COMPACT_FRACTION = 0.25
COMPACT_MIN = 4096

log = logging.getLogger(__name__)

_MAGIC = b"RVD1"
_HEADER = struct.Struct("<4sBIQI")
_ADD, _REMOVE = 1, 2


@dataclass
class _Record:
    op: int
    ids: np.ndarray
    vectors: np.ndarray | None = None

    def encode(self, dim: int) -> bytes:
        payload = np.ascontiguousarray(self.ids, dtype=np.int64).tobytes()
        if self.vectors is not None:
            payload += np.ascontiguousarray(self.vectors, dtype=np.float32).tobytes()
        header = _HEADER.pack(_MAGIC, self.op, len(self.ids), len(payload), zlib.crc32(payload))
        return header + payload

    @classmethod
    def decode(cls, fh: BinaryIO, dim: int) -> _Record | None:
        """The next record, or None at the end or at a torn or corrupt tail."""
        header = fh.read(_HEADER.size)
        if len(header) < _HEADER.size:
            return None
        magic, op, count, length, crc = _HEADER.unpack(header)
        expected = count * 8 + (count * dim * 4 if op == _ADD else 0)
        if magic != _MAGIC or op not in (_ADD, _REMOVE) or length != expected:
            return None
        payload = fh.read(length)
        if len(payload) < length or zlib.crc32(payload) != crc:
            return None
        ids = np.frombuffer(payload[: count * 8], dtype=np.int64)
        if op == _REMOVE:
            return cls(op, ids)
        vectors = np.frombuffer(payload[count * 8 :], dtype=np.float32).reshape(count, dim)
        return cls(op, ids, vectors)


def nlist_for(n: int) -> int:
    """Clusters for ``n`` vectors: about 4·√n as a power of two, at most 4096, and at
    least 39 training points each (what k-means needs), so tiny indexes still work.

    A search costs the clusters' scan, so smaller clusters are faster: at 1M, 4096
    clusters and nprobe 128 scan 3% of the vectors (4.2 ms for MiniLM, recall@10 0.999)
    where 1024 clusters and nprobe 128 would scan 12.5%."""
    wanted = min(4096, 2 ** round(math.log2(4 * math.sqrt(max(n, 1)))))
    return int(max(1, min(wanted, n // 39)))


def nprobe_for(clusters: int, size: int, floor: int = DEFAULT_NPROBE) -> int:
    """Clusters to scan per question: half of them, capped at ``SCAN_BUDGET`` vectors,
    never fewer than ``floor``.

    Recall follows the share of the index scanned, and e5's vectors, bunched in one
    direction, need a larger share than MiniLM's. On the real 65,097-chunk earnings-call
    build (1,024 clusters; recall@10 against exact search, 25 earnings questions / 198
    questions from the eval sets; codes scanned, 256 candidates rescored): e5 0.932 /
    0.962 at 256 clusters, 0.988 / 0.987 at 512; MiniLM 0.988 / 0.982 at 256, 1.000 /
    0.995 at 512, 1.3 ms a search. At a million vectors (4,096 clusters) the budget
    scans 536 of them: e5 0.984 / 0.968 in about 4 ms."""
    share = math.ceil(clusters * SCAN_SHARE)
    budget = clusters * SCAN_BUDGET // max(size, 1)
    return max(1, min(clusters, max(floor, min(share, budget))))


def _identity(path: Path, size: int) -> tuple[Path, int, int] | None:
    """The (path, size, inode) of ``path`` if it still has ``size`` bytes: the file we wrote."""
    try:
        stat = path.stat()
    except FileNotFoundError:
        return None
    return (path, stat.st_size, stat.st_ino) if stat.st_size == size else None


def _fsync_dir(directory: Path) -> None:
    fd = os.open(directory, os.O_DIRECTORY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _pq_subquantizers(dim: int) -> int:
    """Two dimensions per 4-bit code where the dimension is even (192 for 384)."""
    return dim // 2 if dim % 2 == 0 else dim


class FaissIndex:
    def __init__(
        self,
        index: faiss.Index,
        ann_threshold: int = DEFAULT_ANN_THRESHOLD,
        nprobe: int = DEFAULT_NPROBE,
        coarse: faiss.IndexIVF | None = None,
    ) -> None:
        self._index = index
        self._coarse = coarse
        self.dim = int(index.d)
        self.ann_threshold = ann_threshold
        self.nprobe = nprobe
        self._pending: list[_Record] = []
        self._delta_rows = 0
        self._file: tuple[Path, int, int] | None = None
        self._rows = _RowLookup()
        if isinstance(index, faiss.IndexIVF):
            self._convert_legacy_ivf()
        self._refresh()

    @classmethod
    def create(
        cls, dim: int, ann_threshold: int = DEFAULT_ANN_THRESHOLD, nprobe: int = DEFAULT_NPROBE
    ) -> FaissIndex:
        return cls(faiss.IndexIDMap2(faiss.IndexFlatIP(dim)), ann_threshold, nprobe)

    @classmethod
    def load(
        cls, path: Path, ann_threshold: int = DEFAULT_ANN_THRESHOLD, nprobe: int = DEFAULT_NPROBE
    ) -> FaissIndex:
        with open(path, "rb") as fh:
            reader = faiss.PyCallbackIOReader(fh.read)
            index = faiss.read_index(reader)
            coarse = None
            after = fh.tell()
            head = fh.read(len(_MAGIC))
            fh.seek(after)
            if head and head != _MAGIC:
                coarse = faiss.read_index(reader)
            if coarse is None and isinstance(index, faiss.IndexIVF):
                log.warning(
                    "%s: converting %d vectors to fp16 vectors plus product codes, once "
                    "(2-3 minutes a million)",
                    path,
                    index.ntotal,
                )
            loaded = cls(index, ann_threshold, nprobe, coarse)
            legacy = coarse is None and loaded.kind == "ivf"
            valid = fh.tell()
            while (record := _Record.decode(fh, loaded.dim)) is not None:
                loaded._apply(record)
                loaded._delta_rows += len(record.ids)
                valid = fh.tell()
            # A converted file is rewritten whole on the next save.
            loaded._file = None if legacy else (Path(path), valid, os.fstat(fh.fileno()).st_ino)
        return loaded

    @property
    def kind(self) -> str:
        """``"exact"`` (flat inner product) or ``"ivf"`` (approximate, clustered)."""
        return "ivf" if self._coarse is not None else "exact"

    @property
    def clusters(self) -> int:
        """IVF clusters (0 while exact)."""
        return int(self._coarse.nlist) if self._coarse is not None else 0

    def __len__(self) -> int:
        return int(self._index.ntotal)

    # --- writes ---------------------------------------------------------------

    def add(self, ids: np.ndarray, vectors: np.ndarray) -> None:
        if not len(ids):
            return
        record = _Record(
            _ADD,
            np.ascontiguousarray(ids, dtype=np.int64),
            np.ascontiguousarray(vectors, dtype=np.float32).reshape(len(ids), self.dim),
        )
        self._apply(record)
        self._pending.append(record)
        if self.kind == "exact" and len(self) > self.ann_threshold:
            self._rebuild_ivf()

    def remove(self, ids: np.ndarray) -> None:
        if not len(ids):
            return
        record = _Record(_REMOVE, np.ascontiguousarray(ids, dtype=np.int64))
        self._apply(record)
        self._pending.append(record)

    def _apply(self, record: _Record) -> None:
        if record.op == _ADD:
            first = len(self)
            self._index.add_with_ids(record.vectors, record.ids)
            if self._coarse is not None:
                self._coarse.add_with_ids(record.vectors, record.ids)
                self._rows.append(record.ids, first)
        else:
            self._index.remove_ids(faiss.IDSelectorBatch(record.ids))
            if self._coarse is not None:
                self._coarse.remove_ids(faiss.IDSelectorBatch(record.ids))
                self._rows.reset(self._held_ids())
        self._refresh()

    def _refresh(self) -> None:
        """Writes happen alone (the store's lock), so searches never see this change."""
        if self._coarse is None:
            return
        self._coarse.nprobe = nprobe_for(self._coarse.nlist, len(self), self.nprobe)
        # A view, not a copy, of the fp16 vectors: valid until the next write, which
        # refreshes it.
        store = faiss.downcast_index(self._index.index)
        count = int(store.ntotal)
        if count:
            codes = faiss.rev_swig_ptr(store.codes.data(), count * int(store.code_size))
            self._vectors = np.frombuffer(codes, dtype=np.float16).reshape(count, self.dim)
        else:
            self._vectors = np.zeros((0, self.dim), dtype=np.float16)
        if len(self._rows) != count:
            self._rows.reset(self._held_ids())

    def _held_ids(self) -> np.ndarray:
        return faiss.vector_to_array(self._index.id_map).astype(np.int64)

    def _rebuild_ivf(self) -> None:
        """Train clusters and codes on the vectors held now and move them all into IVF."""
        ids, vectors = self._contents()
        self._build_ivf(ids, vectors)
        self._file = None

    def _build_ivf(self, ids: np.ndarray, vectors: np.ndarray) -> None:
        nlist = nlist_for(len(ids))
        # Vectors in fp16 (scores within about 1e-3 of fp32) for the final scores.
        store = faiss.IndexScalarQuantizer(
            self.dim, faiss.ScalarQuantizer.QT_fp16, faiss.METRIC_INNER_PRODUCT
        )
        held = faiss.IndexIDMap(store)
        held.add_with_ids(vectors, ids)
        # Codes of each vector's residual from its cluster's centre: e5's vectors share
        # most of their direction, so coding the residual keeps the codes' few bits for
        # what tells the vectors apart.
        coarse = faiss.IndexIVFPQFastScan(
            faiss.IndexFlatIP(self.dim),
            self.dim,
            nlist,
            _pq_subquantizers(self.dim),
            4,
            faiss.METRIC_INNER_PRODUCT,
        )
        coarse.by_residual = True
        sample = min(len(ids), nlist * TRAIN_POINTS_PER_LIST)
        rng = np.random.default_rng(0)
        picked = rng.choice(len(ids), sample, replace=False) if sample < len(ids) else slice(None)
        coarse.train(np.ascontiguousarray(vectors[picked]))
        coarse.add_with_ids(vectors, ids)
        self._index, self._coarse = held, coarse
        self._rows.reset(ids)
        self._refresh()

    def _convert_legacy_ivf(self) -> None:
        """An older file's single IVF index (fp32 or fp16 vectors) into vectors plus codes."""
        ids, vectors = self._ivf_lists(with_vectors=True)
        self._build_ivf(ids, vectors)

    def _contents(self) -> tuple[np.ndarray, np.ndarray]:
        """Every id and its vector, read out of the index itself."""
        ids = self._held_ids()
        return ids, self._index.index.reconstruct_n(0, len(ids))

    def _ivf_lists(self, with_vectors: bool) -> tuple[np.ndarray, np.ndarray]:
        invlists = self._index.invlists
        code_size = int(self._index.code_size)
        # fp16 codes (IndexIVFScalarQuantizer, raw vectors) or fp32 (IVFFlat).
        dtype = np.float16 if code_size == 2 * self.dim else np.float32
        id_parts, vector_parts = [np.zeros(0, np.int64)], [np.zeros((0, self.dim), np.float32)]
        for list_no in range(self._index.nlist):
            size = invlists.list_size(list_no)
            if not size:
                continue
            id_parts.append(faiss.rev_swig_ptr(invlists.get_ids(list_no), size).copy())
            if with_vectors:
                codes = faiss.rev_swig_ptr(invlists.get_codes(list_no), size * code_size)
                vector_parts.append(
                    np.frombuffer(codes, dtype=dtype).reshape(size, -1).astype(np.float32)
                )
        return np.concatenate(id_parts).astype(np.int64), np.concatenate(vector_parts)

    # --- reads ----------------------------------------------------------------

    def search(self, query: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
        k = min(k, len(self))
        if k <= 0:
            return np.zeros(0, dtype=np.float32), np.zeros(0, dtype=np.int64)
        query = np.ascontiguousarray(query.reshape(1, -1), dtype=np.float32)
        # One question is too small to share between threads: on a busy machine OpenMP's
        # hand-offs cost more than the scan (25x at 6k vectors), and concurrent requests
        # already use the cores. The setting is per thread, so builds keep every core.
        threads = faiss.omp_get_max_threads()
        faiss.omp_set_num_threads(1)
        try:
            if self._coarse is None:
                scores, ids = self._index.search(query, k)
                return scores[0], ids[0]
            _, found = self._coarse.search(query, max(REFINE_CANDIDATES, 2 * k))
        finally:
            faiss.omp_set_num_threads(threads)
        candidates = found[0][found[0] >= 0]
        scores = self._vectors[self._rows.rows_of(candidates)].astype(np.float32) @ query[0]
        best = np.argsort(-scores, kind="stable")[:k]
        return scores[best], candidates[best]

    def ids(self) -> np.ndarray:
        return self._held_ids()

    # --- persistence ------------------------------------------------------------

    def save(self, path: Path) -> None:
        """Append what changed since the last save, or rewrite the file atomically.

        Appending needs the file to be exactly as this object last left it; any
        doubt (another path, another writer, a grown delta) means a full rewrite.
        """
        path = Path(path)
        pending_rows = sum(len(r.ids) for r in self._pending)
        if self.kind == "ivf" and nlist_for(len(self)) > self.clusters:
            self._rebuild_ivf()
        appendable = (
            self._file is not None
            and self._file == _identity(path, self._file[1])
            and self._delta_rows + pending_rows <= max(COMPACT_MIN, COMPACT_FRACTION * len(self))
        )
        if appendable:
            self._append(path)
            self._delta_rows += pending_rows
        else:
            self._rewrite(path)
            self._delta_rows = 0
        self._pending.clear()

    def _append(self, path: Path) -> None:
        if not self._pending:
            return
        data = b"".join(record.encode(self.dim) for record in self._pending)
        with open(path, "r+b") as fh:
            fh.seek(self._file[1])
            fh.truncate()
            try:
                fh.write(data)
                fh.flush()
                os.fsync(fh.fileno())
            except OSError:
                fh.truncate(self._file[1])  # no torn record left behind (a full disk)
                raise
            self._file = (path, fh.tell(), os.fstat(fh.fileno()).st_ino)

    def _rewrite(self, path: Path) -> None:
        tmp = path.with_name(f"{path.name}.{os.getpid()}.{uuid.uuid4().hex}.tmp")
        try:
            with open(tmp, "wb") as fh:
                writer = faiss.PyCallbackIOWriter(fh.write)
                faiss.write_index(self._index, writer)
                if self._coarse is not None:
                    faiss.write_index(self._coarse, writer)
                del writer
                fh.flush()
                os.fsync(fh.fileno())
            stat = tmp.stat()
            os.replace(tmp, path)
        except BaseException:
            tmp.unlink(missing_ok=True)
            raise
        _fsync_dir(path.parent)
        self._file = (path, stat.st_size, stat.st_ino)


class _RowLookup:
    """Row of each id in the fp16 vectors, for rescoring candidates: ids kept sorted."""

    def __init__(self) -> None:
        self._ids = np.zeros(0, dtype=np.int64)
        self._rows = np.zeros(0, dtype=np.int64)

    def __len__(self) -> int:
        return len(self._ids)

    def reset(self, held: np.ndarray) -> None:
        """``held`` lists the ids in row order."""
        order = np.argsort(held, kind="stable")
        self._ids, self._rows = held[order], order.astype(np.int64)

    def append(self, ids: np.ndarray, first_row: int) -> None:
        """Rows ``first_row``, ``first_row + 1``, ... now hold ``ids``: merged in, O(n)."""
        order = np.argsort(ids, kind="stable")
        at = np.searchsorted(self._ids, ids[order])
        self._ids = np.insert(self._ids, at, ids[order])
        self._rows = np.insert(self._rows, at, first_row + order)

    def rows_of(self, ids: np.ndarray) -> np.ndarray:
        return self._rows[np.searchsorted(self._ids, ids)]
