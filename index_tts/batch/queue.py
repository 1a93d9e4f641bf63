"""Render a batch's lines on a Celery task queue (Redis broker and result store), over machines.

    redis-server --port 6379                                      # one broker for everyone
    python -m index_tts.batch.queue worker --broker redis://HOST:6379/0   # on each machine, any number
    python -m index_tts batch story.txt --out /shared/story --queue redis://HOST:6379/0

The producer plans the script (one engine for voices and keys), queues one task per line
that is not already done, waits for them, then calls ``run_batch``, which finds every line
done and joins the audio, writes subtitles and the manifest. A worker process keeps one
engine (CPU, 1 torch thread unless ``--threads``, the same set-up as ``--workers``), so a
line's files are byte-identical whichever worker or machine renders it. Workers write into
``lines_dir`` themselves: on several machines that folder must be shared, at the same path.

Celery and redis-py are optional: importing this module does not import them; using the
queue without them raises ``QueueError`` saying how to install them.
"""
from __future__ import annotations

import argparse
import logging
import os
import socket
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Optional

from .parallel import THREAD_ENV, make_worker_engine
from .runner import BatchResult, Progress, ProgressInfo, _engine_id, _line_done, plan_script, run_batch

log = logging.getLogger(__name__)

ENV_BROKER = "INDEX_TTS_QUEUE"
TASK_NAME = "index_tts.render_line"
QUEUE_NAME = "index-tts"
INSTALL_HINT = ".venv/bin/pip install celery==5.6.3 redis==8.1.0 (both are in requirements-dev.txt)"
# what a worker process builds its engine from (set by the worker command before it starts)
WORKER = {"engine": "index_tts.synthesizer:Synthesizer", "model": None, "device": "cpu", "threads": 1,
          "warmup": True}
_engine: Any = None
_apps: dict[str, Any] = {}


class QueueError(RuntimeError):
    """The queue is not usable (Celery missing, no broker), a line failed, or the wait timed out."""

    traceback: Optional[str] = None  # a failed line: the worker's traceback


@dataclass
class QueueBatchResult(BatchResult):
    tasks: list[dict] = field(default_factory=list)  # per rendered line: index, line, worker, pid, host, seconds

    def by_worker(self) -> dict[str, int]:
        counts: dict[str, int] = {}
        for t in self.tasks:
            counts[t["worker"]] = counts.get(t["worker"], 0) + 1
        return counts


def broker_url(broker: Optional[str] = None) -> str:
    url = broker or os.environ.get(ENV_BROKER, "")
    if not url:
        raise QueueError(f"no task queue given: pass a broker URL (e.g. redis://127.0.0.1:6379/0) or set {ENV_BROKER}")
    return url


def make_app(broker: Optional[str] = None):
    """The Celery app for ``broker`` (also the result store), with the line task registered."""
    url = broker_url(broker)
    if url in _apps:
        return _apps[url]
    try:
        from celery import Celery
        if url.startswith(("redis://", "rediss://", "unix://")):
            import redis  # noqa: F401 - the transport and result store need it
    except ImportError as exc:
        raise QueueError(f"the task-queue path needs Celery and redis-py, and {exc.name} is not installed: "
                         f"{INSTALL_HINT}") from None
    app = Celery("index_tts", broker=url, backend=url, set_as_current=False)
    app.conf.update(
        task_default_queue=QUEUE_NAME, task_serializer="json", result_serializer="json", accept_content=["json"],
        worker_prefetch_multiplier=1,   # a worker holds only the line it renders: idle workers get the rest
        task_acks_late=True, task_reject_on_worker_lost=True,  # a killed worker's line goes back on the queue
        result_extended=True,           # a failure's result names the worker
        broker_connection_retry_on_startup=True, redis_socket_connect_timeout=5, worker_hijack_root_logger=True)
    app.task(name=TASK_NAME, bind=True)(_render_task)
    _apps[url] = app
    return app


def __getattr__(name: str):  # `celery -A index_tts.batch.queue inspect ...` finds the app from $INDEX_TTS_QUEUE
    if name == "app" and os.environ.get(ENV_BROKER):
        return make_app()
    raise AttributeError(name)


