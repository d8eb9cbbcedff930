"""Fusion of ranked lists: views, z-score weighting that keeps a towering keyword hit, RRF,
and each transcript's standing."""

from __future__ import annotations

import pytest

from rag.fusion import (
    best_of_views,
    favour_named,
    fuse,
    rrf,
    standardize,
    weighted_zsum,
    with_transcript_context,
)


def test_best_of_views_keeps_each_chunks_best_score() -> None:
    merged = best_of_views([(1, 0.5), (2, 0.9)], [(1, 0.95), (3, 0.1)])
    assert merged == [(1, 0.95), (2, 0.9), (3, 0.1)]


def test_standardize_centres_and_scales() -> None:
    z = dict(standardize([(1, 3.0), (2, 1.0), (3, 2.0)]))
    assert z[1] == pytest.approx(1.2247, abs=1e-3)
    assert z[3] == pytest.approx(0.0)
    assert standardize([(1, 5.0)]) == [(1, 0.0)]
    assert standardize([]) == []


def test_a_pool_counts_the_candidates_a_short_list_left_out_as_zeros() -> None:
    # One chunk of four has the rare word: it stands out against the three that scored 0.
    [(cid, z)] = standardize([(1, 5.0)], pool=4)
    assert cid == 1 and z == pytest.approx(3.75 / (4.6875**0.5))
    assert standardize([(1, 3.0), (2, 1.0)], pool=2) == standardize([(1, 3.0), (2, 1.0)])


def test_the_only_keyword_match_is_not_drowned_by_dense_near_ties() -> None:
    """A call says "free cash flow" in one chunk of 27; both encoders rank it a close second."""
    lexical = [(7, 4.7)]
    dense = [(1, 0.31), (7, 0.30)] + [(i, 0.29 - i * 0.004) for i in range(2, 27) if i != 7]
    multilingual = [(1, 0.80), (7, 0.795)] + [(i, 0.79 - i * 0.001) for i in range(2, 27) if i != 7]
    lists = {"lexical": lexical, "dense": dense, "multilingual": multilingual}
    assert fuse(lists)[0][0] == 1  # a one-entry list has no spread: its z is 0, the floor
    assert fuse(lists, pool=27)[0][0] == 7


def test_a_towering_keyword_hit_beats_a_dense_near_tie() -> None:
    # Chunk 7 holds the question's own words: BM25 30 against 4 and less for the rest.
    lexical = [(7, 30.0)] + [(i, 4.0 - i * 0.05) for i in range(1, 50) if i != 7]
    # The dense list barely separates anything: 7 is a hair behind chunk 1.
    dense = [(1, 0.84), (7, 0.838)] + [(i, 0.83 - i * 0.003) for i in range(2, 50) if i != 7]
    lists = {"bm25": lexical, "e5": dense}
    assert weighted_zsum(lists, {"bm25": 1.0, "e5": 1.0})[0][0] == 7
    # Reciprocal rank fusion sees only ranks: both lists put 1 and 7 in the first two.
    rrf_top = rrf(lists, {"bm25": 1.0, "e5": 1.0})
    assert rrf_top[0][1] == pytest.approx(rrf_top[1][1])


def test_missing_ids_get_the_lists_floor_and_zero_weights_are_ignored() -> None:
    fused = dict(
        weighted_zsum({"a": [(1, 2.0), (2, 1.0)], "b": [(3, 9.0), (1, 1.0)]}, {"a": 1.0, "b": 0.0})
    )
    assert set(fused) == {1, 2}
    assert fused[1] > fused[2]


def test_an_empty_lexical_list_leaves_the_dense_order() -> None:
    dense = [(4, 0.9), (5, 0.8), (6, 0.7)]
    assert [c for c, _ in fuse({"lexical": [], "multilingual": dense})] == [4, 5, 6]


def test_rrf_weights_and_ranks() -> None:
    fused = rrf({"a": [(1, 0.0), (2, 0.0)], "b": [(2, 0.0)]}, {"a": 1.0, "b": 2.0}, k=1)
    assert fused[0] == (2, pytest.approx(1 / 3 + 2 / 2))


def test_a_transcript_matching_in_several_places_lifts_its_passage() -> None:
    # Passage 1 (transcript 10) stands alone; 2, 3 and 4 (transcript 20) all match.
    ranking = [(1, 2.0), (2, 1.9), (3, 1.5), (4, 1.4), (5, -1.0)]
    owners = {1: 10, 2: 20, 3: 20, 4: 20, 5: 10}
    lifted = with_transcript_context(ranking, owners)
    assert [cid for cid, _ in lifted] == [2, 3, 4, 1, 5]
    assert dict(lifted)[2] == pytest.approx(1.9 + (1.9 + 1.5 + 1.4) / 3)
    # Transcript 10 has two passages, padded with the list's floor (-1.0) to three.
    assert dict(lifted)[1] == pytest.approx(2.0 + (2.0 - 1.0 - 1.0) / 3)


def test_one_transcript_keeps_its_order() -> None:
    ranking = [(1, 2.0), (2, 1.0), (3, 0.5)]
    lifted = with_transcript_context(ranking, {1: 7, 2: 7, 3: 7})
    assert [cid for cid, _ in lifted] == [1, 2, 3]
    assert with_transcript_context([], {}) == []


def test_a_named_transcript_lifts_its_passages_and_a_name_all_share_moves_none() -> None:
    ranking = [(1, 3.0), (2, 2.0), (3, 1.0)]
    owners = {1: 10, 2: 20, 3: 20}
    lifted = favour_named(ranking, owners, {20: 0.5}, weight=6.0)
    assert lifted == [(2, 5.0), (3, 4.0), (1, 3.0)]
    alike = favour_named(ranking, owners, {10: 0.5, 20: 0.5}, weight=4.0)
    assert [cid for cid, _ in alike] == [1, 2, 3]
    assert favour_named(ranking, owners, {}) == ranking
