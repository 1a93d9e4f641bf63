"""Reference-clip analyser: pitch, loudness, tempo and pause habits of a speech clip.

``analyse_reference(src)`` measures the first ``window_s`` seconds of speech (leading
silence skipped) of a wav/mp3/flac/ogg (path, bytes or ``(array, sr)``):

- pitch level and range: pyworld DIO + StoneMask F0 (10 ms), kept only where the frame
  is loud enough and periodic (normalised autocorrelation at the F0 period >= 0.4), so
  noise and music without a voice yield no voiced frames; octave jumps against the
  neighbouring voiced frames are undone and frames > 0.9 octave from the median (creak)
  dropped; level = median F0, range = semitones between the 10th and 90th percentiles;
- loudness: frame RMS in dBFS over the speech frames (percentiles and p90 - p10 spread);
- speaking rate: syllable nuclei per second of speech, a nucleus being a >= 2.5 dB peak of
  the smoothed 300-3000 Hz band energy within 100 ms of a voiced frame (after de Jong &
  Wempe 2009);
- pauses: silences >= ``min_pause_s`` between the first and last speech frame;
- spectral tilt: slope of the long-term voiced spectrum, dB/octave over 1-6 kHz.

``ReferenceAudioError`` is raised for clips with < ``min_speech_s`` of speech or with no
voice. The same analyser measures each voice's own neutral baseline, so both sides of the
transfer (``style_transfer.style_to_control``) are measured alike.
"""
from __future__ import annotations

import logging
import math
import warnings
from dataclasses import dataclass, field
from typing import Optional

import numpy as np

from ..audio.io import AudioSource, load_audio
from ..errors import ReferenceAudioError
from ..utils.config import ConfigBase

log = logging.getLogger(__name__)

ANALYSIS_SR = 16000
HOP_S = 0.010
WIN_S = 0.025


@dataclass(frozen=True)
class StyleConfig(ConfigBase):
    window_s: float = 5.0          # seconds of speech analysed (<= 15)
    max_clip_s: float = 60.0       # longer clips are trimmed with a warning
    f0_floor_hz: float = 60.0
    f0_ceil_hz: float = 700.0
    periodicity_min: float = 0.4   # normalised autocorrelation needed to call a frame voiced
    silence_below_peak_db: float = 35.0  # frames quieter than loud-frame level minus this are silence
    min_pause_s: float = 0.12
    min_speech_s: float = 1.0
    min_voiced_s: float = 0.3
    nucleus_prominence_db: float = 2.5
    nucleus_min_gap_s: float = 0.08
    # A nucleus must lie within this distance of a periodic (voiced) frame. Not at the frame
    # itself: F0 trackers drop frames in fast, wide pitch movements, and requiring voicing at
    # the peak undercounted such speech by ~20 % (docs/EMOTION.md, "Speaking rate").
    nucleus_voiced_within_s: float = 0.10

    def __post_init__(self) -> None:
        if not 0.5 <= self.window_s <= 15.0:
            raise ValueError(f"StyleConfig.window_s must be within [0.5, 15] s, got {self.window_s}")


@dataclass
class ReferenceStyle:
    f0_median_hz: float
    f0_p10_hz: float
    f0_p90_hz: float
    f0_range_st: float
    loudness_db: float            # median RMS dBFS of speech frames
    loudness_range_db: float      # p90 - p10 of speech-frame RMS dB
    rate_syl_s: float             # syllable nuclei per second of speech (pauses excluded)
    n_syllables: int
    pause_ratio: float            # pause time / (first..last speech) time
    mean_pause_s: float
    n_pauses: int
    spectral_tilt_db: float       # dB per octave, 1-6 kHz, voiced frames; NaN: the clip stops below 5 kHz
    speech_s: float
    voiced_s: float
    analysed_s: float
    warnings: list[str] = field(default_factory=list)

    def summary(self) -> dict[str, float]:
        return {k: round(float(v), 3) for k, v in self.__dict__.items() if isinstance(v, (int, float))}


