"""Per-segment prosody: emotion control + sentence type + user sliders -> ``ProsodyControl``.

``build_segment_control(segment, ctrl, speed=, pitch=)`` returns per-symbol arrays aligned
with ``segment.ids`` and the factors for the pauses the Synthesizer inserts:

- global: pitch level (emotion + the user's pitch ratio in semitones), pitch range,
  loudness (every symbol but sil / eos / pad: this voice puts syllable audio into the
  frames of the #0-#3 break symbols, so a gap there would modulate the level), tempo (``speed`` = user speed x emotion rate);
- sentence-final contour on the last two syllables: questions rise (also when neutral;
  plus a slightly higher phrase curve overall),
  exclamations get a raised, wider, louder peak, and the emotion's boundary tone (rise
  for happy/surprised, fall for sad/calm/angry/disgusted) is added on the last syllable,
  which is also lengthened by ``final_lengthening``;
- emphasis: the first syllable of each word of two or more syllables (not neutral tone)
  gets ``emphasis_st`` / ``emphasis_db``;
- ``PauseScales(sentence, comma)`` multiply the user's sentence / comma pause seconds;
  they follow the emotion's ``pause_scale`` only (the user's pause settings are explicit
  seconds, so the speed slider does not rescale them).
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, Optional

import numpy as np

from ..acoustic.controls import ProsodyControl
from ..frontend.symbols import INITIALS
from ..request import DEFAULTS
from .emotion import NEUTRAL_CONTROL, EmotionControl

# Sentence-type contours for a neutral voice (scaled by EmotionControl.contour_scale).
QUESTION_GLOBAL_ST = 0.5      # questions have a higher phrase curve overall
QUESTION_RISE_ST = 3.0        # on the last syllable's final; 40 % of it on its initial
QUESTION_PRE_RISE_ST = 0.8    # on the penultimate syllable
EXCLAIM_PEAK_ST = 1.5         # last two syllables
EXCLAIM_RANGE = 1.2
EXCLAIM_DB = 2.0
# Symbols that never get a loudness change (everything else, breaks included, follows the level).
SILENT_SYMBOLS = ("sil", "eos", "pad")


@dataclass(frozen=True)
class PauseScales:
    sentence: float = 1.0
    comma: float = 1.0


def _syllables(segment: Any) -> tuple[np.ndarray, list[int]]:
    sidx = np.asarray(segment.syllable_index, dtype=int)
    order = sorted(set(int(i) for i in sidx if i >= 0))
    return sidx, order


def _emphasis_syllables(segment: Any, sidx: np.ndarray) -> list[int]:
    """First syllable of every word with >= 2 syllables, unless it has the neutral tone."""
    widx = np.asarray(segment.word_index, dtype=int)
    tones = np.asarray(segment.tones, dtype=int)
    out = []
    for w in sorted(set(int(i) for i in widx if i >= 0)):
        syl = sorted(set(int(s) for s in sidx[(widx == w) & (sidx >= 0)]))
        if len(syl) < 2:
            continue
        first = syl[0]
        tone = int(tones[(sidx == first)].max(initial=0))
        if tone != 5:
            out.append(first)
    return out


def build_segment_control(segment: Any, ctrl: Optional[EmotionControl], *, speed: float = DEFAULTS.speed,
                          pitch: float = DEFAULTS.pitch,
                          initial_rate_share: float = 1.0,
                          rate_share: float = 1.0) -> tuple[ProsodyControl, PauseScales]:
    """ProsodyControl (arrays of len(segment.ids)) and pause factors for one segment.

    ``speed`` and ``pitch`` are the request's checked sliders (``SynthesisRequest.validate``).
    ``initial_rate_share``: the voice's ``FastSpeech2Config.initial_rate_share`` (syllable initials
    follow that share of the emotion's tempo change in log terms; the user's speed stays exact).
    ``rate_share``: the share of the emotion's (and a reference clip's) tempo change the voice
    follows at all, in log terms (1 for our models; ``engines.kokoro.EMOTION_RATE_SHARE`` for the
    Kokoro voices, which slur when stretched)."""
    c = NEUTRAL_CONTROL if ctrl is None else ctrl
    rate = float(c.rate) ** rate_share
    n = len(segment.ids)
    sidx, order = _syllables(segment)
    phones = list(segment.phones)

    shift = np.full(n, c.pitch_shift_st + 12.0 * math.log2(pitch), dtype=np.float32)
    prange = np.full(n, c.pitch_range, dtype=np.float32)
    silent = np.isin(np.asarray(phones, dtype=object), SILENT_SYMBOLS)
    energy = np.where(silent, 0.0, c.energy_db).astype(np.float32)
    dur = np.ones(n, dtype=np.float32)

    def add_to_syllable(arr: np.ndarray, syl: int, value: float, initial_share: float = 1.0) -> None:
        for i in np.flatnonzero(sidx == syl):
            is_final = segment.tones[i] > 0
            arr[i] += value if is_final else value * initial_share

    for syl in _emphasis_syllables(segment, sidx):
        add_to_syllable(shift, syl, c.emphasis_st)
        add_to_syllable(energy, syl, c.emphasis_db)

    # Only a segment that ends its sentence gets the sentence-final contour and lengthening;
    # a piece cut out of a long sentence continues into the next one.
    if order and getattr(segment, "ends_sentence", True):
        last = order[-1]
        pen = order[-2] if len(order) > 1 else None
        k = c.contour_scale
        stype = getattr(segment, "sentence_type", "declarative")
        if stype == "question":
            shift += QUESTION_GLOBAL_ST * k
            add_to_syllable(shift, last, QUESTION_RISE_ST * k, initial_share=0.4)
            if pen is not None:
                add_to_syllable(shift, pen, QUESTION_PRE_RISE_ST * k)
        elif stype == "exclamation":
            for syl in (pen, last):
                if syl is None:
                    continue
                add_to_syllable(shift, syl, EXCLAIM_PEAK_ST * k)
                add_to_syllable(energy, syl, EXCLAIM_DB * k)
                m = sidx == syl
                prange[m] *= EXCLAIM_RANGE ** k
        # The emotion's boundary tone: full on the last syllable's final, less before it.
        add_to_syllable(shift, last, c.final_contour_st, initial_share=0.5)
        if pen is not None:
            add_to_syllable(shift, pen, 0.3 * c.final_contour_st)
        dur[sidx == last] *= c.final_lengthening

    if rate != 1.0 and initial_rate_share != 1.0:
        initials = np.isin(np.asarray(phones, dtype=object), INITIALS)
        dur[initials] *= rate ** (1.0 - initial_rate_share)

    # In-segment phrase breaks (#2) stretch with the emotion's pause habit; #3 pauses are
    # inserted by the Synthesizer as silence and scaled through PauseScales.comma.
    for i, p in enumerate(phones):
        if p == "#2":
            dur[i] *= c.pause_scale

    def opt(arr: np.ndarray, neutral: float) -> Optional[np.ndarray]:
        return None if np.allclose(arr, neutral) else arr

    control = ProsodyControl(
        speed=float(speed * rate),
        duration_scale=opt(dur, 1.0),
        pitch_shift=opt(shift, 0.0),
        pitch_range=opt(prange, 1.0),
        energy_db=opt(energy, 0.0),
        spectral_tilt_db=float(c.spectral_tilt_db),
    )
    control.validate(n)
    return control, PauseScales(sentence=float(c.pause_scale), comma=float(c.pause_scale))


__all__ = ["PauseScales", "build_segment_control"]
