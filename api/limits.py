"""A cap on the whole request body, enforced before any of it is read.

Multipart uploads are spooled to disk by the form parser before a route sees them,
so the per-file limit alone cannot stop a huge request from filling the disk. This
middleware answers 413 from the Content-Length header alone, and counts the bytes
of a body sent without one (chunked) so it cannot get past either.
"""

from __future__ import annotations

from fastapi import HTTPException
from starlette.datastructures import Headers
from starlette.responses import JSONResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from api.schemas import ErrorOut

BODY_REFUSED: dict[int | str, dict] = {
    400: {"model": ErrorOut, "description": "The body could not be parsed (e.g. not UTF-8)."},
    413: {"model": ErrorOut, "description": "The body is larger than `max_request_mb`."},
}


class BodyTooLargeError(HTTPException):
    """Raised from ``receive`` when a body without a length outgrows the cap."""


class BodyLimitMiddleware:
    def __init__(self, app: ASGIApp, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

    def _too_large(self) -> str:
        return f"the request body is larger than the {self.max_bytes / 2**20:g} MB limit"

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        length = Headers(scope=scope).get("content-length")
        if length is not None:
            if not length.isdigit() or int(length) > self.max_bytes:
                status = 413 if length.isdigit() else 400
                detail = self._too_large() if status == 413 else "invalid Content-Length"
                await JSONResponse({"detail": detail}, status_code=status)(scope, receive, send)
                return
            await self.app(scope, receive, send)
            return
        received = 0

        async def counting_receive() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.max_bytes:
                    raise BodyTooLargeError(413, self._too_large())
            return message

        await self.app(scope, counting_receive, send)
