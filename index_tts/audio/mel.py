"""The one mel-spectrogram definition used by acoustic models, vocoders and training.

Features are log10 mel magnitudes (Slaney-normalised filterbank, as librosa builds it),
optionally z-normalised per bin with the bundle's ``mel_mean``/``mel_std``. The default
voice's models work in the normalised space.

Two optional settings describe mels made elsewhere (e.g. the universal HiFi-GAN's, see
docs/HIFIGAN.md): ``natural_log`` (ln instead of log10) and ``framing="hop_aligned"``
(reflect-pad ``(n_fft - hop) / 2`` on both sides, no centring, so ``frames == T // hop``).
At their defaults they are left out of ``to_dict()``, so existing configs, bundle files and
feature-cache keys are unchanged.
"""
from __future__ import annotations

from functools import lru_cache

import numpy as np
import torch

from .mel_config import FRAMINGS, MelConfig


@lru_cache(maxsize=8)
def _mel_basis(sr: int, n_fft: int, n_mels: int, fmin: float, fmax: float) -> np.ndarray:
    import librosa

    return librosa.filters.mel(sr=sr, n_fft=n_fft, n_mels=n_mels, fmin=fmin, fmax=fmax).astype(np.float32)


def log_mel_raw(wav: torch.Tensor | np.ndarray, cfg: MelConfig) -> torch.Tensor:
    """log mel of ``wav`` ([T] or [B, T], float in [-1, 1]) -> [B, n_mels, frames] (or [n_mels, frames]).

    log10 (or ln with ``cfg.natural_log``) of the mel magnitude, floored at ``cfg.log_floor``.
    ``framing="center"``: frames are centred (reflect padding), ``frames == T // hop + 1``;
    ``"hop_aligned"``: reflect-pad ``(n_fft - hop) / 2`` each side, ``frames == T // hop``.
    """
    x = torch.as_tensor(wav, dtype=torch.float32)
    squeeze = x.dim() == 1
    if squeeze:
        x = x.unsqueeze(0)
    window = torch.hann_window(cfg.win_length, device=x.device, dtype=x.dtype)
    centred = cfg.framing == "center"
    if not centred:
        pad = (cfg.n_fft - cfg.hop_length) // 2
        x = torch.nn.functional.pad(x.unsqueeze(1), (pad, pad), mode="reflect").squeeze(1)
    spec = torch.stft(
        x,
        n_fft=cfg.n_fft,
        hop_length=cfg.hop_length,
        win_length=cfg.win_length,
        window=window,
        center=centred,
        pad_mode="reflect",
        return_complex=True,
    ).abs()
    basis = torch.from_numpy(_mel_basis(cfg.sample_rate, cfg.n_fft, cfg.n_mels, cfg.fmin, cfg.fmax)).to(x.device)
    mel = torch.matmul(basis, spec)
    mel = torch.clamp(mel, min=cfg.log_floor)
    out = torch.log(mel) if cfg.natural_log else torch.log10(mel)
    return out[0] if squeeze else out


def normalize_mel(log_mel: torch.Tensor, cfg: MelConfig) -> torch.Tensor:
    if not cfg.normalized:
        return log_mel
    mean = torch.tensor(cfg.mel_mean, dtype=log_mel.dtype, device=log_mel.device).unsqueeze(-1)
    std = torch.tensor(cfg.mel_std, dtype=log_mel.dtype, device=log_mel.device).unsqueeze(-1)
    return (log_mel - mean) / std


def denormalize_mel(mel: torch.Tensor, cfg: MelConfig) -> torch.Tensor:
    if not cfg.normalized:
        return mel
    mean = torch.tensor(cfg.mel_mean, dtype=mel.dtype, device=mel.device).unsqueeze(-1)
    std = torch.tensor(cfg.mel_std, dtype=mel.dtype, device=mel.device).unsqueeze(-1)
    return mel * std + mean


def mel_spectrogram(wav: torch.Tensor | np.ndarray, cfg: MelConfig) -> torch.Tensor:
    """Model-space features of ``wav``: log mel, normalised when ``cfg`` carries statistics."""
    return normalize_mel(log_mel_raw(wav, cfg), cfg)
