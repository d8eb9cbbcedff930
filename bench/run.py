"""One command for the numbers the issue asks about, measured on this machine.

(1) build a corpus folder, (2) POST /ask latency through a real uvicorn at
several index sizes with recall@10 of the configured index against exact
search, (3) adding one transcript to the largest index, (4) rebuilding an
unchanged corpus, (5) memory per chunk, (6) txtai building and searching the
same chunks with the same model, alternated with our build in the same run.
Compared things run in the same invocation; tables quote medians and ratios.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx
import numpy as np

from bench import corpus as corpus_mod
from bench import peer
from bench.machine import describe, rss_mib
from bench.proc import free_port, measure
from bench.scale import scaled_copy

ROOT = Path(__file__).resolve().parent.parent
RESULTS = Path(__file__).resolve().parent / "results"


def _table(title: str, rows: list[dict]) -> None:
    print(f"\n## {title}")
    if not rows:
        return
    keys = list(rows[0])
    widths = [max(len(str(k)), *(len(_fmt(r.get(k))) for r in rows)) for k in keys]
    print("  ".join(str(k).ljust(w) for k, w in zip(keys, widths, strict=True)))
    for row in rows:
        print("  ".join(_fmt(row.get(k)).ljust(w) for k, w in zip(keys, widths, strict=True)))


def _fmt(value: object) -> str:
    return (
        f"{value:.3g}"
        if isinstance(value, float) and abs(value) < 100
        else (f"{value:.0f}" if isinstance(value, float) else str(value))
    )


def _pct(values: list[float], q: float) -> float:
    return float(np.percentile(values, q))


def _env(backend: str, multilingual: bool = True) -> dict[str, str]:
    env = {**os.environ, "RAG_BACKEND": backend, "HF_HUB_OFFLINE": "1"}
    if not multilingual:
        env["RAG_MULTILINGUAL_MODEL"] = ""
    return env


def _rag(*args: str) -> list[str]:
    return [str(Path(sys.executable).with_name("rag")), *args]


def _linked(folder: Path, files: list[Path]) -> Path:
    """A folder of links to ``files``: a corpus subset without copying transcripts."""
    folder.mkdir(exist_ok=True)
    for path in files:
        link = folder / path.name
        if not link.exists():
            link.symlink_to(path.resolve())
    return folder


def _chunks_in(data_dir: Path) -> int:
    from index.store import Store

    return Store(data_dir).count_chunks()


def build(folder: Path, data_dir: Path, backend: str, multilingual: bool) -> dict:
    """``rag index build`` in a child process; without the multilingual encoder, the same
    work as txtai's (one model over the same chunks)."""
    child = measure(
        _rag("index", "build", str(folder), "--data-dir", str(data_dir)),
        env=_env(backend, multilingual),
    )
    chunks = _chunks_in(data_dir)
    return {
        "system": f"ours ({backend}{' + e5' if multilingual else ''})",
        "chunks": chunks,
        "wall_s": child.wall_s,
        "chunks_per_s": chunks / child.wall_s,
        "peak_rss_mib": child.peak_rss_mib,
    }


