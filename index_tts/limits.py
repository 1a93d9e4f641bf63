"""User-facing ranges of the per-call settings and their checks, and the device choice.

Used by the Synthesizer (and read by the HTTP API, the web UI and the CLI through
``Synthesizer.info()["limits"]`` or ``LIMITS``).
"""
from __future__ import annotations

from typing import Any, Optional

import numpy as np

from .errors import InvalidParameterError

# User-facing ranges (also used by the HTTP API and the web UI for validation).
LIMITS: dict[str, tuple[float, float]] = {
    "speed": (0.7, 1.3),
    "pitch": (0.8, 1.2),
    "sentence_pause": (0.0, 2.0),
    "comma_pause": (0.0, 2.0),
    "intensity": (0.0, 1.0),
    "reference_strength": (0.0, 1.0),
}


def check_range(name: str, value: Any) -> float:
    lo, hi = LIMITS[name]
    try:
        v = float(value)
    except (TypeError, ValueError):
        raise InvalidParameterError(f"{name} must be a number, got {value!r}") from None
    if not np.isfinite(v) or not (lo <= v <= hi):
        raise InvalidParameterError(f"{name} must be between {lo} and {hi}, got {value!r}")
    return v


def pick_device(device: Optional[str], use_gpu: Optional[bool]) -> str:
    import torch

    if use_gpu is not None:
        device = "cuda" if use_gpu else "cpu"
    device = (device or "auto").lower()
    if device == "auto":
        return "cuda" if torch.cuda.is_available() else "cpu"
    if device.startswith("cuda") and not torch.cuda.is_available():
        raise InvalidParameterError("CUDA was requested but torch sees no GPU; use device='cpu'")
    if device != "cpu" and not device.startswith("cuda"):
        raise InvalidParameterError(f"device must be 'auto', 'cpu' or 'cuda', got {device!r}")
    return device
