"""Render a batch's lines in several processes on one machine (``--workers N``).

``LinePool(spec)`` starts its worker processes at once; each sets its thread limits before
torch is imported (``OMP_NUM_THREADS`` etc. in its environment, then ``torch.set_num_threads``),
loads its own engine once, warms it up with one short sentence (the frontend's dictionaries
load on first use) and then takes line after line from a shared queue until there are none
left. The CLI starts the pool before it loads its own engine for planning, so the workers'
start-up overlaps with the main process's.

Every line is independent (its own seed, its own files written atomically), so the work
needs no coordination beyond handing out lines; they are handed out longest first, so a long
line does not leave the other workers idle at the end. A line's audio depends on the torch
thread count, not on which worker renders it: ``--workers 2 --threads 1`` gives the same files
as ``--workers 1 --threads 1``. A worker whose parent dies (``kill -9`` of the batch) finishes
its current line and exits.

The same per-line job runs on any task queue: a task receives a ``Job`` (a plain
dataclass, see ``Job.to_dict``) and the output folder, and calls ``store_line`` with an
engine it keeps loaded (README: "Scaling out").
"""
from __future__ import annotations

import logging
import multiprocessing
import os
import queue as queue_mod
import time
import traceback
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Iterator, Optional, Union

log = logging.getLogger(__name__)

THREAD_ENV = ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS", "NUMEXPR_NUM_THREADS")
WARMUP_TEXT = "你好。"


@dataclass(frozen=True)
class ParallelSpec:
    workers: int
    model: Optional[str] = None     # bundle name or folder (None = the default voice)
    device: str = "cpu"
    threads: int = 1                # torch threads per worker
    engine: str = "index_tts.synthesizer:Synthesizer"  # "module:callable" building a worker's engine
    warmup: bool = True             # render one short sentence before taking lines


class WorkerError(RuntimeError):
    """A worker process failed to start, failed on a line, or died."""


@contextmanager
def _thread_env(threads: int):
    """Spawned children read the environment at start-up: set the thread limits around it."""
    saved = {k: os.environ.get(k) for k in THREAD_ENV}
    os.environ.update({k: str(threads) for k in THREAD_ENV})
    try:
        yield
    finally:
        for k, v in saved.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v


def make_worker_engine(engine: str, model: Optional[str], device: str, threads: int, warmup: bool) -> Any:
    """A worker process's engine: torch limited to ``threads`` (1 inter-op thread), built from
    "module:callable", warmed up on one short sentence. The same for ``--workers`` and queue workers,
    so a line's files are identical whichever renders it."""
    import importlib

    import torch

    torch.set_num_threads(max(1, threads))
    try:
        torch.set_num_interop_threads(1)
    except RuntimeError:  # already set (only possible once per process)
        pass
    module, _, name = engine.partition(":")
    made = getattr(importlib.import_module(module), name)(model_path=model, device=device)
    if warmup:
        for _ in made.stream(WARMUP_TEXT, seed=0):
            pass
    return made


def _worker_main(spec: ParallelSpec, wid: int, tasks, results, parent: int) -> None:
    """One worker process: load, warm up, then render lines until told to stop."""
    t0 = time.perf_counter()
    try:
        import torch

        engine = make_worker_engine(spec.engine, spec.model, spec.device, spec.threads, spec.warmup)
        bundle = getattr(engine, "bundle_dir", None)
        card = {"info": engine.info(), "sample_rate": engine.sample_rate,
                "bundle_dir": str(bundle) if bundle is not None else None,
                "vocoder_name": getattr(engine, "vocoder_name", ""), "type": type(engine).__name__}
        results.put(("ready", wid, time.perf_counter() - t0, (torch.get_num_threads(), card)))
    except BaseException:  # noqa: BLE001 - reported to the parent, which raises
        results.put(("failed", wid, None, traceback.format_exc()))
        return
    from .runner import store_line

    while True:
        try:
            item = tasks.get(timeout=1.0)
        except queue_mod.Empty:
            if os.getppid() != parent:  # the batch was killed: do not linger
                return
            continue
        if item is None:  # every result has been read: skip the interpreter's slow teardown
            os._exit(0)
        job, lines_dir = item
        t = time.perf_counter()
        try:
            meta = store_line(engine, job, Path(lines_dir))
        except BaseException:  # noqa: BLE001
            results.put(("error", wid, job.index, traceback.format_exc()))
            continue
        results.put(("done", wid, job.index, (meta, time.perf_counter() - t)))
        if os.getppid() != parent:
            return


