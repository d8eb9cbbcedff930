"""The FAISS index: exact then IVF by size, ids kept, append-only saves that survive crashes."""

from __future__ import annotations

from pathlib import Path

import faiss
import numpy as np
import pytest

from index.faiss_index import SCAN_BUDGET, FaissIndex, nlist_for, nprobe_for

DIM = 32


def _clustered(n: int, seed: int = 0) -> np.ndarray:
    """Unit vectors around 50 centres, like embeddings of a corpus on a few topics."""
    rng = np.random.default_rng(seed)
    centres = rng.normal(size=(50, DIM))
    vectors = centres[rng.integers(0, 50, n)] + 0.6 * rng.normal(size=(n, DIM))
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    return vectors.astype(np.float32)


def _top_ids(index: FaissIndex, queries: np.ndarray, k: int = 10) -> list[set[int]]:
    return [set(index.search(q, k)[1].tolist()) for q in queries]


def test_exact_index_round_trips_ids_and_search(tmp_path: Path) -> None:
    vectors = _clustered(500)
    ids = np.arange(1000, 1500, dtype=np.int64)
    index = FaissIndex.create(DIM)
    index.add(ids, vectors)
    index.remove(ids[:100])
    assert index.kind == "exact" and len(index) == 400
    scores, found = index.search(vectors[200], 3)
    assert found[0] == 1200 and scores[0] == pytest.approx(1.0, abs=1e-5)
    assert 1000 not in index.search(vectors[0], 5)[1]
    index.save(tmp_path / "v.faiss")
    loaded = FaissIndex.load(tmp_path / "v.faiss")
    assert sorted(loaded.ids().tolist()) == list(range(1100, 1500))
    assert loaded.search(vectors[300], 1)[1][0] == 1300


def test_growing_past_the_threshold_switches_to_ivf_with_high_recall(tmp_path: Path) -> None:
    vectors = _clustered(6000)
    ids = np.arange(6000, dtype=np.int64) * 7
    exact = FaissIndex.create(DIM, ann_threshold=10**9)
    exact.add(ids, vectors)
    index = FaissIndex.create(DIM, ann_threshold=4000, nprobe=16)
    index.add(ids[:3000], vectors[:3000])
    assert index.kind == "exact"
    index.add(ids[3000:], vectors[3000:])
    assert index.kind == "ivf" and len(index) == 6000
    assert sorted(index.ids().tolist()) == sorted(ids.tolist())
    queries = _clustered(200, seed=1)
    recall = np.mean(
        [
            len(a & b) / 10
            for a, b in zip(_top_ids(index, queries), _top_ids(exact, queries), strict=True)
        ]
    )
    assert recall >= 0.95
    index.remove(ids[:10])
    assert 0 not in index.search(vectors[0], 10)[1]
    index.save(tmp_path / "v.faiss")
    loaded = FaissIndex.load(tmp_path / "v.faiss", nprobe=16)
    assert loaded.kind == "ivf" and len(loaded) == 5990
    assert _top_ids(loaded, queries[:20]) == _top_ids(index, queries[:20])


def test_an_index_that_outgrows_its_clusters_retrains_them_on_save(tmp_path: Path) -> None:
    vectors = _clustered(12000)
    ids = np.arange(12000, dtype=np.int64)
    index = FaissIndex.create(DIM, ann_threshold=2000, nprobe=16)
    index.add(ids[:2001], vectors[:2001])
    assert index.clusters == nlist_for(2001)
    index.add(ids[2001:], vectors[2001:])
    assert index.clusters == nlist_for(2001)
    index.save(tmp_path / "v.faiss")
    assert index.clusters == nlist_for(12000) > nlist_for(2001)
    loaded = FaissIndex.load(tmp_path / "v.faiss", nprobe=16)
    assert loaded.clusters == nlist_for(12000) and len(loaded) == 12000
    assert loaded.search(vectors[5000], 1)[1][0] == 5000


@pytest.mark.parametrize("kind, threshold", [("exact", 25_000), ("ivf", 1000)])
def test_small_writes_append_to_the_file_and_replay_on_load(
    tmp_path: Path, kind: str, threshold: int
) -> None:
    path = tmp_path / "v.faiss"
    vectors = _clustered(3000)
    index = FaissIndex.create(DIM, ann_threshold=threshold)
    index.add(np.arange(2000), vectors[:2000])
    assert index.kind == kind
    index.save(path)
    base = path.stat().st_size
    index.add(np.arange(2000, 2010), vectors[2000:2010])
    index.remove(np.array([5, 6]))
    index.save(path)
    grown = path.stat().st_size - base
    assert 10 * DIM * 4 < grown < 10 * DIM * 4 + 1024
    loaded = FaissIndex.load(path, ann_threshold=threshold)
    assert loaded.kind == kind
    assert sorted(loaded.ids().tolist()) == sorted(set(range(2010)) - {5, 6})
    assert loaded.search(vectors[2005], 1)[1][0] == 2005
    assert 5 not in loaded.search(vectors[5], 10)[1]
    loaded.add(np.arange(2010, 2020), vectors[2010:2020])
    loaded.save(path)
    again = FaissIndex.load(path, ann_threshold=threshold)
    assert len(again) == 2018 and again.search(vectors[2015], 1)[1][0] == 2015


