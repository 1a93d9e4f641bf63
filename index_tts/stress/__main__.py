"""``python -m index_tts.stress [--quick]``: run the reliability checks against a fresh server.

Full run (the bars of the reliability issue): 1,200 fuzz requests, 32 concurrent clients,
three 4,900-character texts for memory, disconnect/tab-close cancellation, output privacy,
SIGKILL and SIGTERM mid-synthesis.  Prints one JSON report; exit code 1 on any failure.
"""
from __future__ import annotations

import argparse
import json
import logging
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from . import checks
from .server import ServerProcess

log = logging.getLogger("index_tts.stress")


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="python -m index_tts.stress", description=__doc__.splitlines()[0])
    p.add_argument("--quick", action="store_true", help="the short run (about a minute): 150 fuzz cases, "
                   "16 clients, no long-text memory check")
    p.add_argument("--fuzz", type=int, default=None, help="fuzz requests (full: 1200)")
    p.add_argument("--clients", type=int, default=None, help="concurrent clients (full: 32)")
    p.add_argument("--long-texts", type=int, default=None, help="long texts for the memory check (full: 3)")
    p.add_argument("--chars", type=int, default=4900, help="characters per long text (default 4900)")
    p.add_argument("--threads", type=int, default=1, help="torch threads of the server (default 1)")
    p.add_argument("--only", nargs="*", default=None,
                   choices=["memory", "fuzz", "load", "privacy", "cancel", "kill"], help="run only these checks")
    p.add_argument("--workdir", type=Path, default=None, help="server folder (default: a new temp folder)")
    p.add_argument("--json", type=Path, default=None, help="also write the report here")
    return p


def run(*, quick: bool = False, fuzz: int | None = None, clients: int | None = None,
        long_texts: int | None = None, chars: int = 4900, threads: int = 1, only: list[str] | None = None,
        workdir: Path | None = None) -> dict[str, Any]:
    fuzz = fuzz if fuzz is not None else (150 if quick else 1200)
    clients = clients if clients is not None else (16 if quick else 32)
    long_texts = long_texts if long_texts is not None else (0 if quick else 3)
    wanted = set(only or ["memory", "fuzz", "load", "privacy", "cancel", "kill"])
    if not long_texts:
        wanted.discard("memory")
    workdir = Path(workdir or tempfile.mkdtemp(prefix="index-tts-stress-"))
    report: dict[str, Any] = {"settings": {"quick": quick, "fuzz": fuzz, "clients": clients,
                                           "long_texts": long_texts, "chars": chars, "threads": threads}}
    server = ServerProcess(workdir, threads=threads)
    t0 = time.perf_counter()
    server.start()
    report["start_s"] = round(time.perf_counter() - t0, 1)
    try:
        steps = [
            ("memory", lambda: checks.memory(server, long_texts, chars)),
            ("fuzz", lambda: checks.fuzz(server.url, checks.sample_cases(fuzz))),
            ("load", lambda: checks.load(server.url, clients, per_client=1 if quick else 2)),
            ("privacy", lambda: checks.privacy(server)),
            ("cancel", lambda: checks.cancel(server)),
            ("kill", lambda: checks.kill_and_restart(server)),
        ]
        for name, step in steps:
            if name not in wanted:
                continue
            log.info("running the %s check ...", name)
            t1 = time.perf_counter()
            try:
                report[name] = step()
            except Exception as e:  # noqa: BLE001 - a check that crashes is a failure, keep going
                log.exception("the %s check crashed", name)
                report[name] = {"failures": [f"check crashed: {type(e).__name__}: {e}"]}
            report[name]["check_s"] = round(time.perf_counter() - t1, 1)
            log.info("%s: %d failure(s)", name, len(report[name]["failures"]))
    finally:
        server.stop()
    report["failures"] = sum(len(v["failures"]) for v in report.values() if isinstance(v, dict) and "failures" in v)
    report["total_s"] = round(time.perf_counter() - t0, 1)
    if report["failures"]:
        report["server_log_tail"] = server.log_tail(3000)
    return report


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    logging.getLogger("httpx").setLevel(logging.WARNING)
    report = run(quick=args.quick, fuzz=args.fuzz, clients=args.clients, long_texts=args.long_texts,
                 chars=args.chars, threads=args.threads, only=args.only, workdir=args.workdir)
    text = json.dumps(report, ensure_ascii=False, indent=2)
    sys.stdout.write(text + "\n")
    if args.json:
        args.json.write_text(text, encoding="utf-8")
    return 1 if report["failures"] else 0


if __name__ == "__main__":
    sys.exit(main())
