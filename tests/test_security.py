"""Access keys, bind refusal, security headers and request limits, against real uvicorn."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

import httpx
import pytest
from pydantic import SecretStr

from api.headers import CONTENT_SECURITY_POLICY
from api.security import InsecureBindError, check_bind, open_access_notice
from rag.settings import Settings
from tests.conftest import ROOT, Server, free_port, start_server
from tests.factories import minutes_transcript

API_KEY = "write-key-0123456789"
READ_KEY = "read-key-0123456789"
ORIGIN = "https://notebook.example"
BRIEF_POLICY = [
    "default-src 'self'",
    "script-src 'self'",
    "style-src 'self'",
    "img-src 'self' data:",
    "object-src 'none'",
    "base-uri 'none'",
    "frame-ancestors 'none'",
]


def _copy(seed_data_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    target = tmp_path_factory.mktemp("security") / "data"
    shutil.copytree(seed_data_dir, target)
    return target


@pytest.fixture(scope="module")
def keyed(seed_data_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """Both keys set; no CORS origins."""
    env = {"RAG_API_KEY": API_KEY, "RAG_READ_KEY": READ_KEY}
    server = start_server(_copy(seed_data_dir, tmp_path_factory), env=env)
    yield server
    server.stop()


@pytest.fixture(scope="module")
def limited(seed_data_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """Only the API key (reads open), one CORS origin and small limits."""
    env = {
        "RAG_API_KEY": API_KEY,
        "RAG_CORS_ORIGINS": ORIGIN,
        "RAG_MAX_REQUEST_MB": "0.5",
        "RAG_MAX_UPLOAD_FILES": "2",
        "RAG_MAX_TRANSCRIPT_CHARS": "2000",
    }
    server = start_server(_copy(seed_data_dir, tmp_path_factory), env=env)
    yield server
    server.stop()


def _auth(key: str | None) -> dict[str, str]:
    return {"Authorization": f"Bearer {key}"} if key else {}


def _upload(server: Server, key: str | None, *files: tuple[str, bytes]) -> httpx.Response:
    return httpx.post(
        server.url + "/transcripts",
        files=[("files", f) for f in files],
        headers=_auth(key),
        timeout=120,
    )


def _assert_401(response: httpx.Response) -> None:
    assert response.status_code == 401, response.text
    assert response.headers["www-authenticate"] == "Bearer"
    assert response.json()["detail"]


def _names(server: Server) -> list[str]:
    r = httpx.get(server.url + "/transcripts", headers=_auth(READ_KEY), timeout=30)
    return [t["name"] for t in r.json()]


# ---------- writes need the API key ----------


def test_upload_needs_the_api_key(keyed: Server) -> None:
    body = ("sec-1.txt", minutes_transcript(301).encode())
    for key in (None, "wrong", READ_KEY, API_KEY[:-1]):
        _assert_401(_upload(keyed, key, body))
    assert "sec-1.txt" not in _names(keyed)
    assert _upload(keyed, API_KEY, body).status_code == 201
    assert "sec-1.txt" in _names(keyed)


def test_delete_needs_the_api_key(keyed: Server) -> None:
    r = _upload(keyed, API_KEY, ("sec-2.txt", minutes_transcript(302).encode()))
    url = f"{keyed.url}/transcripts/{r.json()['transcripts'][0]['id']}"
    for key in (None, "wrong", READ_KEY):
        _assert_401(httpx.delete(url, headers=_auth(key)))
    assert "sec-2.txt" in _names(keyed)
    assert httpx.delete(url, headers=_auth(API_KEY)).status_code == 204
    assert "sec-2.txt" not in _names(keyed)


def test_rebuild_needs_the_api_key(keyed: Server) -> None:
    url = keyed.url + "/index/rebuild"
    for key in (None, "wrong", READ_KEY):
        _assert_401(httpx.post(url, headers=_auth(key), timeout=30))
    started = httpx.post(url, headers=_auth(API_KEY), timeout=30)
    assert started.status_code == 202
    job = started.json()
    deadline = time.monotonic() + 120
    while job["state"] not in ("done", "failed") and time.monotonic() < deadline:
        time.sleep(0.2)
        job = httpx.get(
            f"{keyed.url}/index/jobs/{job['id']}", headers=_auth(READ_KEY), timeout=30
        ).json()
    assert job["state"] == "done", job


# ---------- reads need the read key (or the API key) when one is set ----------

READS = [
    ("POST", "/ask", {"question": "What is the capital expenditure plan?"}, 200),
    ("GET", "/transcripts", None, 200),
    ("GET", "/transcripts/1", None, 200),
    ("GET", "/index/jobs/unknown", None, 404),
]


@pytest.mark.parametrize(("method", "path", "body", "status"), READS)
def test_reads_need_the_read_key(
    keyed: Server, method: str, path: str, body: dict | None, status: int
) -> None:
    def call(key: str | None) -> httpx.Response:
        return httpx.request(method, keyed.url + path, json=body, headers=_auth(key), timeout=30)

    for key in (None, "wrong", READ_KEY + "x"):
        _assert_401(call(key))
    assert call(READ_KEY).status_code == status
    assert call(API_KEY).status_code == status


def test_reads_are_open_when_only_the_api_key_is_set(limited: Server) -> None:
    assert httpx.get(limited.url + "/transcripts").status_code == 200
    question = {"question": "What is the capital expenditure plan?"}
    assert httpx.post(limited.url + "/ask", json=question, timeout=30).status_code == 200
    _assert_401(httpx.post(limited.url + "/index/rebuild"))


def test_page_static_and_health_load_without_a_key(keyed: Server) -> None:
    page = httpx.get(keyed.url + "/")
    assert page.status_code == 200 and "text/html" in page.headers["content-type"]
    for asset in ("/static/app.js", "/static/style.css"):
        assert httpx.get(keyed.url + asset).status_code == 200
    health = httpx.get(keyed.url + "/health")
    assert health.status_code == 200 and health.json()["status"] == "ok"
    assert "name" not in health.text


# ---------- where `rag serve` may listen ----------


def test_check_bind_refuses_a_public_address_without_a_key() -> None:
    open_settings = Settings(api_key=None, read_key=None)
    for host in ("127.0.0.1", "127.0.0.2", "::1", "[::1]", "localhost"):
        check_bind(host, open_settings)
    for host in ("0.0.0.0", "::", "192.168.1.20", "example.org"):
        with pytest.raises(InsecureBindError, match="RAG_API_KEY"):
            check_bind(host, open_settings)
    with pytest.raises(InsecureBindError):
        check_bind("0.0.0.0", Settings(api_key=SecretStr(""), read_key=None))
    check_bind("0.0.0.0", Settings(api_key=SecretStr(API_KEY)))
    assert open_access_notice("127.0.0.1", open_settings)
    assert open_access_notice("127.0.0.1", Settings(api_key=SecretStr(API_KEY))) is None


def test_serve_on_a_public_address_without_a_key_exits_with_a_message(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if k not in ("RAG_API_KEY", "RAG_READ_KEY")}
    started = time.monotonic()
    done = subprocess.run(
        [sys.executable, "-m", "rag.cli", "serve", "--host", "0.0.0.0", "--port", str(free_port())]
        + ["--data-dir", str(tmp_path / "data")],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode != 0
    message = " ".join(done.stderr.split())
    assert "refusing to listen on 0.0.0.0 with no API key" in message
    assert "RAG_API_KEY" in message
    assert time.monotonic() - started < 30


# ---------- headers ----------


def test_security_headers_on_every_response(keyed: Server) -> None:
    page = httpx.get(keyed.url + "/")
    policy = page.headers["content-security-policy"]
    assert policy == CONTENT_SECURITY_POLICY
    assert all(directive in policy for directive in BRIEF_POLICY)
    responses = [
        page,
        httpx.get(keyed.url + "/static/app.js"),
        httpx.get(keyed.url + "/health"),
        httpx.get(keyed.url + "/transcripts"),
        httpx.get(keyed.url + "/transcripts/999", headers=_auth(READ_KEY)),
        httpx.post(keyed.url + "/ask", json={}, headers=_auth(READ_KEY)),
        httpx.get(keyed.url + "/openapi.json"),
    ]
    for r in responses:
        assert r.headers["x-content-type-options"] == "nosniff", r.url
        assert r.headers["referrer-policy"] == "no-referrer", r.url
        assert r.headers.get_list("content-security-policy") == [CONTENT_SECURITY_POLICY]


def test_no_cors_unless_origins_are_configured(keyed: Server, limited: Server) -> None:
    origin = {"Origin": ORIGIN}
    assert (
        "access-control-allow-origin"
        not in httpx.get(keyed.url + "/health", headers=origin).headers
    )
    allowed = httpx.get(limited.url + "/transcripts", headers=origin)
    assert allowed.headers["access-control-allow-origin"] == ORIGIN
    other = httpx.get(limited.url + "/transcripts", headers={"Origin": "https://evil.example"})
    assert "access-control-allow-origin" not in other.headers
    preflight = httpx.options(
        limited.url + "/transcripts",
        headers={
            **origin,
            "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "authorization",
        },
    )
    assert preflight.status_code == 200
    assert preflight.headers["access-control-allow-origin"] == ORIGIN


# ---------- limits ----------


def test_oversize_body_is_refused_by_content_length_before_it_is_sent(limited: Server) -> None:
    """Only headers go out: the 413 must come back without the server waiting for a body."""
    parts = urlsplit(limited.url)
    head = (
        "POST /transcripts HTTP/1.1\r\n"
        f"Host: {parts.netloc}\r\n"
        f"Authorization: Bearer {API_KEY}\r\n"
        "Content-Type: multipart/form-data; boundary=xyz\r\n"
        f"Content-Length: {10 * 2**30}\r\n\r\n"
    )
    with socket.create_connection((parts.hostname, parts.port), timeout=10) as sock:
        sock.sendall(head.encode())
        reply = b""
        while b"}" not in reply and (data := sock.recv(65536)):
            reply += data
    text = reply.decode(errors="replace")
    assert text.startswith("HTTP/1.1 413"), text
    assert "0.5 MB limit" in text and "nosniff" in text


def test_oversize_body_without_a_length_is_cut_off(limited: Server) -> None:
    def chunks() -> Iterator[bytes]:
        yield b'--xyz\r\nContent-Disposition: form-data; name="files"; filename="big.txt"\r\n\r\n'
        for _ in range(8):
            yield b"x" * 100_000

    r = httpx.post(
        limited.url + "/transcripts",
        content=chunks(),
        headers={**_auth(API_KEY), "Content-Type": "multipart/form-data; boundary=xyz"},
        timeout=30,
    )
    assert r.status_code == 413 and "limit" in r.json()["detail"]


def test_too_many_files_is_413(limited: Server) -> None:
    files = [(f"many-{n}.txt", minutes_transcript(400 + n).encode()) for n in range(3)]
    r = _upload(limited, API_KEY, *files)
    assert r.status_code == 413 and "at most 2 files" in r.json()["detail"]
    assert not any(n.startswith("many-") for n in _names(limited))


def test_transcript_too_long_in_characters_is_413_naming_the_file(limited: Server) -> None:
    long_text = "Speaker A: " + "长" * 2100  # 2,111 characters, but only 0.006 MB
    r = _upload(limited, API_KEY, ("too-long.txt", long_text.encode()))
    assert r.status_code == 413, r.text
    assert "too-long.txt" in r.json()["detail"] and "2,000 character" in r.json()["detail"]
    mixed = _upload(
        limited,
        API_KEY,
        ("too-long-2.txt", long_text.encode() + b"!"),
        ("fits.txt", minutes_transcript(410).encode()),
    )
    assert mixed.status_code == 201
    body = mixed.json()
    assert [t["name"] for t in body["transcripts"]] == ["fits.txt"]
    assert [(e["name"], e["status"]) for e in body["errors"]] == [("too-long-2.txt", 413)]
    assert "too-long-2.txt" not in _names(limited)


@pytest.mark.parametrize(
    "body",
    [{"question": "ok", "top_k": 51}, {"question": "x" * 2001}, {"question": ""}],
)
def test_question_and_top_k_limits_are_422(keyed: Server, body: dict) -> None:
    r = httpx.post(keyed.url + "/ask", json=body, headers=_auth(READ_KEY), timeout=30)
    assert r.status_code == 422, r.text


def test_the_limits_are_documented_in_the_schema(keyed: Server) -> None:
    schema = httpx.get(keyed.url + "/openapi.json").json()
    ask = schema["components"]["schemas"]["AskRequest"]["properties"]
    assert ask["question"]["maxLength"] == 2000 and ask["top_k"]["maximum"] == 50
    assert "401" in schema["paths"]["/transcripts"]["post"]["responses"]
    assert schema["components"]["securitySchemes"]["HTTPBearer"]["scheme"] == "bearer"
