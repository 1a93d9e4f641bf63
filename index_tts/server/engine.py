"""One engine worker shared by the HTTP API and the web UI, plus audio encoders.

The synthesizer is not thread-safe and the machine has few cores, so every request
(API or UI) runs on one dedicated engine thread, one job at a time; the asyncio event
loop never runs synthesis itself.  A single thread also keeps glibc from growing one
malloc arena per request thread.  When more than ``max_pending`` jobs wait, new ones are
refused with :class:`ServerBusyError` (HTTP 503) instead of piling up without bound.

Each job carries a cancel flag: a job whose client went away (HTTP disconnect, closed
browser tab, server shutdown) stops at the next segment boundary and the queue moves on.
A clone search (minutes for a new clip) steps aside after each round while other jobs wait:
it is queued again behind them and goes on from that round.
Results are streamed segment by segment into a file (see :mod:`.audiofile`), so a long
text is never held in memory twice.
"""
from __future__ import annotations

import io
import itertools
import logging
import queue
import threading
import time
from collections.abc import Callable
from concurrent.futures import Future, InvalidStateError
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from ..results import to_int16
from . import memory
from .audiofile import AUDIO_MEDIA_TYPES, AudioFile, synthesize_to_file
from .errors import JobCancelled, JobYielded, ServerBusyError, ShuttingDownError

log = logging.getLogger(__name__)

__all__ = ["AUDIO_MEDIA_TYPES", "AudioFile", "EngineInfo", "EngineWorker", "Job", "ServerBusyError",
           "encode_audio", "to_int16"]

#: After a job on at least this many characters, free heap is handed back to the OS (every
#: job: a trim costs milliseconds and keeps short requests from growing the heap, see memory.py).
TRIM_AFTER_CHARS = 0


@dataclass(frozen=True)
class EngineInfo:
    """What the loaded engine offers, normalised from ``Synthesizer.info()``."""

    voices: list[str] = field(default_factory=list)
    voice_labels: dict[str, str] = field(default_factory=dict)
    emotions: list[str] = field(default_factory=list)
    emotion_labels: dict[str, str] = field(default_factory=dict)
    sample_rate: int = 24000
    max_chars: int | None = None
    device: str = "cpu"
    reference_audio: bool = False
    raw: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def from_info(cls, info: dict[str, Any]) -> EngineInfo:
        voices, labels = _names(info.get("voices"))
        emotions, emotion_labels = _names(info.get("emotions"))
        max_chars = info.get("max_chars")
        reference = info.get("supports_reference_audio", info.get("reference_audio", False))
        return cls(
            voices=voices,
            voice_labels=labels,
            emotions=emotions,
            emotion_labels=emotion_labels,
            sample_rate=int(info.get("sample_rate") or 24000),
            max_chars=int(max_chars) if max_chars else None,
            device=str(info.get("device") or "cpu"),
            reference_audio=bool(reference),
            raw=dict(info),
        )


def _names(items: Any) -> tuple[list[str], dict[str, str]]:
    """Ids and display labels from ``Synthesizer.info()``'s ``voices`` / ``emotions``: entries are
    ``{"id", "display_name", …}`` (``Synthesizer.voices()``, ``EmotionEncoder.describe()``); a bare
    string (a simple stand-in engine) is its own id and label."""
    names: list[str] = []
    labels: dict[str, str] = {}
    for item in items or []:
        if isinstance(item, dict):
            name = str(item["id"])
            label = str(item.get("display_name") or name)
        else:
            name = label = str(item)
        if name and name not in labels:
            names.append(name)
            labels[name] = label
    return names, labels


class Job:
    """One unit of engine work: ``fn(cancel_event)`` run on the engine thread."""

    _ids = itertools.count(1)

    def __init__(self, fn: Callable[[threading.Event], Any], owner: str | None = None, size: int = 0) -> None:
        self.id = next(self._ids)
        self.fn, self.owner, self.size = fn, owner, size
        self.cancel = threading.Event()
        self.future: Future = Future()


