"""Map one mel feature space onto another: our 24 kHz model mels -> the universal HiFi-GAN's mel.

Two stages, both linear and cheap next to any vocoder:

- :class:`MelAdapter`, fixed, derived from the two ``MelConfig`` alone: each source band's mean
  magnitude per STFT bin (band value / filter area) is spread back over the bins it covers
  (triangle weights; bins outside the source's fmin..fmax take the nearest band), that spectrum
  is read at the target's bin frequencies and summed by the target filterbank (one non-negative
  ``n_dst x n_src`` matrix on magnitudes, scaled by the ratio of window sums: a harmonic's STFT
  peak grows with the window). Time: linear interpolation of the log mel onto the target's
  frame rate.
- a **fitted correction** (:func:`fit_correction`): a ridge regression from the fixed map's frames
  ``t-C..t+C`` (plus a bias) to the true target mel of the same audio. The fixed map alone cannot
  restore what the source mel never had (nothing below its fmin; harmonics resolved by another
  STFT); fitted on real speech it recovers most of it (docs/HIFIGAN.md: adapted-mel error 0.34 ->
  0.15 mean |ln| difference).
"""
from __future__ import annotations

from typing import Sequence

import numpy as np
import torch
import torch.nn.functional as F

from ..audio.mel_config import MelConfig


def fixed_matrix(src: MelConfig, dst: MelConfig) -> np.ndarray:
    """The ``[dst.n_mels, src.n_mels]`` magnitude map described in the module docstring."""
    from ..audio.mel import _mel_basis

    b1 = _mel_basis(src.sample_rate, src.n_fft, src.n_mels, src.fmin, src.fmax).astype(np.float64)
    b2 = _mel_basis(dst.sample_rate, dst.n_fft, dst.n_mels, dst.fmin, dst.fmax).astype(np.float64)
    f1 = np.arange(b1.shape[1]) * src.sample_rate / src.n_fft
    f2 = np.arange(b2.shape[1]) * dst.sample_rate / dst.n_fft
    area = b1.sum(axis=1)  # band value = mean bin magnitude * area
    spread = b1.T.copy()  # [bins1, n_src]
    centres = np.array([f1[np.argmax(row)] for row in b1])
    for k in np.where(spread.sum(axis=1) <= 0)[0]:  # outside the source's fmin..fmax: nearest band
        spread[k, np.argmin(np.abs(centres - f1[k]))] = 1.0
    spread /= spread.sum(axis=1, keepdims=True)
    to_src_bins = spread / area[None, :]
    interp = np.zeros((len(f2), len(f1)))  # target bins read off the source spectrum
    idx = np.clip(np.searchsorted(f1, f2) - 1, 0, len(f1) - 2)
    w = np.clip((f2 - f1[idx]) / (f1[idx + 1] - f1[idx]), 0.0, 1.0)
    interp[np.arange(len(f2)), idx] = 1 - w
    interp[np.arange(len(f2)), idx + 1] = w
    scale = np.hanning(dst.win_length + 2)[1:-1].sum() / np.hanning(src.win_length + 2)[1:-1].sum()
    return (b2 @ interp @ to_src_bins * scale).astype(np.float32)


def target_frames(n_src_frames: int, src: MelConfig, dst: MelConfig) -> int:
    """How many target frames cover ``n_src_frames`` source frames (same duration, rounded)."""
    ratio = (src.hop_length / src.sample_rate) / (dst.hop_length / dst.sample_rate)
    return max(1, int(round(n_src_frames * ratio)))


class MelAdapter:
    """The fixed map: model-space source mel ``[B, n_src, T]`` -> target log mel ``[B, n_dst, T']``."""

    def __init__(self, src: MelConfig, dst: MelConfig) -> None:
        self.src, self.dst = src, dst
        self.matrix = torch.from_numpy(fixed_matrix(src, dst))

    def __call__(self, mel: torch.Tensor) -> torch.Tensor:
        return fixed_map(mel, self.matrix, self.src, self.dst)


