"""Typed sections of a bundle's ``config.json`` (no torch): speakers, emotions, inference settings.

``bundle.load_bundle`` parses them once into ``Bundle.speakers`` / ``Bundle.emotions`` /
``Bundle.inference``; the Synthesizer and the server read these objects, never the raw dict.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Mapping, Optional

from .frontend.split import check_segment_limit
from .utils.config import ConfigBase


@dataclass(frozen=True)
class InferenceSettings(ConfigBase):
    """How a voice should be run (``config.json`` key ``inference``).

    ``max_segment_syllables``: the longest segment (at speed 1.0, look-ahead context included)
    the acoustic model says well, measured with ``python -m index_tts.eval.length_sweep``
    (docs/LONG_TEXT.md); the frontend cuts longer sentences, and the Synthesizer lowers it in
    proportion for slower speech. A bundle without it gets the default below: the value
    measured for ``baker-zh`` (30 syllables, about 550 of the ~700 frames it says well).
    """

    variance_dropout: bool = False
    dropout_pitch_gain: float = 1.0
    max_segment_syllables: int = 30

    def __post_init__(self) -> None:
        check_segment_limit(self.max_segment_syllables)
        if not 0.0 < self.dropout_pitch_gain <= 4.0:
            raise ValueError("inference.dropout_pitch_gain must be in (0, 4]")


@dataclass(frozen=True)
class SpeakerEntry:
    """One preset voice of the acoustic model (``config.json`` ``speakers[id]``)."""

    id: str
    display_name: str
    embedding: Optional[tuple[float, ...]] = None  # None: the model has one voice (no speaker input)
    details: Mapping[str, Any] = field(default_factory=dict)  # description, gender, … as written

    @classmethod
    def from_dict(cls, sid: str, d: Mapping[str, Any]) -> "SpeakerEntry":
        if not isinstance(d, Mapping):
            raise ValueError(f"speaker {sid!r}: entry must be an object, got {type(d).__name__}")
        emb = d.get("embedding")
        details = {k: v for k, v in d.items() if k not in ("display_name", "embedding")}
        return cls(str(sid), str(d.get("display_name") or sid),
                   None if emb is None else tuple(float(x) for x in emb), details)

    def to_dict(self) -> dict[str, Any]:
        return {"display_name": self.display_name,
                "embedding": None if self.embedding is None else list(self.embedding), **self.details}


def parse_speakers(section: Any) -> dict[str, SpeakerEntry]:
    """``{id: SpeakerEntry}`` from a config's ``speakers`` object (absent or empty: none)."""
    if not section:
        return {}
    if not isinstance(section, Mapping):
        raise ValueError(f"'speakers' must be an object, got {type(section).__name__}")
    return {str(k): SpeakerEntry.from_dict(str(k), v) for k, v in section.items()}


@dataclass(frozen=True)
class EmotionSettings:
    """How a voice renders emotions (``config.json`` ``emotions``).

    ``type`` "rule" (default: prosody profiles) or "learned" (a table of emotion ``vectors`` fed
    to the acoustic model, with the rule prosody on top when ``rule_prosody``); ``cap`` and
    ``apply_bias`` normalise emotion vectors the IndexTTS2 way (encoders/emotion.py).
    """

    type: str = "rule"
    cap: Optional[float] = None  # None: encoders.emotion.DEFAULT_CAP
    apply_bias: bool = False
    vectors: Optional[Mapping[str, tuple[float, ...]]] = None
    rule_prosody: bool = False

    @classmethod
    def from_dict(cls, section: Optional[Mapping[str, Any]]) -> "EmotionSettings":
        """Known keys of ``section`` (others are left alone, as before typed parsing)."""
        section = section if isinstance(section, Mapping) else {}
        kind = section.get("type", "rule")
        if kind not in ("rule", "learned"):
            raise ValueError(f"unknown bundle emotions type {kind!r} (expected 'rule' or 'learned')")
        vectors = section.get("vectors")
        if kind == "learned" and (not isinstance(vectors, Mapping) or not vectors):
            raise ValueError("bundle emotions type 'learned' needs a non-empty 'vectors' table")
        cap = section.get("cap")
        return cls(kind, None if cap is None else float(cap), bool(section.get("apply_bias", False)),
                   {str(k): tuple(float(x) for x in v) for k, v in vectors.items()} if kind == "learned" else None,
                   bool(section.get("rule_prosody", False)))

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"type": self.type, "apply_bias": self.apply_bias}
        if self.cap is not None:
            out["cap"] = self.cap
        if self.vectors is not None:
            out.update(vectors={k: list(v) for k, v in self.vectors.items()}, rule_prosody=self.rule_prosody)
        return out


__all__ = ["EmotionSettings", "InferenceSettings", "SpeakerEntry", "parse_speakers"]
