"""Reference style -> prosody controls: a clip's measured habits against a voice's own baseline.

``measure_voice_baseline`` reads a few neutral sentences with the voice and analyses them with
the same analyser as the clip (``style.analyse_wav``); ``style_to_control`` turns the
differences into an ``EmotionControl`` (pitch level and range, rate, pauses, tilt, emphasis),
``strength`` of the way. ``combine`` (from ``emotion``) adds a label's control on top.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Callable, Sequence

import numpy as np

from ..request import DEFAULTS, check_range
from ..utils.config import ConfigBase
from .emotion import EmotionControl, combine, control_from_deltas
from .style import ReferenceStyle, StyleConfig, analyse_wav, reference_style  # reference_style: the clip side

BASELINE_TEXTS: tuple[str, ...] = (
    "今天天气很好，我们一起去公园散步吧。路边的花都开了，空气也很新鲜。",
    "这家餐厅的服务很周到，菜的味道也不错。我们下次还可以再来。",
    "请大家保持安静，演出马上就要开始了。演员们已经准备好了。",
    "他每天早上七点起床，先跑步，然后吃早饭。周末的时候，他喜欢看书。",
)


@dataclass(frozen=True)
class VoiceBaseline(ConfigBase):
    """The default voice's own neutral statistics, measured with the same analyser."""
    f0_median_hz: float
    f0_range_st: float
    loudness_range_db: float
    rate_syl_s: float
    pause_ratio: float
    mean_pause_s: float
    spectral_tilt_db: float
    n_clips: int = 0


def baseline_from_styles(styles: list[ReferenceStyle]) -> VoiceBaseline:
    if not styles:
        raise ValueError("no analysed clips to build a voice baseline from")

    def med(name: str) -> float:
        return float(np.median([getattr(s, name) for s in styles]))

    return VoiceBaseline(
        f0_median_hz=med("f0_median_hz"), f0_range_st=med("f0_range_st"),
        loudness_range_db=med("loudness_range_db"), rate_syl_s=med("rate_syl_s"),
        pause_ratio=med("pause_ratio"), mean_pause_s=med("mean_pause_s"),
        spectral_tilt_db=med("spectral_tilt_db"), n_clips=len(styles))


def measure_voice_baseline(synthesize_fn: Callable[[str], tuple[np.ndarray, int]],
                           texts: Sequence[str] = BASELINE_TEXTS,
                           cfg: StyleConfig = StyleConfig()) -> VoiceBaseline:
    """Synthesize ``texts`` neutrally with ``synthesize_fn(text) -> (wav, sr)`` and analyse them.

    Call once per voice and cache the result (it costs a few seconds of synthesis).
    """
    styles = [analyse_wav(*synthesize_fn(t), cfg=cfg) for t in texts]
    return baseline_from_styles(styles)


@dataclass(frozen=True)
class StyleTransferConfig(ConfigBase):
    """How reference statistics become controls.

    Gains compensate for controls whose measured effect on the default voice (with its
    variance dropout) differs from nominal (docs/EMOTION.md, "Calibration"): a per-symbol
    ``pitch_range`` factor r moves the frame-level p10-p90 range by about r ** 0.77 when
    narrowing and only r ** 0.4 when widening (hence ``range_gain`` and ``range_gain_up``);
    a level shift compresses the range (compensated by ``range_shift_comp`` log2 units
    per semitone). Tempo: the voice follows a slower
    ``rate`` fully (0.8 -> -19.9 %) but a faster one at about rate ** 0.88, and between two
    clips the nuclei counter reports 0.7-0.8 of the true log rate ratio when the reference
    is slower and only 0.5-0.66 when it is faster (fast syllables merge), hence separate
    gains ``rate_gain`` (slower) and ``rate_gain_up`` (faster).
    """
    pitch_gain: float = 1.0
    # The default voice (with its variance dropout) over-shoots large shifts (-3 st gives
    # -3.7 st, -4 st -5 st), loses loudness below -3 st (-2.3 dB at -3 st, -4.7 dB at -4 st,
    # -8.5 dB at -6 st) and, slowed down at -4 st, falls into creak (F0 p10 ~110 Hz).
    max_pitch_shift_st: float = 3.0
    range_gain: float = 1.4       # reference range narrower than the voice's
    range_gain_up: float = 2.6    # reference range wider
    range_shift_comp: float = 0.06   # log2 range added per semitone of |pitch shift|
    rate_gain: float = 1.33       # reference slower than the voice
    rate_gain_up: float = 1.8     # reference faster than the voice
    pause_gain: float = 1.0
    tilt_gain: float = 0.5
    dynamics_gain: float = 0.3       # loudness-range dB difference -> emphasis dB
    pause_floor: float = 0.03        # pause ratios below this count as this (no log(0))


def _clip(v: float, lo: float, hi: float) -> float:
    return float(min(max(v, lo), hi))


def style_to_control(style: ReferenceStyle, baseline: VoiceBaseline, strength: float = DEFAULTS.reference_strength,
                     cfg: StyleTransferConfig = StyleTransferConfig()) -> EmotionControl:
    """Controls that move the default voice ``strength`` of the way toward the reference.

    Differences are taken against the voice's own ``baseline`` (semitones for pitch level,
    log ratios for range / rate / pauses); absolute loudness is not transferred (recording
    gain is arbitrary), loudness *spread* becomes word emphasis and spectral slope a tilt.
    """
    k = check_range("reference_strength", strength)
    pf = cfg.pause_floor
    shift = _clip(k * cfg.pitch_gain * 12.0 * math.log2(style.f0_median_hz / baseline.f0_median_hz),
                  -cfg.max_pitch_shift_st, cfg.max_pitch_shift_st)
    range_ratio = math.log2(max(style.f0_range_st, 0.3) / max(baseline.f0_range_st, 0.3))
    rate_ratio = math.log2(max(style.rate_syl_s, 0.5) / max(baseline.rate_syl_s, 0.5))
    deltas = {
        "pitch_shift_st": shift,
        "pitch_range": k * (cfg.range_gain_up if range_ratio > 0 else cfg.range_gain) * range_ratio
        + cfg.range_shift_comp * abs(shift),
        "rate": k * (cfg.rate_gain_up if rate_ratio > 0 else cfg.rate_gain) * rate_ratio,
        "pause_scale": k * cfg.pause_gain * math.log2(max(style.pause_ratio, pf) / max(baseline.pause_ratio, pf)),
        "spectral_tilt_db": 0.0 if math.isnan(style.spectral_tilt_db)  # a band-limited clip: not measured
        else k * cfg.tilt_gain * (style.spectral_tilt_db - baseline.spectral_tilt_db),
        "emphasis_db": k * cfg.dynamics_gain * (style.loudness_range_db - baseline.loudness_range_db),
    }
    return control_from_deltas(deltas, mix=(("reference", round(k, 6)),), source="reference")



__all__ = ["VoiceBaseline", "measure_voice_baseline", "baseline_from_styles", "StyleTransferConfig",
           "style_to_control", "combine", "reference_style", "BASELINE_TEXTS"]
