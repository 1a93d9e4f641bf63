"""Pseudo-QMF filter bank (cosine-modulated Kaiser prototype) for multi-band vocoders.

Analysis splits a waveform [B, 1, T] into ``subbands`` critically sampled bands
[B, K, T / K]; synthesis reassembles them. Both are single strided convolutions.
"""
from __future__ import annotations

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn


def polyphase_conv_transpose1d(
    x: torch.Tensor, weight: torch.Tensor, stride: int, padding: int, out_len: int, bias: torch.Tensor | None = None
) -> torch.Tensor:
    """``conv_transpose1d(x, weight, stride)`` cropped to ``[padding, padding + out_len)``.

    Computed as one ordinary convolution with ``stride * C_out`` channels (one per output
    phase) followed by interleaving, which is faster on CPU than the transposed kernel.
    weight: [C_in, C_out, K] as for ``F.conv_transpose1d``.
    """
    c_in, c_out, k = weight.shape
    q = -(-k // stride)
    w = F.pad(weight, (0, q * stride - k)).view(c_in, c_out, q, stride)
    w = w.permute(3, 1, 0, 2).flip(-1).reshape(stride * c_out, c_in, q)
    z = F.conv1d(F.pad(x, (q - 1, q - 1)), w)
    b, _, m = z.shape
    y = z.view(b, stride, c_out, m).permute(0, 2, 3, 1).reshape(b, c_out, m * stride)
    y = y[..., padding : padding + out_len]
    if y.shape[-1] < out_len:
        y = F.pad(y, (0, out_len - y.shape[-1]))
    return y if bias is None else y + bias.view(1, -1, 1)


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
        return polyphase_conv_transpose1d(bands, weight, k, half, bands.shape[-1] * k)
