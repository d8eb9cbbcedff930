"""All tunable behaviour in one place, read from ``RAG_*`` environment variables."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

from rag.passages import PASSAGE_CHARS


class Settings(BaseSettings):
    """Defaults suit one machine serving the bundled transcripts; override with ``RAG_<NAME>``."""

    model_config = SettingsConfigDict(env_prefix="RAG_", extra="ignore")

    data_dir: Path = Field(Path("data"), description="Where the SQLite database and vectors live.")
    model: str = Field(
        "all-MiniLM-L6-v2",
        description="Embedding model: a known name (all-MiniLM-L6-v2) or a local model path.",
    )
    multilingual_model: str = Field(
        "multilingual-e5-small",
        description="Second encoder, for questions in another language than the text; "
        "empty to turn it off.",
    )
    question_vectors: bool = Field(
        True, description="Also embed a Q&A pair's question alone, so a pair matches on it."
    )
    retrieval_mode: Literal["final", "hybrid", "bm25", "dense", "multilingual"] = Field(
        "final", description="How answers are ranked; the others are for comparison."
    )
    batch_size: int | None = Field(
        None,
        ge=1,
        description="Texts per encoder batch; unset uses the backend's fastest on 2 cores "
        "(8 for onnx, 32 for bf16).",
    )
    backend: Literal["auto", "onnx", "onnx-int8", "bf16", "torch"] = Field(
        "auto",
        description="Document encoder runtime: auto (bf16 where the CPU has AMX or "
        "AVX512-BF16, else onnx), bf16 (torch, bf16 weights, ~3x onnx on AMX, cosine to "
        "fp32 > 0.9999; recorded as model '<name>+bf16'), onnx (fp32, the vectors of torch), "
        "onnx-int8 (quantised; '<name>+int8'), or torch (fp32). Questions use onnx.",
    )
    query_int8: bool = Field(
        True,
        description="Encode questions with int8 ONNX models (per-channel for e5), twice as "
        "fast; documents are untouched and eval sets score within one question of fp32.",
    )
    encoder_threads: int = Field(0, ge=0, description="Encoder threads; 0 uses every core.")
    model_cache_dir: Path | None = Field(
        None, description="Where exported ONNX models are kept (default ~/.cache/transcript-qa)."
    )
    ann_threshold: int = Field(
        25_000, ge=1, description="Vectors beyond which search turns approximate (IVF)."
    )
    ann_nprobe: int = Field(
        128,
        ge=1,
        description="The fewest IVF clusters a question scans; it scans half of them while "
        "that is at most 131,072 vectors' codes (recall@10 0.99 on the real 65k build).",
    )
    chunk_words: int = Field(120, ge=20, description="Target words per window of long text.")
    chunk_overlap_words: int = Field(20, ge=0, description="Words repeated between windows.")
    max_chunk_chars: int = Field(1500, ge=200, description="Hard cap on a chunk's cited span.")
    passage_chars: int = Field(
        PASSAGE_CHARS,
        ge=0,
        le=1500,
        description="Longest passage an answer cites: a meeting's window grows into the "
        "windows after (then before) it up to this many characters; 0 cites the window alone.",
    )
    top_k: int = Field(5, ge=1, le=50, description="Answers returned when a request names none.")
    host: str = Field("127.0.0.1", description="Address `rag serve` binds to.")
    port: int = Field(8000, ge=1, le=65535, description="Port `rag serve` listens on.")
    max_upload_mb: float = Field(20, gt=0, description="Largest file an upload may carry.")
    max_upload_files: int = Field(20, ge=1, description="Most files in one upload request.")
    max_transcript_chars: int = Field(
        5_000_000, ge=1, description="Longest transcript an upload may hold, in characters."
    )
    max_request_mb: float = Field(
        50, gt=0, description="Largest request body; refused by Content-Length before reading."
    )
    api_key: SecretStr | None = Field(
        None,
        description="Bearer key for writes (and reads). With no key at all, serve on loopback.",
    )
    read_key: SecretStr | None = Field(
        None, description="Bearer key for reads (ask, list, jobs); unset leaves reads open."
    )
    cors_origins: str = Field(
        "", description="Comma-separated origins allowed cross-origin; empty means no CORS."
    )
    seeds_dir: Path = Field(Path("seeds"), description="Transcripts indexed by default.")


@lru_cache
def get_settings() -> Settings:
    return Settings()
