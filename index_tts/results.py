"""What a synthesis returns: the audio, per-segment timing and the run's figures."""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np


@dataclass
class SegmentInfo:
    index: int
    text: str
    normalized: str
    phones: list[str]
    start_s: float = 0.0
    end_s: float = 0.0
    frames: int = 0


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
