"""One synthesis request: every per-call setting, its range, default, step and label, and one check.

``SETTINGS`` is the only place in the package where a per-call range or default is written.
The Synthesizer builds a ``SynthesisRequest`` from its keyword arguments and calls
``validate()``; the HTTP schemas (server/schemas.py), the web page's sliders (server/ui.py)
and the CLI flags (cli.py) are generated from ``SETTINGS``, so the three front ends and the
core cannot disagree about a number.

Emotion (the one rule, also in docs/ARCHITECTURE.md): ``emotion_label`` and
``emotion_vector`` combine into one mix. The label enters the mix at full weight (the
voice's vector cap, 0.8 by default, like a vector ``{label: 1.0}``), the vector's weights are
added, and when the sum exceeds the cap every weight is scaled down so they sum to the cap.
``intensity`` then scales every emotion's strength. A label of ``neutral`` (or none) adds
nothing, so the web page's default dropdown with mix sliders means what the API's
``emotion_vector`` alone means. ``emotion_control`` (a ready ``EmotionControl``, for
advanced use such as benchmarks) replaces label and vector. A reference clip's style is
added on top of whichever emotion results (``encoders.style.combine``).
"""
from __future__ import annotations

import math
from dataclasses import asdict, dataclass, fields, replace
from typing import Any, Mapping, Optional

from .errors import EmptyTextError, InvalidParameterError, TextTooLongError


def _num(x: float) -> str:
    """A number as people read it: ``0.7``, ``2``, ``4294967295``."""
    return str(int(x)) if float(x).is_integer() else f"{x:g}"


@dataclass(frozen=True)
class Setting:
    """A numeric per-call setting: range, default, slider step and the words that name it."""

    name: str
    default: Optional[float]
    low: float
    high: float
    step: float
    label: str                      # the web page's label (Chinese and English)
    help: str                       # the API field's and the CLI flag's description
    ends: tuple[str, str] = ("", "")  # words for the low and the high end on the page

    @property
    def range(self) -> tuple[float, float]:
        return (self.low, self.high)

    @property
    def span(self) -> str:
        """``"0.7–1.3"``: the range as people read it."""
        return f"{_num(self.low)}–{_num(self.high)}"

    @property
    def info(self) -> str:
        """The slider's hint, e.g. ``"0.7 慢 – 1.3 快"`` (empty without end words)."""
        if not any(self.ends):
            return ""
        return f"{_num(self.low)} {self.ends[0]} – {_num(self.high)} {self.ends[1]}"

    def check(self, value: Any) -> float:
        """``value`` as a float inside the range, or InvalidParameterError saying what is wrong."""
        if isinstance(value, bool):
            raise InvalidParameterError(f"{self.name} must be a number, got {value!r}")
        try:
            v = float(value)
        except (TypeError, ValueError):
            raise InvalidParameterError(f"{self.name} must be a number, got {value!r}") from None
        if not math.isfinite(v) or not self.low <= v <= self.high:
            raise InvalidParameterError(f"{self.name} must be between {_num(self.low)} and {_num(self.high)}, "
                                        f"got {value!r}")
        return v


def _settings(*items: Setting) -> dict[str, Setting]:
    return {s.name: s for s in items}


SETTINGS: dict[str, Setting] = _settings(
    Setting("speed", 1.0, 0.7, 1.3, 0.05, "语速 Speed", "speaking rate ratio (> 1 faster)", ("慢", "快")),
    Setting("pitch", 1.0, 0.8, 1.2, 0.02, "音高 Pitch", "pitch ratio (> 1 higher)", ("低", "高")),
    Setting("sentence_pause", 0.35, 0.0, 2.0, 0.05, "句间停顿 Sentence pause (s)", "seconds of silence after a sentence"),
    Setting("comma_pause", 0.15, 0.0, 2.0, 0.05, "逗号停顿 Comma pause (s)", "seconds of silence at a comma"),
    Setting("intensity", 0.6, 0.0, 1.0, 0.05, "情感强度 Intensity", "emotion intensity"),
    Setting("emotion_weight", 0.0, 0.0, 1.0, 0.05, "", "weight of one emotion in a mix"),
    Setting("reference_strength", 0.7, 0.0, 1.0, 0.05, "参考强度 Reference strength",
            "how fully to imitate the reference clip's style", ("不模仿 ignore", "完全模仿 imitate fully")),
    Setting("timbre_strength", 1.0, 0.0, 1.0, 0.05, "音色贴合 Timbre match (clone)",
            "voice 'clone' only: how far the clone's spectral envelope is mapped onto the clip's (0 = the "
            "speaker embedding alone); lower it when a clone sounds muffled or unclear",
            ("仅嵌入 embedding only", "贴近参考 closest")),
    Setting("seed", None, 0, 2**32 - 1, 1, "随机种子 Seed (optional)", "random seed, for repeatable output"),
)
#: The sliders' ranges as ``{name: (low, high)}`` (published by ``Synthesizer.info()["limits"]``).
LIMITS: dict[str, tuple[float, float]] = {n: s.range for n, s in SETTINGS.items() if n not in ("seed",)}

# IndexTTS2's keyword names, accepted by Synthesizer.synthesize/stream as aliases.
ALIASES: dict[str, str] = {
    "emo_vector": "emotion_vector",
    "emo_alpha": "intensity",
    "emo_audio_prompt": "reference_audio",
    "emotion": "emotion_label",
    "voice": "speaker",
}


def check_range(name: str, value: Any) -> float:
    """``value`` checked against the range of setting ``name``."""
    return SETTINGS[name].check(value)


