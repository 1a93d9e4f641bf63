"""The prosody controls' arithmetic, in numpy: one implementation for both backends.

The PyTorch model (``acoustic/variance.py``, ``acoustic/tilt.py``) and the torch-free ONNX
backend (``onnx/runtime.py``) call these functions, so a control means the same on both.
All arrays are ``[B, N]`` per input symbol (B = batch, N = symbols) unless said otherwise;
the arithmetic is float32 like the networks'. Nothing here imports torch.
"""
from __future__ import annotations

import math
from functools import lru_cache
from typing import Any, Optional

import numpy as np

from .controls import ProsodyControl

# Default share of ``ProsodyControl.energy_db`` added as a gain on the output mel, on top of the
# model's energy input (a bundle sets its own: ``FastSpeech2Config.energy_mel_share``). On the
# default voice (energy on every non-silence symbol) the input alone moves loudness by about
# 0.85 dB per dB (-9.3 / -4.8 / +2.8 / +5.3 dB for -12 / -6 / +3 / +6 dB) and MB-MelGAN follows a
# mel gain at about 1.2 dB per dB; a share of 0.1 makes the total about one-for-one
# (-10.9 / -5.6 / -3.1 / +3.1 / +6.0 dB). docs/EMOTION.md.
ENERGY_MEL_SHARE = 0.1
# Length (frames) of the raised-cosine kernel that ramps the gain between symbols
# (5 frames = 62.5 ms at the default hop of 12.5 ms).
GAIN_RAMP_FRAMES = 5
# Softness (semitones) of the hold at a voice's pitch range (``ProsodyControl.f0_limits_hz``):
# a control may carry a symbol at most about this far past the range.
F0_LIMIT_SOFT_ST = 3.0
# The contour's body (its 10th-90th duration-weighted percentiles) is what the hold keeps inside
# the range; the symbols beyond it are held this much more tightly (a third of the softness).
F0_BODY_QUANTILE = 0.9
F0_OUTLIER_SOFTNESS = 1.0 / 3.0
F32 = np.float32


def check_control(control: Optional[ProsodyControl]) -> None:
    if control is None:
        return
    if not isinstance(control, ProsodyControl):
        raise TypeError(f"control must be a ProsodyControl, got {type(control).__name__}")
    if not (0.1 <= float(control.speed) <= 10.0):
        raise ValueError(f"ProsodyControl.speed must be within [0.1, 10], got {control.speed}")


def control_array(value: Any, shape: tuple[int, int], name: str) -> Optional[np.ndarray]:
    """A ProsodyControl field ([N] or [B, N]) -> float32 [1 or B, N] checked against ``shape`` (B, N)."""
    if value is None:
        return None
    if hasattr(value, "detach"):  # a torch tensor handed in by a caller
        value = value.detach().cpu().numpy()
    t = np.asarray(value, dtype=F32)
    if t.ndim == 1:
        t = t[None]
    if t.ndim != 2 or t.shape[1] != shape[1] or t.shape[0] not in (1, shape[0]):
        raise ValueError(f"ProsodyControl.{name}: expected shape ({shape[1]},) or {tuple(shape)}, got {t.shape}")
    if not np.isfinite(t).all():
        raise ValueError(f"ProsodyControl.{name} contains non-finite values")
    return t


