"""Clone timbre: give the student's frames the reference clip's spectral-envelope statistics.

The student conditioned on a clip's GE2E embedding can only reach the voices its training
speakers span, so a clone of an unseen voice lands near the nearest of them. The clone
therefore also gets a linear map on each mel frame's low cepstrum (the first ``n_ceps`` DCT
coefficients of the raw log mel: the spectral envelope; the rest, the harmonics of the pitch
the model chose, is kept). The map gives the model's frames the mean and covariance of the
reference's frames (second-order statistics matching): the model reads a fixed calibration
text with the clone's embedding, and over the speech frames of both

    A = C_ref^(1/2) C_model^(-1/2),   b = mu_ref - A mu_model.

The model side must be read as requests read it (the clip's prosody imitated: a clone read at
its own pitch gets a map that garbles it). No transcript of the clip is needed, nothing is
trained, and the fit takes milliseconds; the calibration reading is the cost (the acoustic model
on ~8 s of speech, not vocoded, once per clip). Frame-local, so a mel
vocoded in pieces gets the same map as a whole one. numpy/scipy, plus the mel normalisation of
``audio/mel.py`` (torch; the student, the only user, runs on torch).
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Optional

import numpy as np

from ..utils.config import ConfigBase

# Read by the model with the clone's embedding to measure its own frames (varied vowels,
# nasals, fricatives and tones; ~8 s). Not the user's text: the map must not depend on it.
CALIBRATION_TEXT = ("我们每天都会说很多话，有时候快，有时候慢。"
                    "春天来了，河边的柳树发出了新芽，孩子们在草地上放风筝。")


@dataclass(frozen=True)
class TimbreConfig(ConfigBase):
    n_ceps: int = 24            # envelope coefficients mapped (of n_mels; 16/24/32/40 measured: docs/VOICES.md)
    strength: float = 1.0       # 0: the zero-shot clone as it is; 1: the full map
    ridge: float = 0.01         # covariance regulariser, relative to the mean variance
    speech_db: float = 40.0     # speech frames: peak within this many dB of the loudest frame's
    min_frames: int = 40        # fewer speech frames in either side (~0.5 s): no map
    max_gain: float = 4.0       # the map's singular values are held within [1/max_gain, max_gain]
    # A noisy clip's frames carry its noise: mapped in, it garbles the clone (measured: CER 0 -> 17-30 %
    # at 20-10 dB SNR, the zero-shot clone 0 %). By the clip's dynamic range (dynamic_range_db): at or
    # above clean_db the full map, at or below noisy_db none, linear between.
    clean_db: float = 25.0
    noisy_db: float = 20.0
    # A band-limited clip (telephone audio: nothing above ~4 kHz) would pass its empty top bands on
    # to the clone. Bands whose 95th-percentile level is more than band_db below the clip's loudest
    # band's are outside it: the map covers the bands below them, the model keeps its own above.
    band_db: float = 70.0
    min_bands: int = 24         # a clip covering fewer bands than this gets no map

    def __post_init__(self) -> None:
        if not 1 <= self.n_ceps:
            raise ValueError(f"TimbreConfig: n_ceps must be >= 1, got {self.n_ceps}")
        if not 0.0 <= self.strength <= 1.0:
            raise ValueError(f"TimbreConfig: strength must be in [0, 1], got {self.strength}")
        if self.max_gain < 1.0 or self.ridge < 0.0 or self.speech_db <= 0.0 or self.min_frames < 2:
            raise ValueError("TimbreConfig: max_gain >= 1, ridge >= 0, speech_db > 0, min_frames >= 2")
        if not self.noisy_db < self.clean_db:
            raise ValueError("TimbreConfig: noisy_db must be below clean_db")
        if self.band_db <= 0.0 or self.min_bands < 1:
            raise ValueError("TimbreConfig: band_db > 0 and min_bands >= 1")


def _raw(mel: np.ndarray, mel_config) -> np.ndarray:
    """Model-space mel [n_mels, T] -> raw log mel (float64; the shared ``audio.mel.denormalize_mel``)."""
    import torch

    from ..audio.mel import denormalize_mel

    return denormalize_mel(torch.from_numpy(np.asarray(mel, np.float64)), mel_config).numpy()


def _normalised(raw: np.ndarray, mel_config) -> np.ndarray:
    """Raw log mel -> model space (the shared ``audio.mel.normalize_mel``)."""
    import torch

    from ..audio.mel import normalize_mel

    return normalize_mel(torch.from_numpy(np.asarray(raw, np.float64)), mel_config).numpy()


def _db(mel_config) -> float:
    """dB per unit of the raw log mel (the log of a magnitude, natural or base 10)."""
    return 20.0 / np.log(10.0) if mel_config.natural_log else 20.0


def speech_frames(mel: np.ndarray, mel_config, speech_db: float = 40.0) -> np.ndarray:
    """Boolean [T]: frames whose loudest bin is within ``speech_db`` of the loudest frame's."""
    raw = _raw(np.asarray(mel), mel_config)
    peak = raw.max(axis=0) * _db(mel_config)
    return peak > peak.max() - speech_db


