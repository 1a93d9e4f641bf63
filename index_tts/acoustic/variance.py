"""Variance adaptor: duration / f0 / energy predictors, prosody controls, embeddings."""
from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Optional

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from .config import FastSpeech2Config
from .controls import ProsodyControl
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


def _control_array(value, ref: torch.Tensor, name: str) -> Optional[torch.Tensor]:
    """ProsodyControl field ([N] or [B, N]) -> tensor broadcastable to ref [B, N]."""
    if value is None:
        return None
    t = torch.as_tensor(np.asarray(value, dtype=np.float32) if not isinstance(value, torch.Tensor) else value)
    t = t.to(device=ref.device, dtype=ref.dtype)
    if t.dim() == 1:
        t = t.unsqueeze(0)
    if t.dim() != 2 or t.shape[1] != ref.shape[1] or t.shape[0] not in (1, ref.shape[0]):
        raise ValueError(f"ProsodyControl.{name}: expected shape ({ref.shape[1]},) or {tuple(ref.shape)}, got {tuple(t.shape)}")
    if not torch.isfinite(t).all():
        raise ValueError(f"ProsodyControl.{name} contains non-finite values")
    return t


def check_control(control: Optional[ProsodyControl]) -> None:
    if control is None:
        return
    if not isinstance(control, ProsodyControl):
        raise TypeError(f"control must be a ProsodyControl, got {type(control).__name__}")
    if not (0.1 <= float(control.speed) <= 10.0):
        raise ValueError(f"ProsodyControl.speed must be within [0.1, 10], got {control.speed}")


def controlled_durations(
    log_duration: torch.Tensor, mask: torch.Tensor, cfg: FastSpeech2Config, control: Optional[ProsodyControl]
) -> torch.Tensor:
    """Predicted log durations [B, N] -> integer frames [B, N] with duration_scale / speed applied.

    Rounds half to even (as the original graph does) and keeps every frame count >= 0; an
    item whose durations would all round to zero keeps one frame on its longest symbol.
    """
    frames = torch.relu(torch.exp(log_duration) - cfg.duration_offset)
    if control is not None:
        scale = _control_array(control.duration_scale, frames, "duration_scale")
        if scale is not None:
            if (scale < 0).any():
                raise ValueError("ProsodyControl.duration_scale must be >= 0")
            frames = frames * scale
        if float(control.speed) != 1.0:
            frames = frames / float(control.speed)
    frames = frames * mask
    out = torch.round(frames).clamp_min(0).long()
    empty = (out.sum(dim=1) == 0) & (mask.sum(dim=1) > 0)
    if bool(empty.any()):
        best = torch.argmax(frames.masked_fill(mask == 0, -1.0), dim=1)
        out[empty, best[empty]] = 1
    return out


def controlled_f0(
    f0: torch.Tensor, mask: torch.Tensor, weights: torch.Tensor, cfg: FastSpeech2Config, control: Optional[ProsodyControl]
) -> torch.Tensor:
    """Apply pitch_range / pitch_shift (semitones) to normalised per-symbol f0 [B, N].

    Works in Hz (``f0_mean_hz + f0_std_hz * f0``); symbols predicted below ``f0_floor_hz``
    are left alone. ``pitch_range`` scales the log-f0 deviation from the segment's
    duration-weighted voiced mean.
    """
    if control is None or (control.pitch_shift is None and control.pitch_range is None):
        return f0
    shift = _control_array(control.pitch_shift, f0, "pitch_shift")
    prange = _control_array(control.pitch_range, f0, "pitch_range")
    hz = cfg.f0_mean_hz + cfg.f0_std_hz * f0
    voiced = (hz > cfg.f0_floor_hz) & (mask > 0)
    log_hz = torch.log(hz.clamp_min(cfg.f0_floor_hz))
    new = log_hz
    if prange is not None:
        w = weights.clamp_min(1e-3) * voiced.to(f0.dtype)
        centre = (log_hz * w).sum(dim=1, keepdim=True) / w.sum(dim=1, keepdim=True).clamp_min(1e-6)
        new = centre + prange * (new - centre)
    if shift is not None:
        new = new + shift * (math.log(2.0) / 12.0)
    out = (torch.exp(new) - cfg.f0_mean_hz) / cfg.f0_std_hz
    return torch.where(voiced, out, f0)


def controlled_energy(
    energy: torch.Tensor, mask: torch.Tensor, cfg: FastSpeech2Config, control: Optional[ProsodyControl]
) -> torch.Tensor:
    """Apply energy_db to normalised per-symbol energy [B, N] (linear magnitude units)."""
    if control is None or control.energy_db is None:
        return energy
    db = _control_array(control.energy_db, energy, "energy_db")
    lin = (cfg.energy_mean + cfg.energy_std * energy).clamp_min(0.0)
    out = (lin * torch.pow(10.0, db / 20.0) - cfg.energy_mean) / cfg.energy_std
    return torch.where(mask > 0, out, energy)


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
