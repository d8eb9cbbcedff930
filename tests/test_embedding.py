import numpy as np
import pytest

from rag.embedding import EmbeddingError, load_embedder


def test_default_model_gives_normalized_vectors() -> None:
    embedder = load_embedder("all-MiniLM-L6-v2")
    vectors = embedder.encode_documents(["revenue grew 15%", "收入增长"], batch_size=2)
    assert vectors.shape == (2, embedder.dim) and embedder.dim == 384
    assert np.allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-4)
    query = embedder.encode_query("how fast did revenue grow")
    assert query.shape == (384,)
    assert float(vectors[0] @ query) > float(vectors[1] @ query) - 0.5


def test_model_is_loaded_once_per_process() -> None:
    assert load_embedder("all-MiniLM-L6-v2") is load_embedder("all-MiniLM-L6-v2")


def test_unknown_model_is_a_clear_error() -> None:
    with pytest.raises(EmbeddingError, match="unknown model"):
        load_embedder("no-such-model")