class LinePool:
    """``spec.workers`` processes, each with one loaded engine; started on construction."""

    def __init__(self, spec: ParallelSpec) -> None:
        if spec.workers < 1:
            raise ValueError(f"workers must be at least 1, got {spec.workers}")
        self.spec = spec
        ctx = multiprocessing.get_context("spawn")  # a clean interpreter: no forked torch state
        self._tasks = ctx.Queue()
        self._results = ctx.Queue()
        self.ready: dict[int, float] = {}   # worker -> start-up seconds (torch import, load, warm-up)
        self.threads: dict[int, int] = {}   # worker -> torch threads it reported
        self.card: Optional[dict] = None    # the workers' engine: info(), sample rate, bundle, vocoder
        self.started_at = time.perf_counter()
        self._procs = []
        with _thread_env(spec.threads):
            for wid in range(spec.workers):
                p = ctx.Process(target=_worker_main, args=(spec, wid, self._tasks, self._results, os.getpid()),
                                name=f"index-tts-batch-{wid}", daemon=True)
                p.start()
                self._procs.append(p)

    @property
    def workers(self) -> int:
        return self.spec.workers

    def _check_alive(self) -> None:
        for wid, p in enumerate(self._procs):
            if not p.is_alive() and p.exitcode not in (0, None):
                raise WorkerError(f"batch worker {wid} died (exit code {p.exitcode})")

    def _next(self, until_ready: bool = False) -> Optional[tuple]:
        """The next line result (start-up messages are recorded on the way); with
        ``until_ready``, None as soon as one worker is ready."""
        while True:
            try:
                msg = self._results.get(timeout=1.0)
            except queue_mod.Empty:
                self._check_alive()
                continue
            kind, wid = msg[0], msg[1]
            if kind == "ready":
                self.ready[wid] = msg[2]
                self.threads[wid], self.card = msg[3]
                log.info("batch worker %d ready in %.1f s (%d torch thread(s))", wid, msg[2], self.threads[wid])
                if until_ready:
                    return None
                continue
            if kind == "failed":
                raise WorkerError(f"batch worker {wid} could not start:\n{msg[3]}")
            return msg

    def engine(self) -> "PoolEngine":
        """What planning needs from an engine (voices, sample rate, identity), answered by the
        workers' engines: the main process then never loads a model of its own."""
        if self.card is None:
            msg = self._next(until_ready=True)
            if msg is not None:
                raise WorkerError(f"unexpected message before any worker was ready: {msg[0]}")
        return PoolEngine(self.card)

    def wait_ready(self) -> None:
        """Block until every worker has started (a worker that dies raises WorkerError). Not needed
        for a batch, which starts with the first ready worker; for measurements and tests that need
        all workers up before the first line."""
        while len(self.ready) < self.workers:
            msg = self._next(until_ready=True)
            if msg is not None:
                raise WorkerError(f"unexpected message while waiting for the workers: {msg[0]}")

    def render(self, todo: list, lines_dir: Path,
               should_stop: Optional[Callable[[], bool]] = None) -> Iterator[tuple[Any, dict, float]]:
        """Yield (job, meta, seconds) as lines finish, in completion order."""
        by_index = {j.index: j for j in todo}
        waiting = sorted(todo, key=lambda j: -len(j.text))
        outstanding = 0
        while waiting or outstanding:
            # keep every worker busy plus one line each in the queue, so a stop request
            # (checked here) leaves little queued work behind
            while waiting and outstanding < 2 * self.workers and not (should_stop and should_stop()):
                self._tasks.put((waiting.pop(0), str(lines_dir)))
                outstanding += 1
            if not outstanding:
                return
            kind, wid, index, payload = self._next()
            outstanding -= 1
            if kind == "error":
                raise WorkerError(f"batch worker {wid} failed on line {by_index[index].lineno}:\n{payload}")
            meta, seconds = payload
            yield by_index[index], meta, seconds
            if should_stop and should_stop():
                waiting.clear()

    def close(self, timeout: float = 10.0) -> None:
        """Stop the workers (a worker still starting up is terminated at once)."""
        while True:  # lines queued but not started are dropped
            try:
                self._tasks.get_nowait()
            except (queue_mod.Empty, OSError, ValueError):
                break
        for p in self._procs:
            if p.is_alive():
                self._tasks.put(None)
        deadline = time.monotonic() + timeout
        for wid, p in enumerate(self._procs):
            if wid not in self.ready:
                p.terminate()
            p.join(max(0.1, deadline - time.monotonic()))
            if p.is_alive():
                p.terminate()
                p.join(1.0)
        self._tasks.cancel_join_thread()
        self._results.cancel_join_thread()

    def __enter__(self) -> "LinePool":
        return self

    def __exit__(self, *exc) -> None:
        self.close()


class PoolEngine:
    """Stands in for the workers' engine in the main process (``run_batch`` plans with it; the
    lines themselves are rendered by the pool)."""

    def __init__(self, card: dict) -> None:
        self._info = card["info"]
        self.sample_rate = card["sample_rate"]
        self.bundle_dir = Path(card["bundle_dir"]) if card["bundle_dir"] else None
        self.vocoder_name = card["vocoder_name"]
        self.engine_type = card["type"]

    def info(self) -> dict:
        return self._info

    def stream(self, *args: Any, **kwargs: Any):
        raise RuntimeError("PoolEngine does not render; pass the LinePool to run_batch(parallel=...)")


def render_parallel(todo: list, lines_dir: Path, parallel: Union[ParallelSpec, LinePool],
                    should_stop: Optional[Callable[[], bool]] = None) -> Iterator[tuple[Any, dict, float]]:
    """Render ``todo`` with a running pool, or with one started (and stopped) for this call."""
    if isinstance(parallel, LinePool):
        yield from parallel.render(todo, lines_dir, should_stop)
        return
    with LinePool(parallel) as pool:
        yield from pool.render(todo, lines_dir, should_stop)
