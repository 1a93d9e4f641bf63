"""``python -m index_tts.stress.footprint``: first audio byte (streaming) and server memory.

For each mode (``ui`` = web UI + API, ``api`` = ``webui.py --api-only``) a fresh server is
started on 127.0.0.1, warmed up, and then measured:

- RSS right after warm-up, and after ``--requests`` short requests (the issue's footprint bar);
- time to the first audio byte of a streamed ``/synthesize`` (``"stream": true``, pcm) for a
  100-character paragraph and a 4,900-character text (and the time to the last byte of the
  paragraph; of the long text only with ``--full-long``);
- the load average before and after, since the machine may be shared.

Nothing here asserts a number: the report is printed as JSON (``--json`` also writes it).
"""
from __future__ import annotations

import argparse
import json
import logging
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx

from .checks import MB, PARAGRAPH, SHORT_TEXTS, long_text
from .server import ServerProcess

log = logging.getLogger("index_tts.stress.footprint")

MODES = {"ui": [], "api": ["--api-only"]}


def paragraph(chars: int = 100) -> str:
    return long_text(chars) if chars > len(PARAGRAPH) else PARAGRAPH[:chars]


def first_byte(url: str, text: str, *, fmt: str = "pcm", read_all: bool = True,
               timeout: float = 1800.0) -> dict[str, float]:
    """Seconds from sending a streamed request to its first audio byte and (``read_all``) to its
    last byte; without ``read_all`` the client hangs up after the first bytes (the server then
    stops at the next sentence), which keeps long-text runs short."""
    body = {"text": text, "stream": True, "format": fmt, "seed": 0}
    with httpx.Client(base_url=url, timeout=timeout) as c:
        c.get("/health")  # connection open: the timing below is the request, not the TCP set-up
        t0 = time.perf_counter()
        first = None
        size = 0
        with c.stream("POST", "/synthesize", json=body) as r:
            if r.status_code != 200:
                raise RuntimeError(f"/synthesize answered {r.status_code}: {r.read()[:200]!r}")
            for piece in r.iter_raw():
                if piece and first is None:
                    first = time.perf_counter() - t0
                size += len(piece)
                if first is not None and not read_all:
                    break
        total = time.perf_counter() - t0
    out = {"first_byte_s": round(first if first is not None else total, 3)}
    if read_all:
        out.update(total_s=round(total, 2), audio_s=round(size / 2 / 24000, 1))
    return out


def short_requests(url: str, n: int) -> float:
    """``n`` short whole-file requests, alternating the two audio routes; returns seconds."""
    t0 = time.perf_counter()
    with httpx.Client(base_url=url, timeout=600) as c:
        for i in range(n):
            text = SHORT_TEXTS[i % len(SHORT_TEXTS)]
            r = (c.post("/synthesize", json={"text": text}) if i % 2 == 0
                 else c.post("/v1/audio/speech", json={"input": text, "response_format": "wav"}))
            if r.status_code != 200:
                raise RuntimeError(f"short request {i} got {r.status_code}: {r.text[:200]}")
    return time.perf_counter() - t0


def _wait_idle(url: str, timeout: float = 600.0) -> None:
    """Until the engine has no job (a hung-up stream stops at its next sentence)."""
    deadline = time.monotonic() + timeout
    while httpx.get(url + "/health", timeout=30).json()["queue"] and time.monotonic() < deadline:
        time.sleep(0.1)


def measure_mode(mode: str, workdir: Path, *, threads: int, requests: int, repeats: int,
                 long_chars: int, full_long: bool = False) -> dict[str, Any]:
    server = ServerProcess(workdir / mode, threads=threads, extra=MODES[mode])
    t0 = time.perf_counter()
    server.start()
    try:
        server.wait_warm()
        start_s = time.perf_counter() - t0
        warm_rss, _ = server.rss()
        req_s = short_requests(server.url, requests)
        time.sleep(1.0)
        after_rss, peak = server.rss()
        latency: dict[str, Any] = {}
        for label, text, whole in (("100_chars", paragraph(100), True),
                                   (f"{long_chars}_chars", long_text(long_chars), full_long)):
            runs = []
            for _ in range(repeats):  # a hung-up stream finishes its sentence first: wait for it
                runs.append(first_byte(server.url, text, read_all=whole))
                _wait_idle(server.url)
            firsts = [r["first_byte_s"] for r in runs]
            latency[label] = {"first_byte_median_s": round(statistics.median(firsts), 3), "first_byte_s": firsts}
            if whole:
                latency[label].update(total_s=[r["total_s"] for r in runs], audio_s=runs[0]["audio_s"])
        end_rss, peak = server.rss()
        ui_status = httpx.get(server.url + "/", timeout=30).status_code
    finally:
        server.stop()
    return {"start_and_warm_s": round(start_s, 1), "rss_after_warmup_mb": round(warm_rss / MB),
            f"rss_after_{requests}_requests_mb": round(after_rss / MB), "requests_s": round(req_s, 1),
            "rss_after_latency_runs_mb": round(end_rss / MB), "peak_rss_mb": round(peak / MB),
            "GET /": ui_status, "streaming": latency}


def run(modes: list[str], *, threads: int = 2, requests: int = 20, repeats: int = 3, long_chars: int = 4900,
        full_long: bool = False, workdir: Path | None = None) -> dict[str, Any]:
    workdir = Path(workdir or tempfile.mkdtemp(prefix="index-tts-footprint-"))
    report: dict[str, Any] = {"settings": {"threads": threads, "requests": requests, "repeats": repeats,
                                           "long_chars": long_chars, "cpus": os.cpu_count()},
                              "loadavg_before": os.getloadavg()}
    for mode in modes:
        log.info("measuring mode %s ...", mode)
        report[mode] = measure_mode(mode, workdir, threads=threads, requests=requests, repeats=repeats,
                                    long_chars=long_chars, full_long=full_long)
    report["loadavg_after"] = os.getloadavg()
    return report


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m index_tts.stress.footprint", description=__doc__.splitlines()[0])
    p.add_argument("--modes", nargs="+", default=["ui", "api"], choices=list(MODES))
    p.add_argument("--threads", type=int, default=2, help="torch threads of the server (default 2)")
    p.add_argument("--requests", type=int, default=20, help="short requests before the RSS reading (default 20)")
    p.add_argument("--repeats", type=int, default=3, help="streamed requests per text length (default 3)")
    p.add_argument("--long-chars", type=int, default=4900, help="length of the long text (default 4900)")
    p.add_argument("--full-long", action="store_true",
                   help="read the long text's stream to the end (minutes) instead of hanging up after the first bytes")
    p.add_argument("--json", type=Path, default=None, help="also write the report here")
    args = p.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    logging.getLogger("httpx").setLevel(logging.WARNING)
    report = run(args.modes, threads=args.threads, requests=args.requests, repeats=args.repeats,
                 long_chars=args.long_chars, full_long=args.full_long)
    text = json.dumps(report, ensure_ascii=False, indent=2)
    sys.stdout.write(text + "\n")
    if args.json:
        args.json.write_text(text, encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
