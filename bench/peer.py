"""txtai as a peer: its own virtual environment, the same model folder, the same chunks.

The environment is created on first use (``/tmp/txtai-venv``, no system site
packages, torch pinned first so pip does not pull a different build).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from bench.proc import measure

VENV = Path(os.environ.get("BENCH_TXTAI_VENV", "/tmp/txtai-venv"))
WORKER = Path(__file__).with_name("txtai_worker.py")


def ensure_venv() -> Path:
    python = VENV / "bin" / "python"
    if python.exists() and subprocess.run([python, "-c", "import txtai"]).returncode == 0:
        return python
    subprocess.run([sys.executable, "-m", "venv", "--clear", VENV], check=True)
    pip = [str(python), "-m", "pip", "install", "-q"]
    subprocess.run([*pip, "torch==2.13.0"], check=True)
    subprocess.run([*pip, "txtai"], check=True)
    return python


def run(model: str, texts: list[str], questions: list[str], batch: int, work: Path) -> dict:
    """Index ``texts`` with txtai in a child process; wall time and peak RSS from outside."""
    python = ensure_venv()
    spec = work / "txtai-spec.json"
    spec.write_text(
        json.dumps({"model": model, "texts": texts, "questions": questions, "batch": batch})
    )
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "TOKENIZERS_PARALLELISM": "false"}
    child = measure([str(python), str(WORKER), str(spec)], env=env)
    result = json.loads(child.stdout.strip().splitlines()[-1])
    return {**result, "wall_s": child.wall_s, "peak_rss_mib": child.peak_rss_mib}
