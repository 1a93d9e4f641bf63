"""Emotion labels, mixing and intensity -> global prosody parameters (``EmotionControl``).

The default voice was trained without emotion labels, so emotions are rendered through
prosody: pitch level and range, loudness, tempo, pauses, sentence-final contour, emphasis
and spectral tilt. Each emotion has a *profile* (the change from neutral at intensity 1.0,
designed from acoustic studies of Mandarin emotional speech; see docs/EMOTION.md). A mix
of emotions at an intensity is the weighted sum of the profiles in a log/semitone/dB
domain, so every parameter moves smoothly and monotonically with intensity.

A bundle whose config says ``"emotions": {"type": "learned", "vectors": {...}}`` gets a
table of emotion vectors instead (fed to FastSpeech2's ``emotion`` input); the API is the
same (``EmotionEncoder.encode``).
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, Mapping, Optional, Sequence, Union

import numpy as np

from ..errors import InvalidParameterError, UnknownEmotionError

NEUTRAL = "neutral"
EMOTIONS: tuple[str, ...] = (
    "neutral", "happy", "sad", "angry", "calm", "gentle",
    "surprised", "afraid", "melancholic", "disgusted",
)
# IndexTTS2's 8-value emotion vector order (a list input is read in this order).
INDEXTTS2_ORDER: tuple[str, ...] = (
    "happy", "angry", "sad", "afraid", "disgusted", "melancholic", "surprised", "calm",
)
# IndexTTS2's optional per-emotion de-emphasis factors (same order as INDEXTTS2_ORDER).
INDEXTTS2_BIAS: tuple[float, ...] = (0.9375, 0.875, 1.0, 1.0, 0.9375, 0.9375, 0.6875, 0.5625)
DEFAULT_CAP = 0.8  # IndexTTS2: the weights of a vector may sum to at most 0.8

CHINESE_NAMES: dict[str, str] = {
    "neutral": "中性", "happy": "开心", "sad": "悲伤", "angry": "生气", "calm": "平静",
    "gentle": "温柔", "surprised": "惊讶", "afraid": "害怕", "melancholic": "忧郁",
    "disgusted": "厌恶",
}

_SYNONYMS: dict[str, tuple[str, ...]] = {
    "neutral": ("none", "normal", "default", "neutrality", "中性", "中立", "正常", "默认", "无", "自然"),
    "happy": ("happiness", "joy", "joyful", "glad", "cheerful", "excited", "elated",
              "开心", "高兴", "快乐", "喜悦", "愉快", "欢快", "兴奋", "喜"),
    "sad": ("sadness", "sorrow", "sorrowful", "unhappy", "grief", "悲伤", "难过", "伤心", "悲哀", "哀伤", "悲"),
    "angry": ("anger", "mad", "furious", "annoyed", "生气", "愤怒", "恼怒", "发怒", "气愤", "怒"),
    "calm": ("relaxed", "peaceful", "serene", "平静", "冷静", "淡定", "沉着", "安静"),
    "gentle": ("tender", "soft", "warm", "kind", "温柔", "柔和", "温和", "亲切", "轻柔"),
    "surprised": ("surprise", "amazed", "astonished", "惊讶", "吃惊", "惊奇", "意外", "震惊", "惊"),
    "afraid": ("fear", "fearful", "scared", "frightened", "anxious", "害怕", "恐惧", "惊恐", "担心", "紧张", "恐"),
    "melancholic": ("melancholy", "depressed", "gloomy", "low", "down", "忧郁", "低落", "沮丧", "消沉", "忧伤", "郁闷"),
    "disgusted": ("disgust", "contempt", "hate", "厌恶", "恶心", "嫌弃", "反感", "讨厌"),
}
_ALIASES: dict[str, str] = {}
for _canon, _names in _SYNONYMS.items():
    _ALIASES[_canon] = _canon
    for _n in _names:
        _ALIASES[_n.lower()] = _canon


def valid_emotion_names() -> str:
    return ", ".join(f"{e} ({CHINESE_NAMES[e]})" for e in EMOTIONS)


def parse_emotion(name: Any) -> str:
    """Canonical English name of an emotion given in English or Chinese (with synonyms).

    A whole request (label + vector + intensity) is parsed by ``resolve_request``."""
    if not isinstance(name, str):
        raise UnknownEmotionError(f"emotion must be a name (string), got {type(name).__name__}; "
                                  f"valid emotions: {valid_emotion_names()}")
    key = name.strip().lower().replace("_", " ").replace("-", " ")
    key = " ".join(key.split())
    if key in _ALIASES:
        return _ALIASES[key]
    raise UnknownEmotionError(f"unknown emotion {name!r}; valid emotions: {valid_emotion_names()}")


def check_intensity(intensity: Any) -> float:
    from ..request import check_range

    return check_range("intensity", intensity)


EmotionVectorInput = Union[Mapping[str, float], Sequence[float], np.ndarray]


def normalize_emotion_vector(vector: EmotionVectorInput, *, cap: float = DEFAULT_CAP,
                             apply_bias: bool = False) -> dict[str, float]:
    """Normalise a mix the way IndexTTS2 users know it.

    ``vector`` is a dict (emotion name/synonym -> weight; ``neutral`` allowed and dilutes
    the others) or a list of 8 weights in IndexTTS2's order ``INDEXTTS2_ORDER``.
    Negative weights are clipped to 0; with ``apply_bias`` IndexTTS2's de-emphasis factors
    are applied; if the weights sum to more than ``cap`` they are scaled down so they sum
    to ``cap`` (a sum below the cap is kept: a weaker mix).
    """
    if not 0.0 < cap <= 10.0:
        raise InvalidParameterError(f"emotion vector cap must be within (0, 10], got {cap}")
    weights: dict[str, float] = {}
    if isinstance(vector, Mapping):
        items = list(vector.items())
    else:
        arr = np.asarray(vector, dtype=object).reshape(-1) if not isinstance(vector, str) else None
        if arr is None or len(arr) != len(INDEXTTS2_ORDER):
            raise InvalidParameterError(
                f"emotion vector list must have {len(INDEXTTS2_ORDER)} values in the order "
                f"{list(INDEXTTS2_ORDER)}, got {vector!r}")
        items = list(zip(INDEXTTS2_ORDER, arr))
    if not items:
        raise InvalidParameterError("emotion vector is empty")
    for name, w in items:
        canon = parse_emotion(name)
        try:
            wf = float(w)
        except (TypeError, ValueError):
            raise InvalidParameterError(f"emotion weight for {name!r} must be a number, got {w!r}") from None
        if not math.isfinite(wf):
            raise InvalidParameterError(f"emotion weight for {name!r} must be finite, got {w!r}")
        wf = max(wf, 0.0)
        if apply_bias and canon in INDEXTTS2_ORDER:
            wf *= INDEXTTS2_BIAS[INDEXTTS2_ORDER.index(canon)]
        weights[canon] = weights.get(canon, 0.0) + wf
    total = sum(weights.values())
    if total > cap:
        weights = {k: v * cap / total for k, v in weights.items()}
    return {k: v for k, v in weights.items() if v > 0.0}


@dataclass(frozen=True)
class EmotionControl:
    """Global prosody parameters for one emotion state (neutral = all defaults).

    Shifts are additive (semitones, dB); factors are multiplicative (1.0 = unchanged).
    """
    pitch_shift_st: float = 0.0       # pitch level
    pitch_range: float = 1.0          # F0 excursion around the segment mean (log domain)
    energy_db: float = 0.0            # loudness
    rate: float = 1.0                 # tempo, > 1 faster
    pause_scale: float = 1.0          # multiplies pauses between / inside sentences
    final_contour_st: float = 0.0     # boundary tone on the last syllable: + rise, - fall
    final_lengthening: float = 1.0    # duration factor of the last syllable
    contour_scale: float = 1.0        # scales question rises / exclamation peaks
    emphasis_st: float = 0.0          # pitch boost of word-initial stressed syllables
    emphasis_db: float = 0.0          # energy boost of the same syllables
    spectral_tilt_db: float = 0.0     # dB/octave above 1 kHz, + brighter (tenser voice)
    embedding: Optional[tuple[float, ...]] = None  # learned emotion vector (FastSpeech2 input)
    mix: tuple[tuple[str, float], ...] = ()        # (emotion, effective strength) that made it
    source: str = "rule"              # "rule" | "learned" | "reference" | "combined"

    def is_neutral(self) -> bool:
        return self.embedding is None and all(
            getattr(self, f) == getattr(NEUTRAL_CONTROL, f) for f in PROSODY_FIELDS)

    def embedding_array(self) -> Optional[np.ndarray]:
        return None if self.embedding is None else np.asarray(self.embedding, dtype=np.float32)

    def deltas(self) -> dict[str, float]:
        """Each prosody parameter as a signed change from neutral (factors as log2)."""
        return {f: _to_delta(f, getattr(self, f)) for f in PROSODY_FIELDS}


ADDITIVE_FIELDS = ("pitch_shift_st", "energy_db", "final_contour_st", "emphasis_st",
                   "emphasis_db", "spectral_tilt_db")
FACTOR_FIELDS = ("pitch_range", "rate", "pause_scale", "final_lengthening", "contour_scale")
PROSODY_FIELDS = ADDITIVE_FIELDS + FACTOR_FIELDS
NEUTRAL_CONTROL = EmotionControl()

# Safety limits after mixing/combining (beyond them the voice breaks down).
LIMITS: dict[str, tuple[float, float]] = {
    "pitch_shift_st": (-7.0, 7.0), "energy_db": (-10.0, 8.0), "final_contour_st": (-5.0, 6.0),
    "emphasis_st": (0.0, 4.0), "emphasis_db": (-3.0, 5.0), "spectral_tilt_db": (-5.0, 5.0),
    "pitch_range": (0.35, 2.5), "rate": (0.55, 1.7), "pause_scale": (0.4, 3.0),
    "final_lengthening": (0.8, 1.6), "contour_scale": (0.3, 2.5),
}


def _to_delta(name: str, value: float) -> float:
    return math.log2(value) if name in FACTOR_FIELDS else float(value)


def _from_delta(name: str, delta: float) -> float:
    lo, hi = LIMITS[name]
    value = 2.0 ** delta if name in FACTOR_FIELDS else delta
    return float(min(max(value, lo), hi))


def control_from_deltas(deltas: Mapping[str, float], **extra: Any) -> EmotionControl:
    kwargs = {f: _from_delta(f, deltas.get(f, 0.0)) for f in PROSODY_FIELDS}
    kwargs.update(extra)
    return EmotionControl(**kwargs)


def _p(pitch, rng, db, rate, pause, final, final_len, contour, emph_st, emph_db, tilt) -> EmotionControl:
    return EmotionControl(pitch, rng, db, rate, pause, final, final_len, contour, emph_st, emph_db, tilt)


# Profiles at intensity 1.0. Columns: pitch st, range x, energy dB, rate x, pause x,
# final contour st, final lengthening x, contour scale x, emphasis st, emphasis dB, tilt dB/oct.
# Sources and the trend each gives: docs/EMOTION.md.
RULE_PROFILES: dict[str, EmotionControl] = {
    "neutral":     _p(0.0, 1.00, 0.0, 1.00, 1.00, 0.0, 1.00, 1.00, 0.0, 0.0, 0.0),
    "happy":       _p(2.5, 1.60, 3.0, 1.10, 0.85, 1.5, 1.00, 1.30, 1.0, 1.5, 1.5),
    "angry":       _p(1.5, 1.25, 5.0, 1.10, 0.75, -2.0, 1.10, 1.20, 0.8, 1.5, 1.5),
    "sad":         _p(-2.5, 0.80, -4.0, 0.80, 1.30, -2.0, 1.20, 0.70, 0.0, 0.0, -2.0),
    "calm":        _p(-1.0, 0.85, -1.5, 0.92, 1.15, -1.0, 1.05, 0.85, 0.0, 0.0, -0.5),
    "gentle":      _p(0.8, 0.95, -3.5, 0.88, 1.10, -0.5, 1.10, 0.90, 0.3, 0.0, -2.5),
    "surprised":   _p(2.5, 1.50, 3.5, 1.00, 0.95, 2.5, 1.10, 1.60, 1.0, 1.5, 1.0),
    "afraid":      _p(2.5, 0.80, -3.0, 1.20, 1.10, 0.5, 1.00, 1.00, 0.3, 0.0, 0.5),
    "melancholic": _p(-1.0, 0.62, -3.0, 0.85, 1.45, -1.0, 1.15, 0.70, 0.0, 0.0, -1.5),
    "disgusted":   _p(-1.5, 1.15, 1.0, 0.86, 1.10, -2.5, 1.25, 0.90, 1.0, 1.0, 0.5),
}


@dataclass(frozen=True)
class EmotionRequest:
    """A parsed request: emotion name -> effective strength in [0, 1] (sums to <= 1)."""
    strengths: tuple[tuple[str, float], ...]
    intensity: float

    @property
    def dominant(self) -> str:
        active = [(s, n) for n, s in self.strengths if n != NEUTRAL and s > 0]
        return max(active)[1] if active else NEUTRAL


def resolve_request(label: Optional[str] = None, vector: Optional[EmotionVectorInput] = None,
                    intensity: float = 1.0, *, cap: float = DEFAULT_CAP,
                    apply_bias: bool = False) -> EmotionRequest:
    """Turn a label or a mix vector plus intensity into effective per-emotion strengths.

    A label at intensity I has strength I. A vector is normalised (``normalize_emotion_vector``)
    and each weight w becomes strength ``I * w / cap``: a single emotion at the cap (e.g.
    ``{"happy": 1.0}`` -> 0.8) is that emotion at full intensity; ``{"happy": .5, "sad": .5}``
    is half of each. Label and vector together follow the request's one rule
    (index_tts/request.py): the label is added with weight ``cap``, the sum is scaled down to
    ``cap``; a ``neutral`` label next to a vector adds nothing.
    """
    inten = check_intensity(intensity)
    if label is None and vector is None:
        return EmotionRequest(((NEUTRAL, 0.0),), inten)
    weights: dict[str, float] = {}
    if vector is not None:
        weights = normalize_emotion_vector(vector, cap=cap, apply_bias=apply_bias)
    canon = None if label is None else parse_emotion(label)
    if canon == NEUTRAL and vector is not None:
        canon = None  # neutral = no label: the mix alone
    if canon is not None:
        if vector is not None:
            weights[canon] = weights.get(canon, 0.0) + cap
            total = sum(weights.values())
            weights = {k: v * cap / total for k, v in weights.items()}
        else:
            weights = {canon: cap}
    strengths = tuple(sorted(((k, inten * v / cap) for k, v in weights.items()),
                             key=lambda kv: EMOTIONS.index(kv[0])))
    return EmotionRequest(strengths or ((NEUTRAL, 0.0),), inten)


def _curve(strength: float) -> float:
    """Monotonic strength -> profile weight (linear in st / dB / log2 units; exact at 0 and 1)."""
    return float(min(max(strength, 0.0), 1.0))


class EmotionEncoder:
    """(mix, intensity) -> ``EmotionControl``; rule profiles or a learned vector table."""

    def __init__(self, profiles: Optional[Mapping[str, EmotionControl]] = None, *,
                 vectors: Optional[Mapping[str, Sequence[float]]] = None,
                 rule_prosody: bool = True, cap: float = DEFAULT_CAP, apply_bias: bool = False):
        self.profiles = dict(RULE_PROFILES if profiles is None else profiles)
        missing = [e for e in EMOTIONS if e not in self.profiles]
        if missing and vectors is None:
            raise ValueError(f"emotion profiles missing for {missing}")
        self.vectors: Optional[dict[str, np.ndarray]] = None
        if vectors is not None:
            self.vectors = {parse_emotion(k): np.asarray(v, dtype=np.float32).reshape(-1)
                            for k, v in vectors.items()}
            dims = {v.shape[0] for v in self.vectors.values()}
            if len(dims) != 1:
                raise ValueError(f"learned emotion vectors have mixed sizes {sorted(dims)}")
        self.rule_prosody = rule_prosody
        self.cap = cap
        self.apply_bias = apply_bias

    @property
    def mode(self) -> str:
        return "learned" if self.vectors is not None else "rule"

    @classmethod
    def from_bundle_config(cls, cfg: Optional[Mapping[str, Any]]) -> "EmotionEncoder":
        """Build from a bundle's config.json (whole dict or its ``"emotions"`` section): see
        ``bundle_config.EmotionSettings`` (the one parser; a loaded ``Bundle`` has it already)."""
        from ..bundle_config import EmotionSettings

        section = (cfg.get("emotions", cfg) if "emotions" in cfg else cfg) if cfg else {}
        return cls.from_settings(EmotionSettings.from_dict(section))

    @classmethod
    def from_settings(cls, s: Any) -> "EmotionEncoder":
        """From a bundle's typed ``EmotionSettings`` (``Bundle.emotions``): its cap and bias are kept."""
        cap = DEFAULT_CAP if s.cap is None else s.cap
        if s.type == "learned":
            return cls(vectors=s.vectors, rule_prosody=s.rule_prosody, cap=cap, apply_bias=s.apply_bias)
        return cls(cap=cap, apply_bias=s.apply_bias)

    def names(self) -> list[str]:
        if self.vectors is not None:
            return [e for e in EMOTIONS if e in self.vectors or e == NEUTRAL]
        return list(EMOTIONS)

    def describe(self) -> list[dict[str, str]]:
        """Emotions this voice offers, for UIs: ``[{"id", "display_name", "name_zh"}]``."""
        return [{"id": e, "name_zh": CHINESE_NAMES[e], "display_name": f"{CHINESE_NAMES[e]} {e.capitalize()}"}
                for e in self.names()]

    def encode(self, label: Any = None, vector: Optional[EmotionVectorInput] = None,
               intensity: float = 1.0) -> EmotionControl:
        """Control for a label and/or mix vector at ``intensity`` (or a ready ``EmotionRequest``)."""
        if isinstance(label, EmotionRequest):
            return self.encode_request(label)
        req = resolve_request(label, vector, intensity, cap=self.cap, apply_bias=self.apply_bias)
        return self.encode_request(req)

    def encode_request(self, req: EmotionRequest) -> EmotionControl:
        mix = tuple((n, round(s, 6)) for n, s in req.strengths)
        deltas = {f: 0.0 for f in PROSODY_FIELDS}
        if self.vectors is None or self.rule_prosody:
            for name, strength in req.strengths:
                prof = self.profiles.get(name)
                if prof is None:
                    raise UnknownEmotionError(f"no profile for emotion {name!r}; valid: {self.names()}")
                w = _curve(strength)
                for f in PROSODY_FIELDS:
                    deltas[f] += w * _to_delta(f, getattr(prof, f))
        embedding = None
        if self.vectors is not None:
            dim = next(iter(self.vectors.values())).shape[0]
            base = self.vectors.get(NEUTRAL, np.zeros(dim, np.float32))
            emb = base.astype(np.float64).copy()
            for name, strength in req.strengths:
                if name == NEUTRAL:
                    continue
                if name not in self.vectors:
                    raise UnknownEmotionError(
                        f"this voice has no learned vector for {name!r}; valid: {self.names()}")
                emb += _curve(strength) * (self.vectors[name] - base)
            embedding = tuple(float(x) for x in emb)
        return control_from_deltas(deltas, embedding=embedding, mix=mix, source=self.mode)


