"""Fuses ranked lists from several retrievers (and several views of a chunk) into one.

Each retriever answers with ``list[(chunk_id, score)]``, best first. Scores of
different retrievers are not comparable (BM25 is unbounded, cosines crowd
near 0.8), and reciprocal rank fusion throws the scores away altogether, so a
BM25 hit that towers over the rest (the question's own words, a name, a
number) counts no more than a dense near-tie. Here each list's scores are
standardised against the list itself (z-scores over its top ``depth``), so
how far a chunk stands out in a list is what counts, then weighted and
summed. A chunk a list did not return gets that list's floor.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np

Ranking = list[tuple[int, float]]


def best_of_views(*views: Ranking) -> Ranking:
    """One ranking from several views of the same chunks: each chunk's best score counts.

    A Q&A chunk is found by its question, its answer or the pair; a chapter by
    its title with its text.
    """
    best: dict[int, float] = {}
    for view in views:
        for cid, score in view:
            if cid not in best or score > best[cid]:
                best[cid] = score
    return sorted(best.items(), key=lambda p: -p[1])


def _zscores(ranking: Ranking, pool: int) -> tuple[Ranking, float]:
    """The list's z-scores, and the z of a candidate it left out."""
    scores = np.array([s for _, s in ranking], dtype=np.float64)
    zeros = max(0, pool - len(scores))
    population = np.concatenate([scores, np.zeros(zeros)])
    std = float(population.std())
    mean = float(population.mean())
    if std <= 1e-12:
        return [(cid, 0.0) for cid, _ in ranking], 0.0
    z = [(cid, (s - mean) / std) for cid, s in ranking]
    return z, -mean / std if zeros else min(v for _, v in z)


def standardize(ranking: Ranking, pool: int = 0) -> Ranking:
    """Scores as z-scores within the list; a list of one or of equal scores gets 0s.

    ``pool``: the list heads that many candidates and the ones it left out
    scored 0 (a chunk sharing no word with the question, for BM25). They count
    in the mean and spread, so the one chunk that has a rare word stands out.
    """
    return _zscores(ranking, pool)[0] if ranking else []


def weighted_zsum(
    rankings: Mapping[str, Ranking],
    weights: Mapping[str, float],
    pools: Mapping[str, int] | None = None,
) -> Ranking:
    """Weighted sum of per-list z-scores; ids a list lacks get the z of a left-out candidate.

    ``pools``: for a list whose left-out candidates scored 0 (BM25), how many
    candidates it was drawn from (see ``standardize``).
    """
    total: dict[int, float] = {}
    floors: dict[str, float] = {}
    standardized: dict[str, dict[int, float]] = {}
    for name, ranking in rankings.items():
        if not ranking or weights.get(name, 0.0) == 0.0:
            continue
        z, floors[name] = _zscores(ranking, (pools or {}).get(name, 0))
        standardized[name] = dict(z)
        for cid, _ in z:
            total.setdefault(cid, 0.0)
    for cid in total:
        total[cid] = sum(
            weights[name] * z.get(cid, floors[name]) for name, z in standardized.items()
        )
    return sorted(total.items(), key=lambda p: -p[1])


def rrf(rankings: Mapping[str, Ranking], weights: Mapping[str, float], k: float = 60.0) -> Ranking:
    """Weighted reciprocal rank fusion: sum of ``w / (k + rank)``; kept as the baseline."""
    total: dict[int, float] = {}
    for name, ranking in rankings.items():
        w = weights.get(name, 0.0)
        if w == 0.0:
            continue
        for rank, (cid, _) in enumerate(ranking, start=1):
            total[cid] = total.get(cid, 0.0) + w / (k + rank)
    return sorted(total.items(), key=lambda p: -p[1])


