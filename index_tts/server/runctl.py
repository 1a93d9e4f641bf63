"""Process control for the app server: pid file, stale-instance stop, port checks.

Standard library only, so ``start_app.sh`` can run it before the venv exists::

    python3 -m index_tts.server.runctl stop-previous --pid-file .run/app.pid --script webui.py
    python3 -m index_tts.server.runctl check-port --host 0.0.0.0 --port 7860

A pid is only ever signalled when its command line runs *our* ``webui.py`` (absolute
path), so a recycled pid or another program is never killed.
"""
from __future__ import annotations

import argparse
import errno
import logging
import os
import signal
import socket
import sys
import time
from pathlib import Path

log = logging.getLogger(__name__)


def read_pid(pid_file: Path) -> int | None:
    try:
        return int(Path(pid_file).read_text().split()[0])
    except (OSError, ValueError, IndexError):
        return None


def write_pid(pid_file: Path, pid: int | None = None) -> None:
    pid_file = Path(pid_file)
    pid_file.parent.mkdir(parents=True, exist_ok=True)
    tmp = pid_file.with_suffix(".tmp")
    tmp.write_text(f"{pid or os.getpid()}\n")
    tmp.replace(pid_file)


def remove_pid(pid_file: Path, pid: int | None = None) -> None:
    """Remove the pid file if it still names ``pid`` (default: this process)."""
    if read_pid(pid_file) == (pid or os.getpid()):
        try:
            Path(pid_file).unlink()
        except FileNotFoundError:
            pass


def cmdline(pid: int) -> list[str]:
    try:
        raw = Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return []
    return [a.decode("utf-8", "replace") for a in raw.split(b"\0") if a]


def alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    # a zombie still "exists" for kill(0); treat it as gone
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
        return state != "Z"
    except (OSError, IndexError):
        return True


def is_our_app(pid: int, script: Path) -> bool:
    """True when ``pid`` runs ``script`` (compared as resolved absolute paths)."""
    target = str(Path(script).resolve())
    for arg in cmdline(pid)[1:]:
        try:
            if str(Path(arg).resolve()) == target:
                return True
        except (OSError, RuntimeError):
            continue
    return False


def stop_previous(pid_file: Path, script: Path, timeout_s: float = 15.0) -> int | None:
    """Stop the instance named in ``pid_file`` if it is ours; returns its pid, or None.

    A stale pid file (dead process, or a pid now used by another program) is removed.
    """
    pid_file = Path(pid_file)
    pid = read_pid(pid_file)
    if pid is None:
        if pid_file.exists():
            pid_file.unlink()
        return None
    if pid == os.getpid() or not alive(pid) or not is_our_app(pid, script):
        log.info("removing stale pid file %s (pid %s is not a running IndexTTS app)", pid_file, pid)
        pid_file.unlink(missing_ok=True)
        return None
    log.info("stopping the previous IndexTTS app (pid %d)", pid)
    os.kill(pid, signal.SIGTERM)
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline and alive(pid):
        time.sleep(0.1)
    if alive(pid) and is_our_app(pid, script):
        log.warning("pid %d did not stop after SIGTERM; sending SIGKILL", pid)
        os.kill(pid, signal.SIGKILL)
        while alive(pid):
            time.sleep(0.05)
    pid_file.unlink(missing_ok=True)
    return pid


def port_in_use(host: str, port: int) -> bool:
    """True when ``host:port`` cannot be bound (same SO_REUSEADDR semantics as uvicorn)."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as s:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            s.bind((host, port))
        except OSError as e:
            if e.errno in (errno.EADDRINUSE, errno.EACCES):
                return True
            raise
    return False


def _listening_inodes(port: int) -> set[str]:
    inodes = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        try:
            lines = Path(table).read_text().splitlines()[1:]
        except OSError:
            continue
        for line in lines:
            cols = line.split()
            if len(cols) > 9 and cols[3] == "0A" and int(cols[1].rsplit(":", 1)[1], 16) == port:
                inodes.add(cols[9])
    return inodes


def port_owner(port: int) -> str | None:
    """``"pid 123: python -m http.server"`` for the process listening on ``port`` (best effort)."""
    inodes = _listening_inodes(port)
    if not inodes:
        return None
    wanted = {f"socket:[{i}]" for i in inodes}
    for proc in Path("/proc").iterdir():
        if not proc.name.isdigit():
            continue
        try:
            for fd in (proc / "fd").iterdir():
                if os.readlink(fd) in wanted:
                    cmd = " ".join(cmdline(int(proc.name)))[:120]
                    return f"pid {proc.name}: {cmd}"
        except OSError:
            continue
    return None


def port_busy_message(host: str, port: int) -> str:
    owner = port_owner(port)
    who = f" by another program ({owner})" if owner else " by another program"
    return (f"ERROR: port {port} on {host} is already in use{who}.\n"
            f"       Stop that program, or start on another port: bash start_app.sh --port {port + 1}")


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m index_tts.server.runctl", description=__doc__.split("\n")[0])
    sub = p.add_subparsers(dest="cmd", required=True)
    sp = sub.add_parser("stop-previous", help="stop the app named in the pid file (if it is ours)")
    sp.add_argument("--pid-file", type=Path, required=True)
    sp.add_argument("--script", type=Path, required=True)
    cp = sub.add_parser("check-port", help="exit 3 with a clear message when the port is taken")
    cp.add_argument("--host", default="0.0.0.0")
    cp.add_argument("--port", type=int, required=True)
    args = p.parse_args(argv)
    if args.cmd == "stop-previous":
        pid = stop_previous(args.pid_file, args.script)
        if pid:
            print(f"Stopped the previous IndexTTS app (pid {pid}).")
        return 0
    if port_in_use(args.host, args.port):
        print(port_busy_message(args.host, args.port), file=sys.stderr)
        return 3
    return 0


if __name__ == "__main__":
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    sys.exit(main())
