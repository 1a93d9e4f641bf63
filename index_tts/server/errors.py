"""The one place that turns exceptions into HTTP error responses.

Every error body has the shape ``{"error": {"message", "type", "code"}}``.  Messages are
made safe to encode whatever the input held (lone surrogates, control characters), and
long echoes of user input are shortened, so building the error can never fail itself.

``ErrorShieldMiddleware`` wraps the whole site (API and web UI): nothing escapes it as an
exception, so uvicorn never closes a keep-alive connection because of an error and a
request cut short by shutdown still gets JSON.
"""
from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from ..errors import IndexTTSError, InputError

log = logging.getLogger(__name__)

Scope = dict[str, Any]
Message = dict[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]

MAX_MESSAGE_CHARS = 400
RETRY_AFTER_S = 5


class ServerBusyError(RuntimeError):
    """Too many requests are already waiting for the engine (HTTP 503 + Retry-After)."""


class ShuttingDownError(ServerBusyError):
    """The server is stopping; the request was not (or not completely) served."""


class JobCancelled(Exception):
    """A synthesis stopped at a segment boundary because its client went away."""


class JobYielded(Exception):
    """A clone search gave the engine to the jobs waiting behind it after a finished round; the
    engine worker queues it again and it goes on from that round (its rounds are kept)."""


class APIError(Exception):
    """An error the API reports as is (status, message, type, code)."""

    def __init__(self, status: int, message: str, type_: str = "invalid_request_error", code: str | None = None,
                 headers: dict[str, str] | None = None):
        super().__init__(message)
        self.status, self.message, self.type, self.code = status, message, type_, code
        self.headers = dict(headers or {})


@dataclass
class ErrorInfo:
    status: int
    message: str
    type: str
    code: str | None = None
    headers: dict[str, str] = field(default_factory=dict)


def safe_text(value: Any, limit: int = MAX_MESSAGE_CHARS) -> str:
    """``str(value)`` that encodes as UTF-8 and stays short: lone surrogates and control
    characters become ``\\uXXXX`` escapes, anything past ``limit`` is cut with an ellipsis."""
    text = value if isinstance(value, str) else str(value)
    if len(text) > limit:
        text = text[:limit] + "…"
    out = []
    for ch in text:
        cp = ord(ch)
        if 0xD800 <= cp <= 0xDFFF or (cp < 0x20 and ch not in "\n\t") or 0x7F <= cp < 0xA0:
            out.append(f"\\u{cp:04x}")
        else:
            out.append(ch)
    return "".join(out)


def lone_surrogate_at(text: str) -> int:
    """Index of the first lone UTF-16 surrogate in ``text``, or -1."""
    for i, ch in enumerate(text):
        if 0xD800 <= ord(ch) <= 0xDFFF:
            return i
    return -1


def error_body(message: str, type_: str, code: str | None = None) -> bytes:
    err: dict[str, Any] = {"message": safe_text(message), "type": type_}
    if code:
        err["code"] = safe_text(code, 80)
    return json.dumps({"error": err}, ensure_ascii=False).encode("utf-8")


def _describe_validation(errors: list[dict[str, Any]]) -> str:
    parts = []
    for e in errors[:5]:
        if e.get("type") == "json_invalid":
            parts.append(f"the request body is not valid JSON ({e.get('ctx', {}).get('error', 'parse error')})")
            continue
        loc = ".".join(str(x) for x in e.get("loc", ()) if x != "body") or "body"
        parts.append(f"{loc}: {e.get('msg', 'invalid')}")
    if len(errors) > 5:
        parts.append(f"and {len(errors) - 5} more problems")
    return "; ".join(parts) or "invalid request"