WEIGHTS: Mapping[str, float] = {"lexical": 1.0, "multilingual": 1.0, "dense": 0.5}
"""Chosen on seed_dev and QMSum val (bench/quality.py, bench/results/quality.json).

z-sum of BM25 and e5 at 1:1 gave seed_dev hit@1 14/15 (RRF of BM25, MiniLM, e5:
12/15) and QMSum (33 meetings together) hit@1 .341, hit@5 .548 (RRF .296/.548).
MiniLM, the default English encoder, joins at 0.5: it moved QMSum by about one
question either way, and a third encoder makes the ranking less dependent on
the quirks of one.
"""


TRANSCRIPT_WEIGHT = 1.0
TRANSCRIPT_TOP = 3
"""How much a transcript's own standing counts in each of its passages' scores.

Chosen on QMSum val (33 meetings together) and 48 analysts' questions over 25
earnings calls: weights 0.75 to 1.5 with the best 2 to 4 passages all gained
at hit@1 on both (QMSum +1 to +4 of 135, the calls +1 or +2 of 48); 1.0 and 3
sit in the middle of that plateau. One transcript alone is unchanged.
"""


def with_transcript_context(
    ranking: Ranking,
    transcript_of: Mapping[int, int],
    weight: float = TRANSCRIPT_WEIGHT,
    top: int = TRANSCRIPT_TOP,
) -> Ranking:
    """Adds to each passage the mean of its transcript's best ``top`` fused scores.

    A question is usually about one transcript, and the transcript it is about
    matches it in several places, while a stray passage of another transcript
    that shares its words stands alone. Transcripts with fewer than ``top``
    passages in the list are padded with the list's lowest score.
    """
    if not ranking:
        return []
    floor = min(score for _, score in ranking)
    best: dict[int, list[float]] = {}
    for cid, score in ranking:
        if cid in transcript_of:
            best.setdefault(transcript_of[cid], []).append(score)
    standing = {
        tid: sum(sorted(scores, reverse=True)[:top] + [floor] * max(0, top - len(scores))) / top
        for tid, scores in best.items()
    }
    scored = [
        (cid, score + weight * standing.get(transcript_of.get(cid, -1), floor))
        for cid, score in ranking
    ]
    return sorted(scored, key=lambda p: -p[1])


NAME_WEIGHT = 30.0
"""How much a question that names a transcript ("What did AVD say about margins?" of
AVD_q1_2021.txt) favours its passages, at full share (every word of the question in the name).

Chosen on 160 questions naming one of 40 earnings calls among 234 transcripts: its passages
came first for 50 of them with no weight, 116 at 10, 147 at 20, 150 at 30 and 40. Raised
from 20 to 30 for questions in Chinese, which say more words around the name (a smaller
share): `bench.named` in Chinese .775 → .900 first (40: .950), in English .908 → .950. The
sets that name no transcript score as before, but for one QMSum question that says
"COVID-19" of another meeting than the covid ones (gold at 5 → 6, gold_span 4 → 5).
"""


def favour_named(
    ranking: Ranking,
    transcript_of: Mapping[int, int],
    named: Mapping[int, float],
    weight: float = NAME_WEIGHT,
) -> Ranking:
    """Adds ``weight`` times each transcript's ``named`` share to its passages' scores.

    A name the question shares with every candidate transcript lifts them all alike, so
    only a name that tells them apart moves the ranking.
    """
    if not named:
        return ranking
    scored = [
        (cid, score + weight * named.get(transcript_of.get(cid, -1), 0.0)) for cid, score in ranking
    ]
    return sorted(scored, key=lambda p: -p[1])


def fuse(
    rankings: Mapping[str, Ranking], weights: Mapping[str, float] = WEIGHTS, pool: int = 0
) -> Ranking:
    """The retrieval ranking: the keyword list and each encoder's best-view list, z-summed.

    An empty list (no keyword in common, as for a Chinese question over English
    text) simply leaves the other evidence. ``pool``: how many chunks each list
    could have held (the search depth, or fewer chunks than that); the keyword
    list's missing ones scored 0. Without it, "free cash flow" said in one chunk
    of a call gave a one-entry keyword list, a z of 0, and no say at all.
    """
    return weighted_zsum(rankings, weights, {"lexical": pool})
