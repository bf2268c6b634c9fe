"""A request body limit enforced before anything reads the body (413).

Content-Length above the limit is refused before the app runs; a body without one
(chunked) is counted as it streams and refused the moment it passes the limit, so
neither authentication nor JSON parsing ever sees an oversized body. The limit is
MAX_BODY_BYTES, or a larger one for the paths that need it (the events batch).
"""

from __future__ import annotations

from collections.abc import Mapping

from fastapi import HTTPException
from starlette.responses import JSONResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send


def too_large(limit: int) -> str:
    return f"the request body is too large: at most {limit} bytes are accepted here"


class BodyLimitMiddleware:
    """Refuse bodies larger than `default` bytes (or `per_path[path]`) with 413."""

    def __init__(self, app: ASGIApp, *, default: int, per_path: Mapping[str, int]) -> None:
        self.app = app
        self.default = default
        self.per_path = dict(per_path)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit = self.per_path.get(scope["path"].rstrip("/") or "/", self.default)
        declared = _content_length(scope)
        if declared is None:
            reply = JSONResponse({"detail": "Content-Length is not a number"}, status_code=400)
            await reply(scope, receive, send)
            return
        if declared > limit:
            await JSONResponse({"detail": too_large(limit)}, status_code=413)(scope, receive, send)
            return
        received = 0

        async def counted() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    # FastAPI re-raises its own HTTPException from body parsing: a 413, not 400.
                    raise HTTPException(413, too_large(limit))
            return message

        await self.app(scope, counted, send)


def _content_length(scope: Scope) -> int | None:
    """The declared length (0 when absent), None when it is not a number."""
    for name, value in scope.get("headers", ()):
        if name == b"content-length":
            try:
                length = int(value)
            except ValueError:
                return None
            return length if length >= 0 else None
    return 0
