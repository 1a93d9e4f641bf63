"""The device choice (``pick_device``), plus the per-call ranges under their older import path.

The ranges and their check live in index_tts/request.py (``SETTINGS``); ``LIMITS`` and
``check_range`` are re-exported here for code that imports them from this module.
"""
from __future__ import annotations

from typing import Callable, Optional

from .errors import InvalidParameterError
from .request import LIMITS, check_range

__all__ = ["LIMITS", "check_range", "pick_device"]


def pick_device(device: Optional[str], use_gpu: Optional[bool],
                cuda_available: Optional[Callable[[], bool]] = None, runtime: str = "torch") -> str:
    """"auto" | "cpu" | "cuda[:N]" (or ``use_gpu``) -> the device to run on. ``cuda_available``
    says whether the backend can use a GPU (default: PyTorch's view, imported only when asked);
    ``runtime`` names that backend in the error for a GPU that is not there."""
    if use_gpu is not None:
        device = "cuda" if use_gpu else "cpu"
    device = (device or "auto").lower()
    if device != "auto" and device != "cpu" and not device.startswith("cuda"):
        raise InvalidParameterError(f"device must be 'auto', 'cpu' or 'cuda', got {device!r}")
    if device == "cpu":
        return device
    if cuda_available is None:
        def cuda_available() -> bool:
            import torch

            return torch.cuda.is_available()
    if device == "auto":
        return "cuda" if cuda_available() else "cpu"
    if not cuda_available():
        raise InvalidParameterError(f"CUDA was requested but {runtime} sees no GPU; use device='cpu'")
    return device
