"""``MelConfig``: the mel features a bundle's models share (no torch: the ONNX path reads it too).

The mel function itself lives in ``audio/mel.py``; see its docstring for the feature definition.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Optional, Tuple

import numpy as np

from ..utils.config import ConfigBase


@dataclass(frozen=True)
class MelConfig(ConfigBase):
    sample_rate: int = 24000
    n_fft: int = 2048
    win_length: int = 1200
    hop_length: int = 300
    n_mels: int = 80
    fmin: float = 80.0
    fmax: float = 7600.0
    log_floor: float = 1e-10
    # Per-bin statistics of log10 mels; when set, features are (log_mel - mean) / std.
    mel_mean: Optional[Tuple[float, ...]] = None
    mel_std: Optional[Tuple[float, ...]] = None
    # Added later; omitted from to_dict() at their defaults (backwards compatible).
    natural_log: bool = False  # True: ln(mel) instead of log10(mel)
    framing: str = "center"  # "center": centred frames, T // hop + 1; "hop_aligned": T // hop

    def __post_init__(self) -> None:
        if self.framing not in FRAMINGS:
            raise ValueError(f"MelConfig: framing must be one of {FRAMINGS}, got {self.framing!r}")
        if self.framing == "hop_aligned" and (self.n_fft - self.hop_length) % 2:
            raise ValueError("MelConfig: hop_aligned framing needs n_fft - hop_length to be even")

    def to_dict(self) -> dict:
        out = super().to_dict()
        for key, default in _LATER_FIELDS.items():
            if out[key] == default:
                del out[key]
        return out

    @property
    def normalized(self) -> bool:
        return self.mel_mean is not None and self.mel_std is not None

    def without_stats(self) -> "MelConfig":
        return self.replace(mel_mean=None, mel_std=None)

    def same_features(self, other: "MelConfig", atol: float = 1e-4) -> bool:
        """True when two configs produce interchangeable features (checked at load time)."""
        a, b = self.to_dict(), other.to_dict()
        for key in ("sample_rate", "n_fft", "win_length", "hop_length", "n_mels", "fmin", "fmax"):
            if a[key] != b[key]:
                return False
        if (self.natural_log, self.framing) != (other.natural_log, other.framing):
            return False
        if self.normalized != other.normalized:
            return False
        if self.normalized:
            return bool(
                np.allclose(self.mel_mean, other.mel_mean, atol=atol)
                and np.allclose(self.mel_std, other.mel_std, atol=atol)
            )
        return True


FRAMINGS = ("center", "hop_aligned")
_LATER_FIELDS = {"natural_log": False, "framing": "center"}