def dynamic_range_db(mel: np.ndarray, mel_config, n_bands: Optional[int] = None) -> float:
    """95th minus 1st percentile of the frames' mean level in dB: near the SNR for a clip under
    steady white noise (21–25 / 14–17 / 8–9 dB at 30 / 20 / 10 dB SNR, three voices), far above it for a
    clean one. The 1st percentile, not a higher one, so that a clean clip cut without pauses still
    reaches down to its stop closures (43–49 dB; with the 10th percentile 19–25 dB, read as noisy)."""
    raw = _raw(np.asarray(mel), mel_config)[:n_bands]  # n_bands: the lowest bands only (a band-limited clip)
    level = raw.mean(axis=0) * _db(mel_config)
    return float(np.percentile(level, 95) - np.percentile(level, 1))


def covered_bands(mel: np.ndarray, mel_config, speech_db: float = 40.0, band_db: float = 70.0) -> int:
    """How many of the lowest mel bands a clip covers: up to the last band whose 95th-percentile
    level over the speech frames is within ``band_db`` of the loudest band's (80 for a 16 kHz or
    better clip; 62 for 8 kHz telephone audio, whose top bands lie 100-150 dB down)."""
    mel = np.asarray(mel)
    raw = _raw(mel[:, speech_frames(mel, mel_config, speech_db)], mel_config)
    if raw.shape[1] == 0:
        return 0
    p95 = np.percentile(raw, 95, axis=1) * _db(mel_config)
    nb = int(np.nonzero(p95 >= p95.max() - band_db)[0][-1]) + 1
    while nb > 9 and p95[nb - 1] < np.median(p95[nb - 9:nb - 1]) - 15.0:
        nb -= 1  # the cut-off's roll-off (a band far below the eight beneath it) is not covered
    return nb


def _cepstrum(raw: np.ndarray) -> np.ndarray:
    from scipy.fft import dct

    return dct(raw, type=2, norm="ortho", axis=0)


def _inverse_cepstrum(ceps: np.ndarray) -> np.ndarray:
    from scipy.fft import idct

    return idct(ceps, type=2, norm="ortho", axis=0)


def _sym_power(cov: np.ndarray, power: float) -> np.ndarray:
    w, v = np.linalg.eigh(cov)
    return (v * np.maximum(w, 1e-12) ** power) @ v.T


@dataclass(frozen=True)
class TimbreMap:
    """``c[:n] -> (1 - s) c[:n] + s (A c[:n] + b)`` on every frame's cepstrum of the raw log mel
    (of its lowest ``n_bands`` bands when the clip covered only those: the bands above keep the
    model's own shape, moved by the level change at the edge)."""

    matrix: np.ndarray  # [n_ceps, n_ceps]
    bias: np.ndarray    # [n_ceps]
    strength: float
    mel_config: Any
    n_bands: int = 0    # 0: all of them

    @property
    def n_ceps(self) -> int:
        return int(self.bias.shape[0])

    def apply(self, mel: np.ndarray) -> np.ndarray:
        """Model-space mel [n_mels, T] or [B, n_mels, T] -> the same shape and dtype, mapped."""
        mel = np.asarray(mel)
        if mel.ndim == 3:
            return np.stack([self.apply(m) for m in mel])
        if mel.ndim != 2:
            raise ValueError(f"mel must be [n_mels, T] or [B, n_mels, T], got {mel.shape}")
        if self.strength == 0.0 or mel.shape[1] == 0:
            return mel
        raw = _raw(mel, self.mel_config)
        nb = self.n_bands if 0 < self.n_bands < raw.shape[0] else raw.shape[0]
        c = _cepstrum(raw[:nb])
        low = c[: self.n_ceps]
        c[: self.n_ceps] = low + self.strength * (self.matrix @ low + self.bias[:, None] - low)
        mapped = _inverse_cepstrum(c)
        if nb < raw.shape[0]:
            edge = (mapped[nb - 6:nb] - raw[nb - 6:nb]).mean(axis=0)
            mapped = np.concatenate([mapped, raw[nb:] + edge[None]], axis=0)
        return _normalised(mapped, self.mel_config).astype(mel.dtype)


