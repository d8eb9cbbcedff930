"""How sure retrieval is that its top passage answers the question, and when to say no.

Two signals separate a question the transcripts answer from one they do not:
the multilingual encoder's cosine between the question and the best view of
the top passage (works across languages), and how much of the question's
rare vocabulary the top passage contains (idf-weighted; a word the corpus
never uses counts fully against it). A logistic function of the two, fitted
on the dev sets against unrelated questions (tests/data/unrelated_questions.txt),
gives the confidence; below ``ANSWERABLE_AT`` the answer is "not answerable".
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence

from rag.lexical import term_set, tokenize

DENSE_CENTER = 0.845
"""e5 cosine at which, with no shared vocabulary, confidence is one half."""
DENSE_SLOPE = 80.0
COVERAGE_WEIGHT = 8.0
# Fitted by grid search (best worst-group accuracy): answerable for 15/15 seed_dev and
# 132/135 QMSum val questions; not answerable for 20/20 unrelated questions over the
# seed and 19/20 over the 33 QMSum meetings.
ANSWERABLE_AT = 0.5


def term_coverage(
    question: str,
    passage: str,
    idf: Callable[[Sequence[str]], Mapping[str, float]],
    unknown_idf: float,
) -> float:
    """Share, by idf, of the question's distinct terms that ``passage`` contains.

    ``idf`` gives the index's weights (``LexicalIndex.idf``); a term it does not
    know weighs ``unknown_idf``.
    """
    terms = list(dict.fromkeys(tokenize(question)))
    if not terms:
        return 0.0
    known = idf(terms)
    present = term_set(passage)
    weights = {t: known.get(t, unknown_idf) for t in terms}
    total = sum(weights.values())
    return sum(w for t, w in weights.items() if t in present) / total if total else 0.0


def confidence(dense_top: float, coverage: float) -> float:
    """Probability-like score in [0, 1] from the top passage's e5 cosine and term coverage."""
    z = DENSE_SLOPE * (dense_top - DENSE_CENTER) + COVERAGE_WEIGHT * coverage
    return 1.0 / (1.0 + math.exp(-z))


def answerable(score: float) -> bool:
    return score >= ANSWERABLE_AT
