"""Start and stop a real ``webui.py`` on 127.0.0.1 for the reliability checks.

The server runs as a child process with its own output folder, pid file and port, so a
check can kill it (SIGKILL) mid-synthesis, read its resident memory from /proc, and
start it again.
"""
from __future__ import annotations

import logging
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx

from ..server.memory import rss_bytes

log = logging.getLogger(__name__)

ROOT = Path(__file__).resolve().parents[2]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class ServerProcess:
    """``python webui.py --host 127.0.0.1`` as a child process."""

    def __init__(self, workdir: Path, *, threads: int = 1, max_pending: int = 16, auth: str | None = None,
                 extra: list[str] | None = None) -> None:
        self.workdir = Path(workdir)
        self.output_dir = self.workdir / "outputs"
        self.pid_file = self.workdir / "app.pid"
        self.log_path = self.workdir / "server.log"
        self.threads, self.max_pending, self.auth = threads, max_pending, auth
        self.extra = list(extra or [])
        self.port = 0
        self.proc: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def pid(self) -> int:
        return self.proc.pid if self.proc else 0

    def start(self, timeout: float = 240.0) -> ServerProcess:
        self.workdir.mkdir(parents=True, exist_ok=True)
        self.port = free_port()
        cmd = [sys.executable, str(ROOT / "webui.py"), "--host", "127.0.0.1", "--port", str(self.port),
               "--device", "cpu", "--threads", str(self.threads), "--output-dir", str(self.output_dir),
               "--pid-file", str(self.pid_file), "--max-pending", str(self.max_pending),
               "--log-level", "warning", *self.extra]
        env = dict(os.environ, GRADIO_ANALYTICS_ENABLED="False", HF_HUB_OFFLINE="1",
                   OMP_NUM_THREADS=str(self.threads))
        env.pop("INDEX_TTS_AUTH", None)
        if self.auth:
            env["INDEX_TTS_AUTH"] = self.auth
        log_file = open(self.log_path, "ab")
        self.proc = subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=log_file, stderr=subprocess.STDOUT)
        log_file.close()
        self.wait_ready(timeout)
        return self

    def wait_ready(self, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc is None or self.proc.poll() is not None:
                raise RuntimeError(f"the server exited during start-up; log: {self.log_tail()}")
            try:
                if httpx.get(self.url + "/health", timeout=2).status_code == 200:
                    return
            except httpx.TransportError:
                pass
            time.sleep(0.3)
        raise RuntimeError(f"the server did not answer /health within {timeout:.0f} s")

    def wait_warm(self, timeout: float = 120.0) -> None:
        """Until the start-up warm-up synthesis has run (the engine queue is empty)."""
        deadline = time.monotonic() + timeout
        time.sleep(0.5)
        while time.monotonic() < deadline and httpx.get(self.url + "/health", timeout=5).json()["queue"]:
            time.sleep(0.3)

    def rss(self) -> tuple[int, int]:
        """(current, peak) resident memory of the server in bytes."""
        return rss_bytes(self.pid)

    def kill(self) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGKILL)
            self.proc.wait(30)

    def stop(self, timeout: float = 30.0) -> int | None:
        if self.proc is None:
            return None
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                self.kill()
        return self.proc.returncode

    def log_tail(self, n: int = 2000) -> str:
        try:
            return self.log_path.read_text(errors="replace")[-n:]
        except OSError:
            return ""

    def __enter__(self) -> ServerProcess:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()