def controlled_durations(log_duration: np.ndarray, mask: np.ndarray, cfg: Any,
                         control: Optional[ProsodyControl]) -> np.ndarray:
    """Predicted log durations [B, N] -> integer frames [B, N] (int64) with duration_scale / speed.

    Rounds half to even (as the original graph does) and keeps every frame count >= 0; an
    item whose durations would all round to zero keeps one frame on its longest symbol.
    """
    log_duration = np.asarray(log_duration, F32)
    mask = np.asarray(mask, F32)
    frames = np.maximum(np.exp(log_duration) - F32(cfg.duration_offset), F32(0.0))
    if control is not None:
        scale = control_array(control.duration_scale, frames.shape, "duration_scale")
        if scale is not None:
            if (scale < 0).any():
                raise ValueError("ProsodyControl.duration_scale must be >= 0")
            frames = frames * scale
        if float(control.speed) != 1.0:
            frames = frames / F32(control.speed)
    frames = frames * mask
    out = np.maximum(np.round(frames), 0).astype(np.int64)
    empty = (out.sum(axis=1) == 0) & (mask.sum(axis=1) > 0)
    if empty.any():
        best = np.argmax(np.where(mask == 0, F32(-1.0), frames), axis=1)
        rows = np.nonzero(empty)[0]
        out[rows, best[rows]] = 1
    return out


def controlled_f0(f0: np.ndarray, mask: np.ndarray, weights: np.ndarray, cfg: Any,
                  control: Optional[ProsodyControl]) -> np.ndarray:
    """Apply pitch_range / pitch_shift (semitones) to normalised per-symbol f0 [B, N].

    Works in Hz (``f0_mean_hz + f0_std_hz * f0``); symbols predicted below ``f0_floor_hz``
    are left alone. ``pitch_range`` scales the log-f0 deviation from the segment's
    duration-weighted voiced mean (``weights``: the symbols' durations).
    """
    f0 = np.asarray(f0, F32)
    if control is None or (control.pitch_shift is None and control.pitch_range is None):
        return f0
    shift = control_array(control.pitch_shift, f0.shape, "pitch_shift")
    prange = control_array(control.pitch_range, f0.shape, "pitch_range")
    hz = F32(cfg.f0_mean_hz) + F32(cfg.f0_std_hz) * f0
    voiced = (hz > cfg.f0_floor_hz) & (np.asarray(mask) > 0)
    log_hz = np.log(np.maximum(hz, F32(cfg.f0_floor_hz)))
    new = log_hz
    w = np.maximum(np.asarray(weights, F32), F32(1e-3)) * voiced.astype(F32)
    if prange is not None:
        centre = (log_hz * w).sum(axis=1, keepdims=True) / np.maximum(w.sum(axis=1, keepdims=True), F32(1e-6))
        new = centre + prange * (new - centre)
    if shift is not None:
        new = new + shift * F32(math.log(2.0) / 12.0)
    if control.f0_limits_hz is not None:
        new = hold_contour_in_range(new, log_hz, w, control.f0_limits_hz)
    out = (np.exp(new) - F32(cfg.f0_mean_hz)) / F32(cfg.f0_std_hz)
    return np.where(voiced, out, f0).astype(F32)


def hold_in_range(new: np.ndarray, old: np.ndarray, limits_hz: Any,
                  soft_st: float = F0_LIMIT_SOFT_ST) -> np.ndarray:
    """Log-f0 moved by a control (``new``, from the model's ``old``) softly held inside
    ``limits_hz`` (low, high): past a limit the excess is squashed (tanh) to at most ``soft_st``
    semitones. The result lies between ``old`` and ``new``: the model's own values are kept, a
    move is only ever shortened."""
    lo, hi = (F32(x) for x in _log_limits(limits_hz))
    s = F32(soft_st * math.log(2.0) / 12.0)
    held = np.where(new > hi, hi + s * np.tanh((new - hi) / s), new)
    held = np.where(held < lo, lo - s * np.tanh((lo - held) / s), held)
    # never past what the control asked, never back past the model's own value
    return np.clip(held, np.minimum(old, new), np.maximum(old, new)).astype(F32)


def _log_limits(limits_hz: Any) -> tuple[float, float]:
    """``f0_limits_hz`` (low, high) checked, as natural-log Hz."""
    lo_hz, hi_hz = (float(x) for x in limits_hz)
    if not 0.0 < lo_hz < hi_hz:
        raise ValueError(f"ProsodyControl.f0_limits_hz must be (low, high) in Hz with 0 < low < high, got {limits_hz}")
    return math.log(lo_hz), math.log(hi_hz)


