"""Load test: a notebook loop of askers against a real uvicorn while colleagues upload.

Phase 1: ``--askers`` threads POST /ask for ``--seconds`` with no writes.
Phase 2: the same askers for ``--seconds`` while one client uploads ``--uploads``
generated transcripts (each with facts no other holds) and a rebuild is started
half-way and followed to done. Then: zero errors, every upload listed, and each
one's own question cites it first. ``--kill-during-load`` SIGKILLs the server once
while the rebuild and uploads run, restarts it on the same port, and checks that
every acknowledged upload survived; errors while it is down are counted apart.

Loopback only, bounded in time. Run ``.venv/bin/python -m bench.load --help``;
the table prints and lands as JSON in ``bench/results/load.json``.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

import httpx

from bench.machine import describe
from bench.proc import free_port, stop

ROOT = Path(__file__).resolve().parent.parent
RESULTS = Path(__file__).resolve().parent / "results"

SEED_QUESTIONS = [
    "What is the capital expenditure plan?",
    "What did they say about an AI bubble?",
    "How did China e-commerce customer management revenue grow?",
    "What is the Qianwen project?",
    "How is the cloud business growing?",
    "What are the plans for quick commerce?",
    "How much free cash flow was there?",
    "What did management say about share buybacks?",
]

PRODUCTS = (
    "kayaks telescopes harps lanterns snowshoes accordions hammocks sundials compasses "
    "typewriters gramophones beehives canoes trombones easels microscopes toboggans "
    "barometers kilns looms anvils quills sextants lutes unicycles periscopes spinning-wheels "
    "chandeliers bagpipes metronomes hourglasses kaleidoscopes sleds butter-churns "
    "weathervanes xylophones abacuses carousels birdbaths harpsichords bellows trellises "
    "samovars zithers gondolas tapestries mandolins astrolabes waterwheels catapults"
).split()
PREFIXES = "Vel Quor Brin Zent Mox Hal Tyr Osk Fen Drav".split()
SUFFIXES = "ara Works|ix Labs|ton Guild|ova Trading|un Foundry".split("|")
CITIES = (
    "Port Elbrin|Caskmoor|Vantaro|Lumenfall|Orrick Bay|Tessaly|Myrrhdale|Quillon|Ashgrove|Belvane"
).split("|")


def company(n: int) -> str:
    return f"{PREFIXES[n % 10]}{SUFFIXES[n // 10 % 5]}"


def upload_question(n: int) -> str:
    return f"How many {PRODUCTS[n]} did {company(n)} sell in {CITIES[n % 10]}?"


def generated_transcript(n: int) -> str:
    """A short call about fictional company ``n`` (0-49) whose facts no other call holds."""
    name, product, city, units = company(n), PRODUCTS[n], CITIES[n % 10], 1000 + 37 * n
    return (
        f"Operator: Welcome to the {name} quarterly call about {product}.\n"
        f"Chief Executive: This quarter {name} sold {units} {product} in {city}, "
        f"a record for the firm.\n"
        f"Analyst: How many {product} did {name} sell in {city}?\n"
        f"Chief Executive: We sold {units} {product} in {city}, mostly to collectors "
        f"who order {product} every spring.\n"
    )


@dataclass
class Sample:
    phase: str
    started: float
    ended: float
    ok: bool
    detail: str = ""

    @property
    def ms(self) -> float:
        return (self.ended - self.started) * 1000


@dataclass
class Outcome:
    acknowledged: dict[int, int] = field(default_factory=dict)
    """Upload number to the transcript id the server acknowledged."""
    write_errors: list[str] = field(default_factory=list)
    rebuilds: list[dict] = field(default_factory=list)
    outages: list[tuple[float, float]] = field(default_factory=list)
    killed: dict = field(default_factory=dict)


class Server:
    """`rag serve` on a loopback port; restartable on the same port after a SIGKILL."""

    def __init__(self, data_dir: Path, log: Path) -> None:
        self.data_dir = data_dir
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log = log
        self.process: subprocess.Popen[bytes] | None = None
        self.ready = threading.Event()

    def start(self, timeout: float = 180) -> None:
        cmd = [sys.executable, "-m", "rag.cli", "serve", "--host", "127.0.0.1"]
        cmd += ["--port", str(self.port), "--data-dir", str(self.data_dir)]
        with open(self.log, "ab") as log:
            self.process = subprocess.Popen(cmd, cwd=ROOT, stdout=log, stderr=log)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"server exited with {self.process.returncode}; see {self.log}")
            try:
                if httpx.get(self.url + "/health", timeout=2).status_code == 200:
                    self.ready.set()
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.2)
        raise RuntimeError(f"server did not become ready in {timeout:.0f} s; see {self.log}")

    def kill(self) -> None:
        self.ready.clear()
        assert self.process is not None
        os.kill(self.process.pid, signal.SIGKILL)
        self.process.wait(timeout=30)

    def stop(self) -> None:
        if self.process is not None:
            stop(self.process)


class Askers:
    """Threads asking seed questions in a loop until told to stop."""

    def __init__(self, server: Server, count: int) -> None:
        self.server = server
        self.count = count
        self.samples: list[Sample] = []
        self.phase = "phase 1"
        self._stop = threading.Event()
        self._lock = threading.Lock()
        self._threads: list[threading.Thread] = []

    def start(self) -> None:
        self._stop.clear()
        self._threads = [
            threading.Thread(target=self._ask, args=(i,), daemon=True) for i in range(self.count)
        ]
        for thread in self._threads:
            thread.start()

    def stop(self) -> None:
        self._stop.set()
        for thread in self._threads:
            thread.join(timeout=120)

    def _ask(self, index: int) -> None:
        with httpx.Client(timeout=60) as client:
            n = index
            while not self._stop.is_set():
                question = SEED_QUESTIONS[n % len(SEED_QUESTIONS)]
                n += 1
                started = time.monotonic()
                try:
                    r = client.post(self.server.url + "/ask", json={"question": question})
                    ok = r.status_code == 200 and bool(r.json()["answers"])
                    detail = "" if ok else f"{r.status_code} {r.text[:200]}"
                except httpx.HTTPError as exc:
                    ok, detail = False, f"{type(exc).__name__}: {exc}"
                sample = Sample(self.phase, started, time.monotonic(), ok, detail)
                with self._lock:
                    self.samples.append(sample)
                if not ok and not self.server.ready.is_set():
                    self.server.ready.wait(timeout=180)


def _retrying(server: Server, outcome: Outcome, call, what: str, kill_mode: bool):
    """``call()``; in kill mode a connection error waits for the restart and tries again."""
    for _ in range(3):
        try:
            return call()
        except httpx.HTTPError as exc:
            if not kill_mode:
                outcome.write_errors.append(f"{what}: {type(exc).__name__}: {exc}")
                return None
            server.ready.wait(timeout=300)
    outcome.write_errors.append(f"{what}: no answer after 3 tries")
    return None


def upload_all(server: Server, outcome: Outcome, count: int, spread: float, kill: bool) -> None:
    started = time.monotonic()
    with httpx.Client(timeout=120) as client:
        for n in range(count):
            time.sleep(max(0.0, started + n * spread / count - time.monotonic()))
            body = generated_transcript(n).encode()
            r = _retrying(
                server,
                outcome,
                lambda body=body, n=n: client.post(
                    server.url + "/transcripts", files=[("files", (f"load-{n:02d}.txt", body))]
                ),
                f"upload {n}",
                kill,
            )
            if r is None:
                continue
            if r.status_code in (200, 201):
                outcome.acknowledged[n] = r.json()["transcripts"][0]["id"]
            else:
                outcome.write_errors.append(f"upload {n}: {r.status_code} {r.text[:200]}")


def rebuild_when_half_uploaded(server: Server, outcome: Outcome, uploads: int, kill: bool) -> None:
    """Start a rebuild once half the uploads are in; follow it to done (again after a kill)."""
    while len(outcome.acknowledged) < uploads // 2:
        time.sleep(0.05)
    with httpx.Client(timeout=60) as client:
        for _ in range(3):
            r = _retrying(
                server,
                outcome,
                lambda: client.post(server.url + "/index/rebuild"),
                "rebuild",
                kill,
            )
            if r is None or r.status_code != 202:
                outcome.write_errors.append(f"rebuild: {r and r.status_code} {r and r.text}")
                return
            job = r.json()
            outcome.rebuilds.append({"id": job["id"], "state": job["state"]})
            deadline = time.monotonic() + 600
            while job["state"] not in ("done", "failed") and time.monotonic() < deadline:
                time.sleep(0.25)
                try:
                    r = client.get(f"{server.url}/index/jobs/{job['id']}")
                except httpx.HTTPError:
                    if not kill:
                        raise
                    server.ready.wait(timeout=300)
                    break
                job = r.json() if r.status_code == 200 else {"state": f"lost ({r.status_code})"}
            outcome.rebuilds[-1].update(state=job["state"], done=job.get("done"))
            if job["state"] == "done":
                return
            if job["state"] == "failed" or not kill:
                outcome.write_errors.append(f"rebuild ended {job}")
                return


def kill_once(server: Server, outcome: Outcome, uploads: int) -> None:
    """SIGKILL just after the rebuild starts (or once 60% are uploaded), then restart."""
    while not outcome.rebuilds and len(outcome.acknowledged) < uploads * 0.6:
        time.sleep(0.02)
    time.sleep(0.05)
    outcome.killed = {
        "uploads_acknowledged": len(outcome.acknowledged),
        "rebuild_started": bool(outcome.rebuilds),
    }
    down = time.monotonic()
    server.kill()
    server.start()
    outcome.outages.append((down, time.monotonic()))


def percentile(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q / 100 * (len(ordered) - 1)))]


def _in_outage(sample: Sample, outages: list[tuple[float, float]]) -> bool:
    return any(sample.started < up and sample.ended > down for down, up in outages)


def summarise(samples: list[Sample], phase: str, seconds: float, outages) -> dict:
    mine = [s for s in samples if s.phase == phase]
    outage = [s for s in mine if not s.ok and _in_outage(s, outages)]
    errors = [s for s in mine if not s.ok and s not in outage]
    ok = [s.ms for s in mine if s.ok]
    return {
        "count": len(mine),
        "errors": len(errors),
        "errors_while_down": len(outage),
        "p50_ms": round(percentile(ok, 50), 1),
        "p95_ms": round(percentile(ok, 95), 1),
        "p99_ms": round(percentile(ok, 99), 1),
        "asks_per_s": round(len(ok) / seconds, 1) if seconds else 0.0,
        "first_errors": sorted({s.detail for s in errors})[:5],
    }


def verify(server: Server, outcome: Outcome, uploads: int) -> dict:
    """Every acknowledged upload listed and cited first for its own question."""
    with httpx.Client(base_url=server.url, timeout=60) as client:
        listed = {t["id"] for t in client.get("/transcripts").json()}
        health = client.get("/health").json()
        missing, misranked = [], []
        for n, tid in sorted(outcome.acknowledged.items()):
            if tid not in listed:
                missing.append(n)
                continue
            answers = client.post("/ask", json={"question": upload_question(n)}).json()["answers"]
            if not answers or answers[0]["citation"]["transcript_id"] != tid:
                misranked.append(n)
    return {
        "acknowledged": len(outcome.acknowledged),
        "expected": uploads,
        "missing": missing,
        "not_cited_first": misranked,
        "health": health,
        "in_step": health["vectors"] == health["chunks"],
    }


def prepare_data_dir(source: Path | None, work: Path) -> Path:
    target = work / "data"
    if source is not None:
        shutil.copytree(source, target)
        return target
    subprocess.run(
        [sys.executable, "-m", "rag.cli", "index", "build", "seeds", "--data-dir", str(target)],
        cwd=ROOT,
        check=True,
        capture_output=True,
    )
    return target


def table(results: dict) -> str:
    head = "| phase | count | errors | down | p50 ms | p95 ms | p99 ms | asks/s |"
    lines = [head, "|---|---:|---:|---:|---:|---:|---:|---:|"]
    for phase, r in results.items():
        lines.append(
            f"| {phase} | {r['count']} | {r['errors']} | {r['errors_while_down']} | "
            f"{r['p50_ms']} | {r['p95_ms']} | {r['p99_ms']} | {r['asks_per_s']} |"
        )
    return "\n".join(lines)


def find_failures(phases: dict, outcome: Outcome, checks: dict, uploads: int) -> list[str]:
    found = [f"{name}: {r['errors']} ask errors" for name, r in phases.items() if r["errors"]]
    found += outcome.write_errors
    if checks["acknowledged"] != uploads:
        found.append(f"only {checks['acknowledged']} of {uploads} uploads acknowledged")
    if checks["missing"]:
        found.append(f"acknowledged but missing: uploads {checks['missing']}")
    if checks["not_cited_first"]:
        found.append(f"not cited first for their question: uploads {checks['not_cited_first']}")
    if not checks["in_step"]:
        found.append(f"vectors and chunks out of step: {checks['health']}")
    return found


def run(args: argparse.Namespace) -> int:
    os.environ["HF_HUB_OFFLINE"] = "1"
    with tempfile.TemporaryDirectory(prefix="rag-load-") as tmp:
        work = Path(tmp)
        server = Server(prepare_data_dir(args.data_dir, work), work / "server.log")
        server.start()
        askers = Askers(server, args.askers)
        outcome = Outcome()
        try:
            askers.start()
            time.sleep(args.seconds)
            askers.phase = "phase 2"
            phase2_started = time.monotonic()
            writers = [
                threading.Thread(
                    target=upload_all,
                    args=(server, outcome, args.uploads, args.seconds * 0.7, args.kill_during_load),
                ),
                threading.Thread(
                    target=rebuild_when_half_uploaded,
                    args=(server, outcome, args.uploads, args.kill_during_load),
                ),
            ]
            if args.kill_during_load:
                writers.append(
                    threading.Thread(target=kill_once, args=(server, outcome, args.uploads))
                )
            for thread in writers:
                thread.start()
            time.sleep(args.seconds)
            for thread in writers:
                thread.join(timeout=600)
            phase2_seconds = time.monotonic() - phase2_started
            askers.stop()
            checks = verify(server, outcome, args.uploads)
        finally:
            askers.stop()
            server.stop()
    phases = {
        "phase 1 (asks only)": summarise(askers.samples, "phase 1", args.seconds, []),
        "phase 2 (asks + uploads + rebuild)": summarise(
            askers.samples, "phase 2", phase2_seconds, outcome.outages
        ),
    }
    failures = find_failures(phases, outcome, checks, args.uploads)
    report = {
        "machine": describe(),
        "args": {k: str(v) if isinstance(v, Path) else v for k, v in vars(args).items()},
        "phases": phases,
        "uploads": checks,
        "rebuilds": outcome.rebuilds,
        "outage_s": [round(up - down, 2) for down, up in outcome.outages],
        "killed": outcome.killed,
        "failures": failures,
    }
    print(table(phases))
    print(
        f"\nuploads acknowledged {checks['acknowledged']}/{args.uploads}, "
        f"missing {len(checks['missing'])}, not cited first {len(checks['not_cited_first'])}; "
        f"rebuilds {outcome.rebuilds}; outages {report['outage_s']} s {outcome.killed}"
    )
    print("PASS" if not failures else "FAIL:\n  " + "\n  ".join(failures))
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(report, indent=2, default=str))
    print(f"wrote {args.out}")
    return 0 if not failures else 1


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=60, help="Length of each phase.")
    parser.add_argument("--askers", type=int, default=16, help="Concurrent askers.")
    parser.add_argument("--uploads", type=int, default=50, help="Transcripts uploaded (max 50).")
    parser.add_argument(
        "--data-dir", type=Path, help="A data dir holding the seed index (copied, never written)."
    )
    parser.add_argument(
        "--kill-during-load", action="store_true", help="SIGKILL the server once in phase 2."
    )
    parser.add_argument("--out", type=Path, help="JSON results (default bench/results/load.json).")
    args = parser.parse_args()
    args.uploads = min(args.uploads, len(PRODUCTS))
    if args.out is None:
        name = "load-kill.json" if args.kill_during_load else "load.json"
        args.out = RESULTS / name
    sys.exit(run(args))


if __name__ == "__main__":
    main()
