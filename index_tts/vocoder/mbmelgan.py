"""Multi-band MelGAN generator: mel -> K sub-band signals -> PQMF synthesis -> waveform."""
from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Tuple

import torch
import torch.nn.functional as F
from torch import nn

from ..utils.config import ConfigBase
from .base import Vocoder
from .pqmf import PQMF, polyphase_conv_transpose1d


@dataclass(frozen=True)
class MBMelGANConfig(ConfigBase):
    n_mels: int = 80
    channels: int = 384
    kernel_size: int = 7
    upsample_scales: Tuple[int, ...] = (3, 5, 5)
    stacks: int = 4
    stack_kernel_size: int = 3
    leaky_slope: float = 0.2
    subbands: int = 4
    pqmf_taps: int = 62
    pqmf_cutoff_ratio: float = 0.142
    pqmf_beta: float = 9.0
    sample_rate: int = 24000

    def __post_init__(self) -> None:
        if self.kernel_size % 2 == 0 or self.stack_kernel_size % 2 == 0:
            raise ValueError("MBMelGANConfig: kernel sizes must be odd")
        if self.channels % (2 ** len(self.upsample_scales)) != 0:
            raise ValueError("MBMelGANConfig.channels must be divisible by 2 ** len(upsample_scales)")
        if any(s < 1 for s in self.upsample_scales):
            raise ValueError("MBMelGANConfig.upsample_scales must be positive")

    @property
    def hop_length(self) -> int:
        return int(math.prod(self.upsample_scales)) * self.subbands


class ResidualStack(nn.Module):
    """lrelu -> reflect pad -> dilated conv -> lrelu -> 1x1 conv, plus a 1x1 shortcut."""

    def __init__(self, channels: int, kernel: int, dilation: int, slope: float) -> None:
        super().__init__()
        self.pad = dilation * (kernel - 1) // 2
        self.slope = slope
        self.conv = nn.Conv1d(channels, channels, kernel, dilation=dilation)
        self.proj = nn.Conv1d(channels, channels, 1)
        self.shortcut = nn.Conv1d(channels, channels, 1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        h = F.pad(F.leaky_relu(x, self.slope), (self.pad, self.pad), mode="reflect")
        h = self.proj(F.leaky_relu(self.conv(h), self.slope))
        return self.shortcut(x) + h


class Upsample(nn.Module):
    """lrelu -> transposed conv (kernel 2s, stride s; TF "same" alignment) -> residual stacks."""

    def __init__(self, in_ch: int, out_ch: int, scale: int, cfg: MBMelGANConfig) -> None:
        super().__init__()
        self.scale = scale
        self.slope = cfg.leaky_slope
        self.conv = nn.ConvTranspose1d(in_ch, out_ch, 2 * scale, stride=scale, padding=scale // 2)
        self.stacks = nn.Sequential(
            *(ResidualStack(out_ch, cfg.stack_kernel_size, cfg.stack_kernel_size**j, cfg.leaky_slope)
              for j in range(cfg.stacks))
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        t = x.shape[-1]
        c = self.conv
        h = polyphase_conv_transpose1d(F.leaky_relu(x, self.slope), c.weight, self.scale, c.padding[0], t * self.scale,
                                       c.bias)
        return self.stacks(h)


class MBMelGAN(Vocoder):
    def __init__(self, cfg: MBMelGANConfig) -> None:
        super().__init__()
        self.cfg = cfg
        pad = (cfg.kernel_size - 1) // 2
        self._pad = pad
        self.conv_in = nn.Conv1d(cfg.n_mels, cfg.channels, cfg.kernel_size)
        ups = []
        ch = cfg.channels
        for s in cfg.upsample_scales:
            ups.append(Upsample(ch, ch // 2, s, cfg))
            ch //= 2
        self.upsamples = nn.Sequential(*ups)
        self.conv_out = nn.Conv1d(ch, cfg.subbands, cfg.kernel_size)
        self.pqmf = PQMF(cfg.subbands, cfg.pqmf_taps, cfg.pqmf_cutoff_ratio, cfg.pqmf_beta)
        # Reflection padding needs every stage to be longer than its widest pad.
        widest = cfg.stack_kernel_size ** (cfg.stacks - 1) * (cfg.stack_kernel_size - 1) // 2
        need, scale = pad + 1, 1
        for s in cfg.upsample_scales:
            scale *= s
            need = max(need, -(-(max(widest, pad) + 1) // scale))
        self.min_frames = need

    def subbands(self, mel: torch.Tensor) -> torch.Tensor:
        """mel [B, n_mels, T] -> sub-band signals [B, K, T * prod(upsample_scales)] in [-1, 1]."""
        t = mel.shape[-1]
        if t < self.min_frames:
            # Too short for the reflection pads: extend by repetition, trim afterwards.
            mel = F.pad(mel, (0, self.min_frames - t), mode="replicate")
        h = self.conv_in(F.pad(mel, (self._pad, self._pad), mode="reflect"))
        h = self.upsamples(h)
        h = F.pad(F.leaky_relu(h, self.cfg.leaky_slope), (self._pad, self._pad), mode="reflect")
        out = torch.tanh(self.conv_out(h))
        return out[..., : t * (self.hop_length // self.cfg.subbands)]

    def forward(self, mel: torch.Tensor) -> torch.Tensor:
        """mel [B, n_mels, T] -> wav [B, 1, T * hop]."""
        t = mel.shape[-1]
        wav = self.pqmf.synthesis(self.subbands(mel))
        return wav[..., : t * self.hop_length]
