"""HiFi-GAN discriminators: multi-period (2-D convs over period-folded audio) and multi-scale.

Each sub-discriminator returns ``(score [B, N], features: list[Tensor])``; the combined
:class:`HiFiGANDiscriminator` returns lists of both over all sub-discriminators.
"""
from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn
from torch.nn.utils.parametrizations import spectral_norm, weight_norm

from .vocoder_config import DiscriminatorConfig

LRELU_SLOPE = 0.1


def _run_stack(convs: nn.ModuleList, post: nn.Module, x: torch.Tensor) -> tuple[torch.Tensor, list[torch.Tensor]]:
    """Leaky-ReLU conv stack + output conv; returns (flattened logits, every layer's features)."""
    feats = []
    for conv in convs:
        x = F.leaky_relu(conv(x), LRELU_SLOPE)
        feats.append(x)
    x = post(x)
    feats.append(x)
    return x.flatten(1), feats


class PeriodDiscriminator(nn.Module):
    """Folds [B, 1, T] into [B, 1, T/p, p] and applies (k, 1) convolutions along time."""

    def __init__(self, period: int, channels: tuple[int, ...], kernel: int, stride: int):
        super().__init__()
        self.period = period
        pad = (kernel - 1) // 2
        layers, cin = [], 1
        for i, c in enumerate(channels):
            s = stride if i < len(channels) - 1 else 1
            layers.append(weight_norm(nn.Conv2d(cin, c, (kernel, 1), (s, 1), padding=(pad, 0))))
            cin = c
        self.convs = nn.ModuleList(layers)
        self.post = weight_norm(nn.Conv2d(cin, 1, (3, 1), 1, padding=(1, 0)))

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, list[torch.Tensor]]:
        b, c, t = x.shape
        if t % self.period:
            n_pad = self.period - t % self.period
            x = F.pad(x, (0, n_pad), mode="reflect" if n_pad < t else "constant")
            t = x.shape[-1]
        x = x.view(b, c, t // self.period, self.period)
        return _run_stack(self.convs, self.post, x)


class ScaleDiscriminator(nn.Module):
    """Strided, grouped 1-D convolutions over (possibly average-pooled) audio."""

    def __init__(self, cfg: DiscriminatorConfig, use_spectral_norm: bool = False):
        super().__init__()
        norm = spectral_norm if use_spectral_norm else weight_norm
        layers, cin = [], 1
        for c, k, s, g in zip(cfg.msd_channels, cfg.msd_kernels, cfg.msd_strides, cfg.msd_groups):
            layers.append(norm(nn.Conv1d(cin, c, k, s, groups=g, padding=(k - 1) // 2)))
            cin = c
        self.convs = nn.ModuleList(layers)
        self.post = norm(nn.Conv1d(cin, 1, 3, 1, padding=1))

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, list[torch.Tensor]]:
        return _run_stack(self.convs, self.post, x)


class HiFiGANDiscriminator(nn.Module):
    """All period discriminators followed by all scale discriminators."""

    def __init__(self, cfg: DiscriminatorConfig):
        super().__init__()
        self.periods = nn.ModuleList(
            PeriodDiscriminator(p, tuple(cfg.mpd_channels), cfg.mpd_kernel, cfg.mpd_stride) for p in cfg.periods
        )
        # The first scale sees raw audio (spectral norm), later ones x2 / x4 average-pooled audio.
        self.scales = nn.ModuleList(ScaleDiscriminator(cfg, use_spectral_norm=(i == 0)) for i in range(cfg.msd_scales))
        self.pool = nn.AvgPool1d(4, 2, padding=2)

    def forward(self, wav: torch.Tensor) -> tuple[list[torch.Tensor], list[list[torch.Tensor]]]:
        scores, feats = [], []
        for d in self.periods:
            s, f = d(wav)
            scores.append(s)
            feats.append(f)
        x = wav
        for i, d in enumerate(self.scales):
            if i > 0:
                x = self.pool(x)
            s, f = d(x)
            scores.append(s)
            feats.append(f)
        return scores, feats


def discriminator_loss(real: list[torch.Tensor], fake: list[torch.Tensor]) -> torch.Tensor:
    """LSGAN: real scores pulled to 1, generated ones to 0 (summed over sub-discriminators)."""
    return sum(torch.mean((1.0 - r.float()) ** 2) + torch.mean(f.float() ** 2) for r, f in zip(real, fake))


def generator_adversarial_loss(fake: list[torch.Tensor]) -> torch.Tensor:
    return sum(torch.mean((1.0 - f.float()) ** 2) for f in fake)


def feature_matching_loss(real: list[list[torch.Tensor]], fake: list[list[torch.Tensor]]) -> torch.Tensor:
    """L1 between discriminator activations on real (detached) and generated audio."""
    return sum(
        torch.mean(torch.abs(r.detach().float() - g.float())) for rs, gs in zip(real, fake) for r, g in zip(rs, gs)
    )
