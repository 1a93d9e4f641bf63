"""Synthesis streamed segment by segment into an audio file.

``Synthesizer.stream()`` yields one segment at a time; each is converted to 16-bit PCM and
appended to the file at once, so a long text never sits in memory as a whole (let alone
twice, as float and as encoded bytes).  A cancel flag is checked between segments (and between
the rounds of a clone search, which takes minutes).  On any failure the partial file is removed.
"""
from __future__ import annotations

import inspect
import logging
import os
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from .errors import JobCancelled, JobYielded

log = logging.getLogger(__name__)

#: Response formats the server can produce.
AUDIO_MEDIA_TYPES = {
    "wav": "audio/wav",
    "pcm": "audio/L16",  # raw 16-bit little-endian mono, no header (OpenAI's "pcm")
    "flac": "audio/flac",
}


@dataclass
class AudioFile:
    """A finished synthesis on disk."""

    path: Path
    sample_rate: int
    samples: int
    fmt: str = "wav"
    warnings: list[str] = field(default_factory=list)
    timings: dict[str, float] = field(default_factory=dict)
    segments: list = field(default_factory=list)  # SegmentInfo per segment (times in the file)

    @property
    def duration_s(self) -> float:
        return self.samples / float(self.sample_rate)

    def cues(self) -> list:
        """Sentence cues from the segments' times and the sound inside them (index_tts.batch.subtitles,
        the same cues as a batch's); reads the file once."""
        from types import SimpleNamespace

        from ..batch.subtitles import cues_from_result

        if self.fmt == "pcm":
            wav = np.fromfile(self.path, dtype="<i2").astype(np.float32) / 32768.0
        else:
            import soundfile as sf

            wav, _ = sf.read(str(self.path), dtype="float32")
        return cues_from_result(SimpleNamespace(wav=wav, sample_rate=self.sample_rate, segments=self.segments))

    def subtitles(self, fmt: str = "srt") -> str:
        """Sentence subtitles as ``srt``, ``vtt`` or ``json`` text."""
        from ..batch.subtitles import format_cues

        return format_cues(self.cues(), fmt)


class _Writer:
    """Appends float chunks to a wav/flac (16-bit PCM) or raw s16le file."""

    def __init__(self, path: Path, fmt: str, sample_rate: int) -> None:
        if fmt not in AUDIO_MEDIA_TYPES:
            raise ValueError(f"unsupported audio format {fmt!r}")
        self.fmt = fmt
        if fmt == "pcm":
            self._f: Any = open(path, "wb")
        else:
            import soundfile as sf

            self._f = sf.SoundFile(str(path), "w", samplerate=sample_rate, channels=1,
                                   format=fmt.upper(), subtype="PCM_16")

    def write(self, chunk: np.ndarray) -> np.ndarray:
        """Append ``chunk``; returns it as the 16-bit samples written."""
        from .engine import to_int16

        pcm = to_int16(chunk)
        if self.fmt == "pcm":
            self._f.write(pcm.tobytes())
        else:
            self._f.write(pcm)
        return pcm

    def close(self) -> None:
        self._f.close()


