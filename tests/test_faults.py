"""SIGKILL a real server during uploads and rebuilds; nothing acknowledged may be lost.

Each kill point is a delay after the write request is sent. After each kill the
server restarts on the same data dir and must hold every acknowledged upload,
searchable, with vectors and metadata in step and the seed answers unchanged.
"""

from __future__ import annotations

import os
import shutil
import signal
import threading
import time
from pathlib import Path

import httpx
import pytest

from tests.conftest import Server, start_server
from tests.factories import minutes_transcript

KILL_DELAYS = [0.0, 0.01, 0.03, 0.06, 0.1, 0.15, 0.25, 0.4]
SEED_QUESTIONS = ["What is the capital expenditure plan?", "What did they say about an AI bubble?"]


def _seed_answers(server: Server) -> list[list[tuple[int, int]]]:
    out = []
    for q in SEED_QUESTIONS:
        answers = httpx.post(
            server.url + "/ask", json={"question": q, "top_k": 10}, timeout=30
        ).json()["answers"]
        seed = [a["citation"] for a in answers if a["citation"]["transcript_id"] == 1]
        out.append([(c["start"], c["end"]) for c in seed[:3]])
    return out


def _kill_after(server: Server, delay: float, request) -> dict:
    """Send ``request`` in a thread, SIGKILL the server ``delay`` s later; report the reply."""
    outcome: dict = {}

    def send() -> None:
        try:
            outcome["response"] = request()
        except httpx.HTTPError as exc:
            outcome["error"] = exc

    thread = threading.Thread(target=send)
    thread.start()
    time.sleep(delay)
    os.kill(server.process.pid, signal.SIGKILL)
    server.process.wait(timeout=30)
    thread.join(timeout=30)
    return outcome


def _check_consistent(server: Server, acknowledged: dict[int, int], baseline) -> None:
    listed = {t["id"] for t in httpx.get(server.url + "/transcripts").json()}
    health = httpx.get(server.url + "/health").json()
    assert health["vectors"] == health["chunks"], health
    for tid, n in acknowledged.items():
        assert tid in listed, f"acknowledged upload {tid} was lost"
        answers = httpx.post(
            server.url + "/ask",
            json={"question": f"How much kelp did greenhouse unit {n} harvest?"},
            timeout=30,
        ).json()["answers"]
        assert answers[0]["citation"]["transcript_id"] == tid
    assert _seed_answers(server) == baseline


@pytest.fixture
def data_dir(seed_data_dir: Path, tmp_path: Path) -> Path:
    shutil.copytree(seed_data_dir, tmp_path / "data")
    return tmp_path / "data"


def test_sigkill_during_uploads_loses_nothing_acknowledged(data_dir: Path) -> None:
    server = start_server(data_dir)
    baseline = _seed_answers(server)
    acknowledged: dict[int, int] = {}
    try:
        for point, delay in enumerate(KILL_DELAYS, start=100):
            body = minutes_transcript(point).encode()
            outcome = _kill_after(
                server,
                delay,
                lambda url=server.url, body=body, point=point: httpx.post(
                    url + "/transcripts", files=[("files", (f"z{point}.txt", body))], timeout=60
                ),
            )
            response = outcome.get("response")
            if response is not None and response.status_code == 201:
                acknowledged[response.json()["transcripts"][0]["id"]] = point
            server = start_server(data_dir)
            _check_consistent(server, acknowledged, baseline)
    finally:
        server.stop()


def test_sigkill_during_rebuilds_keeps_a_consistent_index(data_dir: Path) -> None:
    server = start_server(data_dir)
    acknowledged: dict[int, int] = {}
    try:
        for n in range(1, 13):
            r = httpx.post(
                server.url + "/transcripts",
                files=[("files", (f"z{n}.txt", minutes_transcript(n).encode()))],
                timeout=60,
            )
            acknowledged[r.json()["transcripts"][0]["id"]] = n
        baseline = _seed_answers(server)
        for delay in KILL_DELAYS:
            _kill_after(
                server,
                delay,
                lambda url=server.url: httpx.post(url + "/index/rebuild", timeout=60),
            )
            server = start_server(data_dir)
            _check_consistent(server, acknowledged, baseline)
    finally:
        server.stop()