class EngineWorker:
    """Serialises calls into one synthesizer on one thread; safe to call from any thread."""

    def __init__(self, synth: Any, *, max_pending: int = 16) -> None:
        self.synth = synth
        self.max_pending = max_pending
        self._lock = threading.Lock()  # held by the engine thread while a job runs
        self._count_lock = threading.Lock()
        self._queue: queue.Queue[Job | None] = queue.Queue()
        self._jobs: dict[int, Job] = {}
        self._info: EngineInfo | None = None
        self._closing = False
        self._thread: threading.Thread | None = None
        self._running = False  # a job is on the engine thread
        self._search: tuple[int, int] | None = None  # (round now running, rounds) of its clone search

    # ------------------------------------------------------------------ info
    @property
    def info(self) -> EngineInfo:
        if self._info is None:
            self._info = EngineInfo.from_info(self.synth.info())
        return self._info

    @property
    def pending(self) -> int:
        """Jobs waiting or running."""
        return len(self._jobs)

    @property
    def activity(self) -> str | None:
        """What the engine thread is doing now, for people waiting behind it: None (idle),
        ``"synthesis"`` or ``"clone search, round 3/8"`` (a new clip's search takes minutes)."""
        if self._search is not None:
            return "clone search, round {}/{}".format(*self._search)
        return "synthesis" if self._running else None

    @property
    def search_round(self) -> tuple[int, int] | None:
        """(round now running, rounds) while the running job searches a clone; else None."""
        return self._search

    def _searching(self, done: int, total: int) -> None:
        self._search = (done + 1, total) if done < total else None

    def _others_waiting(self) -> bool:
        """A clone search (minutes) steps aside after a round while other jobs wait (not while closing)."""
        return not self._closing and self._queue.qsize() > 0

    # ------------------------------------------------------------------ queue
    def submit(self, fn: Callable[[threading.Event], Any], *, owner: str | None = None, size: int = 0) -> Job:
        """Queue ``fn(cancel)``; raises ServerBusyError when the queue is full."""
        job = Job(fn, owner, size)
        with self._count_lock:
            if self._closing:
                raise ShuttingDownError("the server is shutting down; try again shortly")
            if len(self._jobs) >= self.max_pending:
                raise ServerBusyError(f"the server is busy ({len(self._jobs)} requests waiting); try again shortly")
            self._jobs[job.id] = job
            if self._thread is None or not self._thread.is_alive():
                self._thread = threading.Thread(target=self._loop, name="tts-engine", daemon=True)
                self._thread.start()
        self._queue.put(job)
        return job

    def run(self, fn: Callable[[threading.Event], Any], *, owner: str | None = None, size: int = 0,
            cancel: threading.Event | None = None) -> Any:
        """Blocking: submit and wait for the result (raises what ``fn`` raised)."""
        job = self.submit(fn, owner=owner, size=size)
        if cancel is not None:
            _link(cancel, job.cancel)
        return job.future.result()

    def cancel_owner(self, owner: str) -> int:
        """Cancel every waiting or running job of ``owner`` (e.g. a closed browser tab)."""
        with self._count_lock:
            jobs = [j for j in self._jobs.values() if j.owner == owner]
        for j in jobs:
            j.cancel.set()
        if jobs:
            log.info("cancelled %d job(s) of a session that went away", len(jobs))
        return len(jobs)

    def shutdown(self) -> None:
        """Refuse new jobs and stop the running ones at their next segment."""
        with self._count_lock:
            self._closing = True
            jobs = list(self._jobs.values())
        for j in jobs:
            j.cancel.set()
        self._queue.put(None)

    def _loop(self) -> None:
        while True:
            job = self._queue.get()
            if job is None:
                return
            if job.cancel.is_set():
                self._finish(job, ShuttingDownError() if self._closing else JobCancelled("cancelled"))
                continue
            with self._lock:
                self._running, self._search = True, None
                try:
                    outcome: Any = (job.fn(job.cancel),)
                except BaseException as e:  # noqa: BLE001 - handed to the waiting caller
                    outcome = ShuttingDownError() if self._closing and isinstance(e, (JobCancelled, JobYielded)) else e
                finally:
                    self._running, self._search = False, None
            if isinstance(outcome, JobYielded):  # a clone search let the waiting jobs go first
                log.info("%s: job %d queued again", outcome, job.id)
                self._queue.put(job)
                continue
            self._finish(job, outcome)
            if job.size >= TRIM_AFTER_CHARS:
                memory.trim()

    def _finish(self, job: Job, outcome: Any) -> None:
        """Leave the queue count, then hand over the result ((value,)) or exception: a caller
        woken by its result already sees the job gone from ``pending``."""
        with self._count_lock:
            self._jobs.pop(job.id, None)
        try:
            if isinstance(outcome, tuple):
                job.future.set_result(outcome[0])
            else:
                job.future.set_exception(outcome)
        except InvalidStateError:  # an awaiting coroutine was cancelled (shutdown): nobody waits
            pass

    # ------------------------------------------------------------------ synthesis
    def synthesize_to_file(self, text: str, path: str | Path, fmt: str = "wav", *, owner: str | None = None,
                           cancel: threading.Event | None = None,
                           progress: Callable[[int, int], None] | None = None, **kwargs: Any) -> AudioFile:
        """Blocking: synthesize ``text`` into ``path`` (removed again on any failure)."""
        def work(stop: threading.Event) -> AudioFile:
            return self._timed(text, lambda: synthesize_to_file(self.synth, text, Path(path), fmt, stop,
                                                                progress=progress, on_search=self._searching,
                                                                should_yield=self._others_waiting, **kwargs))
        return self.run(work, owner=owner, size=len(text), cancel=cancel)

    def submit_to_file(self, text: str, path: str | Path, fmt: str = "wav", *, owner: str | None = None,
                       **kwargs: Any) -> Job:
        """Non-blocking variant of :meth:`synthesize_to_file` (for async callers and streams;
        ``on_chunk``/``progress`` in ``kwargs`` are called on the engine thread)."""
        def work(stop: threading.Event) -> AudioFile:
            return self._timed(text, lambda: synthesize_to_file(self.synth, text, Path(path), fmt, stop,
                                                                on_search=self._searching,
                                                                should_yield=self._others_waiting, **kwargs))
        return self.submit(work, owner=owner, size=len(text))

    def synthesize(self, text: str, progress: Callable[[int, int], None] | None = None, **kwargs: Any):
        """Blocking in-memory synthesis (warm-up, short texts); returns the engine's result."""
        return self.run(lambda _stop: self._timed(text, lambda: self.synth.synthesize(text, progress=progress,
                                                                                       **kwargs)),
                        size=len(text))

    @staticmethod
    def _timed(text: str, fn: Callable[[], Any]) -> Any:
        t0 = time.perf_counter()
        res = fn()
        log.info("synthesized %d chars in %.2fs", len(text), time.perf_counter() - t0)
        return res


def _link(source: threading.Event, target: threading.Event) -> None:
    """Set ``target`` once ``source`` is set (a tiny watcher thread, ends with either)."""
    def watch() -> None:
        while not target.is_set():
            if source.wait(0.25):
                target.set()
                return
    threading.Thread(target=watch, name="tts-cancel-link", daemon=True).start()


def encode_audio(wav: np.ndarray, sample_rate: int, fmt: str) -> bytes:
    """Encode mono float audio as wav (16-bit PCM), raw pcm (s16le) or flac."""
    if fmt == "pcm":
        return to_int16(wav).tobytes()
    if fmt not in ("wav", "flac"):
        raise ValueError(f"unsupported audio format {fmt!r}")
    import soundfile as sf

    buf = io.BytesIO()
    sf.write(buf, to_int16(wav), sample_rate, format=fmt.upper(), subtype="PCM_16")
    return buf.getvalue()
