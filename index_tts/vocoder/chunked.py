"""Chunked vocoding inside one segment: the first audio leaves after vocoding a short first chunk.

The vocoders (MB-MelGAN, HiFi-GAN, their ONNX exports) are stacks of convolutions, so every output
sample depends on a finite window of mel frames: measured on the default voice's MB-MelGAN, a
change to one frame moves the waveform at most 20.5 frames to either side (the "receptive field",
:func:`receptive_field`; docs/CHUNKED_VOCODING.md has the figures). A chunk ``[start, stop)`` is
therefore vocoded from the window ``[start - ctx, stop + ctx)`` (clipped to the mel) and the
samples ``[start * hop, stop * hop)`` are cut out of it: with ``ctx`` at least the receptive field
those samples are the whole-mel samples (the window's own reflection padding at a cut that is not a
real mel edge only reaches the context frames, which are thrown away). They are equal up to float
rounding: 3.6e-5 of full scale at most in float32 (the conv kernels sum in another order for short
inputs), 1.5e-8 in float64; each join's 20 ms spectrum is within 0.005 dB of the reference, so
the pieces are simply concatenated: no cross-fade.

Real mel edges (frame 0, frame T) get no context and no special treatment: the vocoder's own
reflection padding there is exactly what whole-mel vocoding does.

Numpy only at import: the torch-free ONNX path uses it too (``onnx/runtime.OnnxVocoder`` through
:func:`infer_fn`, or the Synthesizer's runners directly).

    from index_tts.vocoder.chunked import vocode_chunked, infer_fn
    for piece in vocode_chunked(infer_fn(vocoder), mel, hop):   # mel [1, n_mels, T]
        play(piece.wav)                                          # float32 [(stop - start) * hop]
"""
from __future__ import annotations

import logging
import math
import time
from typing import Any, Callable, Iterator, NamedTuple, Optional, Sequence

import numpy as np

log = logging.getLogger(__name__)

VocoderFn = Callable[[np.ndarray], np.ndarray]
"""``fn(mel float32 [1, n_mels, t]) -> wav float32 [t * hop]`` (one item, whole frames)."""

# Measured receptive field (any change at all): the default MB-MelGAN (baker-zh) 20.1 frames left,
# 20.5 right; HiFi-GAN V1 at hop 300 18.6 / 18.3, V3 8.9 (docs/CHUNKED_VOCODING.md). 24 leaves a
# margin of 3.5 frames; a new vocoder architecture is checked with receptive_field().
CONTEXT_FRAMES = 24
FIRST_FRAMES = 40  # 0.5 s at hop 300 / 24 kHz: the first audio
CHUNK_FRAMES = 200  # 2.5 s: the largest later chunk
GROWTH = 2.0  # 40, 80, 160, 200, 200, ...: each chunk takes less to vocode than its predecessor plays
MIN_TAIL = 8  # a last chunk shorter than this (0.1 s) is merged into the one before it


class VocodedChunk(NamedTuple):
    """One piece of a segment's audio: mel frames ``[start, stop)`` -> ``wav`` (``(stop - start) * hop``)."""

    start: int
    stop: int
    wav: np.ndarray


def plan_chunks(n_frames: int, first_frames: int = FIRST_FRAMES, chunk_frames: int = CHUNK_FRAMES,
                growth: float = GROWTH, min_tail: int = MIN_TAIL) -> list[tuple[int, int]]:
    """Frame ranges ``[(0, a), (a, b), ..., (y, n_frames)]`` covering the mel in order.

    The first chunk has ``first_frames``; each next one is ``growth`` times the previous, capped at
    ``chunk_frames``. A final chunk shorter than ``min_tail`` joins the previous one (so a mel of up
    to ``first_frames + min_tail - 1`` frames is one chunk); ``min_tail <= 1`` never merges.
    """
    n = int(n_frames)
    if n < 1:
        raise ValueError(f"plan_chunks: the mel has no frames ({n})")
    if first_frames < 1 or chunk_frames < 1 or growth < 1.0:
        raise ValueError(f"plan_chunks: need first_frames >= 1, chunk_frames >= 1, growth >= 1 "
                         f"(got {first_frames}, {chunk_frames}, {growth})")
    plan: list[tuple[int, int]] = []
    start, size = 0, min(int(first_frames), n)
    while start < n:
        stop = min(start + size, n)
        if 0 < n - stop < min_tail:  # the rest would be a tiny last chunk: take it now
            stop = n
        plan.append((start, stop))
        start = stop
        size = max(1, min(int(chunk_frames), int(math.ceil(size * growth))))
    return plan


def _as_mel(mel: Any) -> np.ndarray:
    m = np.asarray(mel.detach().float().cpu() if hasattr(mel, "detach") else mel, dtype=np.float32)
    if m.ndim == 2:
        m = m[None]
    if m.ndim != 3 or m.shape[0] != 1:
        raise ValueError(f"vocode_chunked: expected one mel [1, n_mels, T] or [n_mels, T], got {m.shape}")
    if m.shape[2] < 1:
        raise ValueError("vocode_chunked: the mel has no frames")
    return m


def _window(start: int, stop: int, n: int, ctx: int, min_frames: int) -> tuple[int, int]:
    """The vocoded frames for chunk [start, stop): ctx real frames either side, at least min_frames."""
    lo, hi = max(0, start - ctx), min(n, stop + ctx)
    short = min_frames - (hi - lo)
    if short > 0:  # widen with real frames rather than let the vocoder repeat the last one
        hi = min(n, hi + short)
        lo = max(0, lo - (min_frames - (hi - lo)))
    return lo, hi