def _default(name: str) -> Any:
    return SETTINGS[name].default


@dataclass(frozen=True)
class SynthesisRequest:
    """Everything one call decides. Defaults come from ``SETTINGS``; ``validate()`` checks it all."""

    text: str
    speaker: Optional[str] = None             # a voice id from Synthesizer.voices(); None = default
    emotion_label: Optional[str] = None       # English or Chinese name, synonyms allowed
    emotion_vector: Any = None                # {name: weight} or 8 weights in IndexTTS2's order
    intensity: float = _default("intensity")
    emotion_control: Any = None               # a ready EmotionControl; replaces label and vector
    reference_audio: Any = None               # path, bytes or (wav, sample_rate): style to imitate
    reference_strength: float = _default("reference_strength")
    timbre_strength: float = _default("timbre_strength")  # voice "clone" only
    speed: float = _default("speed")
    pitch: float = _default("pitch")
    sentence_pause: float = _default("sentence_pause")
    comma_pause: float = _default("comma_pause")
    pinyin_overrides: Optional[Mapping[str, str]] = None
    seed: Optional[int] = None
    variance_dropout: Optional[bool] = None   # None = the voice's own setting
    vocoder: Optional[str] = None             # a vocoder of the voice's bundle (Synthesizer.info()
    #   "student_vocoders"); None or one the voice does not have = the voice's default vocoder

    @classmethod
    def from_kwargs(cls, text: Any, **kwargs: Any) -> "SynthesisRequest":
        """From Synthesizer-style keywords; IndexTTS2 names (``ALIASES``) are accepted too."""
        names = {f.name for f in fields(cls)}
        values: dict[str, Any] = {}
        for key, value in kwargs.items():
            name = ALIASES.get(key, key)
            if name not in names or name == "text":
                raise TypeError(f"unexpected synthesis setting {key!r}")
            if name in values:
                raise TypeError(f"synthesis setting {name!r} given twice (as {key!r})")
            values[name] = value
        return cls(text=text, **values)

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> "SynthesisRequest":
        return cls.from_kwargs(**dict(d))

    def to_dict(self) -> dict[str, Any]:
        return asdict(self) if self.emotion_control is None else {**asdict(replace(self, emotion_control=None)),
                                                                   "emotion_control": self.emotion_control}

    def to_kwargs(self) -> dict[str, Any]:
        """Keyword arguments for ``Synthesizer.synthesize`` / ``stream`` (text excluded): the
        settings that are given, intensity only with an emotion, strength only with a clip."""
        kw = {f.name: getattr(self, f.name) for f in fields(self) if f.name != "text"}
        if not self.has_emotion:
            kw.pop("intensity")
        if self.reference_audio is None:
            kw.pop("reference_strength")
            kw.pop("timbre_strength")
        return {k: v for k, v in kw.items() if v is not None}

    @property
    def has_emotion(self) -> bool:
        return self.emotion_label is not None or self.emotion_vector is not None or self.emotion_control is not None

    def validate(self, max_chars: Optional[int] = None) -> "SynthesisRequest":
        """The checked request (numbers as floats, the label canonical, ``neutral`` = no label);
        raises an ``InputError`` (InvalidParameterError, EmptyTextError, …) naming the fix."""
        from .encoders.emotion import NEUTRAL, EmotionControl, parse_emotion

        if not isinstance(self.text, str):
            raise InvalidParameterError(f"text must be a string, got {type(self.text).__name__}")
        if not self.text.strip():
            raise EmptyTextError("text is empty: type some Chinese text to synthesize")
        if max_chars is not None and len(self.text) > max_chars:
            raise TextTooLongError(f"text has {len(self.text)} characters; the limit is {max_chars}")
        changes: dict[str, Any] = {n: SETTINGS[n].check(getattr(self, n)) for n in
                                   ("speed", "pitch", "sentence_pause", "comma_pause", "intensity",
                                    "reference_strength", "timbre_strength")}
        label = self.emotion_label
        if label is not None:
            label = parse_emotion(label)
            changes["emotion_label"] = None if label == NEUTRAL else label
        if self.emotion_control is not None and not isinstance(self.emotion_control, EmotionControl):
            raise InvalidParameterError("emotion_control must be an EmotionControl (index_tts.encoders.emotion)")
        if self.speaker is not None and not isinstance(self.speaker, str):
            raise InvalidParameterError(f"speaker must be a voice id (string), got {self.speaker!r}")
        if self.seed is not None:
            if isinstance(self.seed, bool) or not float(SETTINGS["seed"].check(self.seed)).is_integer():
                raise InvalidParameterError(f"seed must be a whole number, got {self.seed!r}")
            changes["seed"] = int(self.seed)
        if self.pinyin_overrides is not None and not isinstance(self.pinyin_overrides, Mapping):
            raise InvalidParameterError("pinyin_overrides must be a mapping like {\"还\": \"huan2\"}")
        if self.variance_dropout is not None:
            changes["variance_dropout"] = bool(self.variance_dropout)
        if self.vocoder is not None and not isinstance(self.vocoder, str):
            raise InvalidParameterError(f"vocoder must be a vocoder name (string), got {self.vocoder!r}")
        if self.vocoder == "":
            changes["vocoder"] = None
        return replace(self, **changes)


#: A request with every default (``DEFAULTS.speed`` is the default speed, …).
DEFAULTS = SynthesisRequest(text="")

__all__ = ["ALIASES", "DEFAULTS", "LIMITS", "SETTINGS", "Setting", "SynthesisRequest", "check_range"]