def _weighted_quantile(v: np.ndarray, w: np.ndarray, q: float) -> float:
    order = np.argsort(v, kind="stable")
    cw = np.cumsum(w[order])
    return float(v[order][min(int(np.searchsorted(cw, q * cw[-1])), v.size - 1)])


def hold_contour_in_range(new: np.ndarray, old: np.ndarray, weights: np.ndarray, limits_hz: Any,
                          soft_st: float = F0_LIMIT_SOFT_ST) -> np.ndarray:
    """Log-f0 [B, N] moved by a control, held inside ``limits_hz`` as a contour, not symbol by symbol.

    Per row: when the moved contour's body (duration-weighted 90th / 10th percentile, ``weights``
    zero on unvoiced symbols) goes past a limit, the whole move is shortened by one factor so the
    body ends where ``hold_in_range`` would put it; a control's raise and its wider range shrink
    together, so both still grow with the request (a symbol-by-symbol squash flattened a raised,
    widened contour against the ceiling: its range fell as intensity rose). The symbols still past
    the body and the limit are then squashed with a third of the softness. Like ``hold_in_range``,
    every value lies between the model's (``old``) and the asked (``new``)."""
    lo, hi = _log_limits(limits_hz)
    new, old = np.asarray(new, F32), np.asarray(old, F32)
    w = np.broadcast_to(np.asarray(weights, F32), new.shape)
    out = new.copy()
    for b in range(new.shape[0]):
        if not (w[b] > 0).any():
            continue
        alpha = 1.0
        for q, side in ((F0_BODY_QUANTILE, 1.0), (1.0 - F0_BODY_QUANTILE, -1.0)):
            asked, own = _weighted_quantile(new[b], w[b], q), _weighted_quantile(old[b], w[b], q)
            limit = hi if side > 0 else lo
            if side * (asked - limit) <= 0 or side * (asked - own) <= 0:
                continue
            target = float(hold_in_range(np.array([asked], F32), np.array([own], F32), limits_hz, soft_st)[0])
            alpha = min(alpha, max(0.0, (target - own) / (asked - own)))
        body = old[b] + F32(alpha) * (new[b] - old[b])
        top = max(hi, _weighted_quantile(body, w[b], F0_BODY_QUANTILE))
        bottom = min(lo, _weighted_quantile(body, w[b], 1.0 - F0_BODY_QUANTILE))
        # between old and body, and body (alpha in [0, 1]) between old and new
        out[b] = hold_in_range(body, old[b], (math.exp(bottom), math.exp(top)), soft_st * F0_OUTLIER_SOFTNESS)
    return out


def controlled_energy(energy: np.ndarray, mask: np.ndarray, cfg: Any,
                      control: Optional[ProsodyControl]) -> np.ndarray:
    """Apply ``cfg.energy_input_share`` of energy_db to normalised per-symbol energy [B, N]
    (linear magnitude units); the rest of the request is the mel gain's (``frame_gain_db``)."""
    energy = np.asarray(energy, F32)
    share = float(getattr(cfg, "energy_input_share", 1.0))
    if control is None or control.energy_db is None or share == 0.0:
        return energy
    db = control_array(control.energy_db, energy.shape, "energy_db") * F32(share)
    if getattr(cfg, "energy_boost_via_mel", False):
        db = np.minimum(db, F32(0.0))  # boosts are the mel gain's (mel_gain_db)
    lin = np.maximum(F32(cfg.energy_mean) + F32(cfg.energy_std) * energy, F32(0.0))
    out = (lin * np.power(F32(10.0), db / F32(20.0)) - F32(cfg.energy_mean)) / F32(cfg.energy_std)
    return np.where(np.asarray(mask) > 0, out, energy).astype(F32)


