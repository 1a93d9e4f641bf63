"""Spectral tilt and per-symbol gain of model-space mels (brightness and loudness controls).

Mels are log10 magnitudes (z-normalised per bin when the ``MelConfig`` carries statistics),
so a gain of g dB adds g / 20 to the raw log mel, i.e. g / (20 * std) in normalised units.
"""
from __future__ import annotations

import numpy as np
import torch

from ..audio.mel import MelConfig

# Share of ``ProsodyControl.energy_db`` added as a gain on the output mel, on top of the
# model's energy input. On the default voice (energy on every non-silence symbol) the input
# alone moves loudness by about 0.85 dB per dB (-9.3 / -4.8 / +2.8 / +5.3 dB for -12 / -6 /
# +3 / +6 dB) and MB-MelGAN follows a mel gain at about 1.2 dB per dB; a share of 0.1 makes
# the total about one-for-one (-10.9 / -5.6 / -3.1 / +3.1 / +6.0 dB). docs/EMOTION.md.
ENERGY_MEL_SHARE = 0.1
# Length (frames) of the raised-cosine kernel that ramps the gain between symbols
# (5 frames = 62.5 ms at the default hop of 12.5 ms).
GAIN_RAMP_FRAMES = 5


def mel_band_centres(cfg: MelConfig) -> np.ndarray:
    """Centre frequency (Hz) of every mel band, as librosa places them."""
    import librosa

    return librosa.mel_frequencies(n_mels=cfg.n_mels + 2, fmin=cfg.fmin, fmax=cfg.fmax)[1:-1]


def _check_mel(mel: torch.Tensor, cfg: MelConfig) -> None:
    if mel.dim() != 3 or mel.shape[1] != cfg.n_mels:
        raise ValueError(f"mel must be [B, {cfg.n_mels}, T], got {tuple(mel.shape)}")


def _per_bin_scale(cfg: MelConfig, mel: torch.Tensor) -> torch.Tensor:
    """[1, n_mels, 1] factor turning 'dB / 20' (raw log10 units) into model units."""
    inv = np.ones(cfg.n_mels) if not cfg.normalized else 1.0 / np.asarray(cfg.mel_std, dtype=np.float64)
    return torch.as_tensor(inv, dtype=mel.dtype, device=mel.device).view(1, -1, 1)


def apply_spectral_tilt(mel: torch.Tensor, tilt_db_per_octave: float, cfg: MelConfig) -> torch.Tensor:
    """Tilt mel [B, n_mels, T] by ``tilt_db_per_octave`` dB per octave above 1 kHz (+ = brighter)."""
    _check_mel(mel, cfg)
    if tilt_db_per_octave == 0.0:
        return mel
    octaves = np.log2(np.maximum(mel_band_centres(cfg), 1000.0) / 1000.0)
    offset = tilt_db_per_octave * octaves / 20.0
    if cfg.normalized:
        offset = offset / np.asarray(cfg.mel_std, dtype=np.float64)
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
    g = gain_db.to(torch.float32)
    out = torch.zeros(g.shape[0], frames, dtype=torch.float32, device=g.device)
    for b in range(g.shape[0]):
        per = torch.repeat_interleave(g[b], durations[b].long().clamp_min(0).to(g.device))[:frames]
        n = per.shape[0]
        if n == 0:
            continue
        if ramp_frames > 1 and n > 1:
            k = torch.hann_window(ramp_frames + 2, periodic=False, dtype=torch.float32, device=g.device)[1:-1]
            k = k / k.sum()
            half = (ramp_frames - 1) // 2
            padded = torch.cat([per[:1].expand(half), per, per[-1:].expand(ramp_frames - 1 - half)])
            per = torch.nn.functional.conv1d(padded.view(1, 1, -1), k.view(1, 1, -1)).view(-1)
        out[b, :n] = per
    return out


def apply_frame_gain(mel: torch.Tensor, gain_db: torch.Tensor, durations: torch.Tensor, cfg: MelConfig,
                     ramp_frames: int = GAIN_RAMP_FRAMES) -> torch.Tensor:
    """Add per-symbol gain ``gain_db`` [B, N] (dB) to mel [B, n_mels, T], frames given by durations."""
    _check_mel(mel, cfg)
    frames = frame_gain_db(gain_db, durations, mel.shape[2], ramp_frames)
    off = (frames / 20.0).to(mel.dtype).unsqueeze(1)  # [B, 1, T], raw log10 units
    return mel + off * _per_bin_scale(cfg, mel)