def describe(exc: BaseException) -> ErrorInfo:
    """Map any exception to status, message, type and code (the single mapping table)."""
    from fastapi.exceptions import RequestValidationError
    from starlette.exceptions import HTTPException

    from ..frontend.errors import FrontendError

    if isinstance(exc, APIError):
        return ErrorInfo(exc.status, exc.message, exc.type, exc.code, exc.headers)
    if isinstance(exc, RequestValidationError):
        return ErrorInfo(422, _describe_validation(list(exc.errors())), "invalid_request_error", "validation_error")
    if isinstance(exc, (InputError, FrontendError)):
        return ErrorInfo(400, str(exc), "invalid_request_error", type(exc).__name__)
    if isinstance(exc, ShuttingDownError):
        return ErrorInfo(503, str(exc) or "the server is shutting down; try again shortly", "server_busy",
                         "shutting_down", {"Retry-After": str(RETRY_AFTER_S)})
    if isinstance(exc, ServerBusyError):
        return ErrorInfo(503, str(exc), "server_busy", "queue_full", {"Retry-After": str(RETRY_AFTER_S)})
    if isinstance(exc, JobCancelled):  # the client went away; nobody reads this answer
        log.info("request cancelled: %s", safe_text(exc))
        return ErrorInfo(503, "the request was cancelled", "server_busy", "cancelled")
    if isinstance(exc, asyncio.CancelledError):
        return ErrorInfo(503, "the server is shutting down; try again shortly", "server_busy", "shutting_down",
                         {"Retry-After": str(RETRY_AFTER_S)})
    if isinstance(exc, HTTPException):
        status = exc.status_code
        detail = exc.detail if isinstance(exc.detail, str) else json.dumps(exc.detail, default=str)
        code = {404: "not_found", 405: "method_not_allowed", 413: "body_too_large"}.get(status)
        return ErrorInfo(status, detail, "invalid_request_error" if status < 500 else "server_error", code,
                         dict(exc.headers or {}))
    if isinstance(exc, UnicodeError):  # text that cannot be encoded/decoded is the client's
        return ErrorInfo(400, f"the request contains text that is not valid Unicode ({exc.reason})",
                         "invalid_request_error", "invalid_unicode")
    if isinstance(exc, IndexTTSError):  # e.g. a model problem: not the client's fault
        log.error("engine error: %s", safe_text(exc))
        return ErrorInfo(500, str(exc), "server_error", type(exc).__name__)
    log.error("unexpected error while serving a request", exc_info=exc)
    return ErrorInfo(500, "internal server error (see the server log)", "server_error")


def error_response(exc: BaseException):
    """A JSONResponse for ``exc`` (used by FastAPI's exception handlers)."""
    from fastapi.responses import Response

    info = describe(exc)
    return Response(error_body(info.message, info.type, info.code), status_code=info.status,
                    media_type="application/json", headers=info.headers)


async def send_json_error(send: Send, status: int, body: bytes, headers: list | None = None) -> None:
    hdrs = [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]
    await send({"type": "http.response.start", "status": status, "headers": hdrs + (headers or [])})
    await send({"type": "http.response.body", "body": body})


def install_handlers(app) -> None:
    """Route every exception FastAPI sees through :func:`describe`."""
    from fastapi.exceptions import RequestValidationError
    from starlette.exceptions import HTTPException

    from ..frontend.errors import FrontendError

    async def handler(_request, exc):
        return error_response(exc)

    for exc_type in (APIError, RequestValidationError, InputError, FrontendError, ServerBusyError,
                     HTTPException, UnicodeError, IndexTTSError):
        app.add_exception_handler(exc_type, handler)