def _frames(x: np.ndarray, win: int, hop: int) -> np.ndarray:
    n = 1 + max(0, (len(x) - win) // hop)
    pad = max(0, (n - 1) * hop + win - len(x))
    if pad:
        x = np.pad(x, (0, pad))
    idx = np.arange(win)[None, :] + hop * np.arange(n)[:, None]
    return x[idx]


def _rms_db(x: np.ndarray, win: int, hop: int) -> np.ndarray:
    fr = _frames(x, win, hop)
    return 10.0 * np.log10(np.mean(fr.astype(np.float64) ** 2, axis=1) + 1e-10)


def _speech_mask(db: np.ndarray, cfg: StyleConfig) -> np.ndarray:
    loud = float(np.percentile(db, 95))
    floor = float(np.percentile(db, 10))
    thr = max(loud - cfg.silence_below_peak_db, floor + 6.0, -75.0)
    return db > thr


def _runs(mask: np.ndarray) -> list[tuple[int, int]]:
    """[start, end) index runs where mask is True."""
    if mask.size == 0:
        return []
    d = np.diff(np.concatenate([[0], mask.astype(np.int8), [0]]))
    return list(zip(np.flatnonzero(d == 1), np.flatnonzero(d == -1)))


def _f0(x: np.ndarray, cfg: StyleConfig) -> np.ndarray:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # pyworld imports pkg_resources
        import pyworld

    xd = np.ascontiguousarray(x, dtype=np.float64)
    f0, t = pyworld.dio(xd, ANALYSIS_SR, f0_floor=cfg.f0_floor_hz, f0_ceil=cfg.f0_ceil_hz,
                        frame_period=HOP_S * 1000.0)
    return pyworld.stonemask(xd, f0, t, ANALYSIS_SR)


def _periodicity(x: np.ndarray, f0: np.ndarray) -> np.ndarray:
    """Normalised autocorrelation at the F0 period for each 10 ms frame (0 where f0 == 0)."""
    hop = int(HOP_S * ANALYSIS_SR)
    win = int(0.04 * ANALYSIS_SR)
    out = np.zeros(len(f0))
    idx = np.flatnonzero(f0 > 0)
    if idx.size == 0:
        return out
    max_lag = int(ANALYSIS_SR / 40.0) + 3
    xp = np.pad(x.astype(np.float64), (win, win + max_lag))
    starts = idx * hop - win // 2 + win  # centre the window on the frame time
    base = starts[:, None] + np.arange(win)[None, :]
    a = xp[base]
    ea = np.sum(a * a, axis=1)
    best = np.full(idx.size, -1.0)
    lag0 = np.rint(ANALYSIS_SR / f0[idx]).astype(int)
    for dl in (-1, 0, 1):
        lag = np.clip(lag0 + dl, 1, max_lag)
        b = xp[base + lag[:, None]]
        r = np.sum(a * b, axis=1) / np.sqrt(ea * np.sum(b * b, axis=1) + 1e-12)
        best = np.maximum(best, r)
    out[idx] = best
    return out


def _clean_f0(fv: np.ndarray, size: int = 11, max_octaves: float = 0.9) -> np.ndarray:
    """Voiced F0 values (time order) without tracker octave errors and creak.

    Each value is compared with the median of the ``size`` voiced frames around it (log2);
    a difference beyond 0.75 octave is an octave error and is undone by whole octaves.
    Frames still more than ``max_octaves`` from the clip's median are dropped: runs of
    halved F0 longer than the local window (vocal fry at phrase ends, ~0.1-0.2 s) are not
    intonation, and a real contour of even a very lively voice stays within +-0.75 octave
    around its median (the p10-p90 of a 15 st range is +-7.5 st).
    """
    from scipy.ndimage import median_filter

    if fv.size < 3:
        return fv
    lf = np.log2(fv)
    d = lf - median_filter(lf, size=min(size, fv.size | 1), mode="nearest")
    lf = lf - np.where(np.abs(d) > 0.75, np.round(d), 0.0)
    keep = np.abs(lf - np.median(lf)) <= max_octaves
    return np.exp2(lf[keep]) if keep.sum() >= 3 else np.exp2(lf)


def _nuclei(x: np.ndarray, voiced: np.ndarray, speech: np.ndarray, cfg: StyleConfig) -> np.ndarray:
    """Frame indices of syllable nuclei: prominent band-energy peaks at voiced frames."""
    from scipy.signal import find_peaks

    hop = int(HOP_S * ANALYSIS_SR)
    win = 512
    fr = _frames(np.pad(x, (win // 2, win // 2)), win, hop)[: len(voiced)]
    spec = np.abs(np.fft.rfft(fr * np.hanning(win)[None, :], axis=1)) ** 2
    freqs = np.fft.rfftfreq(win, 1.0 / ANALYSIS_SR)
    band = (freqs >= 300) & (freqs <= 3000)
    env = 10.0 * np.log10(spec[:, band].sum(axis=1) + 1e-10)
    k = np.hanning(7)
    env = np.convolve(env, k / k.sum(), mode="same")  # ~50 ms smoothing
    if len(env) < 3:
        return np.zeros(0, dtype=int)
    top = float(np.percentile(env[speech], 95)) if speech.any() else float(env.max())
    peaks, _ = find_peaks(env, prominence=cfg.nucleus_prominence_db,
                          distance=max(1, int(round(cfg.nucleus_min_gap_s / HOP_S))))
    reach = int(round(cfg.nucleus_voiced_within_s / HOP_S))
    near_voiced = np.convolve(voiced.astype(float), np.ones(2 * reach + 1), mode="same") > 0
    keep = [p for p in peaks if near_voiced[p] and speech[p] and env[p] > top - 25.0]
    return np.asarray(keep, dtype=int)


def _tilt(x: np.ndarray, voiced: np.ndarray) -> float:
    hop = int(HOP_S * ANALYSIS_SR)
    win = 1024
    fr = _frames(np.pad(x, (win // 2, win // 2)), win, hop)[: len(voiced)][voiced]
    if len(fr) == 0:
        return 0.0
    spec = np.mean(np.abs(np.fft.rfft(fr * np.hanning(win)[None, :], axis=1)) ** 2, axis=0)
    freqs = np.fft.rfftfreq(win, 1.0 / ANALYSIS_SR)
    db = 10.0 * np.log10(spec + 1e-12)
    if db[(freqs >= 5000) & (freqs <= 6000)].mean() < db[(freqs >= 1000) & (freqs <= 3000)].mean() - 40.0:
        return float("nan")  # band-limited (telephone audio stops near 4 kHz): the slope is the cut-off's
    sel = (freqs >= 1000) & (freqs <= 6000)
    slope = np.polyfit(np.log2(freqs[sel]), db[sel], 1)[0]
    return float(slope)


def analyse_wav(wav: np.ndarray, sr: int, cfg: StyleConfig = StyleConfig(),
                warnings_in: Optional[list[str]] = None) -> ReferenceStyle:
    """Analyse float mono audio at any rate (see module doc). Raises ReferenceAudioError."""
    from ..audio.io import resample

    x = resample(np.asarray(wav, dtype=np.float32), int(sr), ANALYSIS_SR).astype(np.float64)
    hop, win = int(HOP_S * ANALYSIS_SR), int(WIN_S * ANALYSIS_SR)
    if len(x) < win * 2:
        raise ReferenceAudioError(f"reference audio is too short ({len(x) / ANALYSIS_SR:.3f} s); "
                                  f"at least {cfg.min_speech_s:g} s of speech is needed")
    db_all = _rms_db(x, win, hop)
    speech_all = _speech_mask(db_all, cfg)
    # Skip leading silence, then keep window_s seconds.
    first = int(np.argmax(speech_all)) if speech_all.any() else 0
    start = max(0, first - 10) * hop
    x = x[start: start + int(cfg.window_s * ANALYSIS_SR)]
    db = _rms_db(x, win, hop)
    f0 = _f0(x, cfg)
    n = min(len(db), len(f0))
    db, f0 = db[:n], f0[:n]
    speech = speech_all[start // hop: start // hop + n]
    if len(speech) < n:
        speech = np.pad(speech, (0, n - len(speech)))
    per = _periodicity(x, f0)
    voiced = (f0 > 0) & (per >= cfg.periodicity_min) & speech
    voiced_s = float(voiced.sum()) * HOP_S
    analysed_s = len(x) / ANALYSIS_SR
    total_s = len(db_all) * HOP_S
    if total_s < cfg.min_speech_s:
        raise ReferenceAudioError(f"reference audio is too short ({total_s:.2f} s); "
                                  f"at least {cfg.min_speech_s:g} s of speech is needed")
    if voiced_s < cfg.min_voiced_s:
        raise ReferenceAudioError(
            f"no voiced speech found in the reference audio ({voiced_s:.2f} s voiced in "
            f"{analysed_s:.1f} s analysed); is it noise, music or silence?")
    runs = _runs(speech)
    lo, hi = runs[0][0], runs[-1][1]
    pauses = [(b - a) * HOP_S for a, b in _runs(~speech[lo:hi]) if (b - a) * HOP_S >= cfg.min_pause_s]
    span_s = (hi - lo) * HOP_S
    speech_s = span_s - sum(pauses)
    if speech_s < cfg.min_speech_s:
        raise ReferenceAudioError(f"the reference audio has only {speech_s:.2f} s of speech; "
                                  f"at least {cfg.min_speech_s:g} s is needed")
    fv = _clean_f0(f0[voiced])
    p10, p50, p90 = (float(v) for v in np.percentile(fv, [10, 50, 90]))
    ls = db[speech]
    nuclei = _nuclei(x, voiced, speech, cfg)
    return ReferenceStyle(
        f0_median_hz=p50, f0_p10_hz=p10, f0_p90_hz=p90, f0_range_st=12.0 * math.log2(p90 / p10),
        loudness_db=float(np.median(ls)),
        loudness_range_db=float(np.percentile(ls, 90) - np.percentile(ls, 10)),
        rate_syl_s=len(nuclei) / speech_s, n_syllables=int(len(nuclei)),
        pause_ratio=sum(pauses) / span_s if span_s > 0 else 0.0,
        mean_pause_s=float(np.mean(pauses)) if pauses else 0.0, n_pauses=len(pauses),
        spectral_tilt_db=_tilt(x, voiced), speech_s=speech_s, voiced_s=voiced_s,
        analysed_s=analysed_s, warnings=list(warnings_in or []),
    )


def analyse_reference(src: AudioSource, cfg: StyleConfig = StyleConfig()) -> ReferenceStyle:
    """Load (path / bytes / (array, sr)) and analyse a reference clip."""
    audio = load_audio(src, target_sr=ANALYSIS_SR, max_seconds=cfg.max_clip_s)
    return analyse_wav(audio.wav, audio.sample_rate, cfg, warnings_in=audio.warnings)


def reference_style(src: AudioSource, clone: bool = False,
                    cfg: StyleConfig = StyleConfig()) -> tuple[Optional[ReferenceStyle], list[str]]:
    """``(analyse_reference(src), [])``. For a clip that is cloned (``clone``: its voice already
    passed the speaker encoder's speech check), a clip whose pitch cannot be followed — a rough,
    creaky or breathy voice has too few periodic frames — gives ``(None, [warning])`` instead of
    an error, so the voice is still cloned and only its intonation is not imitated."""
    try:
        return analyse_reference(src, cfg), []
    except ReferenceAudioError as exc:
        if not clone or "could not read" in str(exc):
            raise
        why = str(exc).split(";")[0]  # without the "is it noise, music or silence?" of a refusal
        return None, [f"reference clip: its pitch could not be followed ({why}), so its intonation is not imitated; "
                      "its voice is still cloned"]


analyze_reference = analyse_reference  # US spelling
analyze_wav = analyse_wav

__all__ = ["StyleConfig", "ReferenceStyle", "analyse_reference", "analyze_reference", "analyze_wav", "analyse_wav",
           "reference_style", "ANALYSIS_SR"]
