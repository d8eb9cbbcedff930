"""The SQLite database: the durable truth from which the vector index can always be rebuilt.

Transcripts keep their full text; chunks keep offsets into it (their text is a
slice, never a copy); vectors are cached per model and chunk-text hash so that
repairs and rebuilds need not re-embed.
"""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path

import numpy as np

from rag.lexical import title_of
from rag.models import ChunkSpan, Neighbour, StoredChunk, TranscriptInfo

MIGRATIONS = [
    """
    CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
    CREATE TABLE transcripts (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        name TEXT NOT NULL,
        format TEXT NOT NULL,
        sha256 TEXT NOT NULL UNIQUE,
        text TEXT NOT NULL,
        source TEXT,
        added_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%SZ', 'now'))
    );
    CREATE TABLE chunks (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        generation INTEGER NOT NULL,
        transcript_id INTEGER NOT NULL REFERENCES transcripts(id) ON DELETE CASCADE,
        start INTEGER NOT NULL,
        end INTEGER NOT NULL,
        kind TEXT NOT NULL,
        section TEXT,
        speaker TEXT,
        question TEXT,
        start_time REAL,
        end_time REAL
    );
    CREATE INDEX chunks_by_generation ON chunks(generation, transcript_id);
    CREATE TABLE chunk_vectors (
        chunk_id INTEGER NOT NULL REFERENCES chunks(id) ON DELETE CASCADE,
        space TEXT NOT NULL,
        sha TEXT NOT NULL,
        PRIMARY KEY (space, chunk_id)
    ) WITHOUT ROWID;
    CREATE INDEX chunk_vectors_by_chunk ON chunk_vectors(chunk_id);
    CREATE TABLE embeddings (
        model TEXT NOT NULL,
        sha TEXT NOT NULL,
        vector BLOB NOT NULL,
        PRIMARY KEY (model, sha)
    ) WITHOUT ROWID;
    """,
    # Speakers' roles; chunks stored before read NULL until a rebuild.
    "ALTER TABLE chunks ADD COLUMN roles TEXT",
]

CHUNK_COLUMNS = """
    c.id, c.transcript_id, t.name, c.start, c.end, c.kind,
    substr(t.text, c.start + 1, c.end - c.start),
    c.section, c.speaker, c.question, c.start_time, c.end_time, c.roles
"""


