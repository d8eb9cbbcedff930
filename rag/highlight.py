"""Points at the sentence or two inside an answer's span that best answer the question.

A cited passage is up to 1,500 characters; the reader wants the line that
matters. Sentences are scored by the question's terms they contain, weighted
by rarity (BM25 idf when the index is at hand), and, when an embedder is
given, by cosine similarity to the question, which also covers a Chinese
question over English text. A neighbouring sentence joins the best one when
it scores nearly as well. Offsets are absolute, like the chunk's.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping

import numpy as np

from rag.chunking import sentence_spans
from rag.embedding import Embedder
from rag.lexical import FRAME_TERMS, inflections, term_set, tokenize

NEIGHBOUR_SHARE = 0.6
"""A neighbour joins when it scores at least this share of the best sentence."""
MAX_HIGHLIGHT_CHARS = 400
DENSE_WEIGHT = 0.5
"""Share of the sentence score that comes from cosine similarity, when an embedder is given."""
_TITLE = re.compile(r"\b(?:Mr|Mrs|Ms|Dr|Prof|Hon|Rev|St)\.$")


def _sentences(text: str, start: int, end: int) -> list[tuple[int, int]]:
    """``sentence_spans``, but a title before a name ends no sentence: committees open every
    turn with "Mr. Chair", and the highlight began at "Chair". (Chunk windows keep the plain
    split, so the windows of an index built before stay where they are.)"""
    merged: list[tuple[int, int]] = []
    for s, e in sentence_spans(text, start, end):
        if merged and _TITLE.search(text, merged[-1][0], merged[-1][1]):
            merged[-1] = (merged[-1][0], e)
        else:
            merged.append((s, e))
    return merged


def lexical_scores(
    question: str,
    sentences: list[str],
    idf: Callable[[list[str]], Mapping[str, float]] | None = None,
) -> np.ndarray:
    """Sum of the idf of the question's distinct terms found in each sentence (1 without idf);
    words that only frame the question ("How much", "say") mark no sentence."""
    asked = list(dict.fromkeys(tokenize(question)))
    terms = [t for t in asked if t not in FRAME_TERMS] or asked
    weights = dict(idf(terms)) if idf else {}
    forms = inflections()
    scores = np.zeros(len(sentences))
    for i, sentence in enumerate(sentences):
        present = term_set(sentence)
        scores[i] = sum(
            weights.get(t, 1.0)
            for t in terms
            if t in present or not present.isdisjoint(forms.get(t, ()))
        )
    return scores


def highlight(
    question: str,
    text: str,
    start: int,
    end: int,
    *,
    answer_start: int | None = None,
    idf: Callable[[list[str]], Mapping[str, float]] | None = None,
    embedder: Embedder | None = None,
    query_vector: np.ndarray | None = None,
) -> tuple[int, int]:
    """The best one or two sentences of ``text[start:end]``, as absolute ``(start, end)``.

    ``text`` is the transcript (or any string whose offsets ``start``/``end`` use).
    With ``answer_start``, sentences before it (a Q&A chunk's question) are
    passed over when any follow. ``idf`` weights terms by rarity, e.g.
    ``LexicalIndex.idf``.
    """
    spans = _sentences(text, start, end)
    if answer_start is not None:
        after = [s for s in spans if s[0] >= answer_start]
        spans = after or spans
    if not spans:
        return start, end
    sentences = [text[s:e] for s, e in spans]
    scores = lexical_scores(question, sentences, idf)
    if scores.max() > 0:
        scores = scores / scores.max()
    if embedder is not None:
        vector = query_vector if query_vector is not None else embedder.encode_query(question)
        cosine = embedder.encode_documents(sentences) @ vector
        spread = float(cosine.max() - cosine.min())
        dense = (cosine - cosine.min()) / spread if spread > 1e-9 else np.zeros(len(spans))
        scores = (1 - DENSE_WEIGHT) * scores + DENSE_WEIGHT * dense
    best = int(np.argmax(scores))
    lo, hi = spans[best]
    if scores[best] <= 0:
        return lo, hi
    neighbours = [i for i in (best - 1, best + 1) if 0 <= i < len(spans)]
    if neighbours:
        other = max(neighbours, key=lambda i: scores[i])
        o_lo, o_hi = spans[other]
        joined = (min(lo, o_lo), max(hi, o_hi))
        if (
            scores[other] >= NEIGHBOUR_SHARE * scores[best]
            and joined[1] - joined[0] <= MAX_HIGHLIGHT_CHARS
        ):
            return joined
    return lo, hi
