"""The multilingual encoder: shape, normalisation, and a Chinese question finding English text."""

from __future__ import annotations

import numpy as np
import pytest

from rag.e5_embedding import E5Embedder


@pytest.fixture(scope="module")
def e5() -> E5Embedder:
    return E5Embedder()


def test_documents_are_normalised_rows_of_dim_384(e5: E5Embedder) -> None:
    vectors = e5.encode_documents(["one passage", "another passage", "a third"], batch_size=2)
    assert e5.name == "multilingual-e5-small" and e5.dim == 384
    assert vectors.shape == (3, 384) and vectors.dtype == np.float32
    assert np.allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-4)


def test_empty_input_gives_an_empty_matrix(e5: E5Embedder) -> None:
    assert e5.encode_documents([]).shape == (0, 384)


def test_batching_does_not_change_vectors(e5: E5Embedder) -> None:
    texts = ["cloud revenue grew 34%", "the recipe needs apples", "capex plan"]
    assert np.allclose(
        e5.encode_documents(texts, batch_size=1), e5.encode_documents(texts), atol=1e-5
    )


def test_chinese_question_prefers_the_matching_english_passage(e5: E5Embedder) -> None:
    passages = e5.encode_documents(
        [
            "We plan to invest 380 billion yuan in capital expenditure over three years.",
            "Bake the pie for forty minutes until the crust is golden.",
        ]
    )
    query = e5.encode_query("资本开支计划是多少？")
    assert query.shape == (384,)
    scores = passages @ query
    assert scores[0] > scores[1]


def test_questions_from_many_threads_run_on_the_encoders_own_thread(e5: E5Embedder) -> None:
    import threading
    from concurrent.futures import ThreadPoolExecutor

    seen: set[str] = set()
    model = e5._model
    original = model.query

    def recording(text: str) -> np.ndarray:
        seen.add(threading.current_thread().name)
        return original(text)

    questions = [f"question number {i} about revenue" for i in range(8)]
    expected = [e5.encode_query(q) for q in questions]
    model.query = recording
    try:
        with ThreadPoolExecutor(4) as pool:
            got = list(pool.map(e5.encode_query, questions))
    finally:
        model.query = original
    assert len(seen) == 1 and next(iter(seen)).startswith("e5")
    assert all(np.allclose(a, b, atol=1e-6) for a, b in zip(got, expected, strict=True))
