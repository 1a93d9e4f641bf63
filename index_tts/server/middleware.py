"""Pure ASGI middlewares: HTTP Basic auth for the whole site and a request body cap.

They wrap the FastAPI app *and* the mounted Gradio UI, so one setting protects both.
Both answer with the API's JSON error shape ``{"error": {"message", "type"}}``.
"""
from __future__ import annotations

import base64
import binascii
import json
import logging
import secrets
from collections.abc import Awaitable, Callable
from typing import Any

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


def error_body(message: str, type_: str, code: str | None = None) -> bytes:
    err: dict[str, Any] = {"message": message, "type": type_}
    if code:
        err["code"] = code
    return json.dumps({"error": err}, ensure_ascii=False).encode("utf-8")


async def send_json_error(send: Send, status: int, body: bytes, headers: list | None = None) -> None:
    hdrs = [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]
    await send({"type": "http.response.start", "status": status, "headers": hdrs + (headers or [])})
    await send({"type": "http.response.body", "body": body})


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
    """Refuse request bodies larger than ``max_bytes`` with 413 (declared or streamed).

    ``prefix_limits`` gives other limits for path prefixes (e.g. the UI's file uploads).
    """

    def __init__(self, app: ASGIApp, max_bytes: int, prefix_limits: dict[str, int] | None = None) -> None:
        self.app = app
        self.max_bytes = max_bytes
        self.prefix_limits = dict(prefix_limits or {})

    def _limit(self, path: str) -> int:
        for prefix, limit in self.prefix_limits.items():
            if path.startswith(prefix):
                return limit
        return self.max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        max_bytes = self._limit(scope.get("path", ""))
        msg = f"request body is larger than the limit of {max_bytes} bytes"
        for name, value in scope.get("headers") or []:
            if name == b"content-length":
                try:
                    declared = int(value)
                except ValueError:
                    declared = 0
                if declared > max_bytes:
                    await send_json_error(send, 413, error_body(msg, "invalid_request_error", "body_too_large"))
                    return
        received = 0
        started = False

        async def guarded_receive() -> dict[str, Any]:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > max_bytes:
                    raise _BodyTooLarge()
            return message

        async def tracking_send(message: dict[str, Any]) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, guarded_receive, tracking_send)
        except _BodyTooLarge:
            if not started:
                await send_json_error(send, 413, error_body(msg, "invalid_request_error", "body_too_large"))


class _BodyTooLarge(Exception):
    pass
