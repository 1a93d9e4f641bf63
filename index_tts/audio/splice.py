"""Joining synthesized pieces: pauses inside a segment, cutting off look-ahead context, fades.

All functions work on float32 mono arrays and the acoustic model's per-phone durations
(frames of ``hop`` samples), so cuts land exactly on phone boundaries.
"""
from __future__ import annotations

from typing import Sequence

import numpy as np

FADE_S = 0.005  # fade around an inserted pause
JOIN_FADE_S = 0.012  # fade-out where a look-ahead context is cut off


class SegmentAssembler:
    """A segment's own audio from its raw vocoder output, fed in pieces (or all at once).

    The look-ahead context (phones ``context_start`` onwards) is cut off with a short fade-out,
    and ``comma_pause_s`` of silence goes in after each in-segment comma break (``#3``), with
    short fades on both sides. Every change is a gain on a known sample or an insertion at a
    known sample, both fixed by the durations alone, so each fed piece is finished at once: the
    audio of a segment is the same whether it is vocoded whole or in pieces.
    """

    def __init__(self, phones: Sequence[str], durations: np.ndarray, context_start: int | None,
                 comma_pause_s: float, hop: int, sample_rate: int, total_samples: int) -> None:
        durations = np.asarray(durations)
        if context_start is not None:
            durations = durations[:context_start]
            self.end = min(int(durations.sum()) * hop, int(total_samples))
        else:
            self.end = int(total_samples)
        self.durations = durations  # the kept phones' durations
        self.hop = int(hop)
        gain = np.ones(self.end, np.float32)
        if context_start is not None:
            k = min(self.end, int(JOIN_FADE_S * sample_rate))
            if k:
                gain[self.end - k:] *= np.linspace(1.0, 0.0, k, dtype=np.float32) ** 2
        self.pause = np.zeros(max(0, int(round(comma_pause_s * sample_rate))), np.float32)
        cuts: list[int] = []
        if len(self.pause):
            ends = np.cumsum(durations) * hop
            cuts = [int(ends[i]) for i, p in enumerate(phones[:len(durations)]) if p == "#3" and 0 < ends[i] < self.end]
        fade = max(1, int(FADE_S * sample_rate))
        ramp = np.linspace(1.0, 0.0, fade, dtype=np.float32)
        bounds = [0, *cuts, self.end]
        for cut, before, after in zip(cuts, bounds, bounds[2:]):
            k = min(fade, cut - before)  # fade out into the pause ...
            gain[cut - k:cut] *= ramp[fade - k:]
            k = min(fade, after - cut)  # ... and back in after it
            gain[cut:cut + k] *= ramp[::-1][:k]
        self.gain = gain
        self.cuts = cuts
        self._next_cut = 0
        self.pos = 0  # raw samples consumed so far

    def feed(self, raw: np.ndarray) -> np.ndarray:
        """The segment's audio for the next ``len(raw)`` raw samples (samples past the kept end are dropped)."""
        start, stop = self.pos, min(self.pos + len(raw), self.end)
        self.pos += len(raw)
        out = []
        p = start
        while p < stop:
            cut = self.cuts[self._next_cut] if self._next_cut < len(self.cuts) else None
            q = stop if cut is None or cut > stop else cut
            out.append(raw[p - start:q - start] * self.gain[p:q])
            p = q
            if cut is not None and q == cut:
                out.append(self.pause)
                self._next_cut += 1
        return np.concatenate(out).astype(np.float32) if out else np.zeros(0, np.float32)


    def word_spans(self, word_index: Sequence[int], n_words: int) -> list[tuple[int, int]]:
        """(first, end) sample of each of the segment's ``n_words`` words in its own audio: a word's
        phones are those with ``word_index == k``; pauses inserted before or inside it are counted."""
        bounds = np.concatenate([[0], np.cumsum(self.durations)]).astype(np.int64) * self.hop
        cuts = np.asarray(self.cuts, np.int64)
        n_pause = len(self.pause)
        spans: list[tuple[int, int]] = []
        idx = np.asarray(word_index[:len(self.durations)])
        for k in range(n_words):
            where = np.nonzero(idx == k)[0]
            if not len(where):
                spans.append((spans[-1][1], spans[-1][1]) if spans else (0, 0))  # a word with no sound
                continue
            a, b = int(min(bounds[where[0]], self.end)), int(min(bounds[where[-1] + 1], self.end))
            spans.append((a + n_pause * int(np.sum(cuts <= a)), b + n_pause * int(np.sum(cuts < b))))
        return spans


def segment_body(wav: np.ndarray, phones: Sequence[str], durations: np.ndarray, context_start: int | None,
                 comma_pause_s: float, hop: int, sample_rate: int) -> tuple[np.ndarray, np.ndarray]:
    """A segment's own audio from its whole raw audio (see :class:`SegmentAssembler`); returns the
    audio and the kept phones' durations."""
    asm = SegmentAssembler(phones, durations, context_start, comma_pause_s, hop, sample_rate, len(wav))
    return asm.feed(wav), asm.durations


# Pauses between segments (the Synthesizer appends one after each segment).
PHRASE_PAUSE_RATIO = 0.5  # a cut where the text has no punctuation: this share of the comma pause
# The model ends an utterance right after its last syllable; a short tail of silence keeps
# players (and listeners) from clipping the final sound.
TAIL_SILENCE_S = 0.2


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