def mel_gain_db(db: Any, share: float, boost_via_mel: bool) -> Any:
    """The part of energy_db (numpy or torch, any shape) applied as a gain on the output mel."""
    if not boost_via_mel:
        return db * share
    return db * share + (db > 0) * db * (1.0 - share)


def frame_index(durations: np.ndarray) -> np.ndarray:
    """Symbol index of every output frame of one item: durations [N] (int >= 0) -> [T]."""
    d = np.maximum(np.asarray(durations, np.int64).reshape(-1), 0)
    return np.repeat(np.arange(d.shape[0], dtype=np.int64), d)


@lru_cache(maxsize=8)
def _band_centres(n_mels: int, fmin: float, fmax: float) -> np.ndarray:
    """Centre frequency (Hz) of every mel band on the Slaney mel scale (as librosa places them)."""
    f_sp, min_log_hz = 200.0 / 3, 1000.0
    min_log_mel, logstep = min_log_hz / f_sp, math.log(6.4) / 27.0

    def to_mel(hz: float) -> float:
        return hz / f_sp if hz < min_log_hz else min_log_mel + math.log(hz / min_log_hz) / logstep

    mels = np.linspace(to_mel(fmin), to_mel(fmax), n_mels + 2)
    hz = np.where(mels < min_log_mel, f_sp * mels, min_log_hz * np.exp(logstep * (mels - min_log_mel)))
    return hz[1:-1]


def mel_band_centres(mel_cfg: Any) -> np.ndarray:
    return _band_centres(int(mel_cfg.n_mels), float(mel_cfg.fmin), float(mel_cfg.fmax))


def spectral_tilt_offset(mel_cfg: Any, tilt_db_per_octave: float) -> np.ndarray:
    """[n_mels] float64 offsets (model units) tilting a mel by ``tilt_db_per_octave`` dB per octave
    above 1 kHz (+ = brighter)."""
    octaves = np.log2(np.maximum(mel_band_centres(mel_cfg), 1000.0) / 1000.0)
    offset = tilt_db_per_octave * octaves / 20.0
    if mel_cfg.normalized:
        offset = offset / np.asarray(mel_cfg.mel_std, dtype=np.float64)
    return offset


def per_bin_scale(mel_cfg: Any) -> np.ndarray:
    """[n_mels] factor turning 'dB / 20' (raw log10 units) into model units."""
    return np.ones(mel_cfg.n_mels) if not mel_cfg.normalized else 1.0 / np.asarray(mel_cfg.mel_std, np.float64)


def frame_gain_db(gain_db: np.ndarray, durations: np.ndarray, frames: int,
                  ramp_frames: int = GAIN_RAMP_FRAMES) -> np.ndarray:
    """Per-symbol dB [B, N] spread over the symbols' frames (durations [B, N]) -> float32 [B, frames].

    Each symbol's value fills its frames; a raised-cosine moving average of ``ramp_frames``
    turns the steps into short ramps (edges are held, so a constant gain stays exact).
    Frames beyond an item's total duration get 0 dB.
    """
    g = np.asarray(gain_db, F32)
    durations = np.asarray(durations)
    if g.shape != durations.shape or g.ndim != 2:
        raise ValueError(f"gain_db and durations must both be [B, N], got {g.shape} and {durations.shape}")
    out = np.zeros((g.shape[0], frames), F32)
    if ramp_frames > 1:
        k = np.hanning(ramp_frames + 2)[1:-1].astype(F32)
        k = k / k.sum()
    for b in range(g.shape[0]):
        per = np.repeat(g[b], np.maximum(durations[b].astype(np.int64), 0))[:frames]
        n = per.shape[0]
        if n == 0:
            continue
        if ramp_frames > 1 and n > 1:
            half = (ramp_frames - 1) // 2
            padded = np.concatenate([np.full(half, per[0], F32), per, np.full(ramp_frames - 1 - half, per[-1], F32)])
            per = np.convolve(padded, k[::-1], mode="valid").astype(F32)
        out[b, :n] = per
    return out
