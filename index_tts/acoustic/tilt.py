"""Spectral tilt of model-space mels (a global brightness control)."""
from __future__ import annotations

import numpy as np
import torch

from ..audio.mel import MelConfig


def mel_band_centres(cfg: MelConfig) -> np.ndarray:
    """Centre frequency (Hz) of every mel band, as librosa places them."""
    import librosa

    return librosa.mel_frequencies(n_mels=cfg.n_mels + 2, fmin=cfg.fmin, fmax=cfg.fmax)[1:-1]


def apply_spectral_tilt(mel: torch.Tensor, tilt_db_per_octave: float, cfg: MelConfig) -> torch.Tensor:
    """Tilt mel [B, n_mels, T] by ``tilt_db_per_octave`` dB per octave above 1 kHz (+ = brighter).

    Mels are log10 magnitudes (z-normalised per bin when ``cfg`` carries statistics), so a gain
    of g dB adds g / 20 to the raw log mel, i.e. g / (20 * std) in normalised units.
    """
    if mel.dim() != 3 or mel.shape[1] != cfg.n_mels:
        raise ValueError(f"mel must be [B, {cfg.n_mels}, T], got {tuple(mel.shape)}")
    if tilt_db_per_octave == 0.0:
        return mel
    octaves = np.log2(np.maximum(mel_band_centres(cfg), 1000.0) / 1000.0)
    offset = tilt_db_per_octave * octaves / 20.0
    if cfg.normalized:
        offset = offset / np.asarray(cfg.mel_std, dtype=np.float64)
    off = torch.as_tensor(offset, dtype=mel.dtype, device=mel.device).view(1, -1, 1)
    return mel + off
