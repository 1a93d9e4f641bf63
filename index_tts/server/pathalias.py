"""Keep absolute server paths out of the web UI's traffic.

Gradio describes every file it hands to the page (results, uploads) by its absolute path
inside its temp folder, e.g. ``/home/me/IndexTTS/.run/tmp-4242/gradio/<sha256>/x.wav``,
both in the ``path`` field and in the ``/gradio_api/file=...`` URL.  That tells any user
where the app is installed and under which process id.  This middleware replaces the temp
folder with the alias ``@tmp`` in the UI's responses, and maps the alias back in the
requests the page sends (file URLs and JSON bodies that echo a file description).
"""
from __future__ import annotations

import json
import logging
import os
from pathlib import Path
from typing import Any

log = logging.getLogger(__name__)

ALIAS = "@tmp"
PREFIX = "/gradio_api/"
TEXT_TYPES = (b"application/json", b"text/event-stream")
MAX_REWRITE_BODY = 4 << 20  # request bodies larger than this (uploads) pass untouched


class PathAliasMiddleware:
    def __init__(self, app, root: str | os.PathLike) -> None:
        self.app = app
        root_s = str(Path(root).resolve())
        self.real = root_s.encode("utf-8")
        # the same folder as it appears inside JSON strings (escaped or not)
        self.real_json = json.dumps(root_s)[1:-1].encode("utf-8")
        self.alias = ALIAS.encode()

    def _to_real(self, data: bytes) -> bytes:
        return data.replace(b'"' + self.alias + b"/", b'"' + self.real_json + b"/")

    def _to_alias(self, data: bytes) -> bytes:
        data = data.replace(self.real_json + b"/", self.alias + b"/")
        return data.replace(self.real + b"/", self.alias + b"/")

    async def __call__(self, scope: dict[str, Any], receive, send) -> None:
        path = scope.get("path", "")
        if scope["type"] != "http" or not path.startswith(PREFIX):
            await self.app(scope, receive, send)
            return
        marker = PREFIX + "file=" + ALIAS + "/"
        if path.startswith(marker):
            real_path = PREFIX + "file=" + self.real.decode() + "/" + path[len(marker):]
            scope = dict(scope, path=real_path, raw_path=real_path.encode("utf-8"))
        if scope.get("method") == "POST" and not path.startswith(PREFIX + "upload"):
            receive, scope = await self._rewrite_request(scope, receive)

        rewrite = {"on": False}

        async def aliasing_send(message: dict[str, Any]) -> None:
            if message["type"] == "http.response.start":
                headers = message.get("headers", [])
                ctype = next((v for k, v in headers if k.lower() == b"content-type"), b"")
                rewrite["on"] = any(ctype.startswith(t) for t in TEXT_TYPES)
                if rewrite["on"]:  # the length changes: stream without Content-Length
                    message = dict(message, headers=[(k, v) for k, v in headers if k.lower() != b"content-length"])
            elif message["type"] == "http.response.body" and rewrite["on"]:
                message = dict(message, body=self._to_alias(message.get("body", b"")))
            await send(message)

        await self.app(scope, receive, aliasing_send)

    async def _rewrite_request(self, scope, receive):
        chunks, size, more = [], 0, True
        while more:
            message = await receive()
            if message["type"] != "http.request":
                return receive, scope
            chunks.append(message.get("body", b""))
            size += len(chunks[-1])
            more = message.get("more_body", False)
            if size > MAX_REWRITE_BODY:
                break
        body = b"".join(chunks)
        if not more and self.alias in body:
            body = self._to_real(body)
            headers = [(k, v) for k, v in scope.get("headers", []) if k.lower() != b"content-length"]
            scope = dict(scope, headers=headers + [(b"content-length", str(len(body)).encode())])
        sent = {"done": False}

        async def replay() -> dict[str, Any]:
            if not sent["done"]:
                sent["done"] = True
                return {"type": "http.request", "body": body, "more_body": more}
            return await receive()

        return replay, scope