def ask_latency(
    data_dir: Path, backend: str, questions: list[str], requests: int, multilingual: bool = True
) -> dict:
    """Start uvicorn on ``data_dir`` and time POST /ask from a client on this machine."""
    port = free_port()
    env = {**_env(backend, multilingual), "RAG_DATA_DIR": str(data_dir)}
    cmd = [
        sys.executable,
        "-m",
        "uvicorn",
        "api.app:create_app",
        "--factory",
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        "--log-level",
        "warning",
    ]
    server = subprocess.Popen(cmd, env=env, cwd=ROOT)
    started = time.perf_counter()
    try:
        with httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=120) as client:
            health = None
            while time.perf_counter() - started < 1800:
                try:
                    health = client.get("/health").json()
                    break
                except httpx.TransportError:
                    time.sleep(0.2)
            ready_s = time.perf_counter() - started
            for question in questions[:10]:
                client.post("/ask", json={"question": question, "top_k": 5}).raise_for_status()
        # Timed with the standard library's client on one kept-alive connection: httpx
        # adds about half a millisecond of its own Python to every request.
        bodies = [json.dumps({"question": q}).encode() for q in questions]
        headers = {"Content-Type": "application/json"}
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
        latencies, server_ms = [], []
        try:
            for i in range(requests):
                t = time.perf_counter()
                connection.request("POST", "/ask", bodies[i % len(bodies)], headers)
                response = connection.getresponse()
                data = response.read()
                latencies.append((time.perf_counter() - t) * 1000)
                if response.status != 200:
                    raise RuntimeError(f"POST /ask answered {response.status}: {data[:200]!r}")
                server_ms.append(json.loads(data)["took_ms"])
        finally:
            connection.close()
        return {
            "chunks": (health or {}).get("chunks"),
            "p50_ms": _pct(latencies, 50),
            "p95_ms": _pct(latencies, 95),
            "p99_ms": _pct(latencies, 99),
            "engine_p50_ms": _pct(server_ms, 50),
            "startup_s": ready_s,
            "server_rss_mib": rss_mib(server.pid),
        }
    finally:
        server.terminate()
        server.wait(timeout=60)


def recall_at_10(data_dir: Path, questions: list[str], space_name: str = "dense") -> dict:
    """One space's configured index (``vectors-{space}-{generation}.faiss``) against exact search.

    Questions are encoded by that space's model, as the retriever does.
    """
    from index.faiss_index import FaissIndex
    from index.store import Store
    from index.vectors import load_vector_index
    from rag.embedding import stored_embedder

    store = Store(data_dir)
    space = next(s for s in store.spaces if s.name == space_name)
    index = load_vector_index(data_dir / f"vectors-{space.name}-{store.db.generation}.faiss")
    exact = FaissIndex.create(index.dim, ann_threshold=2**62)
    ids, vectors = index._contents()
    exact.add(ids, vectors)
    embedder = stored_embedder(space.model)
    recalls, approx_ms, exact_ms = [], [], []
    for question in questions:
        query = embedder.encode_query(question)
        t = time.perf_counter()
        got = set(index.search(query, 10)[1].tolist())
        approx_ms.append((time.perf_counter() - t) * 1000)
        t = time.perf_counter()
        want = set(exact.search(query, 10)[1].tolist())
        exact_ms.append((time.perf_counter() - t) * 1000)
        recalls.append(len(got & want) / max(len(want), 1))
    return {
        f"{space.name}_index": index.kind,
        f"{space.name}_recall_at_10": float(np.mean(recalls)),
        f"{space.name}_search_ms": statistics.median(approx_ms),
        f"{space.name}_exact_search_ms": statistics.median(exact_ms),
    }


def recall_of_text_spaces(data_dir: Path, questions: list[str]) -> dict:
    """``recall_at_10`` of each encoder's chunk-text space (dense, multilingual) the store has."""
    from index.store import Store

    names = [s.name for s in Store(data_dir).spaces if s.view == "text"]
    return {k: v for name in names for k, v in recall_at_10(data_dir, questions, name).items()}


