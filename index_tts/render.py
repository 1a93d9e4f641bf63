"""Pieces of a synthesis: the segments as the frontend makes them, the audio as the vocoder makes it.

``TimedSegments`` hands the Synthesizer a request's segments, whole or sentence by sentence,
timing the frontend. ``vocode_pieces`` vocodes one segment's mel, the text's first segment in
two calls (its first half second alone, for the first audio; ``vocoder/chunked.py`` keeps the
samples those of one call; only the segment's own frames are vocoded, its look-ahead
context is read as context) and passes each piece through the segment's ``SegmentAssembler``.
"""
from __future__ import annotations

import time
from typing import Any, Iterator

import numpy as np

from .audio.splice import SegmentAssembler
from .vocoder.chunked import CONTEXT_FRAMES, FIRST_FRAMES, plan_chunks, vocode_chunked


class TimedSegments:
    """A request's segments (a whole ``Utterance`` or a lazy ``SegmentStream``), adding the time
    spent making each to ``stats["frontend_s"]``; the first is made at once (is there any?)."""

    def __init__(self, source: Any, stats: dict[str, float]) -> None:
        self.total = len(source.segments) if hasattr(source, "segments") else None
        self._it = iter(source.segments if hasattr(source, "segments") else source)
        self._stats = stats
        self._first = self._next()
        self.empty = self._first is None
        self.warnings = list(source.warnings)

    def _next(self) -> Any:
        t0 = time.perf_counter()
        try:
            return next(self._it, None)
        finally:
            self._stats["frontend_s"] = self._stats.get("frontend_s", 0.0) + time.perf_counter() - t0

    def __iter__(self) -> Iterator[Any]:
        seg, self._first = self._first, None
        while seg is not None:
            yield seg
            seg = self._next()


def first_chunk_plan(frames: int, first: bool) -> list[tuple[int, int]]:
    """Frame ranges to vocode: the text's first segment as its first ``FIRST_FRAMES`` and the rest
    (``plan_chunks`` with no growth cap; a too-short rest stays with the first), others whole."""
    return plan_chunks(frames, FIRST_FRAMES if first else frames, chunk_frames=frames, growth=float(frames))


def vocode_pieces(runner: Any, mel: np.ndarray, hop: int, first: bool, asm: SegmentAssembler, lock: Any,
                  stats: dict[str, float]) -> Iterator[tuple[np.ndarray, bool]]:
    """(piece of the segment's own audio, clipped to [-1, 1]; whether more follows)."""
    stop = asm.end // hop  # the segment's own frames; its look-ahead context is read, never vocoded
    if stop == 0:
        yield np.zeros(0, np.float32), False
        return
    # a vocoder that resamples time (``chunkable`` False) vocodes the segment in one call
    plan = first_chunk_plan(stop, first and getattr(runner.vocoder, "chunkable", True))
    chunks = vocode_chunked(runner.vocode, mel, hop, plan=plan, ctx=CONTEXT_FRAMES, stop=stop,
                            min_frames=int(getattr(runner.vocoder, "min_frames", 1)))
    for k in range(len(plan)):
        t0 = time.perf_counter()
        with lock:
            chunk = next(chunks)
        stats["vocoder_s"] = stats.get("vocoder_s", 0.0) + (time.perf_counter() - t0)
        yield np.clip(asm.feed(chunk.wav), -1.0, 1.0).astype(np.float32), k < len(plan) - 1