def vocode_chunked(fn: VocoderFn, mel: Any, hop: int, *, first_frames: int = FIRST_FRAMES,
                   chunk_frames: int = CHUNK_FRAMES, growth: float = GROWTH, ctx: int = CONTEXT_FRAMES,
                   min_frames: int = 1, min_tail: int = MIN_TAIL, stop: Optional[int] = None,
                   plan: Optional[Sequence[tuple[int, int]]] = None) -> Iterator[VocodedChunk]:
    """Vocode ``mel`` ([1, n_mels, T] or [n_mels, T], numpy or torch) chunk by chunk, in order.

    Yields :class:`VocodedChunk` pieces whose ``wav`` concatenation equals ``fn(mel)`` within float
    rounding when ``ctx`` covers the vocoder's receptive field. ``stop`` vocodes only frames
    ``[0, stop)`` (a segment's own frames: the look-ahead context after them is still read as
    context, never vocoded for output). ``plan`` overrides the chunk ranges (contiguous, from 0 to
    ``stop`` or T); otherwise :func:`plan_chunks` makes them. A mel that fits in one chunk is
    vocoded in one call. ``min_frames`` is the vocoder's shortest input (its reflection
    pads): a window shorter than that is widened with real frames where the mel has them.
    """
    m = _as_mel(mel)
    n, hop = int(m.shape[2]), int(hop)
    if ctx < 0:
        raise ValueError(f"vocode_chunked: ctx must be >= 0, got {ctx}")
    end = n if stop is None else int(stop)
    if not 1 <= end <= n:
        raise ValueError(f"vocode_chunked: stop must be in [1, {n}], got {stop}")
    ranges = list(plan) if plan is not None else plan_chunks(end, first_frames, chunk_frames, growth, min_tail)
    _check_plan(ranges, end)
    for k, (start, last) in enumerate(ranges):
        lo, hi = _window(start, last, n, int(ctx), int(min_frames))
        t0 = time.perf_counter()
        wav = np.asarray(fn(np.ascontiguousarray(m[:, :, lo:hi])), dtype=np.float32).reshape(-1)
        if wav.shape[0] < (hi - lo) * hop:
            raise ValueError(f"vocode_chunked: the vocoder returned {wav.shape[0]} samples for {hi - lo} frames "
                             f"(hop {hop})")
        piece = wav[(start - lo) * hop:(last - lo) * hop]
        log.debug("chunk %d/%d frames [%d, %d) window [%d, %d): %.1f ms", k + 1, len(ranges), start, last, lo, hi,
                  1000 * (time.perf_counter() - t0))
        yield VocodedChunk(start, last, piece)


def _check_plan(ranges: Sequence[tuple[int, int]], n: int) -> None:
    pos = 0
    for start, stop in ranges:
        if start != pos or stop <= start:
            raise ValueError(f"vocode_chunked: chunk ranges must be contiguous and non-empty from 0, got {ranges}")
        pos = stop
    if pos != n:
        raise ValueError(f"vocode_chunked: chunk ranges end at {pos}, not at frame {n}")


def vocode_all(fn: VocoderFn, mel: Any, hop: int, **kw: Any) -> np.ndarray:
    """The concatenated pieces of :func:`vocode_chunked` (for tests and offline use)."""
    return np.concatenate([c.wav for c in vocode_chunked(fn, mel, hop, **kw)])


# ------------------------------------------------------------------ adapters
def infer_fn(vocoder: Any) -> VocoderFn:
    """A :data:`VocoderFn` for any object with ``infer(mel) -> wav [1, t * hop]`` (the torch vocoders,
    ``OnnxVocoder``); torch results come back as float32 numpy. Imports nothing itself."""

    def fn(mel: np.ndarray) -> np.ndarray:
        out = vocoder.infer(mel)
        if hasattr(out, "detach"):
            out = out.detach().float().cpu().numpy()
        return np.asarray(out, dtype=np.float32)[0]

    return fn


# ------------------------------------------------------------------ measurement
def receptive_field(fn: VocoderFn, mel: Any, hop: int, frame: Optional[int] = None, eps: float = 1e-3,
                    tol: float = 0.0) -> tuple[float, float]:
    """How far (in frames) a change to one mel frame moves the output: ``(left, right)``.

    Adds ``eps`` to every bin of ``frame`` (default: the middle one) and finds the first and last
    output samples that differ from the unperturbed output by more than ``tol``; the distances
    from that frame's own samples, divided by ``hop``. Raises if the change reaches an end of the
    mel (too short to measure: use one several times longer than the answer).
    """
    m = _as_mel(mel)
    n = m.shape[2]
    c = n // 2 if frame is None else int(frame)
    base = np.asarray(fn(m), dtype=np.float32).reshape(-1)[: n * hop]
    p = m.copy()
    p[:, :, c] += eps
    diff = np.abs(np.asarray(fn(p), dtype=np.float32).reshape(-1)[: n * hop] - base)
    changed = np.nonzero(diff > tol)[0]
    if changed.size == 0:
        return 0.0, 0.0
    first, last = int(changed[0]), int(changed[-1])
    if first == 0 or last == n * hop - 1:
        raise ValueError(f"receptive_field: the change at frame {c} reaches an end of the {n}-frame mel")
    return max(0.0, (c * hop - first) / hop), max(0.0, (last + 1 - (c + 1) * hop) / hop)
