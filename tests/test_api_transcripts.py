"""Uploads, deletes and rebuilds over HTTP against a real uvicorn on 127.0.0.1."""

import shutil
import time
from pathlib import Path

import httpx

from tests.conftest import DATA, Server, SmallDisk, start_server
from tests.factories import call_transcript, executives_call, minutes_transcript

SAMPLES = DATA / "samples"

PNG = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x10" + bytes(range(256)) * 4


def _state(server: Server) -> tuple[list[dict], dict]:
    return httpx.get(server.url + "/transcripts").json(), httpx.get(server.url + "/health").json()


def _upload(server: Server, *files: tuple[str, bytes], **data: str) -> httpx.Response:
    return httpx.post(
        server.url + "/transcripts",
        files=[("files", (name, content)) for name, content in files],
        data=data,
        timeout=120,
    )


def test_upload_is_searchable_and_never_duplicated(writable_server: Server) -> None:
    r = _upload(writable_server, ("zorblax.txt", minutes_transcript(5).encode()))
    assert r.status_code == 201, r.text
    [stored] = r.json()["transcripts"]
    assert stored["created"] and stored["name"] == "zorblax.txt" and stored["chunks"] == 3
    answer = httpx.post(
        writable_server.url + "/ask",
        json={"question": "How much kelp did greenhouse unit 5 harvest?"},
        timeout=30,
    ).json()["answers"][0]
    assert answer["citation"]["transcript_id"] == stored["id"]
    again = _upload(writable_server, ("copy.txt", minutes_transcript(5).encode()))
    assert again.status_code == 200
    assert again.json()["transcripts"][0]["id"] == stored["id"]
    assert not again.json()["transcripts"][0]["created"]
    assert len(httpx.get(writable_server.url + "/transcripts").json()) == 2


def test_an_answer_names_its_speakers_roles(writable_server: Server) -> None:
    assert _upload(writable_server, ("plant.txt", executives_call().encode())).status_code == 201
    answers = httpx.post(
        writable_server.url + "/ask",
        json={"question": "How much will the Brno plant cost?", "top_k": 3},
        timeout=30,
    ).json()["answers"]
    first = answers[0]["citation"]
    assert first["speaker"] == "Maria Lopez"
    assert first["roles"] == ["Chief Financial Officer"]
    assert all(a["citation"]["roles"] == [] for a in answers if a["citation"]["speaker"] is None)


def test_bad_files_get_4xx_naming_the_file_and_store_nothing(writable_server: Server) -> None:
    before = _state(writable_server)
    cases = [
        (("empty.txt", b""), 422, "empty"),
        (("blank.txt", b"  \n\n "), 422, "no text"),
        (("picture.txt", PNG), 415, "binary"),
        (("bad-utf8.txt", b"ok \xff\xfe\xfa\xfb broken" * 3 + b"\x81"), 415, "neither"),
        (("cues.srt", b"1\nnot a timestamp\nhello there\n"), 422, "SRT"),
        (("no-header.vtt", b"00:00:01.000 --> 00:00:02.000\nhello\n"), 422, "WEBVTT"),
        (("shape.json", b'{"segments": 5}'), 422, "segments"),
        (("cut.json", b'[{"speaker": "A", "text": "hi", "start": 0'), 422, "JSON"),
    ]
    for (name, content), status, words in cases:
        r = _upload(writable_server, (name, content))
        assert r.status_code == status, (name, r.text)
        body = r.json()
        assert name in body["detail"] and words in body["detail"]
        assert body["errors"][0]["status"] == status
    unknown = _upload(writable_server, ("a.txt", b"hello"), format="nope")
    assert unknown.status_code == 422 and "unknown format" in unknown.json()["detail"]
    assert _state(writable_server) == before


def test_batch_stores_the_good_and_reports_the_bad(writable_server: Server) -> None:
    r = _upload(
        writable_server,
        ("good-6.txt", minutes_transcript(6).encode()),
        ("bad.txt", PNG),
        ("good-7.txt", minutes_transcript(7).encode("utf-16")),
    )
    assert r.status_code == 201
    body = r.json()
    assert [t["name"] for t in body["transcripts"]] == ["good-6.txt", "good-7.txt"]
    assert [(e["name"], e["status"]) for e in body["errors"]] == [("bad.txt", 415)]
    listed, health = _state(writable_server)
    assert len(listed) == 3 == health["transcripts"] and health["vectors"] == health["chunks"]


