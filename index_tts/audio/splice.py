"""Joining synthesized pieces: pauses inside a segment, cutting off look-ahead context, fades.

All functions work on float32 mono arrays and the acoustic model's per-phone durations
(frames of ``hop`` samples), so cuts land exactly on phone boundaries.
"""
from __future__ import annotations

from typing import Sequence

import numpy as np

FADE_S = 0.005  # fade around an inserted pause
JOIN_FADE_S = 0.012  # fade-out where a look-ahead context is cut off


def fade_out(wav: np.ndarray, n: int) -> np.ndarray:
    """Fade the last ``n`` samples to zero (squared ramp, in place on a copy)."""
    wav = wav.copy()
    k = min(len(wav), n)
    if k:
        wav[-k:] *= np.linspace(1.0, 0.0, k, dtype=np.float32) ** 2
    return wav


def drop_context(wav: np.ndarray, durations: np.ndarray, context_start: int, hop: int,
                 sample_rate: int) -> tuple[np.ndarray, np.ndarray]:
    """Cut the audio of phones ``context_start`` onwards (a look-ahead context) with a short
    fade-out; returns the audio and the kept phones' durations."""
    durations = durations[:context_start]
    end = min(int(durations.sum()) * hop, len(wav))
    return fade_out(wav[:end], int(JOIN_FADE_S * sample_rate)), durations


def insert_pauses(wav: np.ndarray, phones: Sequence[str], durations: np.ndarray, pause_s: float, hop: int,
                  sample_rate: int, at: str = "#3") -> np.ndarray:
    """Insert ``pause_s`` of silence after each ``at`` break symbol inside the audio, with short
    fades on both sides (a comma inside a segment)."""
    n_pause = int(round(pause_s * sample_rate))
    if n_pause <= 0:
        return wav
    ends = np.cumsum(durations) * hop
    cuts = [int(ends[i]) for i, p in enumerate(phones[:len(durations)]) if p == at and 0 < ends[i] < len(wav)]
    if not cuts:
        return wav
    fade = max(1, int(FADE_S * sample_rate))
    ramp = np.linspace(1.0, 0.0, fade, dtype=np.float32)
    pieces, start = [], 0
    for cut in cuts:
        piece = wav[start:cut].copy()
        k = min(fade, len(piece))
        if k:
            piece[-k:] *= ramp[-k:] if k < fade else ramp
        pieces.append(piece)
        pieces.append(np.zeros(n_pause, np.float32))
        start = cut
    tail = wav[start:].copy()
    k = min(fade, len(tail))
    if k:
        tail[:k] *= ramp[::-1][:k]
    pieces.append(tail)
    return np.concatenate(pieces)


# Pauses between segments (the Synthesizer appends one after each segment).
PHRASE_PAUSE_RATIO = 0.5  # a cut where the text has no punctuation: this share of the comma pause
# The model ends an utterance right after its last syllable; a short tail of silence keeps
# players (and listeners) from clipping the final sound.
TAIL_SILENCE_S = 0.2


def segment_body(wav: np.ndarray, phones: Sequence[str], durations: np.ndarray, context_start: int | None,
                 comma_pause_s: float, hop: int, sample_rate: int) -> tuple[np.ndarray, np.ndarray]:
    """A segment's own audio: its look-ahead context cut off, ``comma_pause_s`` inserted at each
    in-segment comma break; returns the audio and the kept phones' durations."""
    if context_start is not None:
        wav, durations = drop_context(wav, durations, context_start, hop, sample_rate)
    return insert_pauses(wav, phones, durations, comma_pause_s, hop, sample_rate), durations


def pause_after(kind: str, last: bool, sentence_pause_s: float, comma_pause_s: float) -> float:
    """Seconds of silence after a segment whose ``pause_after`` is ``kind`` (the tail after the last)."""
    if last:
        return TAIL_SILENCE_S
    if kind == "sentence":
        return sentence_pause_s
    if kind == "phrase":
        return comma_pause_s * PHRASE_PAUSE_RATIO
    return comma_pause_s


def append_silence(wav: np.ndarray, seconds: float, sample_rate: int) -> np.ndarray:
    """``wav`` followed by ``seconds`` of silence, clipped to [-1, 1] as float32."""
    wav = np.concatenate([wav, np.zeros(int(round(seconds * sample_rate)), np.float32)])
    return np.clip(wav, -1.0, 1.0).astype(np.float32)
