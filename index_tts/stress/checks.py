"""The reliability checks, each against a running server; each returns a report dict.

Every report has ``failures`` (a list of short strings; empty = passed) plus the numbers
measured.  Nothing here asserts timing: speeds and memory are reported, and only the
bars of the checks themselves (no 5xx, no resets, no lost request, no leftover file,
memory within its bounds) become failures.
"""
from __future__ import annotations

import json
import logging
import os
import random
import threading
import time
from collections import Counter
from pathlib import Path
from typing import Any

import httpx

from .cases import Case, generate
from .server import ROOT, ServerProcess
from .uiclient import UIClient

log = logging.getLogger(__name__)

MB = 1 << 20
API_AUDIO = ("/synthesize", "/v1/audio/speech")
SHORT_TEXTS = ["你好。", "今天天气很好。", "谢谢你的帮助。", "我们明天见。", "请稍等一下。", "欢迎使用。"]
PARAGRAPH = ("今天是二零二四年六月一日，气温二十五摄氏度，我们一起去公园散步。公园里有很多人，有的在跑步，有的在下棋，"
             "还有小朋友在放风筝。春天来了，花儿都开了，空气里满是青草的香味。我去图书馆还书，还借了两本新书。")


def long_text(chars: int) -> str:
    return (PARAGRAPH * (chars // len(PARAGRAPH) + 1))[:chars]


def _is_error_shape(body: bytes) -> bool:
    try:
        err = json.loads(body)["error"]
        return isinstance(err["message"], str) and isinstance(err["type"], str)
    except (ValueError, KeyError, TypeError):
        return False


def sample_cases(n: int, seed: int = 0) -> list[Case]:
    """``n`` cases covering every family (the short run), or all generated cases for n ≥ 1000."""
    cases = generate(max(n, 1000), seed)
    if n >= 1000:  # a full run: every systematic case (about 1,270) plus random ones up to n
        return cases
    by_kind: dict[str, list[Case]] = {}
    for c in cases:
        by_kind.setdefault(c.kind, []).append(c)
    rng = random.Random(seed)
    picked = [rng.choice(group) for group in by_kind.values()]
    rest = [c for c in cases if c not in picked]
    picked += rng.sample(rest, max(0, n - len(picked)))
    return picked[:max(n, len(by_kind))]


def fuzz(url: str, cases: list[Case], *, health_every: int = 50, timeout: float = 300.0) -> dict[str, Any]:
    """Send every case on one keep-alive connection; count 5xx, resets and shape errors."""
    statuses: Counter = Counter()
    failures: list[str] = []
    resets = server_errors = health_bad = bad_shape = 0
    t0 = time.perf_counter()
    client = httpx.Client(base_url=url, timeout=timeout)
    try:
        for i, case in enumerate(cases):
            try:
                r = client.request(case.method, case.path, content=case.body, headers=case.headers)
            except httpx.TransportError as e:
                resets += 1
                failures.append(f"reset on {case.kind} {case.method} {case.path}: {type(e).__name__}")
                client.close()
                client = httpx.Client(base_url=url, timeout=timeout)
                continue
            statuses[r.status_code] += 1
            if not r.headers.get("content-type", "").startswith("audio/") and str(ROOT).encode() in r.content:
                failures.append(f"a server path is in the answer to {case.kind} {case.method} {case.path}")
            if r.status_code >= 500 and not (r.status_code == 503 and r.headers.get("retry-after")):
                server_errors += 1
                failures.append(f"{r.status_code} on {case.kind} {case.method} {case.path}: {r.text[:120]!r}")
            elif r.status_code >= 400 and case.method != "HEAD" and not case.path.startswith("/gradio_api/"):
                if not _is_error_shape(r.content):
                    bad_shape += 1
                    failures.append(f"not the error shape on {case.kind} {case.path}: {r.text[:80]!r}")
            elif r.status_code == 200 and case.path in API_AUDIO and r.content[:4] not in (b"RIFF", b"fLaC"):
                if not r.headers.get("content-type", "").startswith("audio/"):
                    failures.append(f"200 without audio on {case.kind}")
            if (i + 1) % health_every == 0 and client.get("/health").status_code != 200:
                health_bad += 1
                failures.append(f"/health failed after {i + 1} requests")
    finally:
        client.close()
    chunked = _chunked_oversize(url)
    if chunked != 413:
        failures.append(f"a 12 MB chunked body got {chunked}, expected 413")
    return {"requests": len(cases) + 1, "status_counts": dict(sorted(statuses.items())), "5xx": server_errors,
            "resets": resets, "health_failures": health_bad, "bad_error_shape": bad_shape,
            "chunked_12mb_status": chunked, "seconds": round(time.perf_counter() - t0, 1), "failures": failures}


def _chunked_oversize(url: str) -> int | str:
    def body():
        for _ in range(12):
            yield b" " * MB
    try:
        with httpx.Client(base_url=url, timeout=60) as c:  # an iterator body goes out chunked
            return c.post("/synthesize", content=body(), headers={"content-type": "application/json"}).status_code
    except httpx.TransportError as e:
        return f"reset ({type(e).__name__})"


def load(url: str, clients: int = 16, per_client: int = 2, timeout: float = 600.0) -> dict[str, Any]:
    """``clients`` threads at once, each sending short valid requests on its own connection."""
    counts: Counter = Counter()
    failures: list[str] = []
    lock = threading.Lock()
    barrier = threading.Barrier(clients)

    def run(k: int) -> None:
        with httpx.Client(base_url=url, timeout=timeout) as c:
            barrier.wait()
            for j in range(per_client):
                text = SHORT_TEXTS[(k + j) % len(SHORT_TEXTS)]
                try:
                    r = c.post("/synthesize" if (k + j) % 2 else "/v1/audio/speech",
                               json={"text": text} if (k + j) % 2 else {"input": text})
                except httpx.TransportError as e:
                    with lock:
                        counts["reset"] += 1
                        failures.append(f"client {k}: {type(e).__name__}")
                    continue
                with lock:
                    if r.status_code == 200 and r.content[:4] == b"RIFF":
                        counts["audio"] += 1
                    elif r.status_code == 503 and r.headers.get("retry-after") and _is_error_shape(r.content):
                        counts["503"] += 1
                    else:
                        counts[f"other {r.status_code}"] += 1
                        failures.append(f"client {k}: {r.status_code} {r.text[:100]!r}")

    t0 = time.perf_counter()
    threads = [threading.Thread(target=run, args=(k,)) for k in range(clients)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return {"clients": clients, "requests": clients * per_client, **dict(counts),
            "seconds": round(time.perf_counter() - t0, 1), "failures": failures}


def memory(server: ServerProcess, texts: int = 3, chars: int = 4900, *, limit_peak: int = 1200 * MB,
           limit_growth: int = 150 * MB) -> dict[str, Any]:
    """RSS idle, peak while synthesizing ``texts`` long texts, and after (settled)."""
    server.wait_warm()
    idle, _ = server.rss()
    peak_seen, seconds = 0, []
    failures: list[str] = []
    stop = threading.Event()

    def sample() -> None:
        nonlocal peak_seen
        while not stop.is_set():
            peak_seen = max(peak_seen, server.rss()[0])
            time.sleep(0.2)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    with httpx.Client(base_url=server.url, timeout=1800) as c:
        for i in range(texts):
            t0 = time.perf_counter()
            r = c.post("/synthesize", json={"text": long_text(chars)})
            seconds.append(round(time.perf_counter() - t0, 1))
            if r.status_code != 200:
                failures.append(f"long text {i}: {r.status_code} {r.text[:100]!r}")
    stop.set()
    sampler.join()
    time.sleep(2.0)
    after, hwm = server.rss()
    peak = max(peak_seen, hwm)
    if peak > limit_peak:
        failures.append(f"peak RSS {peak / MB:.0f} MB > {limit_peak / MB:.0f} MB")
    if after > idle + limit_growth:
        failures.append(f"RSS after {after / MB:.0f} MB > idle {idle / MB:.0f} MB + {limit_growth / MB:.0f} MB")
    return {"texts": texts, "chars": chars, "idle_mb": round(idle / MB), "peak_mb": round(peak / MB),
            "after_mb": round(after / MB), "growth_mb": round((after - idle) / MB), "seconds_each": seconds,
            "failures": failures}


def cancel(server: ServerProcess, chars: int = 600, give_up_s: float = 3.0, measure_full: bool = True) -> dict[str, Any]:
    """A client that gives up mid-synthesis must not keep the engine busy (API and UI)."""
    failures: list[str] = []
    try:  # the API: a client that times out and disconnects
        httpx.post(server.url + "/synthesize", json={"text": long_text(chars)}, timeout=give_up_s)
        failures.append("the long request finished before the client gave up; use a longer text")
    except httpx.TimeoutException:
        pass
    t0 = time.perf_counter()
    r = httpx.post(server.url + "/synthesize", json={"text": "你好。"}, timeout=600)
    api_next_s = time.perf_counter() - t0
    if r.status_code != 200:
        failures.append(f"the request after an abandoned one got {r.status_code}")
    ui = UIClient(server.url)
    tab = ui.open_tab()
    ui.join(long_text(chars), session=tab.session)
    time.sleep(give_up_s)
    tab.close()  # the browser tab is closed
    t0 = time.perf_counter()
    r = httpx.post(server.url + "/synthesize", json={"text": "你好。"}, timeout=600)
    ui_next_s = time.perf_counter() - t0
    ui.close()
    if r.status_code != 200:
        failures.append(f"the request after a closed tab got {r.status_code}")
    full_s = round(_time_one(server.url, long_text(chars)), 1) if measure_full else None
    return {"chars": chars, "full_synthesis_s": full_s, "next_after_disconnect_s": round(api_next_s, 1),
            "next_after_tab_close_s": round(ui_next_s, 1), "failures": failures}


def _time_one(url: str, text: str) -> float:
    t0 = time.perf_counter()
    httpx.post(url + "/synthesize", json={"text": text}, timeout=1800)
    return time.perf_counter() - t0


def privacy(server: ServerProcess) -> dict[str, Any]:
    """UI results: no server paths in the page's traffic, outputs/ not servable by path."""
    failures: list[str] = []
    ui = UIClient(server.url)
    res = ui.generate("隐私检查。")
    ui.close()
    if not res.ok or not res.audio_url or not res.saved_url:
        return {"failures": [f"the UI did not produce audio: {res.error or res.raw[-200:]}"]}
    for secret in {str(ROOT), str(server.workdir.resolve()), str(Path.home())} - {"/"}:
        if secret in res.raw:
            failures.append(f"a server path ({secret}) is in the UI's response")
    saved = sorted(server.output_dir.glob("*.wav"))
    if not saved:
        failures.append("nothing saved in outputs/")
    statuses = {}
    with httpx.Client(base_url=server.url, timeout=60) as other:  # a different client, no session
        statuses["own_url"] = other.get(res.saved_url).status_code
        statuses["player_url"] = other.get(res.audio_url).status_code
        for f in saved[-1:]:
            for label, path in (("outputs_relative", f"outputs/{f.name}"), ("outputs_absolute", str(f)),
                                ("outputs_name_only", f.name)):
                statuses[label] = other.get(f"/gradio_api/file={path}").status_code
                if statuses[label] not in (403, 404):
                    failures.append(f"{label} fetch of a saved result got {statuses[label]}")
    return {"fetch_status": statuses, "saved_name": saved[-1].name if saved else None, "failures": failures}


def kill_and_restart(server: ServerProcess, chars: int = 4000, wait_s: float = 4.0) -> dict[str, Any]:
    """SIGKILL mid-synthesis (UI, which saves to outputs/): no partial file; the next start serves.
    Then SIGTERM mid-request (API): the client gets a JSON answer, not a bare 500.

    ``chars`` must keep the synthesis busy past ``wait_s``: on an idle 2-core machine 600 characters
    finished within the 4 s (the "after the kill" files were whole ones), so the check tested nothing."""
    failures: list[str] = []
    before = set(os.listdir(server.output_dir)) if server.output_dir.is_dir() else set()
    ui = UIClient(server.url)
    ui.join(long_text(chars))
    time.sleep(wait_s)
    old_pid = server.pid
    server.kill()
    ui.close()
    after = set(os.listdir(server.output_dir)) if server.output_dir.is_dir() else set()
    if after - before:
        failures.append(f"files appeared in outputs/ after the kill: {sorted(after - before)}")
    t0 = time.perf_counter()
    server.start()
    restart_s = time.perf_counter() - t0
    r = httpx.post(server.url + "/synthesize", json={"text": "你好。"}, timeout=600)
    if r.status_code != 200:
        failures.append(f"after restart /synthesize got {r.status_code}")
    if (ROOT / ".run" / f"tmp-{old_pid}").exists():
        failures.append("the killed server's temp folder was not cleaned at the next start")
    answer: dict[str, Any] = {}

    def long_request() -> None:
        try:
            resp = httpx.post(server.url + "/synthesize", json={"text": long_text(chars)}, timeout=120)
            answer.update(status=resp.status_code, json=_is_error_shape(resp.content) or resp.status_code == 200)
        except httpx.TransportError as e:
            answer.update(status=type(e).__name__, json=False)

    t = threading.Thread(target=long_request)
    t.start()
    time.sleep(wait_s)
    code = server.stop()
    t.join(60)
    if not answer.get("json"):
        failures.append(f"a request cut by SIGTERM got {answer.get('status')} without a JSON body")
    return {"restart_s": round(restart_s, 1), "new_files_after_kill": len(after - before),
            "sigterm_answer": answer.get("status"), "exit_code": code, "failures": failures}
