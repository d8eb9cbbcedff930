import os
import shutil
from pathlib import Path

import numpy as np
import pytest

from rag.embedding import (
    EmbeddingError,
    _minilm_path,
    has_fast_bf16,
    load_embedder,
    onnx_model_files,
    resolve_backend,
)
from rag.model_cache import default_cache_dir


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


TEXTS = [
    "Revenue grew 15% year over year, driven by cloud.",
    "We expect capital expenditure to rise next quarter. " * 40,
    "收入增长",
]


def test_onnx_backend_gives_the_torch_vectors() -> None:
    onnx = load_embedder("all-MiniLM-L6-v2", backend="onnx", query_int8=False)
    torch = load_embedder("all-MiniLM-L6-v2", backend="torch")
    assert onnx is not torch and onnx.name == torch.name
    assert np.abs(onnx.encode_documents(TEXTS, 2) - torch.encode_documents(TEXTS, 2)).max() < 1e-5
    question = "how fast did revenue grow"
    assert np.abs(onnx.encode_query(question) - torch.encode_query(question)).max() < 1e-5
    assert onnx.encode_documents([]).shape == (0, 384)


def test_int8_backend_is_recorded_under_another_name() -> None:
    int8 = load_embedder("all-MiniLM-L6-v2", backend="onnx-int8")
    assert int8.name == "all-MiniLM-L6-v2+int8"
    assert load_embedder("all-MiniLM-L6-v2+int8") is int8
    fp32 = load_embedder("all-MiniLM-L6-v2", backend="onnx").encode_documents(TEXTS)
    cosines = (int8.encode_documents(TEXTS) * fp32).sum(axis=1)
    assert 0.8 < cosines.min() and cosines.max() < 0.99999


def test_int8_questions_keep_the_fp32_name_and_space() -> None:
    mixed = load_embedder("all-MiniLM-L6-v2", backend="onnx", query_int8=True)
    fp32 = load_embedder("all-MiniLM-L6-v2", backend="onnx", query_int8=False)
    assert mixed.name == fp32.name
    assert np.array_equal(mixed.encode_documents(TEXTS), fp32.encode_documents(TEXTS))
    question = "capital expenditure plans"
    assert 0.9 < float(mixed.encode_query(question) @ fp32.encode_query(question)) < 0.99999


def test_unknown_backend_is_a_clear_error() -> None:
    with pytest.raises(EmbeddingError, match="unknown backend"):
        load_embedder("all-MiniLM-L6-v2", backend="tensorrt")


def test_onnx_export_happens_once_and_is_reused() -> None:
    load_embedder("all-MiniLM-L6-v2", backend="onnx")
    model = onnx_model_files(Path(_minilm_path()), default_cache_dir(), int8=False)
    stamp = model.stat().st_mtime_ns
    assert onnx_model_files(Path(_minilm_path()), default_cache_dir(), int8=False) == model
    assert model.stat().st_mtime_ns == stamp and not list(model.parent.glob("*.tmp"))


def test_a_reinstalled_model_reuses_its_export(tmp_path: Path) -> None:
    """A fresh virtualenv holds the same bytes at another path with new times."""
    original = Path(_minilm_path())
    reinstalled = tmp_path / "venv" / original.name
    shutil.copytree(original, reinstalled)
    os.utime(reinstalled / "model.safetensors", ns=(1, 1))
    cache = tmp_path / "cache"
    model = onnx_model_files(original, cache, int8=False)
    assert onnx_model_files(reinstalled, cache, int8=False) == model
    assert len(list(cache.iterdir())) == 1


def test_bf16_documents_are_recorded_under_another_name_and_keep_fp32_questions() -> None:
    bf16 = load_embedder("all-MiniLM-L6-v2", backend="bf16", query_int8=False)
    fp32 = load_embedder("all-MiniLM-L6-v2", backend="onnx", query_int8=False)
    assert bf16.name == "all-MiniLM-L6-v2+bf16"
    assert load_embedder("all-MiniLM-L6-v2+bf16", query_int8=False) is bf16
    cosines = (bf16.encode_documents(TEXTS) * fp32.encode_documents(TEXTS)).sum(axis=1)
    assert 0.9995 < cosines.min() and cosines.max() < 1 + 1e-6
    question = "how fast did revenue grow"
    assert np.array_equal(bf16.encode_query(question), fp32.encode_query(question))


def test_batches_do_not_change_vectors() -> None:
    """Texts are sorted by token count and padded per batch; the padding must not leak."""
    bf16 = load_embedder("all-MiniLM-L6-v2", backend="bf16")
    fp32 = load_embedder("all-MiniLM-L6-v2", backend="onnx")
    for embedder in (bf16, fp32):
        alone = np.stack([embedder.encode_documents([t])[0] for t in TEXTS])
        assert np.abs(embedder.encode_documents(TEXTS, batch_size=3) - alone).max() < 2e-3


def test_auto_backend_follows_the_cpu() -> None:
    assert resolve_backend("auto") == ("bf16" if has_fast_bf16() else "onnx")
    assert resolve_backend("onnx-int8") == "onnx-int8"
