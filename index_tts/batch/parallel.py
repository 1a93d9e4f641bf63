"""Render a batch's lines in several processes on one machine (``--workers N``).

Each worker process loads its own engine once (torch limited to ``threads`` threads) and
renders whole lines; every line is independent (its own seed, its own files written
atomically), so the work needs no coordination beyond handing out lines. Lines are handed
out one at a time, longest first, so a long line does not leave the other workers idle at
the end. A line's audio depends on the torch thread count, not on which worker renders it:
``--workers 2 --threads 1`` gives the same files as ``--workers 1 --threads 1``.

The same per-line job runs on any task queue: a task receives a ``Job`` (a plain
dataclass, see ``Job.to_dict``) and the output folder, and calls ``store_line`` with an
engine it keeps loaded (README: "Scaling out").
"""
from __future__ import annotations

import logging
import multiprocessing
import time
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Iterator, Optional

from .plan import Job

log = logging.getLogger(__name__)

_ENGINE: Any = None  # the engine of this worker process


@dataclass(frozen=True)
class ParallelSpec:
    workers: int
    model: Optional[str] = None     # bundle name or folder (None = the default voice)
    device: str = "cpu"
    threads: int = 1                # torch threads per worker
    engine: str = "index_tts.synthesizer:Synthesizer"  # "module:callable" building a worker's engine


def _init_worker(spec: ParallelSpec) -> None:
    global _ENGINE
    import importlib

    import torch

    torch.set_num_threads(max(1, spec.threads))
    module, _, name = spec.engine.partition(":")
    _ENGINE = getattr(importlib.import_module(module), name)(model_path=spec.model, device=spec.device)


def _render_one(job: Job, lines_dir: str) -> tuple[dict, float]:
    from .runner import store_line

    t = time.perf_counter()
    meta = store_line(_ENGINE, job, Path(lines_dir))
    return meta, time.perf_counter() - t


def render_parallel(todo: list[Job], lines_dir: Path, spec: ParallelSpec,
                    should_stop: Optional[Callable[[], bool]] = None) -> Iterator[tuple[Job, dict, float]]:
    """Yield (job, meta, seconds) as lines finish, in completion order."""
    ctx = multiprocessing.get_context("spawn")  # a clean interpreter: no forked torch state
    queue = sorted(todo, key=lambda j: -len(j.text))
    with ProcessPoolExecutor(max_workers=spec.workers, mp_context=ctx, initializer=_init_worker,
                             initargs=(spec,)) as pool:
        running: dict[Future, Job] = {}
        try:
            while queue or running:
                while queue and len(running) < spec.workers * 2 and not (should_stop and should_stop()):
                    job = queue.pop(0)
                    running[pool.submit(_render_one, job, str(lines_dir))] = job
                if not running:
                    return
                done, _ = wait(running, return_when=FIRST_COMPLETED)
                for fut in done:
                    job = running.pop(fut)
                    meta, seconds = fut.result()
                    yield job, meta, seconds
                if should_stop and should_stop():
                    queue.clear()
        finally:
            for fut in running:
                fut.cancel()
