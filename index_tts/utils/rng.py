"""``TorchRandom``: uniform draws identical to ``torch.rand`` on a CPU generator, without torch.

PyTorch's CPU generator is a 32-bit Mersenne Twister seeded with the low 32 bits of the seed
(the standard ``init_genrand``), and ``torch.rand`` for float32 keeps the low 24 bits of one
32-bit draw per element, times 2**-24, in row-major order. numpy's legacy ``RandomState(seed)``
runs the same twister with the same seeding, so the torch-free ONNX backend draws the same
variance-dropout masks as the PyTorch model for the same seed (tests/test_onnx_torch_free.py).
"""
from __future__ import annotations

from typing import Optional

import numpy as np

_MASK24 = (1 << 24) - 1


class TorchRandom:
    def __init__(self, seed: Optional[int] = None) -> None:
        self._rs = np.random.RandomState(None if seed is None else int(seed) & 0xFFFFFFFF)

    def rand(self, shape: tuple[int, ...]) -> np.ndarray:
        """float32 uniform [0, 1) of ``shape``, as ``torch.rand(shape, generator=g)``."""
        words = self._rs.randint(0, 1 << 32, size=shape, dtype=np.uint64)
        return ((words & _MASK24).astype(np.float32) * np.float32(2.0 ** -24)).astype(np.float32)