def test_a_torn_append_leaves_the_previous_state(tmp_path: Path) -> None:
    path = tmp_path / "v.faiss"
    vectors = _clustered(300)
    index = FaissIndex.create(DIM)
    index.add(np.arange(200), vectors[:200])
    index.save(path)
    index.add(np.arange(200, 210), vectors[200:210])
    index.save(path)
    complete = path.stat().st_size
    index.add(np.arange(210, 220), vectors[210:220])
    index.save(path)
    with open(path, "r+b") as fh:
        fh.truncate(path.stat().st_size - 7)
    loaded = FaissIndex.load(path)
    assert sorted(loaded.ids().tolist()) == list(range(210))
    loaded.add(np.arange(210, 215), vectors[210:215])
    loaded.save(path)
    assert path.stat().st_size > complete
    assert sorted(FaissIndex.load(path).ids().tolist()) == list(range(215))


def test_large_deltas_and_other_writers_force_an_atomic_rewrite(tmp_path: Path) -> None:
    path = tmp_path / "v.faiss"
    vectors = _clustered(12000)
    index = FaissIndex.create(DIM)
    index.add(np.arange(100), vectors[:100])
    index.save(path)
    index.add(np.arange(100, 12000), vectors[100:])
    index.save(path)
    other = FaissIndex.load(path)
    assert other._delta_rows == 0 and len(other) == 12000
    other.remove(np.arange(50))
    other.save(path)
    index.add(np.arange(20000, 20005), vectors[:5])
    index.save(path)
    assert sorted(FaissIndex.load(path).ids().tolist()) == sorted(index.ids().tolist())
    assert not list(tmp_path.glob("*.tmp"))


def test_a_question_scans_half_of_the_clusters_within_a_budget() -> None:
    assert nprobe_for(1024, 65_000) == 512
    assert nprobe_for(2048, 200_000) == 1024
    assert nprobe_for(256, 20_000) == 128
    assert nprobe_for(4096, 1_000_000) == 4096 * SCAN_BUDGET // 1_000_000 == 536
    assert nprobe_for(4096, 1_000_000, floor=600) == 600
    assert nprobe_for(40, 2_000) == 40


def test_the_scan_follows_the_index_as_it_grows_and_reloads(tmp_path: Path) -> None:
    vectors = _clustered(8000)
    ids = np.arange(8000, dtype=np.int64)
    index = FaissIndex.create(DIM, ann_threshold=2000, nprobe=4)
    index.add(ids[:4000], vectors[:4000])
    assert index._coarse.nprobe == nprobe_for(index.clusters, 4000, 4) > 4
    index.add(ids[4000:], vectors[4000:])
    index.save(tmp_path / "v.faiss")
    loaded = FaissIndex.load(tmp_path / "v.faiss", nprobe=4)
    assert loaded._coarse.nprobe == nprobe_for(loaded.clusters, 8000, 4) == index._coarse.nprobe


def test_ivf_candidates_are_rescored_on_their_fp16_vectors(tmp_path: Path) -> None:
    vectors = _clustered(3000)
    ids = np.arange(3000, dtype=np.int64) + 10
    index = FaissIndex.create(DIM, ann_threshold=1000)
    index.add(ids, vectors)
    index.remove(ids[:50])
    index.add(ids[:20], vectors[:20])
    held_ids, held = index._contents()
    assert held.dtype == np.float32 and len(held_ids) == 2970
    order = np.argsort(held_ids)
    assert np.array_equal(held_ids[order], np.concatenate([ids[:20], ids[50:]]))
    assert np.abs(held[order] - vectors[np.r_[0:20, 50:3000]]).max() < 1e-3
    for query in _clustered(20, seed=3):
        scores, found = index.search(query, 10)
        assert np.all(np.diff(scores) <= 0)
        exact = vectors[found - 10] @ query
        assert np.abs(scores - exact).max() < 2e-3
        assert not set(found.tolist()) & set(range(30, 60))


@pytest.mark.parametrize("quantized", [False, True])
def test_older_single_ivf_files_are_converted_on_load(
    tmp_path: Path, quantized: bool, caplog: pytest.LogCaptureFixture
) -> None:
    vectors = _clustered(3000)
    ids = np.arange(3000, dtype=np.int64) + 10
    if quantized:
        old = faiss.IndexIVFScalarQuantizer(
            faiss.IndexFlatIP(DIM),
            DIM,
            16,
            faiss.ScalarQuantizer.QT_fp16,
            faiss.METRIC_INNER_PRODUCT,
        )
        old.by_residual = False
    else:
        old = faiss.IndexIVFFlat(faiss.IndexFlatIP(DIM), DIM, 16, faiss.METRIC_INNER_PRODUCT)
    old.train(vectors)
    old.add_with_ids(vectors, ids)
    path = tmp_path / "old.faiss"
    faiss.write_index(old, str(path))
    loaded = FaissIndex.load(path)
    assert "converting 3000 vectors" in caplog.text
    assert loaded.kind == "ivf" and loaded.clusters == nlist_for(3000)
    old_ids, old_vectors = loaded._contents()
    assert np.abs(old_vectors[np.argsort(old_ids)] - vectors).max() < 1e-3
    assert loaded.search(vectors[7], 1)[1][0] == 17
    loaded.remove(np.array([17]))
    loaded.save(path)
    caplog.clear()
    again = FaissIndex.load(path)
    assert "converting" not in caplog.text
    assert again._coarse is not None and len(again) == 2999
    assert again.search(vectors[7], 1)[1][0] != 17
    assert again.search(vectors[8], 1)[1][0] == 18
