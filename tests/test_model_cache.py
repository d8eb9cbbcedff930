"""Export keys follow the bytes of a model's files, not where or when they were installed."""

from __future__ import annotations

import os
from pathlib import Path

from rag.model_cache import content_key


def _write(path: Path, data: bytes) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    return path


def test_same_bytes_elsewhere_give_the_same_key(tmp_path: Path) -> None:
    first = _write(tmp_path / "a" / "model.bin", b"weights")
    second = _write(tmp_path / "b" / "model.bin", b"weights")
    os.utime(second, ns=(1, 1))
    assert content_key("1", [first]) == content_key("1", [second])


def test_other_bytes_version_or_file_set_change_the_key(tmp_path: Path) -> None:
    model = _write(tmp_path / "model.bin", b"weights")
    key = content_key("1", [model])
    assert content_key("2", [model]) != key
    assert content_key("1", [model, _write(tmp_path / "config.json", b"{}")]) != key
    _write(model, b"retrained")
    assert content_key("1", [model]) != key


def test_missing_files_are_skipped(tmp_path: Path) -> None:
    model = _write(tmp_path / "model.bin", b"weights")
    assert content_key("1", [model, tmp_path / "absent.bin"]) == content_key("1", [model])