def worker_engine() -> Any:
    """This process's engine, made on its first line (thread limits as in index_tts/batch/parallel.py)."""
    global _engine
    if _engine is None:
        threads = max(1, int(WORKER["threads"]))
        for k in THREAD_ENV:
            os.environ.setdefault(k, str(threads))
        _engine = make_worker_engine(str(WORKER["engine"]), WORKER["model"], WORKER["device"], threads,
                                     bool(WORKER["warmup"]))
    return _engine


def _render_task(task, job: dict, lines_dir: str, engine_id: Optional[str] = None) -> dict:
    """The task: render one line with this worker's engine; its meta plus who rendered it."""
    from .plan import Job
    from .runner import store_line

    engine = worker_engine()
    if engine_id is not None and _engine_id(engine) != engine_id:
        raise QueueError(f"worker {task.request.hostname} has engine {_engine_id(engine)!r} but the batch was "
                         f"planned with {engine_id!r}: start the worker with the batch's --model")
    t = time.perf_counter()
    meta = store_line(engine, Job.from_dict(job), Path(lines_dir))
    import torch

    return {**meta, "seconds": time.perf_counter() - t, "worker": task.request.hostname, "pid": os.getpid(),
            "host": socket.gethostname(), "threads": torch.get_num_threads()}


def workers(broker: Optional[str] = None, timeout: float = 1.0, limit: Optional[int] = None) -> list[str]:
    """Names of the workers that answer a ping within ``timeout`` (a worker busy on a line does not)."""
    replies = make_app(broker).control.ping(timeout=timeout, limit=limit) or []
    return sorted(name for reply in replies for name in reply)


def _check_broker(app, url: str) -> None:
    try:
        with app.connection_for_write() as conn:
            conn.ensure_connection(max_retries=1, interval_start=0.2, interval_step=0.2, timeout=5)
    except Exception as exc:  # noqa: BLE001 - kombu/redis raise several kinds
        raise QueueError(f"cannot reach the task queue at {url}: {exc}") from None


def run_batch_on_queue(script, out_dir, synth: Any, broker: Optional[str] = None, *, name: Optional[str] = None,
                       formats=("wav",), seed: Optional[int] = None, progress: Optional[Progress] = None,
                       timeout: float = 600.0, poll: float = 0.2) -> QueueBatchResult:
    """``run_batch`` with the missing lines rendered by queue workers. ``synth`` plans (voices, keys)
    and is not asked to render. ``timeout``: seconds without any line finishing before giving up."""
    from ..script import parse_script

    url = broker_url(broker)
    app = make_app(url)
    if isinstance(script, str):
        script = parse_script(script, source=name or "<script>")
    lines_dir = Path(out_dir).resolve() / "lines"
    lines_dir.mkdir(parents=True, exist_ok=True)
    jobs, _, _ = plan_script(script, synth, seed)
    todo = [j for j in jobs if _line_done(lines_dir, j) is None]
    skipped = len(jobs) - len(todo)
    t0 = time.perf_counter()
    if progress:
        progress(ProgressInfo(skipped, len(jobs), None, skipped, 0.0, None))
    tasks: list[dict] = []
    metas: dict[int, dict] = {}
    if todo:
        _check_broker(app, url)
        if not workers(url, timeout=1.0, limit=1):
            log.warning("no queue worker answered within 1 s (none started, or all busy): lines wait until one "
                        "takes them; start one with python -m index_tts.batch.queue worker --broker %s", url)
        engine = _engine_id(synth)
        pending = {app.send_task(TASK_NAME, args=(j.to_dict(), str(lines_dir), engine)).id: j
                   for j in sorted(todo, key=lambda j: -len(j.text))}  # longest first, as --workers does
        chars_left, chars_done = sum(len(j.text) for j in todo), 0
        last = time.monotonic()
        try:
            while pending:
                for tid, res in app.backend.get_many(set(pending), interval=poll, max_iterations=1):
                    job = pending.pop(tid)
                    if res["status"] != "SUCCESS":
                        who = f" on worker {res['worker']}" if res.get("worker") else ""
                        err = QueueError(f"line {job.lineno} ({job.character}: {job.text[:30]}) failed{who}: "
                                         f"{res['result']!r} (traceback: in the worker's log and on this error)")
                        err.traceback = res.get("traceback")
                        raise err
                    meta = res["result"]
                    metas[job.index] = meta
                    tasks.append({"index": job.index, "line": job.lineno, **{k: meta[k] for k in
                                  ("worker", "pid", "host", "threads", "seconds", "samples")}})
                    chars_done += len(job.text)
                    chars_left -= len(job.text)
                    last = time.monotonic()
                    if progress:
                        elapsed = time.perf_counter() - t0
                        progress(ProgressInfo(skipped + len(metas), len(jobs), job, skipped, elapsed,
                                              elapsed / max(chars_done, 1) * chars_left))
                if pending and time.monotonic() - last > timeout:
                    waiting = sorted(pending.values(), key=lambda j: j.index)
                    raise QueueError(f"timed out: no line finished for {timeout:g} s; still waiting for line "
                                     f"{', '.join(str(j.lineno) for j in waiting[:10])}"
                                     f"{' …' if len(waiting) > 10 else ''} ({len(waiting)} of {len(todo)}). "
                                     f"Is a worker running? python -m index_tts.batch.queue worker --broker {url}")
        except BaseException:
            if pending:  # workers skip what is still queued (a revoked line is simply redone next time)
                try:
                    app.control.revoke(list(pending))
                except Exception:  # noqa: BLE001 - the error being raised matters more
                    log.debug("revoke failed", exc_info=True)
            raise
    missing = [j for j in jobs if _line_done(lines_dir, j) is None]
    if missing:
        raise QueueError(f"the workers finished line {', '.join(str(j.lineno) for j in missing[:10])} but its files "
                         f"are not in {lines_dir}: workers on other machines need this folder shared, at this path")
    res = run_batch(script, out_dir, synth, name=name, formats=formats, seed=seed)  # joins; renders nothing
    warnings = [f"line {m['line']}: {w}" for m in sorted(metas.values(), key=lambda m: m["index"])
                for w in m["warnings"]]
    return QueueBatchResult(**{**vars(res), "rendered": len(todo), "skipped": skipped, "warnings": warnings,
                               "render_s": sum(t["seconds"] for t in tasks),
                               "rendered_audio_s": sum(m["samples"] for m in metas.values()) / synth.sample_rate},
                            tasks=sorted(tasks, key=lambda t: t["index"]))

