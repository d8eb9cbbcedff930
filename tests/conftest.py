"""Shared fixtures: the real model, loaded once, and the seed index, built once per session."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

os.environ["HF_HUB_OFFLINE"] = "1"

from bench.proc import free_port, stop  # noqa: E402
from rag.engine import Engine  # noqa: E402
from rag.settings import Settings  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
SEEDS = ROOT / "seeds"
SEED_FILE = SEEDS / "alibaba-fy2026-q2-earnings-call.txt"
DATA = Path(__file__).resolve().parent / "data"
SHARED = ROOT.parent / "shared"


@pytest.fixture(scope="session")
def seed_text() -> str:
    return SEED_FILE.read_text(encoding="utf-8")


@pytest.fixture(scope="session")
def seed_data_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A data dir holding the seed index; tests must not write to it."""
    data_dir = tmp_path_factory.mktemp("seed-index")
    Engine(Settings(data_dir=data_dir)).build([SEEDS])
    return data_dir


@pytest.fixture(scope="session")
def seed_engine(seed_data_dir: Path) -> Engine:
    return Engine(Settings(data_dir=seed_data_dir))


@dataclass
class Server:
    url: str
    process: subprocess.Popen[bytes]
    data_dir: Path

    def stop(self) -> None:
        stop(self.process)


def start_server(data_dir: Path, env: dict[str, str] | None = None, timeout: float = 90) -> Server:
    """A real uvicorn process on a free loopback port, ready when /health answers."""
    port = free_port()
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "rag.cli",
            "serve",
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--data-dir",
            str(data_dir),
        ],
        cwd=ROOT,
        env={**os.environ, **(env or {})},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    server = Server(f"http://127.0.0.1:{port}", process, data_dir)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"server exited with {process.returncode}")
        try:
            if httpx.get(server.url + "/health", timeout=2).status_code == 200:
                return server
        except httpx.HTTPError:
            pass
        time.sleep(0.25)
    server.stop()
    raise RuntimeError("server did not become ready in time")


@pytest.fixture(scope="session")
def seed_server(seed_data_dir: Path) -> Iterator[Server]:
    server = start_server(seed_data_dir)
    yield server
    server.stop()


@pytest.fixture
def writable_server(seed_data_dir: Path, tmp_path: Path) -> Iterator[Server]:
    """A server over a private copy of the seed index, for tests that write."""
    shutil.copytree(seed_data_dir, tmp_path / "data")
    server = start_server(tmp_path / "data")
    yield server
    server.stop()


@dataclass
class SmallDisk:
    """A real filesystem of a few megabytes that a test can fill up."""

    path: Path

    def fill(self, leave_kb: int = 40) -> None:
        """Leave only ``leave_kb`` free, as a disk that is about to run out."""
        free_kb = shutil.disk_usage(self.path).free // 1024
        with open(self.path / "filler", "wb") as handle:
            handle.truncate(0)
            for _ in range(max(0, free_kb - leave_kb)):
                handle.write(b"\0" * 1024)

    def free(self) -> None:
        (self.path / "filler").unlink(missing_ok=True)


@pytest.fixture
def small_disk(tmp_path: Path) -> Iterator[SmallDisk]:
    """A 16 MB tmpfs mounted for the test; skipped where mounting is not allowed (not root)."""
    mount_point = tmp_path / "disk"
    mount_point.mkdir()
    mounted = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=16m", "tmpfs", str(mount_point)],
        capture_output=True,
    )
    if mounted.returncode != 0:
        pytest.skip("mounting a small tmpfs (a disk that can really fill up) needs root")
    try:
        yield SmallDisk(mount_point)
    finally:
        subprocess.run(["umount", "-l", str(mount_point)], capture_output=True)