def test_file_names_never_become_paths(writable_server: Server) -> None:
    r = _upload(
        writable_server,
        ("../../etc/evil.txt", minutes_transcript(8).encode()),
        ("..\\..\\windows\\evil2.txt", minutes_transcript(9).encode()),
    )
    assert r.status_code == 201
    assert [t["name"] for t in r.json()["transcripts"]] == ["evil.txt", "evil2.txt"]


def test_upload_over_the_size_limit_is_413(seed_data_dir: Path, tmp_path: Path) -> None:
    import shutil

    shutil.copytree(seed_data_dir, tmp_path / "data")
    server = start_server(tmp_path / "data", env={"RAG_MAX_UPLOAD_MB": "0.001"})
    try:
        r = _upload(server, ("big.txt", minutes_transcript(9).encode() * 3))
        assert r.status_code == 413 and "big.txt" in r.json()["detail"]
        assert len(httpx.get(server.url + "/transcripts").json()) == 1
    finally:
        server.stop()


def test_delete_removes_transcript_and_vectors(writable_server: Server) -> None:
    tid = _upload(writable_server, ("z.txt", minutes_transcript(10).encode())).json()[
        "transcripts"
    ][0]["id"]
    assert httpx.delete(f"{writable_server.url}/transcripts/{tid}").status_code == 204
    assert httpx.delete(f"{writable_server.url}/transcripts/{tid}").status_code == 404
    listed, health = _state(writable_server)
    assert tid not in [t["id"] for t in listed]
    assert health["vectors"] == health["chunks"]


def test_rebuild_runs_in_the_background_while_questions_are_answered(
    writable_server: Server,
) -> None:
    url = writable_server.url
    question = {"question": "What is the capital expenditure plan?"}
    before = httpx.post(url + "/ask", json=question, timeout=30).json()["answers"]
    started = httpx.post(url + "/index/rebuild", timeout=30)
    assert started.status_code == 202
    job = started.json()
    deadline = time.monotonic() + 120
    while job["state"] not in ("done", "failed") and time.monotonic() < deadline:
        assert httpx.post(url + "/ask", json=question, timeout=30).status_code == 200
        job = httpx.get(f"{url}/index/jobs/{job['id']}", timeout=30).json()
    assert job["state"] == "done", job
    assert job["done"] == job["total"] > 0
    after = httpx.post(url + "/ask", json=question, timeout=30).json()["answers"]
    assert [a["citation"] for a in after] == [a["citation"] for a in before]
    assert httpx.get(url + "/index/jobs/unknown").status_code == 404


def test_three_formats_in_one_upload_then_a_question_only_one_answers(
    writable_server: Server,
) -> None:
    names = ["earnings-call.txt", "design-review.vtt", "support-call-utterances.json"]
    files = [(name, (SAMPLES / name).read_bytes()) for name in names]
    r = _upload(writable_server, *files)
    assert r.status_code == 201, r.text
    stored = {t["name"]: t for t in r.json()["transcripts"]}
    assert [stored[n]["format"] for n in names] == ["text", "vtt", "json"]
    answers = httpx.post(
        writable_server.url + "/ask",
        json={"question": "What does error code E-417 mean on the smart meters?"},
        timeout=30,
    ).json()["answers"]
    first = answers[0]["citation"]
    assert first["transcript_id"] == stored["support-call-utterances.json"]["id"]
    assert first["start_time"] is not None and first["end_time"] >= first["start_time"]
    text = httpx.get(f"{writable_server.url}/transcripts/{first['transcript_id']}").json()["text"]
    assert text[first["start"] : first["end"]] == answers[0]["text"]
    again = _upload(writable_server, *files)
    assert again.status_code == 200
    assert {t["id"] for t in again.json()["transcripts"]} == {t["id"] for t in stored.values()}
    assert len(httpx.get(writable_server.url + "/transcripts").json()) == 4


def test_upload_to_a_full_disk_is_507_and_loses_nothing(
    seed_data_dir: Path, small_disk: SmallDisk
) -> None:
    shutil.copytree(seed_data_dir, small_disk.path / "data")
    server = start_server(small_disk.path / "data")
    try:
        before = _state(server)
        small_disk.fill()
        r = _upload(server, ("call.txt", call_transcript(2).encode()))
        assert r.status_code == 507, r.text
        assert "call.txt was not stored" in r.json()["detail"]
        assert r.json()["errors"][0]["status"] == 507
        assert _state(server) == before
        small_disk.free()
        assert _upload(server, ("call.txt", call_transcript(2).encode())).status_code == 201
        transcripts, health = _state(server)
        assert len(transcripts) == len(before[0]) + 1
        assert health["vectors"] == health["chunks"] > before[1]["chunks"]
    finally:
        server.stop()
