"""The real ``start_app.sh``: healthy server, restart replaces the old one, busy port, clean Ctrl+C."""
from __future__ import annotations

import os
import signal
import socket
import subprocess
import time
import urllib.request
from pathlib import Path

import pytest
from conftest import free_port

from index_tts.server.runctl import alive, cmdline

ROOT = Path(__file__).resolve().parent.parent
SCRIPT = ROOT / "start_app.sh"


def run_script(*args: str, timeout: float = 60) -> subprocess.CompletedProcess:
    return subprocess.run(["bash", str(SCRIPT), *args], check=False, cwd=ROOT, capture_output=True, text=True,
                          timeout=timeout)


def test_help_and_bad_arguments():
    r = run_script("--help")
    assert r.returncode == 0 and "--port" in r.stdout and "--auth" in r.stdout
    r = run_script("--port", "abc")
    assert r.returncode == 2 and "--port must be a number" in r.stderr
    r = run_script("--frobnicate")
    assert r.returncode == 2 and "unknown option: --frobnicate" in r.stderr
    r = run_script("--auth", "nopassword")
    assert r.returncode == 2 and "user:password" in r.stderr


def test_busy_port_is_reported(tmp_path):
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        s.listen(1)
        port = s.getsockname()[1]
        env = {**os.environ, "INDEX_TTS_PID_FILE": str(tmp_path / "app.pid")}
        r = subprocess.run(["bash", str(SCRIPT), "--host", "127.0.0.1", "--port", str(port)], check=False, cwd=ROOT,
                           capture_output=True, text=True, timeout=60, env=env)
    assert r.returncode == 3, r.stderr
    assert f"port {port}" in r.stderr and "already in use" in r.stderr
    assert f"pid {os.getpid()}" in r.stderr  # names the program holding it
    assert not (tmp_path / "app.pid").exists()


def _health(port: int) -> bool:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/health", timeout=2) as r:
            return r.status == 200
    except OSError:
        return False


def _start(port: int, pid_file: Path, log: Path) -> subprocess.Popen:
    env = {**os.environ, "INDEX_TTS_PID_FILE": str(pid_file)}
    env.pop("INDEX_TTS_AUTH", None)
    with open(log, "ab") as fh:
        return subprocess.Popen(["bash", str(SCRIPT), "--host", "127.0.0.1", "--port", str(port), "--cpu"],
                                cwd=ROOT, env=env, stdout=fh, stderr=subprocess.STDOUT, start_new_session=True)


def _wait_healthy(proc: subprocess.Popen, port: int, log: Path, timeout: float = 240) -> float:
    t0 = time.monotonic()
    while time.monotonic() - t0 < timeout:
        if proc.poll() is not None:
            pytest.fail(f"start_app.sh exited with {proc.returncode}:\n{log.read_text()[-3000:]}")
        if _health(port):
            return time.monotonic() - t0
        time.sleep(0.25)
    pytest.fail(f"no /health after {timeout} s:\n{log.read_text()[-3000:]}")


@pytest.mark.slow
def test_start_restart_and_sigint(tmp_path):
    port = free_port()
    pid_file, log = tmp_path / "app.pid", tmp_path / "app.log"
    first = _start(port, pid_file, log)
    procs = [first]
    try:
        _wait_healthy(first, port, log)
        pid1 = int(pid_file.read_text())
        assert pid1 == first.pid  # exec: the server is the script's own process
        assert str(ROOT / "webui.py") in cmdline(pid1)

        second = _start(port, pid_file, log)
        procs.append(second)
        assert first.wait(timeout=60) == 0  # the old instance was stopped cleanly
        _wait_healthy(second, port, log)
        pid2 = int(pid_file.read_text())
        assert pid2 == second.pid != pid1 and not alive(pid1)
        tmp_dir = ROOT / ".run" / f"tmp-{pid2}"
        assert tmp_dir.is_dir()

        os.kill(pid2, signal.SIGINT)  # what Ctrl+C sends
        assert second.wait(timeout=60) == 0, log.read_text()[-2000:]
        assert not alive(pid2) and not pid_file.exists() and not tmp_dir.exists()
        assert not _health(port)
    finally:
        for p in procs:
            if p.poll() is None:
                os.killpg(p.pid, signal.SIGKILL)
                p.wait()
