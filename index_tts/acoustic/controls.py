"""Per-phoneme prosody controls consumed by the acoustic model's variance adaptor.

Every array is per input symbol ([N], aligned with the frontend's ``Segment.ids``);
``None`` means "leave the model's prediction alone". Emotion profiles, reference-clip
style and the user's speed/pitch sliders all end up as one ``ProsodyControl``.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Optional

import numpy as np


@dataclass
class ProsodyControl:
    # Durations: predicted frames * duration_scale / speed (speed > 1 is faster).
    speed: float = 1.0
    duration_scale: Optional[np.ndarray] = None  # [N] multipliers, 1.0 = unchanged
    # Pitch in semitones relative to the prediction: f0_hz * 2 ** (pitch_shift / 12).
    pitch_shift: Optional[np.ndarray] = None  # [N] semitones
    # Pitch range: deviation of each symbol's log-f0 from the segment's mean log-f0 is
    # multiplied by this (1.0 = unchanged, 1.3 = 30 % wider in semitones).
    pitch_range: Optional[np.ndarray] = None  # [N]
    # Energy (loudness) in dB relative to the prediction.
    energy_db: Optional[np.ndarray] = None  # [N]
    # Global spectral tilt for the vocoder input, dB per octave above 1 kHz (+ = brighter).
    spectral_tilt_db: float = 0.0
    # The voice's own pitch range (Hz, low, high): pitch_shift / pitch_range are softly held
    # inside it (prosody_math.controlled_f0); None: no limit. Alone it changes nothing.
    f0_limits_hz: Optional[tuple[float, float]] = None

    def is_identity(self) -> bool:
        return (
            self.speed == 1.0
            and self.duration_scale is None
            and self.pitch_shift is None
            and self.pitch_range is None
            and self.energy_db is None
            and self.spectral_tilt_db == 0.0
        )

    def validate(self, n: int) -> None:
        # The user's range is checked once, by SynthesisRequest.validate (index_tts/request.py);
        # here only what the length regulator needs: a positive tempo.
        if not (np.isfinite(self.speed) and self.speed > 0.0):
            raise ValueError(f"ProsodyControl.speed must be a positive number, got {self.speed}")
        for name in ("duration_scale", "pitch_shift", "pitch_range", "energy_db"):
            arr = getattr(self, name)
            if arr is not None and np.asarray(arr).shape != (n,):
                raise ValueError(f"ProsodyControl.{name} must have shape ({n},), got {np.asarray(arr).shape}")