def fit_timbre_map(model_mel: np.ndarray, reference_mel: np.ndarray, mel_config,
                   cfg: TimbreConfig = TimbreConfig()) -> Optional[TimbreMap]:
    """The map that gives ``model_mel``'s speech frames ``reference_mel``'s envelope statistics.

    Both are model-space mels [n_mels, T] (``audio.mel.mel_spectrogram`` of the clip; the
    model's output for the calibration text). None when either has under ``cfg.min_frames``
    speech frames (the clip is too short or silent to say anything about its timbre) or the clip
    is too noisy (``cfg.noisy_db``); between noisy and clean the map's strength is scaled down.
    """
    for mel in (model_mel, reference_mel):
        if np.ndim(mel) != 2 or np.shape(mel)[0] != mel_config.n_mels:
            raise ValueError(f"mels must be [{mel_config.n_mels}, T], got {np.shape(mel)}")
    n_mels = mel_config.n_mels
    nb = covered_bands(reference_mel, mel_config, cfg.speech_db, cfg.band_db)
    if nb < min(cfg.min_bands, n_mels):
        return None
    # as many envelope coefficients per band as over the full range (19 of 64 bands for 24 of 80)
    n = min(cfg.n_ceps, n_mels) if nb == n_mels else max(1, min(nb, round(cfg.n_ceps * nb / n_mels)))
    span = cfg.clean_db - cfg.noisy_db
    clean = min(1.0, max(0.0, (dynamic_range_db(reference_mel, mel_config, nb) - cfg.noisy_db) / span))
    if clean == 0.0:
        return None
    sides = []
    for mel in (model_mel, reference_mel):
        mel = np.asarray(mel)
        keep = speech_frames(mel, mel_config, cfg.speech_db)
        if int(keep.sum()) < cfg.min_frames:
            return None
        sides.append(_cepstrum(_raw(mel[:, keep], mel_config)[:nb])[:n])
    x, y = sides
    reg = [cfg.ridge * float(np.mean(np.var(s, axis=1))) * np.eye(n) for s in (x, y)]
    a = _sym_power(np.cov(y) + reg[1], 0.5) @ _sym_power(np.cov(x) + reg[0], -0.5)
    u, s, vt = np.linalg.svd(a)
    a = (u * np.clip(s, 1.0 / cfg.max_gain, cfg.max_gain)) @ vt
    b = y.mean(axis=1) - a @ x.mean(axis=1)
    return TimbreMap(a.astype(np.float32), b.astype(np.float32), float(cfg.strength) * clean, mel_config,
                     n_bands=nb if nb < n_mels else 0)


class TimbreRunner:
    """A runner (``engines/torch_runner``) whose ``vocode`` maps the mel first; all else is the runner's."""

    def __init__(self, runner: Any, timbre: TimbreMap) -> None:
        self._runner = runner
        self.timbre = timbre

    def __getattr__(self, name: str) -> Any:
        return getattr(self._runner, name)

    def vocode(self, mel: np.ndarray) -> np.ndarray:
        return self._runner.vocode(self.timbre.apply(np.asarray(mel, np.float32)))


class CaptureRunner:
    """A runner that records every mel it makes (``[n_mels, T]`` into ``into``) and vocodes silence."""

    def __init__(self, runner: Any, into: list, hop_length: int) -> None:
        self._runner = runner
        self.into = into
        self.hop_length = int(hop_length)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._runner, name)

    def mel(self, *args: Any, **kw: Any):
        mel, durations = self._runner.mel(*args, **kw)
        self.into.append(np.asarray(mel)[0])
        return mel, durations

    def vocode(self, mel: np.ndarray) -> np.ndarray:
        return np.zeros(np.asarray(mel).shape[-1] * self.hop_length, np.float32)
