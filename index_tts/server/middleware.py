"""Pure ASGI middlewares: HTTP Basic auth for the whole site and a request body cap.

They wrap the FastAPI app *and* the mounted Gradio UI, so one setting protects both.
Both answer with the API's JSON error shape ``{"error": {"message", "type"}}``.
"""
from __future__ import annotations

import base64
import binascii
import logging
import secrets
from collections.abc import Awaitable, Callable
from typing import Any

from .errors import error_body, send_json_error

log = logging.getLogger(__name__)

Scope = dict[str, Any]
Receive = Callable[[], Awaitable[dict[str, Any]]]
Send = Callable[[dict[str, Any]], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]


def parse_auth(value: str | None) -> tuple[str, str] | None:
    """``"user:password"`` -> ``("user", "password")``; None/"" -> None."""
    if not value:
        return None
    user, sep, password = value.partition(":")
    if not sep or not user or not password:
        raise ValueError("auth must look like user:password (both non-empty)")
    return user, password


class BasicAuthMiddleware:
    """Require HTTP Basic credentials on every path except ``open_paths``."""

    def __init__(self, app: ASGIApp, credentials: tuple[str, str], open_paths=("/health",)) -> None:
        self.app = app
        self.user = credentials[0].encode("utf-8")
        self.password = credentials[1].encode("utf-8")
        self.open_paths = frozenset(open_paths)

    def _ok(self, scope: Scope) -> bool:
        for name, value in scope.get("headers") or []:
            if name == b"authorization":
                scheme, _, token = value.partition(b" ")
                if scheme.lower() != b"basic":
                    return False
                try:
                    raw = base64.b64decode(token.strip(), validate=True)
                except (binascii.Error, ValueError):
                    return False
                user, _, password = raw.partition(b":")
                # evaluate both comparisons: no early exit leaking which part was wrong
                u = secrets.compare_digest(user, self.user)
                p = secrets.compare_digest(password, self.password)
                return u and p
        return False

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] not in ("http", "websocket") or scope.get("path") in self.open_paths:
            await self.app(scope, receive, send)
            return
        if self._ok(scope):
            await self.app(scope, receive, send)
            return
        if scope["type"] == "websocket":
            await send({"type": "websocket.close", "code": 1008})
            return
        body = error_body("authentication required (HTTP Basic)", "authentication_error")
        await send_json_error(send, 401, body, [(b"www-authenticate", b'Basic realm="IndexTTS"')])


class BodySizeLimitMiddleware:
    """Refuse request bodies larger than ``max_bytes`` with 413, declared or chunked.

    A body without Content-Length (chunked) is read here first, up to the limit, and
    replayed to the app; the app never sees a half-read body.  Past the limit the rest is
    read and thrown away (up to ``drain_bytes``) before answering, so the client, still
    sending, reads a 413 instead of a connection reset.  ``prefix_limits`` gives other
    limits for path prefixes (e.g. the UI's file uploads).
    """

    def __init__(self, app: ASGIApp, max_bytes: int, prefix_limits: dict[str, int] | None = None,
                 drain_bytes: int = 64 << 20) -> None:
        self.app = app
        self.max_bytes = max_bytes
        self.prefix_limits = dict(prefix_limits or {})
        self.drain_bytes = drain_bytes

    def _limit(self, path: str) -> int:
        for prefix, limit in self.prefix_limits.items():
            if path.startswith(prefix):
                return limit
        return self.max_bytes

    async def _refuse(self, receive: Receive, send: Send, max_bytes: int, seen: int, more: bool) -> None:
        while more and seen <= self.drain_bytes:
            message = await receive()
            if message["type"] != "http.request":
                return  # the client is gone
            seen += len(message.get("body", b""))
            more = message.get("more_body", False)
        msg = f"request body is larger than the limit of {max_bytes} bytes"
        await send_json_error(send, 413, error_body(msg, "invalid_request_error", "body_too_large"))

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        max_bytes = self._limit(scope.get("path", ""))
        declared = None
        for name, value in scope.get("headers") or []:
            if name == b"content-length":
                try:
                    declared = int(value)
                except ValueError:
                    declared = None
        if declared is not None and declared > max_bytes:
            await self._refuse(receive, send, max_bytes, 0, True)
            return
        if declared is None and scope.get("method") in ("POST", "PUT", "PATCH"):
            chunks, size, more = [], 0, True
            while more:
                message = await receive()
                if message["type"] != "http.request":
                    return  # disconnected before the body arrived
                chunks.append(message.get("body", b""))
                size += len(chunks[-1])
                more = message.get("more_body", False)
                if size > max_bytes:
                    await self._refuse(receive, send, max_bytes, size, more)
                    return
            body = b"".join(chunks)
            replayed = False

            async def replay() -> dict[str, Any]:
                nonlocal replayed
                if not replayed:
                    replayed = True
                    return {"type": "http.request", "body": body, "more_body": False}
                return await receive()

            await self.app(scope, replay, send)
            return
        await self.app(scope, receive, send)
