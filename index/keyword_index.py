"""Keyword (BM25) search kept in step with SQLite, cheaply as transcripts come and go.

BM25 cannot take new documents in place, so the index is two parts: a main
index saved beside each generation's vectors, and a small delta over the
chunks added since, rebuilt from SQLite on each write (cost proportional to
the delta). When the delta grows past a fraction of the main index, the two
are merged. Chunks deleted from the main index are remembered and left out
of results until the next merge drops them.
"""

from __future__ import annotations

import shutil
from collections.abc import Sequence
from pathlib import Path

from index.database import Database
from rag.lexical import LexicalIndex, idf_of

MERGE_AT = 2000
"""The delta is merged into the main index once it holds this many chunks..."""
MERGE_FRACTION = 0.2
"""...or this fraction of the main index, whichever is larger."""


def _build(rows: list[tuple[int, str]]) -> LexicalIndex:
    return LexicalIndex.build([r[0] for r in rows], [r[1] for r in rows])


class KeywordIndex:
    def __init__(self, db: Database, directory: Path, generation: int) -> None:
        self.db = db
        self.directory = directory
        self.generation = generation
        self.main: LexicalIndex | None = None
        self.main_max_id = 0
        self.delta: LexicalIndex | None = None
        self.removed: set[int] = set()

    @staticmethod
    def path(data_dir: Path, generation: int) -> Path:
        return data_dir / f"keywords-{generation}"

    @classmethod
    def open(cls, db: Database, data_dir: Path, generation: int) -> tuple[KeywordIndex, str | None]:
        """Load the generation's main index (building it if lost) and the delta; say any repair."""
        index = cls(db, cls.path(data_dir, generation), generation)
        repair = None
        try:
            index._set_main(LexicalIndex.load(index.directory))
        except (OSError, ValueError):
            if index.directory.exists() or db.count_chunks():
                repair = f"keyword index {index.directory.name} was missing or outdated; rebuilt it"
            index.merge()
        index.refresh()
        return index, repair

    @classmethod
    def write_new(
        cls, db: Database, rows: list[tuple[int, str]], data_dir: Path, generation: int
    ) -> KeywordIndex:
        """The main index of a generation about to go live, saved before it does."""
        index = cls(db, cls.path(data_dir, generation), generation)
        main = _build(rows)
        main.save(index.directory)
        index._set_main(main)
        return index

    def _set_main(self, main: LexicalIndex) -> None:
        self.main = main
        self.main_max_id = int(main.ids().max()) if len(main) else 0

    def refresh(self) -> None:
        """Re-read what changed since the main index was built; merge when it is a lot."""
        rows = self.db.keyword_rows(self.generation, self.main_max_id)
        if self.main is not None:
            live = set(self.db.chunk_ids(self.generation).tolist())
            self.removed = {int(i) for i in self.main.ids() if int(i) not in live}
        threshold = max(MERGE_AT, int(MERGE_FRACTION * (len(self.main) if self.main else 0)))
        if len(rows) + len(self.removed) > threshold:
            self.merge()
        else:
            self.delta = _build(rows) if rows else None

    def merge(self) -> None:
        main = _build(self.db.keyword_rows(self.generation))
        main.save(self.directory)
        self._set_main(main)
        self.delta = None
        self.removed = set()

    def search(
        self, query: str, k: int, alternatives: Sequence[Sequence[str]] = ()
    ) -> list[tuple[int, float]]:
        """Both parts' best; the delta weighs terms as the whole collection does, so a new
        upload's rare word scores as it will after the merge (over a delta of three chunks
        its own weights made it worth a fifth as much)."""
        depth = k + len(self.removed)
        hits = [
            hit
            for part, idf in ((self.main, None), (self.delta, self.idf))
            if part
            for hit in part.search(query, depth, alternatives, idf)
            if hit[0] not in self.removed
        ]
        return sorted(hits, key=lambda h: -h[1])[:k]

    def idf(self, terms: list[str]) -> dict[str, float]:
        """Over the main index and the delta: a term only a new upload has is known too."""
        parts = [part for part in (self.main, self.delta) if part]
        frequencies: dict[str, int] = {}
        for part in parts:
            for term, count in part.document_frequencies(terms).items():
                frequencies[term] = frequencies.get(term, 0) + count
        return idf_of(frequencies, sum(len(part) for part in parts))

    def nearest(self, terms: list[str]) -> dict[str, str]:
        """The known term each term neither part knows is likely a typo of, where one is."""
        parts = [part for part in (self.main, self.delta) if part]
        known = self.idf(terms)
        found = {}
        for term in terms:
            if term not in known:
                match = next((m for part in parts if (m := part.nearest(term))), None)
                if match:
                    found[term] = match
        return found

    def drop(self) -> None:
        shutil.rmtree(self.directory, ignore_errors=True)
