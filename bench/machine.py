"""What the numbers were measured on, so a table is never quoted without its machine."""

from __future__ import annotations

import os
import platform
from pathlib import Path


def _first(path: str, key: str) -> str:
    try:
        for line in Path(path).read_text().splitlines():
            if line.startswith(key):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return "?"


def describe() -> dict[str, str | int | float]:
    mem_kb = _first("/proc/meminfo", "MemTotal").split()[0]
    return {
        "cpu": _first("/proc/cpuinfo", "model name"),
        "cores": os.cpu_count() or 0,
        "ram_gib": round(int(mem_kb) / 2**20, 1) if mem_kb.isdigit() else 0,
        "load_avg_1m": round(os.getloadavg()[0], 2),
        "python": platform.python_version(),
        "os": platform.platform(),
    }


def rss_mib(pid: int) -> float:
    """Resident memory of a live process, from /proc."""
    kb = _first(f"/proc/{pid}/status", "VmRSS").split()[0]
    return int(kb) / 1024 if kb.isdigit() else 0.0
