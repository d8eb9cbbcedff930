"""Where exported models are kept, and the keys that name them.

An export (ONNX graphs, e5's unpacked checkpoint) is about half a gigabyte.
Keys hash the bytes of the files it is made from, never their path or
modification time: every fresh virtualenv and every reinstall of the same
model package finds its export again instead of writing another one beside it.
"""

from __future__ import annotations

import functools
import hashlib
import os
from collections.abc import Iterable
from pathlib import Path


def default_cache_dir() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base) / "transcript-qa"


def content_key(version: str, files: Iterable[Path]) -> str:
    """16 hex digits naming ``version`` and the contents of those ``files`` that exist."""
    key = hashlib.sha256(version.encode())
    for path in files:
        if path.is_file():
            stat = path.stat()
            key.update(f"{path.name}:{_file_sha256(path, stat.st_size, stat.st_mtime_ns)}".encode())
    return key.hexdigest()[:16]


@functools.lru_cache(maxsize=64)
def _file_sha256(path: Path, size: int, mtime_ns: int) -> str:
    """Hashed once per process and file version (about 0.2 s for 70 MB)."""
    with path.open("rb") as handle:
        return hashlib.file_digest(handle, "sha256").hexdigest()