class Database:
    """One file, WAL mode, a connection per thread, writes serialised by one lock."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._local = threading.local()
        self.write_lock = threading.RLock()
        self._migrate()

    def connect(self) -> sqlite3.Connection:
        conn = getattr(self._local, "conn", None)
        if conn is None:
            conn = sqlite3.connect(self.path, timeout=30, isolation_level=None)
            conn.execute("PRAGMA journal_mode=WAL")
            conn.execute("PRAGMA synchronous=FULL")
            conn.execute("PRAGMA foreign_keys=ON")
            conn.execute("PRAGMA busy_timeout=30000")
            self._local.conn = conn
        return conn

    @contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        """One atomic write: everything inside commits together or not at all."""
        with self.write_lock:
            conn = self.connect()
            conn.execute("BEGIN IMMEDIATE")
            try:
                yield conn
                conn.execute("COMMIT")
            except BaseException:
                # A failed COMMIT (a full disk) may leave the transaction open, or SQLite
                # may have rolled it back already.
                if conn.in_transaction:
                    conn.execute("ROLLBACK")
                raise

    def _migrate(self) -> None:
        conn = self.connect()
        version = conn.execute("PRAGMA user_version").fetchone()[0]
        for number, script in enumerate(MIGRATIONS[version:], start=version + 1):
            with self.transaction() as tx:
                for statement in script.split(";"):
                    if statement.strip():
                        tx.execute(statement)
                tx.execute(f"PRAGMA user_version = {number}")

    # --- meta -----------------------------------------------------------------

    def get_meta(self, key: str) -> str | None:
        row = self.connect().execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
        return row[0] if row else None

    @staticmethod
    def set_meta(tx: sqlite3.Connection, key: str, value: str) -> None:
        tx.execute("INSERT OR REPLACE INTO meta(key, value) VALUES (?, ?)", (key, value))

    @property
    def generation(self) -> int:
        return int(self.get_meta("generation") or 0)

    @property
    def version(self) -> int:
        """Bumped by every write, so other processes' readers know to reload vectors."""
        return int(self.get_meta("version") or 0)

    def bump_version(self, tx: sqlite3.Connection) -> None:
        tx.execute(
            """INSERT INTO meta(key, value) VALUES ('version', '1')
               ON CONFLICT(key) DO UPDATE SET value = CAST(value AS INTEGER) + 1"""
        )

    # --- transcripts ----------------------------------------------------------

    def list_transcripts(self) -> list[TranscriptInfo]:
        rows = (
            self.connect()
            .execute(
                """SELECT t.id, t.name, t.format, t.sha256, length(t.text), count(c.id), t.added_at
               FROM transcripts t
               LEFT JOIN chunks c ON c.transcript_id = t.id AND c.generation = ?
               GROUP BY t.id ORDER BY t.id""",
                (self.generation,),
            )
            .fetchall()
        )
        return [TranscriptInfo(*row) for row in rows]

    def get_transcript(self, transcript_id: int) -> tuple[TranscriptInfo, str] | None:
        conn = self.connect()
        row = conn.execute(
            """SELECT t.id, t.name, t.format, t.sha256, length(t.text),
                      (SELECT count(*) FROM chunks c WHERE c.transcript_id = t.id
                       AND c.generation = ?),
                      t.added_at, t.text
               FROM transcripts t WHERE t.id = ?""",
            (self.generation, transcript_id),
        ).fetchone()
        if row is None:
            return None
        return TranscriptInfo(*row[:7]), row[7]

    def find_by_sha(self, sha256: str) -> int | None:
        row = (
            self.connect()
            .execute("SELECT id FROM transcripts WHERE sha256 = ?", (sha256,))
            .fetchone()
        )
        return row[0] if row else None

    @staticmethod
    def insert_transcript(
        tx: sqlite3.Connection,
        name: str,
        format: str,
        sha256: str,
        text: str,
        source: str | None = None,
    ) -> int:
        """``source`` is the uploaded text when the parser made a different readable text."""
        cur = tx.execute(
            "INSERT INTO transcripts(name, format, sha256, text, source) VALUES (?, ?, ?, ?, ?)",
            (name, format, sha256, text, source),
        )
        return int(cur.lastrowid or 0)

    def transcript_sources(self) -> list[tuple[int, str, str, str]]:
        """(id, name, format, uploaded text) of every transcript, for re-parsing."""
        rows = self.connect().execute(
            "SELECT id, name, format, coalesce(source, text) FROM transcripts ORDER BY id"
        )
        return [tuple(row) for row in rows]  # type: ignore[misc]

    def transcript_ids(self) -> set[int]:
        return {r[0] for r in self.connect().execute("SELECT id FROM transcripts")}

    def transcript_chunk_ids(self, transcript_id: int, generation: int) -> list[int]:
        rows = self.connect().execute(
            "SELECT id FROM chunks WHERE transcript_id = ? AND generation = ?",
            (transcript_id, generation),
        )
        return [r[0] for r in rows]

    # --- chunks ---------------------------------------------------------------

    @staticmethod
    def insert_chunks(
        tx: sqlite3.Connection, generation: int, transcript_id: int, rows: Iterable[tuple]
    ) -> list[int]:
        """Rows are (start, end, kind, section, speaker, question, start_time, end_time,
        roles)."""
        ids = []
        for row in rows:
            cur = tx.execute(
                """INSERT INTO chunks(generation, transcript_id, start, end, kind, section,
                       speaker, question, start_time, end_time, roles)
                   VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)""",
                (generation, transcript_id, *row),
            )
            ids.append(int(cur.lastrowid or 0))
        return ids

    @staticmethod
    def insert_chunk_vectors(
        tx: sqlite3.Connection, space: str, rows: Iterable[tuple[int, str]]
    ) -> None:
        """Which text (by hash) of each chunk a vector space holds: (chunk_id, sha)."""
        tx.executemany(
            "INSERT INTO chunk_vectors(chunk_id, space, sha) VALUES (?, ?, ?)",
            ((cid, space, sha) for cid, sha in rows),
        )

    def space_shas(self, space: str, generation: int) -> dict[int, str]:
        """Chunk id to text hash of every live chunk the space should hold."""
        rows = self.connect().execute(
            """SELECT v.chunk_id, v.sha FROM chunk_vectors v JOIN chunks c ON c.id = v.chunk_id
               WHERE v.space = ? AND c.generation = ?""",
            (space, generation),
        )
        return dict(rows.fetchall())

    def space_vectors(
        self, space: str, model: str, ids: list[int], dim: int
    ) -> dict[int, np.ndarray]:
        """Cached vectors of these chunks in a space, by chunk id."""
        if not ids:
            return {}
        marks = ",".join("?" * len(ids))
        rows = self.connect().execute(
            f"""SELECT v.chunk_id, e.vector FROM chunk_vectors v
                JOIN embeddings e ON e.model = ? AND e.sha = v.sha
                WHERE v.space = ? AND v.chunk_id IN ({marks})""",
            [model, space, *ids],
        )
        out = {}
        for cid, blob in rows:
            vector = np.frombuffer(blob, dtype=np.float32)
            if vector.shape[0] == dim:
                out[cid] = vector
        return out

    def keyword_rows(self, generation: int, after_id: int = 0) -> list[tuple[int, str]]:
        """(chunk id, text for keyword search): the transcript's title, the chunk's section,
        question, speaker and speakers' roles, and the span."""
        rows = self.connect().execute(
            """SELECT c.id, t.name, coalesce(c.section || ' ', '')
                      || coalesce(c.question || ' ', '') || coalesce(c.speaker || ' ', '')
                      || coalesce(c.roles || ' ', '')
                      || substr(t.text, c.start + 1, c.end - c.start)
               FROM chunks c JOIN transcripts t ON t.id = c.transcript_id
               WHERE c.generation = ? AND c.id > ? ORDER BY c.id""",
            (generation, after_id),
        )
        return [(cid, f"{title_of(name)} {text}") for cid, name, text in rows]

    def transcript_names(self, ids: list[int]) -> dict[int, str]:
        if not ids:
            return {}
        marks = ",".join("?" * len(ids))
        rows = self.connect().execute(
            f"SELECT id, name FROM transcripts WHERE id IN ({marks})", [int(i) for i in ids]
        )
        return dict(rows.fetchall())

    def chunk_filter(
        self,
        transcript_ids: list[int] | None,
        speakers: list[str] | None,
        kinds: list[str] | None,
    ) -> set[int]:
        """Ids of live chunks matching every given filter."""
        clauses, params = ["generation = ?"], [self.generation]
        for column, values in (("transcript_id", transcript_ids), ("kind", kinds)):
            if values is not None:
                clauses.append(f"{column} IN ({','.join('?' * len(values))})")
                params.extend(values)
        if speakers is not None:
            clauses.append(f"lower(speaker) IN ({','.join('?' * len(speakers))})")
            params.extend(s.lower() for s in speakers)
        rows = self.connect().execute(
            f"SELECT id FROM chunks WHERE {' AND '.join(clauses)}", params
        )
        return {r[0] for r in rows}

    def get_chunks(self, ids: list[int]) -> dict[int, StoredChunk]:
        if not ids:
            return {}
        marks = ",".join("?" * len(ids))
        rows = (
            self.connect()
            .execute(
                f"""SELECT {CHUNK_COLUMNS} FROM chunks c
                    JOIN transcripts t ON t.id = c.transcript_id WHERE c.id IN ({marks})""",
                [int(i) for i in ids],
            )
            .fetchall()
        )
        return {row[0]: StoredChunk(*row) for row in rows}

    def chunk_spans(self, ids: list[int]) -> dict[int, ChunkSpan]:
        """Cheaper than ``get_chunks``: no transcript text is read to cut a chunk's out."""
        if not ids:
            return {}
        marks = ",".join("?" * len(ids))
        rows = (
            self.connect()
            .execute(
                f"SELECT id, transcript_id, start, end FROM chunks WHERE id IN ({marks})",
                [int(i) for i in ids],
            )
            .fetchall()
        )
        return {row[0]: ChunkSpan(*row) for row in rows}

    def neighbours(self, chunk: StoredChunk, reach: int) -> list[Neighbour]:
        """Live chunks of the chunk's transcript within ``reach`` characters of it, the chunk
        itself included."""
        rows = self.connect().execute(
            """SELECT id, start, end, kind, section, speaker, roles, start_time, end_time
               FROM chunks WHERE generation = ? AND transcript_id = ? AND start < ? AND end > ?
               ORDER BY start""",
            (self.generation, chunk.transcript_id, chunk.end + reach, chunk.start - reach),
        )
        return [Neighbour(*row) for row in rows.fetchall()]

    def transcript_slice(self, transcript_id: int, start: int, end: int) -> str:
        """``text[start:end]`` of a transcript, read without the rest of it."""
        row = (
            self.connect()
            .execute(
                "SELECT substr(text, ? + 1, ? - ?) FROM transcripts WHERE id = ?",
                (start, end, start, transcript_id),
            )
            .fetchone()
        )
        return row[0] if row else ""

    def chunk_ids(self, generation: int) -> np.ndarray:
        rows = (
            self.connect()
            .execute("SELECT id FROM chunks WHERE generation = ? ORDER BY id", (generation,))
            .fetchall()
        )
        return np.array([r[0] for r in rows], dtype=np.int64)

    def count_transcripts(self) -> int:
        """Without ``list_transcripts``' lengths, which read every transcript's text."""
        return int(self.connect().execute("SELECT count(*) FROM transcripts").fetchone()[0])

    def count_chunks(self) -> int:
        return int(
            self.connect()
            .execute("SELECT count(*) FROM chunks WHERE generation = ?", (self.generation,))
            .fetchone()[0]
        )

    # --- embedding cache ------------------------------------------------------

    def cached_vectors(self, model: str, shas: Iterable[str], dim: int) -> dict[str, np.ndarray]:
        conn = self.connect()
        wanted = list(dict.fromkeys(shas))
        out: dict[str, np.ndarray] = {}
        for i in range(0, len(wanted), 900):
            part = wanted[i : i + 900]
            marks = ",".join("?" * len(part))
            for sha, blob in conn.execute(
                f"SELECT sha, vector FROM embeddings WHERE model = ? AND sha IN ({marks})",
                [model, *part],
            ):
                vector = np.frombuffer(blob, dtype=np.float32)
                if vector.shape[0] == dim:
                    out[sha] = vector
        return out

    @staticmethod
    def cache_vectors(
        tx: sqlite3.Connection, model: str, items: Iterable[tuple[str, np.ndarray]]
    ) -> None:
        tx.executemany(
            "INSERT OR IGNORE INTO embeddings(model, sha, vector) VALUES (?, ?, ?)",
            ((model, sha, np.asarray(v, dtype=np.float32).tobytes()) for sha, v in items),
        )
