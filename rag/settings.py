"""All tunable behaviour in one place, read from ``RAG_*`` environment variables."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    """Defaults suit one machine serving the bundled transcripts; override with ``RAG_<NAME>``."""

    model_config = SettingsConfigDict(env_prefix="RAG_", extra="ignore")

    data_dir: Path = Field(Path("data"), description="Where the SQLite database and vectors live.")
    model: str = Field(
        "all-MiniLM-L6-v2",
        description="Embedding model: a known name (all-MiniLM-L6-v2) or a local model path.",
    )
    batch_size: int = Field(32, ge=1, description="Texts per encoder batch.")
    chunk_words: int = Field(120, ge=20, description="Target words per window of long text.")
    chunk_overlap_words: int = Field(20, ge=0, description="Words repeated between windows.")
    max_chunk_chars: int = Field(1500, ge=200, description="Hard cap on a chunk's cited span.")
    top_k: int = Field(5, ge=1, le=50, description="Answers returned when a request names none.")
    host: str = Field("127.0.0.1", description="Address `rag serve` binds to.")
    port: int = Field(8000, ge=1, le=65535, description="Port `rag serve` listens on.")
    max_upload_mb: float = Field(20, gt=0, description="Largest file an upload may carry.")
    max_upload_files: int = Field(20, ge=1, description="Most files in one upload request.")
    seeds_dir: Path = Field(Path("seeds"), description="Transcripts indexed by default.")


@lru_cache
def get_settings() -> Settings:
    return Settings()
