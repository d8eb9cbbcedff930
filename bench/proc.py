"""Child processes for the benchmarks and tests: measured from outside (wall time, peak
memory), the loopback port a server child listens on, and stopping it."""

from __future__ import annotations

import os
import socket
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path


@dataclass
class Measured:
    stdout: str
    wall_s: float
    peak_rss_mib: float


def measure(cmd: list[str], env: dict[str, str] | None = None, cwd: Path | None = None) -> Measured:
    out_path = Path(f"/tmp/bench-child-{os.getpid()}-{time.monotonic_ns()}.out")
    started = time.perf_counter()
    with open(out_path, "w") as out:
        proc = subprocess.Popen(cmd, stdout=out, env=env, cwd=cwd)
        _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - started
    stdout = out_path.read_text()
    out_path.unlink()
    if os.waitstatus_to_exitcode(status):
        raise RuntimeError(f"{' '.join(map(str, cmd))} failed: {stdout[-2000:]}")
    return Measured(stdout, wall, usage.ru_maxrss / 1024)


def free_port() -> int:
    """A loopback port nothing listens on now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def stop(process: subprocess.Popen[bytes]) -> None:
    """Ask a child to stop (SIGTERM), and kill it if it has not within 15 s."""
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=15)