def synthesize_to_file(synth: Any, text: str, path: Path, fmt: str, stop: threading.Event, *,
                       progress: Callable[[int, int], None] | None = None,
                       on_chunk: Callable[[np.ndarray], None] | None = None,
                       on_search: Callable[[int, int], None] | None = None,
                       should_yield: Callable[[], bool] | None = None, **kwargs: Any) -> AudioFile:
    """Run ``synth`` on ``text`` and write the audio to ``path`` segment by segment.

    ``on_chunk(pcm)`` receives each segment as 16-bit PCM right after it is written (the web
    page plays it while the rest is synthesized).  Raises :class:`JobCancelled` (file
    removed) when ``stop`` is set between segments.  ``on_search(done, total)``: the rounds of a
    clone search, when the request starts one (the engine worker's :attr:`~.EngineWorker.activity`).
    ``should_yield()``: asked after each round of a clone search that this run finished; when it says
    yes, :class:`JobYielded` is raised (file removed) so that waiting jobs go first.
    """
    if stop.is_set():
        raise JobCancelled("cancelled before it started")
    kwargs = _cancellable_search(synth, kwargs, stop, on_search, should_yield)
    t0 = time.perf_counter()
    sample_rate = int(getattr(synth, "sample_rate", 0) or synth.info().get("sample_rate") or 24000)
    warnings: list[str] = []
    stats: dict[str, float] = {"frontend_s": 0.0, "acoustic_s": 0.0, "vocoder_s": 0.0}
    samples = 0
    first: float | None = None
    writer = None
    segments: list = []
    try:
        writer = _Writer(path, fmt, sample_rate)
        for chunk in _chunks(synth, text, warnings, stats, progress, kwargs, segments):
            if first is None:
                first = time.perf_counter() - t0
            pcm = writer.write(chunk)
            samples += len(chunk)
            if on_chunk is not None:
                on_chunk(pcm)
            if stop.is_set():
                raise JobCancelled("the client went away; stopped at a segment boundary")
        writer.close()
        writer = None
    except BaseException:
        if writer is not None:
            try:
                writer.close()
            except Exception:  # noqa: BLE001 - the original error matters
                pass
        remove_file(path)
        raise
    total = time.perf_counter() - t0
    dur = max(samples / sample_rate, 1e-9)
    timings = dict(stats)
    timings.update(total_s=total, first_audio_s=first or total, audio_s=dur, rtf=total / dur)
    return AudioFile(path, sample_rate, samples, fmt, warnings, timings, segments)


def _cancellable_search(synth: Any, kwargs: dict[str, Any], stop: threading.Event,
                        on_search: Callable[[int, int], None] | None = None,
                        should_yield: Callable[[], bool] | None = None) -> dict[str, Any]:
    """Where the engine reports the rounds of a clone search (``search_progress``, minutes for a new
    clip), a cancelled job stops at the next round instead of holding the queue to the end, and a
    job that ``should_yield`` steps aside after a round; the engine keeps the finished rounds, so the
    search goes on from there when the job runs again."""
    try:
        takes = "search_progress" in inspect.signature(synth.stream).parameters
    except (AttributeError, TypeError, ValueError):  # no stream, or not introspectable
        return kwargs
    if not takes:
        return kwargs
    user = kwargs.get("search_progress")
    calls = [0]  # the first report is where the search starts (or goes on): no round finished yet

    def on_round(done: int, total: int) -> None:
        calls[0] += 1
        if stop.is_set():
            raise JobCancelled("the client went away during the clone search; its finished rounds are kept")
        if on_search is not None:
            on_search(done, total)
        if user is not None:
            user(done, total)
        if should_yield is not None and calls[0] > 1 and done < total and should_yield():
            raise JobYielded(f"the clone search steps aside after round {done}/{total} for waiting jobs")

    return {**kwargs, "search_progress": on_round}


def _chunks(synth: Any, text: str, warnings: list[str], stats: dict[str, float],
            progress: Callable[[int, int], None] | None, kwargs: dict[str, Any], segments: list):
    """Segments from ``synth.stream`` (or the whole result from ``synthesize`` if it has no stream)."""
    if callable(getattr(synth, "stream", None)):
        gen = synth.stream(text, progress=progress, warnings=warnings, stats=stats, **kwargs)
        try:
            for chunk, info in gen:
                segments.append(info)
                yield chunk
        finally:
            gen.close()
        return
    res = synth.synthesize(text, progress=progress, **kwargs)
    warnings.extend(getattr(res, "warnings", []) or [])
    stats.update({k: float(v) for k, v in (getattr(res, "timings", {}) or {}).items() if k in stats})
    segments.extend(getattr(res, "segments", []) or [])
    yield res.wav


def remove_file(path: Path) -> None:
    """Delete a scratch or partial file; a file that is already gone is fine."""
    try:
        os.unlink(path)
    except FileNotFoundError:
        pass
    except OSError as e:
        log.warning("could not remove %s: %s", path.name, e)

