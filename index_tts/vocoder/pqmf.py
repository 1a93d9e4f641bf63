"""Pseudo-QMF filter bank (cosine-modulated Kaiser prototype) for multi-band vocoders.

Analysis splits a waveform [B, 1, T] into ``subbands`` critically sampled bands
[B, K, T / K]; synthesis reassembles them. Both are single strided convolutions.
"""
from __future__ import annotations

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn


def prototype_filter(taps: int, cutoff_ratio: float, beta: float) -> np.ndarray:
    """Kaiser-windowed ideal low-pass with ``taps + 1`` coefficients (taps must be even)."""
    if taps % 2 != 0:
        raise ValueError(f"PQMF taps must be even, got {taps}")
    if not 0.0 < cutoff_ratio < 1.0:
        raise ValueError(f"PQMF cutoff_ratio must be in (0, 1), got {cutoff_ratio}")
    n = np.arange(taps + 1, dtype=np.float64) - 0.5 * taps
    wc = np.pi * cutoff_ratio
    ideal = np.empty_like(n)
    nz = n != 0
    ideal[nz] = np.sin(wc * n[nz]) / (np.pi * n[nz])
    ideal[~nz] = cutoff_ratio
    return ideal * np.kaiser(taps + 1, beta)


def pqmf_filters(subbands: int, taps: int, cutoff_ratio: float, beta: float) -> tuple[np.ndarray, np.ndarray]:
    """(analysis, synthesis) filters, each [subbands, taps + 1]."""
    proto = prototype_filter(taps, cutoff_ratio, beta)
    n = np.arange(taps + 1, dtype=np.float64) - 0.5 * taps
    k = np.arange(subbands, dtype=np.float64)[:, None]
    phase = (2 * k + 1) * (np.pi / (2 * subbands)) * n[None, :]
    sign = np.where(np.arange(subbands) % 2 == 0, 1.0, -1.0)[:, None] * (np.pi / 4)
    analysis = 2 * proto[None, :] * np.cos(phase + sign)
    synthesis = 2 * proto[None, :] * np.cos(phase - sign)
    return analysis, synthesis


class PQMF(nn.Module):
    def __init__(self, subbands: int = 4, taps: int = 62, cutoff_ratio: float = 0.142, beta: float = 9.0) -> None:
        super().__init__()
        self.subbands = subbands
        self.taps = taps
        analysis, synthesis = pqmf_filters(subbands, taps, cutoff_ratio, beta)
        # [K, 1, L] for analysis conv; synthesis kept in its natural [K, L] layout.
        self.register_buffer("analysis_filter", torch.from_numpy(analysis).float().unsqueeze(1))
        self.register_buffer("synthesis_filter", torch.from_numpy(synthesis).float())

    def analysis(self, wav: torch.Tensor) -> torch.Tensor:
        """[B, 1, T] -> [B, K, T // K]."""
        x = F.pad(wav, (self.taps // 2, self.taps // 2))
        return F.conv1d(x, self.analysis_filter, stride=self.subbands)[..., : wav.shape[-1] // self.subbands]

    def synthesis(self, bands: torch.Tensor) -> torch.Tensor:
        """[B, K, T] -> [B, 1, T * K].

        Equivalent to zero-insertion upsampling by K (gain K) followed by a "same" convolution
        with the synthesis filters, computed as one strided transposed convolution.
        """
        k, half = self.subbands, self.taps // 2
        weight = (self.synthesis_filter.flip(-1) * k).unsqueeze(1)  # [K, 1, L]
        # out = (T - 1) * K - 2 * half + taps + output_padding + 1 = T * K  (taps even).
        return F.conv_transpose1d(bands, weight, stride=k, padding=half, output_padding=k - 1)
