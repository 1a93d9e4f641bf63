"""Variance adaptor: duration / f0 / energy predictors, prosody controls, embeddings."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Optional

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from .config import FastSpeech2Config
from . import prosody_math
from .controls import ProsodyControl
from .prosody_math import check_control  # noqa: F401 (re-exported)
from .layers import ConvChannelsLast
from .length_regulator import regulate_length


class VariancePredictor(nn.Module):
    """(conv -> ReLU -> LayerNorm -> dropout) x L, then a linear layer to one value per symbol."""

    def __init__(self, cfg: FastSpeech2Config) -> None:
        super().__init__()
        chans = [cfg.hidden] + [cfg.predictor_channels] * cfg.predictor_layers
        self.convs = nn.ModuleList(
            ConvChannelsLast(chans[i], chans[i + 1], cfg.predictor_kernel) for i in range(cfg.predictor_layers)
        )
        self.norms = nn.ModuleList(
            nn.LayerNorm(cfg.predictor_channels, eps=cfg.layer_norm_eps) for _ in range(cfg.predictor_layers)
        )
        self.dropout = nn.Dropout(cfg.predictor_dropout)
        self.proj = nn.Linear(cfg.predictor_channels, 1)

    def forward(self, x: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        """x [B, N, C] (masked), mask [B, N] float -> [B, N]."""
        for conv, norm in zip(self.convs, self.norms):
            x = self.dropout(norm(F.relu(conv(x))))
        return (self.proj(x) * mask.unsqueeze(-1)).squeeze(-1)


class VarianceEmbedding(nn.Module):
    """Embed a per-symbol scalar (f0 or energy) with a 1 -> C convolution."""

    def __init__(self, cfg: FastSpeech2Config) -> None:
        super().__init__()
        self.conv = ConvChannelsLast(1, cfg.hidden, cfg.variance_embed_kernel)

    def forward(self, values: torch.Tensor) -> torch.Tensor:
        return self.conv(values.unsqueeze(-1))


def _dropout(x: torch.Tensor, p: float, generator: Optional[torch.Generator]) -> torch.Tensor:
    """Inverted dropout drawing its mask from ``generator`` (seedable)."""
    if p <= 0.0:
        return x
    if p >= 1.0:
        return torch.zeros_like(x)
    keep = torch.rand(x.shape, generator=generator, device=x.device, dtype=x.dtype) >= p
    return x * keep.to(x.dtype) * (1.0 / (1.0 - p))


def _to_np(t: torch.Tensor) -> np.ndarray:
    return t.detach().float().cpu().numpy()


def _control_array(value, ref: torch.Tensor, name: str) -> Optional[torch.Tensor]:
    """ProsodyControl field ([N] or [B, N]) -> tensor broadcastable to ref [B, N]."""
    a = prosody_math.control_array(value, tuple(ref.shape), name)
    return None if a is None else torch.from_numpy(a).to(device=ref.device, dtype=ref.dtype)


# The controls' arithmetic lives in acoustic/prosody_math.py (numpy, shared with the ONNX
# backend); these wrappers take and give tensors.
def controlled_durations(
    log_duration: torch.Tensor, mask: torch.Tensor, cfg: FastSpeech2Config, control: Optional[ProsodyControl]
) -> torch.Tensor:
    """Predicted log durations [B, N] -> integer frames [B, N] (see ``prosody_math.controlled_durations``)."""
    out = prosody_math.controlled_durations(_to_np(log_duration), _to_np(mask), cfg, control)
    return torch.from_numpy(out).to(log_duration.device)


def controlled_f0(
    f0: torch.Tensor, mask: torch.Tensor, weights: torch.Tensor, cfg: FastSpeech2Config, control: Optional[ProsodyControl]
) -> torch.Tensor:
    """pitch_range / pitch_shift applied to normalised per-symbol f0 [B, N] (``prosody_math.controlled_f0``)."""
    if control is None or (control.pitch_shift is None and control.pitch_range is None):
        return f0
    out = prosody_math.controlled_f0(_to_np(f0), _to_np(mask), _to_np(weights), cfg, control)
    return torch.from_numpy(out).to(device=f0.device, dtype=f0.dtype)


def controlled_energy(
    energy: torch.Tensor, mask: torch.Tensor, cfg: FastSpeech2Config, control: Optional[ProsodyControl]
) -> torch.Tensor:
    """energy_db applied to normalised per-symbol energy [B, N] (``prosody_math.controlled_energy``)."""
    if control is None or control.energy_db is None:
        return energy
    out = prosody_math.controlled_energy(_to_np(energy), _to_np(mask), cfg, control)
    return torch.from_numpy(out).to(device=energy.device, dtype=energy.dtype)


@dataclass
class VarianceOutput:
    frames: torch.Tensor  # [B, T, C] length-regulated hidden states
    mel_mask: torch.Tensor  # [B, T] bool
    log_duration_pred: torch.Tensor  # [B, N]
    f0_pred: torch.Tensor  # [B, N] normalised
    energy_pred: torch.Tensor  # [B, N] normalised
    durations: torch.Tensor  # [B, N] frames actually used
    f0: torch.Tensor  # [B, N] f0 actually embedded
    energy: torch.Tensor  # [B, N] energy actually embedded


class VarianceAdaptor(nn.Module):
    def __init__(self, cfg: FastSpeech2Config) -> None:
        super().__init__()
        self.cfg = cfg
        self.duration_predictor = VariancePredictor(cfg)
        self.f0_predictor = VariancePredictor(cfg)
        self.energy_predictor = VariancePredictor(cfg)
        self.f0_embedding = VarianceEmbedding(cfg)
        self.energy_embedding = VarianceEmbedding(cfg)

    def forward(
        self,
        x: torch.Tensor,
        mask: torch.Tensor,
        durations: Optional[torch.Tensor] = None,
        f0: Optional[torch.Tensor] = None,
        energy: Optional[torch.Tensor] = None,
        control: Optional[ProsodyControl] = None,
        embed_dropout: bool = False,
        generator: Optional[torch.Generator] = None,
    ) -> VarianceOutput:
        """x [B, N, C] encoder output (masked), mask [B, N] float.

        Targets (durations/f0/energy) teacher-force the adaptor; otherwise predictions are
        used with ``control`` applied per symbol.
        """
        cfg = self.cfg
        xin = x * mask.unsqueeze(-1)
        log_dur = self.duration_predictor(xin, mask)
        energy_pred = self.energy_predictor(xin, mask)
        f0_pred = self.f0_predictor(xin, mask)

        if durations is None:
            durations = controlled_durations(log_dur, mask, cfg, control)
        else:
            durations = (durations.long().clamp_min(0) * mask.long())
        if f0 is None:
            f0 = controlled_f0(f0_pred, mask, durations.to(f0_pred.dtype), cfg, control)
        if energy is None:
            energy = controlled_energy(energy_pred, mask, cfg, control)

        f0_emb = self.f0_embedding(f0 * mask)
        energy_emb = self.energy_embedding(energy * mask)
        if self.training:
            f0_emb = F.dropout(f0_emb, cfg.variance_embed_dropout, True)
            energy_emb = F.dropout(energy_emb, cfg.variance_embed_dropout, True)
        elif embed_dropout:
            energy_emb = _dropout(energy_emb, cfg.variance_embed_dropout, generator)
            f0_emb = _dropout(f0_emb, cfg.variance_embed_dropout, generator)
        h = x + (f0_emb + energy_emb)
        frames, mel_mask = regulate_length(h, durations)
        return VarianceOutput(frames, mel_mask, log_dur, f0_pred, energy_pred, durations, f0, energy)
