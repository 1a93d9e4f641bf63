"""The device choice (``pick_device``), plus the per-call ranges under their older import path.

The ranges and their check live in index_tts/request.py (``SETTINGS``); ``LIMITS`` and
``check_range`` are re-exported here for code that imports them from this module.
"""
from __future__ import annotations

from typing import Optional

from .errors import InvalidParameterError
from .request import LIMITS, check_range

__all__ = ["LIMITS", "check_range", "pick_device"]


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
