"""A minimal client of the web UI's own protocol (what the browser page does).

Reads ``/config``, clicks Generate through ``/gradio_api/queue/join`` and reads the
result from the ``/gradio_api/queue/data`` event stream.  Used to check the UI's privacy
(no server paths, outputs not servable) and kill-safety without a browser.
"""
from __future__ import annotations

import json
import secrets
import socket
from dataclasses import dataclass
from typing import Any

import httpx


@dataclass
class UIResult:
    session: str
    ok: bool
    output: list[Any]
    raw: str  # every event-stream line, joined
    error: str | None = None

    @property
    def audio_url(self) -> str | None:
        """URL of the result player's file (the saved wav, once complete)."""
        first = self.output[0] if self.output else None
        return first.get("url") if isinstance(first, dict) else None

    @property
    def saved_url(self) -> str | None:
        """URL of the saved wav (the newest entry of the Downloads list)."""
        files = self.output[4] if len(self.output) > 4 else None
        first = files[0] if isinstance(files, list) and files else None
        return first.get("url") if isinstance(first, dict) else None

    @property
    def status(self) -> str:
        return self.output[1] if len(self.output) > 1 and isinstance(self.output[1], str) else ""


class UIClient:
    def __init__(self, base_url: str, timeout: float = 600.0, auth: tuple[str, str] | None = None) -> None:
        self.http = httpx.Client(base_url=base_url, timeout=timeout, auth=auth)
        cfg = self.http.get("/config").json()
        self.components = {c["id"]: c for c in cfg["components"]}
        self.dep = next(d for d in cfg["dependencies"] if d.get("api_name") == "_generate")

    def close(self) -> None:
        self.http.close()

    def _inputs(self, text: str, **by_elem: Any) -> list[Any]:
        data = []
        for cid in self.dep["inputs"]:
            props = self.components[cid].get("props", {})
            data.append(by_elem.get(props.get("elem_id"), props.get("value")))
        data[0] = text
        return data

    def join(self, text: str, session: str | None = None, **by_elem: Any) -> str:
        """Click Generate; returns the session hash (the request is now queued)."""
        session = session or secrets.token_hex(8)
        body = {"data": self._inputs(text, **by_elem), "fn_index": self.dep["id"], "event_data": None,
                "trigger_id": self.dep["targets"][0][0], "session_hash": session}
        r = self.http.post("/gradio_api/queue/join", json=body)
        r.raise_for_status()
        return session

    def result(self, session: str) -> UIResult:
        lines = []
        with self.http.stream("GET", "/gradio_api/queue/data", params={"session_hash": session}) as s:
            for line in s.iter_lines():
                lines.append(line)
                if not line.startswith("data:"):
                    continue
                msg = json.loads(line[5:])
                if msg.get("msg") == "process_completed":
                    out = (msg.get("output") or {})
                    return UIResult(session, bool(msg.get("success")), out.get("data") or [], "\n".join(lines),
                                    out.get("error"))
        return UIResult(session, False, [], "\n".join(lines), "stream ended")

    def generate(self, text: str, **by_elem: Any) -> UIResult:
        return self.result(self.join(text, **by_elem))

    def open_tab(self, session: str | None = None) -> Tab:
        """Hold the page's heartbeat stream open, as an open browser tab does."""
        return Tab(self.http, session or secrets.token_hex(8))


class Tab:
    """An open page: its heartbeat stream stays connected until :meth:`close` (tab closed)."""

    def __init__(self, http: httpx.Client, session: str) -> None:
        self.session = session
        url = http.base_url
        self._sock = socket.create_connection((url.host, url.port or 80), timeout=10)
        auth = http.headers.get("authorization")
        request = (f"GET /gradio_api/heartbeat/{session} HTTP/1.1\r\nHost: {url.host}\r\n"
                   + (f"Authorization: {auth}\r\n" if auth else "") + "\r\n")
        self._sock.sendall(request.encode())
        self._sock.recv(1024)  # the response has started: the server knows this tab

    def close(self) -> None:
        self._sock.close()
