"""What a synthesis returns: the audio, per-segment timing and the run's figures."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Optional

import numpy as np


def to_int16(wav: np.ndarray) -> np.ndarray:
    """Float audio as 16-bit PCM samples (NaN/inf -> 0, clipped, x 32767, rounded): the one
    quantisation of every file and stream the product writes (CLI, API, web page)."""
    x = np.asarray(wav, dtype=np.float32).reshape(-1)
    x = np.nan_to_num(x, nan=0.0, posinf=0.0, neginf=0.0)
    return (np.clip(x, -1.0, 1.0) * 32767.0).round().astype("<i2")


@dataclass(frozen=True)
class WordTiming:
    """One lexical word of a segment and where the model put it in the synthesis (seconds)."""

    text: str
    start_s: float
    end_s: float


@dataclass
class SegmentInfo:
    index: int
    text: str
    normalized: str
    phones: list[str]
    start_s: float = 0.0
    end_s: float = 0.0
    frames: int = 0
    # The segment's words, timed from the acoustic model's own phone durations (the Kokoro teacher
    # voices: from the graph's per-phoneme durations; None where they cannot be matched to the text).
    words: Optional[list[WordTiming]] = None


@dataclass
class SynthesisResult:
    wav: np.ndarray
    sample_rate: int
    segments: list[SegmentInfo] = field(default_factory=list)
    timings: dict[str, float] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)

    @property
    def duration_s(self) -> float:
        return len(self.wav) / float(self.sample_rate)
