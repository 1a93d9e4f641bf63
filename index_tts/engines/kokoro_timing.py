"""Word timing for the Kokoro engine (each word's samples from the graph's per-token durations) and
the small waveform helpers of its clause joins."""
from __future__ import annotations

from typing import Optional

import numpy as np

from ..frontend.kokoro_phonemes import segment_aligned_phonemes
from .kokoro_graph import piece_offsets


def word_spans(segment, timing: list) -> Optional[list[tuple[int, int]]]:
    """Each word's (first, end) sample from rendered pieces' token durations (``render_phonemes``'s
    ``timing``, first samples relative to the segment); None when a piece cannot be placed.

    Every character of a piece belongs to one of the segment's symbols (``segment_aligned_phonemes``);
    a token's duration, scaled so a piece's durations fill its samples, times that symbol, and a
    word spans its symbols' times."""
    text, owners = segment_aligned_phonemes(segment)
    words = list(segment.word_index)  # the look-ahead context's symbols have none (-1) and no owner
    offsets = piece_offsets(text, [piece for piece, *_ in timing])
    if offsets is None:
        return None
    first: dict[int, float] = {}
    last: dict[int, float] = {}
    for (piece, dur, n, start), at in zip(timing, offsets):
        if len(dur) != len(piece) + 2:
            return None
        unit = n / max(1.0, float(np.sum(dur)))
        t = start + float(dur[0]) * unit
        for j in range(len(piece)):
            sym, t0, t = owners[at + j], t, t + float(dur[j + 1]) * unit
            first[sym], last[sym] = min(first.get(sym, t0), t0), max(last.get(sym, t), t)
    out: list[tuple[int, int]] = []
    for k in range(len(segment.words)):
        syms = [i for i, w in enumerate(words) if w == k and i in first]
        if not syms:
            out.append((out[-1][1], out[-1][1]) if out else (0, 0))
            continue
        out.append((int(round(min(first[i] for i in syms))), int(round(max(last[i] for i in syms)))))
    return out


def pull_to_sound(wav: np.ndarray, spans: list[tuple[int, int]], sample_rate: int,
                  floor: float = 0.02, min_s: float = 0.05) -> list[tuple[int, int]]:
    """Spans pulled in to the sound: Kokoro lets a clause's last vowel carry the silence after it,
    so 10 ms windows quieter than ``floor`` x the segment's peak are dropped from a word's ends
    (a word keeps at least ``min_s``)."""
    win, keep = sample_rate // 100, int(min_s * sample_rate)
    loud = floor * float(np.abs(wav).max()) if wav.size else 0.0
    quiet = lambda a, b: b > a and float(np.abs(wav[a:b]).max()) < loud
    out = []
    for a, b in spans:
        while b - a > keep and quiet(b - win, b):
            b -= win
        while b - a > keep and quiet(a, a + win):
            a += win
        out.append((a, b))
    return out


def fade_edges(wav: np.ndarray, n: int) -> np.ndarray:
    """Short linear fade-in/out so clause joins do not click."""
    n = min(n, len(wav) // 2)
    if n <= 0:
        return wav
    wav = wav.copy()
    ramp = np.linspace(0.0, 1.0, n, dtype=np.float32)
    wav[:n] *= ramp
    wav[-n:] *= ramp[::-1]
    return wav


def limit_peaks(wav: np.ndarray, peak: float, sample_rate: int = 24000, hold_s: float = 0.005,
                smooth_s: float = 0.02) -> np.ndarray:
    """``wav`` with its peaks brought to ``peak``: a gain below 1 only around the samples that exceed
    it (held over ``hold_s``, smoothed over ``smooth_s``), so a louder rendering keeps its loudness
    instead of being scaled down as a whole."""
    from scipy.ndimage import minimum_filter1d, uniform_filter1d

    mag = np.abs(wav)
    if not wav.size or float(mag.max()) <= peak:
        return wav
    need = np.minimum(1.0, peak / np.maximum(mag, 1e-9))
    k = max(1, int(smooth_s * sample_rate))
    gain = minimum_filter1d(need, size=max(1, int(hold_s * sample_rate)) + k, mode="nearest")
    gain = np.minimum(uniform_filter1d(gain, size=k, mode="nearest"), need)  # smooth, never above the need
    return (wav * gain).astype(np.float32)


__all__ = ["fade_edges", "limit_peaks", "pull_to_sound", "word_spans"]