class ErrorShieldMiddleware:
    """Outermost wrapper: exceptions become JSON responses and never reach uvicorn.

    - Rewrites the mounted UI's plain ``{"detail": ...}`` 404/405 answers into the API's
      error shape.
    - Holds back a 500 until the app has finished: the mounted UI's own error handler sends a
      plain-text 500 and then re-raises, so the exception reaches this middleware and is
      mapped here instead (a malformed request to the UI's protocol is the client's error).
    - An exception after the response started (a stream) ends that response cleanly
      instead of leaving it cut off, so the connection survives.
    - A request cut short by shutdown gets a JSON 503.
    """

    REWRITE = (404, 405)

    def __init__(self, app, ui_prefix: str = "/gradio_api/") -> None:
        self.app = app
        self.ui_prefix = ui_prefix

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path = scope.get("path", "")
        state: dict[str, Any] = {"started": False, "complete": False, "held": []}

        async def forward(message: Message) -> None:
            if message["type"] == "http.response.start":
                state["started"] = True
            elif message["type"] == "http.response.body" and not message.get("more_body"):
                state["complete"] = True
            await send(message)

        async def guarded_send(message: Message) -> None:
            held = state["held"]
            if message["type"] == "http.response.start" and not state["started"]:
                status = message["status"]
                if status == 500 or (status in self.REWRITE and not path.startswith(self.ui_prefix)):
                    held.append(message)  # wait for the body (and, for a 500, for the app's end)
                    return
            elif held and message["type"] == "http.response.body":
                held.append(message)
                if message.get("more_body") or held[0]["status"] == 500:
                    return
                start, state["held"] = held[0], []
                body = b"".join(m.get("body", b"") for m in held[1:])
                rewritten = _rewrite_detail(start["status"], body)
                if rewritten is not None:
                    extra = [(k, v) for k, v in start.get("headers", []) if k.lower() == b"allow"]
                    state["started"] = state["complete"] = True
                    await send_json_error(send, start["status"], rewritten, extra)
                    return
                for m in [start, *held[1:]]:
                    await forward(m)
                return
            await forward(message)

        try:
            await self.app(scope, receive, guarded_send)
        except BaseException as exc:  # noqa: BLE001 - the point of this middleware
            if isinstance(exc, (KeyboardInterrupt, SystemExit)):
                raise
            await self._after_error(exc, path, state, send)
            return
        if state["held"]:  # a 500 the app produced itself, after catching an error
            info = describe_ui(None) if path.startswith(self.ui_prefix) else ErrorInfo(
                500, "internal server error (see the server log)", "server_error")
            await send_json_error(send, info.status, error_body(info.message, info.type, info.code))

    async def _after_error(self, exc: BaseException, path: str, state: dict[str, Any], send: Send) -> None:
        try:
            if state["started"]:  # too late for an error answer; a stream cut by shutdown is normal
                level = logging.DEBUG if isinstance(exc, asyncio.CancelledError) else logging.WARNING
                log.log(level, "error after the response started (%s): %r", path, exc)
                if not state["complete"]:
                    await send({"type": "http.response.body", "body": b"", "more_body": False})
                return
            info = describe_ui(exc) if path.startswith(self.ui_prefix) else describe(exc)
            headers = [(k.lower().encode(), v.encode()) for k, v in info.headers.items()]
            await send_json_error(send, info.status, error_body(info.message, info.type, info.code), headers)
        except Exception as e:  # noqa: BLE001 - the client is gone
            log.debug("could not send the error response: %s", e)


def describe_ui(exc: BaseException | None) -> ErrorInfo:
    """Like :func:`describe`, for the web page's own protocol routes (``/gradio_api/``).

    Errors there come from reading the page's request: a lookup or type error (an unknown
    ``fn_index``, too few inputs), or text that cannot be encoded, possibly wrapped in the
    UI framework's own RuntimeError.  Those are the request's fault: 400.  ``exc=None`` is a
    500 the UI framework answered itself after catching such an error.
    """
    chain, e = [], exc
    while e is not None and len(chain) < 10:
        chain.append(e)
        e = e.__cause__ or e.__context__
    if exc is None or any(isinstance(c, (LookupError, TypeError, ValueError)) for c in chain):
        log.info("malformed web UI request: %r", exc)
        unicode = any(isinstance(c, UnicodeError) for c in chain)
        return ErrorInfo(400, "the web page sent a request the server cannot use"
                              f"{' (invalid Unicode)' if unicode else ''}; reload the page",
                         "invalid_request_error", "invalid_unicode" if unicode else "invalid_ui_request")
    return describe(exc)


def _rewrite_detail(status: int, body: bytes) -> bytes | None:
    try:
        data = json.loads(body)
    except ValueError:
        data = None
    if isinstance(data, dict) and "error" in data:
        return None
    detail = data.get("detail") if isinstance(data, dict) else None
    if status == 404:
        msg = "no such route; the API has GET /health, GET /voices, POST /synthesize, POST /v1/audio/speech"
        if isinstance(detail, str) and detail not in ("Not Found", ""):
            msg = detail
        return error_body(msg, "invalid_request_error", "not_found")
    return error_body(f"method not allowed{': ' + detail if isinstance(detail, str) else ''}",
                      "invalid_request_error", "method_not_allowed")
