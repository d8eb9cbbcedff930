"""Finds the passages that answer a question, and says how sure it is.

Every configured vector space and the keyword index each rank chunks; the
views of one encoder (a chunk's text, a Q&A pair's question alone) count by
their best. The keyword index also gets the English senses of a question's
Chinese words (``rag.translation``), each word counting by its best sense, and
the English-only primary encoder reads such a question in those words too. The
lists are fused (``rag.fusion``), each passage weighed with its transcript's
standing, overlaps dropped, and each passage gets a confidence and a highlight; an answer
cites its window grown into the talk around it (``rag.passages``).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Protocol, TypeVar

import numpy as np

from index.store import Space, Store
from rag import confidence as calibration
from rag import passages
from rag.embedding import Embedder
from rag.fusion import Ranking, best_of_views, favour_named, fuse, rrf, with_transcript_context
from rag.highlight import highlight
from rag.lexical import FRAME_TERMS, term_set, title_of, tokenize
from rag.models import ChunkSpan, StoredChunk
from rag.translation import (
    chinese_senses,
    company_names,
    gloss,
    keyword_query,
    names,
    with_names,
    without_chinese,
    word_senses,
)

MODES = ("final", "hybrid", "bm25", "dense", "multilingual")
HEAD = 50
"""How deep the search that ranks the first answers goes (keywords, each encoder's views).

The lists' scores are standardised over what it finds and each transcript's standing read
from it, so a deeper search would move the first answers: asking for 20 answers instead of 5
changed the first one for 15 of 135 QMSum questions. More answers are drawn from a deeper
search, after these. 50 sits on a plateau (30 to 60 within a question or two on QMSum)."""
FILTERED_HEAD = 500
"""As ``HEAD`` for a filtered question: the lists are searched this deep, then filtered."""
UNKNOWN_TERM_IDF = 8.0
"""Weight, in confidence, of a question word the transcripts never use."""
_WORKERS = ThreadPoolExecutor(max_workers=2, thread_name_prefix="retrieval")


@dataclass(frozen=True)
class Filters:
    transcript_ids: list[int] | None = None
    speakers: list[str] | None = None
    kinds: list[str] | None = None

    def __bool__(self) -> bool:
        return any(v is not None for v in (self.transcript_ids, self.speakers, self.kinds))


@dataclass(frozen=True)
class Hit:
    chunk: StoredChunk
    score: float
    confidence: float
    highlight: tuple[int, int]


@dataclass(frozen=True)
class SearchResult:
    hits: list[Hit]
    answerable: bool


class _Located(Protocol):
    @property
    def transcript_id(self) -> int: ...
    @property
    def start(self) -> int: ...
    @property
    def end(self) -> int: ...


L = TypeVar("L", bound=_Located)


def _overlaps(a: _Located, b: _Located) -> bool:
    return a.transcript_id == b.transcript_id and a.start < b.end and b.start < a.end


def drop_overlaps(ranked: list[tuple[L, float]]) -> list[tuple[L, float]]:
    """Keep the best-ranked of any chunks that share characters, so no passage shows twice."""
    kept: list[tuple[L, float]] = []
    for chunk, score in ranked:
        if not any(_overlaps(chunk, k) for k, _ in kept):
            kept.append((chunk, score))
    return kept


class Retriever:
    def __init__(
        self,
        store: Store,
        embedders: Mapping[str, Embedder],
        mode: str = "final",
        passage_chars: int = passages.PASSAGE_CHARS,
    ):
        if mode not in MODES:
            raise ValueError(f"unknown retrieval mode {mode!r}; one of {', '.join(MODES)}")
        self.store = store
        self.embedders = embedders
        self.mode = mode
        self.passage_chars = passage_chars

    def _families(self) -> tuple[list[Space], list[Space]]:
        """The primary encoder's spaces, and the multilingual encoder's."""
        spaces = self.store.spaces
        primary = [s for s in spaces if s.model == spaces[0].model]
        return primary, [s for s in spaces if s.model != spaces[0].model]

    def search(self, question: str, top_k: int, filters: Filters | None = None) -> SearchResult:
        allowed = (
            self.store.chunk_filter(filters.transcript_ids, filters.speakers, filters.kinds)
            if filters
            else None
        )
        if allowed is not None and not allowed:
            return SearchResult([], answerable=False)
        # A filter searches deeper to keep enough chunks after it; so do many answers.
        head = HEAD if allowed is None else FILTERED_HEAD
        depth = max(head, top_k * 5 if allowed is None else top_k * 50)
        primary, multilingual = self._families()
        # The second encoder's family (encode, then search) runs beside the first's and the
        # keyword search: onnxruntime and FAISS let go of the GIL, so both cores work.
        pending = (
            _WORKERS.submit(self._rank_family, multilingual, question, depth)
            if multilingual
            else None
        )
        chinese = self._chinese_in_index(question)
        words = with_names(word_senses(question), self._names_in_index(question))
        # The primary encoder reads English only: a Chinese question reaches it in English,
        # as Chinese passages did when they were embedded (``passage_gloss``).
        queries, dense = self._rank_family(
            primary, gloss(question, words) if words else question, depth
        )
        keywords = " ".join(
            [keyword_query(question, words), *(w for _, found in chinese for w in found)]
        )
        lexical = self.store.keyword_search(
            question, depth, [senses for _, senses in words] + [found for _, found in chinese]
        )
        candidates = len(allowed) if allowed is not None else self.store.vector_count
        multi: list[Ranking] = []
        if pending is not None:
            more, multi = pending.result()
            queries.update(more)

        def lists(n: int) -> dict[str, Ranking]:
            """Each list as a search ``n`` deep would give it: a family's views cut at ``n``
            before their best counts, then the filter."""
            found = {
                "lexical": lexical[:n],
                "dense": best_of_views(*(view[:n] for view in dense)),
                "multilingual": best_of_views(*(view[:n] for view in multi)),
            }
            if allowed is None:
                return found
            return {name: [p for p in r if p[0] in allowed] for name, r in found.items()}

        def pool(n: int, size: int) -> int:
            """Fewer keyword hits than ``n``: every other chunk shares no word (scores 0)."""
            return min(size, candidates) if len(lexical) < n else 0

        # The first answers are ranked on a search ``head`` deep, whatever the number asked
        # for: more answers come from the deeper search after them, never instead of them.
        spans: dict[int, ChunkSpan] = {}
        context = (question, chinese, words)
        ranking = self._rank(lists(head), pool(head, HEAD), spans, *context)
        needed = top_k * 3 + 10
        if len(ranking) < needed and depth > head:
            ranked = {cid for cid, _ in ranking}
            deeper = self._rank(lists(depth), pool(depth, max(HEAD, top_k * 5)), spans, *context)
            deeper = [p for p in deeper if p[0] not in ranked]
            # Scores stay in order across the seam: the deeper ones shift below the last.
            shift = min(0.0, ranking[-1][1] - deeper[0][1]) if ranking and deeper else 0.0
            ranking += [(cid, score + shift) for cid, score in deeper]
        shortlist = ranking[:needed]
        picked = drop_overlaps([(spans[cid], s) for cid, s in shortlist if cid in spans])
        kept, cited = self._passages(picked, top_k, allowed)
        scored = dict(best_of_views(*(multi if multilingual else dense)))
        confidences = self._confidences(
            question, kept, multilingual or primary, queries, scored, chinese, words
        )
        # Confidence and highlight judge the window search found; the answer cites its passage.
        hits = [
            Hit(passage, score, conf, self._highlight(keywords, chunk))
            for (chunk, score), passage, conf in zip(kept, cited, confidences, strict=True)
        ]
        # A question of stop words and punctuation only ("是什么？") asks about nothing.
        asks = bool(words) or bool(tokenize(without_chinese(question)))
        return SearchResult(
            hits,
            bool(hits)
            and asks
            and calibration.answerable(hits[0].confidence)
            and not self._company_absent(words),
        )

    def _passages(
        self, picked: list[tuple[ChunkSpan, float]], top_k: int, allowed: set[int] | None
    ) -> tuple[list[tuple[StoredChunk, float]], list[StoredChunk]]:
        """The first ``top_k`` chunks with the passages that cite them (``rag.passages``).

        A chunk inside an earlier answer's passage is shown already and is passed over; a
        filtered question's passages grow only into chunks the filter lets through.
        """
        kept: list[tuple[StoredChunk, float]] = []
        cited: list[StoredChunk] = []
        taken: dict[int, list[tuple[int, int]]] = {}
        for i in range(0, len(picked), top_k):
            batch = picked[i : i + top_k]
            chunks = self.store.get_chunks([span.id for span, _ in batch])
            for span, score in batch:
                chunk = chunks.get(span.id)
                shown = taken.setdefault(span.transcript_id, [])
                if chunk is None or any(a < chunk.end and chunk.start < b for a, b in shown):
                    continue
                passage = self._passage(chunk, shown, allowed)
                shown.append((passage.start, passage.end))
                kept.append((chunk, score))
                cited.append(passage)
                if len(kept) == top_k:
                    return kept, cited
        return kept, cited

    def _passage(
        self, chunk: StoredChunk, taken: list[tuple[int, int]], allowed: set[int] | None
    ) -> StoredChunk:
        if not self.passage_chars or not passages.grows(chunk):
            return chunk
        nearby = self.store.neighbours(chunk, self.passage_chars)
        low = min((n.start for n in nearby), default=chunk.start)
        high = max((n.end for n in nearby), default=chunk.end)
        text = self.store.transcript_slice(chunk.transcript_id, low, high)
        start, end = passages.span(chunk, nearby, self.passage_chars, taken, text, low, allowed)
        return passages.passage(chunk, nearby, start, end, text[start - low : end - low])

    def _rank(
        self,
        lists: Mapping[str, Ranking],
        pool: int,
        spans: dict[int, ChunkSpan],
        question: str,
        chinese: Sequence[tuple[str, Sequence[str]]],
        words: Sequence[tuple[str, Sequence[str]]],
    ) -> Ranking:
        """The mode's ranking of the lists' chunks; ``spans`` gains their positions.

        Positions (no text) of every candidate: the final mode weighs each transcript's
        standing, and overlaps are dropped on positions alone; only the passages kept have
        their text cut out of the transcripts (the costly part of reading a chunk).
        """
        lexical, dense, multi = lists["lexical"], lists["dense"], lists["multilingual"]
        ranking = {
            "bm25": lambda: lexical,
            "dense": lambda: dense,
            "multilingual": lambda: multi,
            "hybrid": lambda: rrf(lists, {name: 1.0 for name in lists}),
            "final": lambda: fuse(lists, pool=pool),
        }[self.mode]()
        spans.update(self.store.chunk_spans([cid for cid, _ in ranking if cid not in spans]))
        if self.mode != "final":
            return ranking
        transcript_of = {cid: spans[cid].transcript_id for cid, _ in ranking if cid in spans}
        ranking = with_transcript_context(ranking, transcript_of)
        named = self._named(question, set(transcript_of.values()), chinese, words)
        return favour_named(ranking, transcript_of, named)

    def _company_absent(self, words: Sequence[tuple[str, Sequence[str]]]) -> bool:
        """Whether the question names a company no transcript mentions, in Chinese or by any
        of its English names (英伟达 over calls that never say NVIDIA): then nothing can
        answer it, however close e5 puts its Chinese to English passages about the rest of
        the question. An English question's unknown name already weighs against it."""
        for word, named in company_names([(w, list(s)) for w, s in words]):
            terms = {word: term_set(word)} | {n: term_set(n) for n in named}
            known = self.store.keyword_idf(sorted({t for ts in terms.values() for t in ts}))
            if not any(ts and ts <= known.keys() for ts in terms.values()):
                return True
        return False

    def _chinese_in_index(self, question: str) -> list[tuple[str, list[str]]]:
        """The question's English words with the Chinese words they translate that the
        index holds: none over English transcripts, so English-only search is unchanged."""
        found = chinese_senses(question)
        if not found:
            return []
        terms = {word: term_set(word) for _, words in found for word in words}
        known = self.store.keyword_idf(sorted({t for ts in terms.values() for t in ts}))
        kept = [
            (phrase, [w for w in words if all(t in known for t in terms[w])])
            for phrase, words in found
        ]
        return [(phrase, words) for phrase, words in kept if words]

    def _named(
        self,
        question: str,
        transcript_ids: set[int],
        chinese: Sequence[tuple[str, Sequence[str]]],
        words: Sequence[tuple[str, Sequence[str]]],
    ) -> dict[int, float]:
        """Each candidate transcript's share (by idf) of the question its title says."""
        asked = set(term_set(question)).union(
            *(term_set(s) for _, senses in [*words, *chinese] for s in senses)
        )
        titles = self.store.transcript_names(sorted(transcript_ids))
        return {
            tid: calibration.term_coverage(
                question, title, self.store.keyword_idf, UNKNOWN_TERM_IDF, chinese, words
            )
            for tid, name in titles.items()
            if term_set(title := title_of(name)) & asked
        }

    def _names_in_index(self, question: str) -> list[tuple[str, list[str]]]:
        """The question's Chinese names spelt as the transcripts spell them ("taobao")."""

        def held(spellings: list[str]) -> set[str]:
            terms = {s: term_set(s) for s in spellings}
            known = self.store.keyword_idf(sorted({t for ts in terms.values() for t in ts}))
            return {s for s, ts in terms.items() if ts and all(t in known for t in ts)}

        return names(question, held)

    def _rank_family(
        self, spaces: list[Space], question: str, depth: int
    ) -> tuple[dict[str, np.ndarray], list[Ranking]]:
        """The question encoded by the spaces' model(s), and each view's ranking."""
        queries = {m: self.embedders[m].encode_query(question) for m in {s.model for s in spaces}}
        return queries, [self.store.search(s.name, queries[s.model], depth) for s in spaces]

    def _confidences(
        self,
        question: str,
        kept: list[tuple[StoredChunk, float]],
        spaces: list[Space],
        queries: Mapping[str, np.ndarray],
        scored: Mapping[int, float],
        chinese: Sequence[tuple[str, Sequence[str]]] = (),
        words: Sequence[tuple[str, Sequence[str]]] | None = None,
    ) -> list[float]:
        """Calibrated from the encoder's cosine to the passage's best view and term coverage.

        The cosines come from the encoder's own ranking (``scored``); only a
        passage it did not return (found by its keywords alone) is looked up.
        """
        best = {chunk.id: scored.get(chunk.id, -1.0) for chunk, _ in kept}
        missing = [cid for cid in best if cid not in scored]
        for space in spaces if missing else []:
            for cid, vector in self.store.vectors_of(space, missing).items():
                best[cid] = max(best[cid], float(vector @ queries[space.model]))
        length = calibration.question_words(
            question, word_senses(question) if words is None else words
        )
        spellings = self.store.keyword_spellings(
            [t for t in tokenize(without_chinese(question)) if t not in FRAME_TERMS]
        )
        out = []
        for chunk, _ in kept:
            # The title and roles count, as in keyword search: "AVD" is in none of AVD's
            # passages, "Chief Financial Officer" in none of hers.
            coverage = calibration.term_coverage(
                question,
                chunk.text,
                self.store.keyword_idf,
                UNKNOWN_TERM_IDF,
                chinese,
                words,
                spellings,
                context=f"{title_of(chunk.transcript)}\n{chunk.roles or ''}",
                sentences=calibration.COVERAGE_SENTENCES,
            )
            out.append(round(calibration.confidence(best[chunk.id], coverage, length), 4))
        return out

    def _highlight(self, keywords: str, chunk: StoredChunk) -> tuple[int, int]:
        """The best sentences for the question's keywords (with their English senses, so a
        Chinese question marks the English sentence that answers it)."""
        answer_start = None
        if chunk.question and chunk.text.startswith(chunk.question):
            answer_start = chunk.start + len(chunk.question)
        local = highlight(
            keywords,
            chunk.text,
            0,
            len(chunk.text),
            answer_start=None if answer_start is None else answer_start - chunk.start,
            idf=self.store.keyword_idf,
        )
        return chunk.start + local[0], chunk.start + local[1]