def main(argv: Optional[list[str]] = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m index_tts.batch.queue",
                                 description="Run a batch worker on the task queue, or list the workers.")
    sub = ap.add_subparsers(dest="cmd", required=True)
    w = sub.add_parser("worker", help="take lines from the queue until stopped (Ctrl-C / SIGTERM: finish the line)")
    p = sub.add_parser("ping", help="list the workers that answer")
    for s in (w, p):
        s.add_argument("--broker", help=f"redis://HOST:PORT/DB (default ${ENV_BROKER})")
    w.add_argument("--concurrency", type=int, default=1, help="processes, each with its own engine (default 1: "
                   "Celery's solo pool; more: its prefork pool)")
    w.add_argument("--hostname", help="the worker's name (default index-tts-<pid>@<host>)")
    w.add_argument("--model", help="bundle name or folder (default: the default voice); the batch's --model")
    w.add_argument("--threads", type=int, default=1, help="torch threads per process (default 1, as --workers)")
    w.add_argument("--engine", default=WORKER["engine"], help="module:callable making the engine (tests)")
    w.add_argument("--loglevel", default="info")
    args = ap.parse_args(argv)
    try:
        if args.cmd == "ping":
            names = workers(args.broker, timeout=2.0)
            print("\n".join(names) if names else "no worker answered within 2 s", file=sys.stdout)
            return 0 if names else 1
        if args.concurrency < 1 or args.threads < 1:
            raise QueueError("--concurrency and --threads must be at least 1")
        # before torch loads anywhere (the prefork pool's children inherit it)
        os.environ.update({k: str(args.threads) for k in THREAD_ENV})
        WORKER.update(engine=args.engine, model=args.model, threads=args.threads)
        app = make_app(args.broker)
    except QueueError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    pool = "solo" if args.concurrency == 1 else "prefork"
    app.worker_main(["worker", f"--pool={pool}", f"--concurrency={args.concurrency}", f"--loglevel={args.loglevel}",
                     f"--hostname={args.hostname or f'index-tts-{os.getpid()}@%h'}", f"--queues={QUEUE_NAME}",
                     "--without-gossip", "--without-mingle", "--without-heartbeat"])
    return 0


if __name__ == "__main__":  # run the module's own copy, so the task and its engine live in one place
    from index_tts.batch.queue import main as _main

    sys.exit(_main())
