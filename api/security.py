"""Who may call what: bearer keys as route dependencies, and where `rag serve` may listen.

Keys live in settings (``RAG_API_KEY`` for writes, ``RAG_READ_KEY`` for reads), so the
routes hold no auth logic. With no key at all the service is open, and then it must
only listen on the loopback interface.
"""

from __future__ import annotations

import hmac
import ipaddress
from typing import Annotated

from fastapi import Depends, HTTPException, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from pydantic import SecretStr

from api.schemas import ErrorOut
from rag.settings import Settings

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})

bearer = HTTPBearer(
    auto_error=False,
    description="`Authorization: Bearer <key>`; needed only when the server sets a key.",
)

UNAUTHORIZED: dict[int | str, dict] = {
    401: {"model": ErrorOut, "description": "A key is required and was not given."}
}


class InsecureBindError(ValueError):
    """`rag serve` was asked to listen beyond this machine with no key set."""


def _secret(value: SecretStr | None) -> bytes | None:
    """The key's bytes, or None when it is unset or empty (an empty key guards nothing)."""
    return value.get_secret_value().encode() if value and value.get_secret_value() else None


def write_keys(settings: Settings) -> list[bytes]:
    """Keys that allow writes: the API key, else the read key; none means writes are open."""
    key = _secret(settings.api_key) or _secret(settings.read_key)
    return [key] if key else []


def read_keys(settings: Settings) -> list[bytes]:
    """Keys that allow reads: the read key or the API key; none when no read key is set."""
    if _secret(settings.read_key) is None:
        return []
    return [k for k in (_secret(settings.read_key), _secret(settings.api_key)) if k]


def _check(keys: list[bytes], credentials: HTTPAuthorizationCredentials | None) -> None:
    if not keys:
        return
    if credentials is None:
        raise HTTPException(401, "an API key is required", headers={"WWW-Authenticate": "Bearer"})
    given = credentials.credentials.encode()
    matches = [hmac.compare_digest(given, key) for key in keys]
    if not any(matches):
        raise HTTPException(401, "the API key is not valid", headers={"WWW-Authenticate": "Bearer"})


Credentials = Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)]


def _settings(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


# The checks below are async only so that FastAPI runs them on the event loop: they
# never wait, and a plain ``def`` dependency costs every request a worker-thread hop.


async def require_read(request: Request, credentials: Credentials) -> None:
    """Reads: open unless ``RAG_READ_KEY`` is set; then the read key or the API key."""
    _check(read_keys(_settings(request)), credentials)


async def require_write(request: Request, credentials: Credentials) -> None:
    """Writes: the API key when one is set."""
    _check(write_keys(_settings(request)), credentials)


async def require_for_method(request: Request, credentials: Credentials) -> None:
    """A resource's reads (GET) need read access, its changes (POST, DELETE) write access."""
    _check(
        read_keys(_settings(request))
        if request.method in SAFE_METHODS
        else write_keys(_settings(request)),
        credentials,
    )


def is_loopback(host: str) -> bool:
    if host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def check_bind(host: str, settings: Settings) -> None:
    """Refuse to listen beyond this machine while every route is open to anyone."""
    if is_loopback(host) or write_keys(settings):
        return
    raise InsecureBindError(
        f"refusing to listen on {host} with no API key: anyone who can reach it could "
        "read, upload and delete transcripts. Set RAG_API_KEY (and RAG_READ_KEY to guard "
        "reads), or listen on 127.0.0.1."
    )


def open_access_notice(host: str, settings: Settings) -> str | None:
    """The one line `rag serve` prints when it serves without any key."""
    if write_keys(settings):
        return None
    return f"no RAG_API_KEY set: serving without keys on {host}, reachable from this machine only"