def combine(label_ctrl: Optional[EmotionControl], style_ctrl: Optional[EmotionControl]) -> EmotionControl:
    """Label emotion + reference-clip style: deltas add (semitones, dB, log factors).

    The label keeps its boundary tone, emphasis and learned embedding; the reference
    contributes its global level/range/tempo/pause/tilt changes on top. Results are
    clipped to the safety ``LIMITS``.
    """
    if label_ctrl is None and style_ctrl is None:
        return NEUTRAL_CONTROL
    if label_ctrl is None:
        return style_ctrl  # type: ignore[return-value]
    if style_ctrl is None:
        return label_ctrl
    a, b = label_ctrl.deltas(), style_ctrl.deltas()
    summed = {f: a[f] + b[f] for f in PROSODY_FIELDS}
    return control_from_deltas(summed, embedding=label_ctrl.embedding,
                               mix=label_ctrl.mix + style_ctrl.mix, source="combined")


def scale_control(ctrl: EmotionControl, strength: float) -> EmotionControl:
    """``ctrl`` moved ``strength`` of the way from neutral (0 = neutral, 1 = unchanged)."""
    d = ctrl.deltas()
    return control_from_deltas({f: strength * v for f, v in d.items()},
                               embedding=ctrl.embedding, mix=ctrl.mix, source=ctrl.source)


__all__ = ["EMOTIONS", "INDEXTTS2_ORDER", "INDEXTTS2_BIAS", "CHINESE_NAMES", "DEFAULT_CAP", "NEUTRAL",
           "EmotionControl", "EmotionEncoder", "EmotionRequest", "RULE_PROFILES", "NEUTRAL_CONTROL", "LIMITS",
           "PROSODY_FIELDS", "parse_emotion", "check_intensity", "normalize_emotion_vector", "resolve_request",
           "combine", "scale_control", "control_from_deltas", "valid_emotion_names"]
