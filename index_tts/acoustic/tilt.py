"""Spectral tilt and per-symbol gain of model-space mels (brightness and loudness controls).

Mels are log10 magnitudes (z-normalised per bin when the ``MelConfig`` carries statistics),
so a gain of g dB adds g / 20 to the raw log mel, i.e. g / (20 * std) in normalised units.
"""
from __future__ import annotations

import torch

from ..audio.mel_config import MelConfig
from .prosody_math import ENERGY_MEL_SHARE, GAIN_RAMP_FRAMES, mel_band_centres  # noqa: F401 (re-exported)
from .prosody_math import frame_gain_db as _frame_gain_np
from .prosody_math import per_bin_scale, spectral_tilt_offset


def _check_mel(mel: torch.Tensor, cfg: MelConfig) -> None:
    if mel.dim() != 3 or mel.shape[1] != cfg.n_mels:
        raise ValueError(f"mel must be [B, {cfg.n_mels}, T], got {tuple(mel.shape)}")


def apply_spectral_tilt(mel: torch.Tensor, tilt_db_per_octave: float, cfg: MelConfig) -> torch.Tensor:
    """Tilt mel [B, n_mels, T] by ``tilt_db_per_octave`` dB per octave above 1 kHz (+ = brighter)."""
    _check_mel(mel, cfg)
    if tilt_db_per_octave == 0.0:
        return mel
    offset = spectral_tilt_offset(cfg, tilt_db_per_octave)
    off = torch.as_tensor(offset, dtype=mel.dtype, device=mel.device).view(1, -1, 1)
    return mel + off


def frame_gain_db(gain_db: torch.Tensor, durations: torch.Tensor, frames: int,
                  ramp_frames: int = GAIN_RAMP_FRAMES) -> torch.Tensor:
    """Per-symbol dB [B, N] spread over the symbols' frames (durations [B, N]) -> [B, frames].

    Each symbol's value fills its frames; a raised-cosine moving average of ``ramp_frames``
    turns the steps into short ramps (edges are held, so a constant gain stays exact).
    Frames beyond an item's total duration get 0 dB.
    """
    if gain_db.shape != durations.shape or gain_db.dim() != 2:
        raise ValueError(f"gain_db and durations must both be [B, N], got {tuple(gain_db.shape)} "
                         f"and {tuple(durations.shape)}")
    out = _frame_gain_np(gain_db.detach().float().cpu().numpy(), durations.detach().cpu().numpy(), frames,
                         ramp_frames)
    return torch.from_numpy(out).to(gain_db.device)


def apply_frame_gain(mel: torch.Tensor, gain_db: torch.Tensor, durations: torch.Tensor, cfg: MelConfig,
                     ramp_frames: int = GAIN_RAMP_FRAMES) -> torch.Tensor:
    """Add per-symbol gain ``gain_db`` [B, N] (dB) to mel [B, n_mels, T], frames given by durations."""
    _check_mel(mel, cfg)
    frames = frame_gain_db(gain_db, durations, mel.shape[2], ramp_frames)
    off = (frames / 20.0).to(mel.dtype).unsqueeze(1)  # [B, 1, T], raw log10 units
    scale = torch.as_tensor(per_bin_scale(cfg), dtype=mel.dtype, device=mel.device).view(1, -1, 1)
    return mel + off * scale