def add_one(data_dir: Path, files: list[Path], backend: str, times: int = 3) -> dict:
    """Add transcripts the index does not hold yet, in-process, as POST /transcripts would.

    File sizes are summed over every space's vector file.
    """
    os.environ["RAG_BACKEND"] = backend
    from rag.engine import Engine
    from rag.settings import Settings

    engine = Engine(Settings(data_dir=data_dir, backend=backend))
    engine.warm_up()

    def vector_bytes() -> int:
        generation = engine.store.db.generation
        return sum(
            (data_dir / f"vectors-{s.name}-{generation}.faiss").stat().st_size
            for s in engine.store.spaces
        )

    walls, grown, chunks = [], [], []
    for n, source in enumerate(files[:times]):
        text = f"Added transcript {n}\n\n" + source.read_text(encoding="utf-8")
        before = vector_bytes()
        t = time.perf_counter()
        result = engine.add_text(f"added-{n}-{source.name}", text)
        walls.append(time.perf_counter() - t)
        grown.append(vector_bytes() - before)
        chunks.append(result.chunks)
    return {
        "index_chunks": engine.store.count_chunks(),
        "spaces": len(engine.store.spaces),
        "added_chunks_median": statistics.median(chunks),
        "wall_s_median": statistics.median(walls),
        "vector_files_growth_kib": statistics.median(grown) / 1024,
        "vector_files_mib": vector_bytes() / 2**20,
    }


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    parser.add_argument("--corpus", type=Path, help="folder of transcripts (default: generated)")
    parser.add_argument("--limit", type=int, help="use only the first N transcripts")
    parser.add_argument("--sizes", default="10000,100000,1000000", help="index sizes for /ask")
    parser.add_argument("--requests", type=int, default=300, help="POST /ask calls per size")
    parser.add_argument("--repeats", type=int, default=1, help="alternated build rounds")
    parser.add_argument(
        "--backend", default="auto", help="our document encoder backend (auto: as RAG_BACKEND)"
    )
    parser.add_argument("--compare-backends", default="", help="also build with these, e.g. torch")
    parser.add_argument("--no-txtai", action="store_true", help="skip the txtai peer")
    parser.add_argument("--work", type=Path, help="scratch folder (default: a new temp dir)")
    parser.add_argument(
        "--skip-comparison",
        action="store_true",
        help="skip the alternated builds (ours without e5, txtai), e.g. after a run that did them",
    )
    parser.add_argument(
        "--final-limit",
        type=int,
        help="build the configured (final-mode) index from only the first N transcripts; "
        "/ask sizes beyond it are scaled copies (default: all)",
    )
    args = parser.parse_args(argv)

    from rag.embedding import _minilm_path, load_embedder, resolve_backend
    from rag.settings import Settings

    args.backend = resolve_backend(args.backend)
    work = args.work or Path(tempfile.mkdtemp(prefix="rag-bench-"))
    work.mkdir(parents=True, exist_ok=True)
    machine = describe()
    retrieval = Settings().retrieval_mode
    _table("machine", [{**machine, "retrieval_mode": retrieval, "work": str(work)}])

    source = args.corpus or corpus_mod.generate(work / "generated", args.limit or 80)
    files = corpus_mod.files_of(source, args.limit)
    subset = _linked(work / "subset", files)
    texts = corpus_mod.chunk_texts(files)
    questions = corpus_mod.QUESTIONS
    load_embedder("all-MiniLM-L6-v2", backend=args.backend)  # export the ONNX model once

    builds: list[dict] = []
    backends = [args.backend, *[b for b in args.compare_backends.split(",") if b]]
    for round_no in range(0 if args.skip_comparison else args.repeats):
        for backend in backends:
            data_dir = work / f"build-{backend}-{round_no}"
            builds.append({"round": round_no, **build(subset, data_dir, backend, False)})
            print(builds[-1], flush=True)
        if not args.no_txtai:
            result = peer.run(_minilm_path(), texts, questions, 32, work)
            builds.append(
                {
                    "round": round_no,
                    "system": "txtai index()",
                    "chunks": result["count"],
                    "wall_s": result["wall_s"],
                    "chunks_per_s": result["count"] / result["wall_s"],
                    "peak_rss_mib": result["peak_rss_mib"],
                    "search_p50_ms": _pct(result["search_ms"], 50),
                }
            )
            print(builds[-1], flush=True)
    _table("(1)+(6) build, alternated", builds)
    by_system: dict[str, list[float]] = {}
    for row in builds:
        by_system.setdefault(row["system"], []).append(row["wall_s"])
    medians = {name: statistics.median(walls) for name, walls in by_system.items()}
    ours_name = f"ours ({args.backend})"
    ratios = [
        {
            "vs": name,
            "median_wall_s": wall,
            "ours_median_wall_s": medians[ours_name],
            "speedup": wall / medians[ours_name],
        }
        for name, wall in medians.items()
        if name != ours_name
    ]
    _table("build speed-up (their wall / our wall, medians)", ratios)

    final_files = files[: args.final_limit] if args.final_limit else files
    final_subset = _linked(work / "final-subset", final_files)
    main_dir = work / f"final-{args.backend}"
    first = {"round": "-", **build(final_subset, main_dir, args.backend, True)}
    _table("build with the configured encoders (final retrieval mode)", [first])
    rebuild_child = measure(
        _rag("index", "rebuild", "--data-dir", str(main_dir)),
        env=_env(args.backend),
    )
    rebuild = [
        {
            "chunks": first["chunks"],
            "first_build_s": first["wall_s"],
            "rebuild_s": rebuild_child.wall_s,
            "speedup": first["wall_s"] / rebuild_child.wall_s,
            "peak_rss_mib": rebuild_child.peak_rss_mib,
        }
    ]
    _table("(4) rebuild of the unchanged corpus (embedding cache)", rebuild)

    latency: list[dict] = []
    for size in sorted(int(s) for s in args.sizes.split(",") if s):
        data_dir = work / f"scaled-{size}"
        if not data_dir.exists():
            t = time.perf_counter()
            scaled_copy(main_dir, data_dir, size)
            print(f"made {data_dir} in {time.perf_counter() - t:.0f}s", flush=True)
        row = {"size": size, **ask_latency(data_dir, args.backend, questions, args.requests)}
        row.update(recall_of_text_spaces(data_dir, questions))
        row["rss_kib_per_chunk"] = row["server_rss_mib"] * 1024 / max(row["chunks"] or 1, 1)
        row["disk_kib_per_chunk"] = (
            sum(p.stat().st_size for p in data_dir.iterdir() if p.is_file())
            / 1024
            / max(row["chunks"] or 1, 1)
        )
        latency.append(row)
        print(row, flush=True)
    full = {
        "size": first["chunks"],
        **ask_latency(main_dir, args.backend, questions, args.requests),
    }
    full.update(recall_of_text_spaces(main_dir, questions))
    latency.insert(0, full)

    _table(
        f"(2)+(5) POST /ask latency and memory, retrieval: {retrieval}; "
        "recall@10 of each encoder's vector file (vectors-<space>-*.faiss) vs exact search",
        latency,
    )
    if len(latency) >= 3:
        a, b = latency[-2], latency[-1]
        per_chunk = (b["server_rss_mib"] - a["server_rss_mib"]) * 1024 / (b["chunks"] - a["chunks"])
        _table(
            "(5) marginal server memory",
            [{"from": a["chunks"], "to": b["chunks"], "kib_per_chunk": per_chunk}],
        )

    largest = max((r for r in latency), key=lambda r: r["chunks"] or 0)
    largest_dir = main_dir if largest is full else work / f"scaled-{largest['size']}"
    adds = [add_one(largest_dir, files[-3:], args.backend)]
    _table("(3) adding one transcript to the largest index", adds)

    minilm_dir = work / f"build-{args.backend}-0"
    minilm: dict = {}
    if minilm_dir.exists():
        minilm = {
            "chunks_real": _chunks_in(minilm_dir),
            **ask_latency(minilm_dir, args.backend, questions, args.requests, multilingual=False),
        }
        minilm.update(recall_at_10(minilm_dir, questions))
        _table("(2) POST /ask on the whole real corpus built without e5 (BM25 + MiniLM)", [minilm])

    RESULTS.mkdir(exist_ok=True)
    out = RESULTS / f"bench-{time.strftime('%Y%m%d-%H%M%S')}.json"
    out.write_text(
        json.dumps(
            {
                "machine": machine,
                "retrieval_mode": retrieval,
                "corpus": str(source),
                "transcripts": len(files),
                "builds": builds,
                "final_build": first,
                "build_ratios": ratios,
                "rebuild": rebuild,
                "ask": latency,
                "add_one": adds,
                "ask_without_e5": minilm,
                "notes": "sizes beyond the real corpus reuse its vectors, in every space, plus "
                "Gaussian noise; recall@10 is of each text space's index",
            },
            indent=2,
        )
    )
    print(f"\nwrote {out}")