def fixed_map(mel: torch.Tensor, matrix: torch.Tensor, src: MelConfig, dst: MelConfig) -> torch.Tensor:
    from ..audio.mel import denormalize_mel

    log_src = denormalize_mel(mel.float(), src)
    mag = torch.exp(log_src) if src.natural_log else torch.pow(10.0, log_src)
    out = torch.clamp(torch.einsum("nm,bmt->bnt", matrix.to(mag), mag), min=dst.log_floor)
    log_dst = torch.log(out) if dst.natural_log else torch.log10(out)
    return F.interpolate(log_dst, size=target_frames(mel.shape[2], src, dst), mode="linear", align_corners=False)


def context_features(x: torch.Tensor, context: int) -> torch.Tensor:
    """``[B, n, T]`` -> ``[B, T, n * (2C + 1) + 1]``: frames t-C..t+C (edges replicated) and a 1."""
    padded = F.pad(x, (context, context), mode="replicate")
    cols = [padded[:, :, i: i + x.shape[2]] for i in range(2 * context + 1)]
    ones = torch.ones(x.shape[0], 1, x.shape[2], dtype=x.dtype, device=x.device)
    return torch.cat([*cols, ones], dim=1).transpose(1, 2)


def apply_correction(fixed: torch.Tensor, weights: torch.Tensor, dst: MelConfig, context: int) -> torch.Tensor:
    """Fixed-map output ``[B, n_dst, T]`` -> corrected target log mel (floored like real features)."""
    out = (context_features(fixed, context) @ weights.to(fixed)).transpose(1, 2)
    floor = float(np.log(dst.log_floor)) if dst.natural_log else float(np.log10(dst.log_floor))
    return torch.clamp(out, min=floor)


def fit_correction(base: MelAdapter, wavs: Sequence[np.ndarray], sr: int, context: int = 2,
                   ridge: float = 1.0) -> torch.Tensor:
    """Ridge weights ``[n_dst * (2C + 1) + 1, n_dst]`` from paired mels of the same audio.

    Each clip is analysed with both configs (resampled to each rate); the fixed map's output
    frames, with context, are regressed onto the true target frames."""
    from ..audio.mel import mel_spectrogram
    from ..importers.hifigan_universal import resample

    if not len(wavs):
        raise ValueError("fit_correction needs at least one clip")
    dim = base.dst.n_mels * (2 * context + 1) + 1
    gram = torch.zeros(dim, dim, dtype=torch.float64)
    cross = torch.zeros(dim, base.dst.n_mels, dtype=torch.float64)
    for wav in wavs:
        src = mel_spectrogram(torch.from_numpy(resample(wav, sr, base.src.sample_rate)), base.src)[None]
        true = mel_spectrogram(torch.from_numpy(resample(wav, sr, base.dst.sample_rate)), base.dst)
        got = base(src)
        n = min(got.shape[2], true.shape[1])
        x = context_features(got[:, :, :n], context)[0].double()
        gram += x.T @ x
        cross += x.T @ true[:, :n].T.double()
    gram += ridge * torch.eye(dim, dtype=torch.float64)
    return torch.linalg.solve(gram, cross).float()


class FittedMelAdapter:
    """:class:`MelAdapter` followed by the fitted correction (callable like the fixed map)."""

    def __init__(self, base: MelAdapter, weights: torch.Tensor, context: int = 2) -> None:
        self.base, self.w, self.context = base, weights, context
        self.src, self.dst = base.src, base.dst

    @classmethod
    def fit(cls, base: MelAdapter, wavs: Sequence[np.ndarray], sr: int, context: int = 2,
            ridge: float = 1.0) -> "FittedMelAdapter":
        return cls(base, fit_correction(base, wavs, sr, context, ridge), context)

    def __call__(self, mel: torch.Tensor) -> torch.Tensor:
        return apply_correction(self.base(mel), self.w, self.dst, self.context)
