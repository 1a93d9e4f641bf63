"""Emotion benchmark: do the emotion controls move the real voice the way the profiles say?

    python -m index_tts.eval.emotion_bench [--sentences N | --sentence-file F] [--intensities 0.3 0.6 1.0]
                                      [--emotions happy sad ...] [--cer] [--no-transfer]
                                      [--kokoro VOICE:SPEED ...] [--json out.json] [--strict]

For every emotion x intensity it synthesizes the sentence set with the real Synthesizer and
measures, against neutral on the same sentences: F0 median (semitones), F0 range (p10-p90,
semitones), loudness (median speech-frame RMS, dB) and speaking rate (frontend syllables /
speech seconds, %). Checks: every delta that the profile prescribes moves in its direction
and grows with intensity; no two emotions at the top intensity coincide within noise;
optionally Whisper CER at the top intensity vs neutral (bar: +3 points). The reference
transfer check (``emotion_transfer``) synthesizes with reference clips made by our own
voice at extreme settings, by Kokoro-82M (a second TTS) and by espeak-ng (informational)
and reports how far rate and pitch range move from neutral toward the reference at
strength 1.0 (bar: half-way).
"""
from __future__ import annotations

import argparse
import json
import logging
import math
import sys
import time
from dataclasses import asdict
from pathlib import Path
from typing import Any, Callable, Optional, Sequence

import numpy as np

from .emotion_transfer import (  # noqa: F401  (re-exported)
    KOKORO_REFS, REF_TEXT, ClipStats, measure, run_transfer, synthesize_with_control, syllable_count,
    transfer_failures,
)
from ..encoders.emotion import EMOTIONS, RULE_PROFILES

log = logging.getLogger("index_tts.eval.emotion_bench")

METRICS = ("f0_st", "range_st", "loud_db", "rate_pct")
# Smallest profile change whose direction is checked, per metric (profile units).
MIN_PROFILE = {"f0_st": 0.5, "range_st": math.log2(1.08), "loud_db": 1.0, "rate_pct": math.log2(1.04)}
# Practical difference for "distinct": semitones, semitones, dB, percent.
MIN_DIFF = {"f0_st": 0.5, "range_st": 0.5, "loud_db": 1.0, "rate_pct": 4.0}


def deltas(x: ClipStats, ref: ClipStats) -> dict[str, float]:
    return {
        "f0_st": 12.0 * math.log2(x.f0_median_hz / ref.f0_median_hz),
        "range_st": x.f0_range_st - ref.f0_range_st,
        "loud_db": x.loudness_db - ref.loudness_db,
        "rate_pct": 100.0 * (x.rate_syl_s / ref.rate_syl_s - 1.0),
    }


def expected_signs(emotion: str) -> dict[str, int]:
    p = RULE_PROFILES[emotion]
    raw = {"f0_st": p.pitch_shift_st, "range_st": math.log2(p.pitch_range), "loud_db": p.energy_db,
           "rate_pct": math.log2(p.rate)}
    return {k: (0 if abs(v) < MIN_PROFILE[k] else int(np.sign(v))) for k, v in raw.items()}


def _mean_se(values: Sequence[float]) -> tuple[float, float]:
    a = np.asarray(values, dtype=float)
    se = float(a.std(ddof=1) / math.sqrt(len(a))) if len(a) > 1 else float("nan")
    return float(a.mean()), se


def run_emotions(tts: Any, sentences: Sequence[str], emotions: Sequence[str], intensities: Sequence[float],
                 seed: int = 0, progress: Callable[[str], None] = lambda s: None,
                 voice: Optional[str] = None) -> dict[str, Any]:
    syl = [syllable_count(tts, t) for t in sentences]
    neutral, neutral_wavs = [], []
    for t, n in zip(sentences, syl):
        r = tts.synthesize(t, seed=seed, speaker=voice)
        neutral.append(measure(r.wav, r.sample_rate, n))
        neutral_wavs.append((r.wav, r.sample_rate))
    per: dict[str, dict[float, list[dict[str, float]]]] = {}
    wavs: dict[str, list[tuple[np.ndarray, int]]] = {}
    for e in emotions:
        per[e] = {}
        for inten in intensities:
            rows = []
            for k, (t, n) in enumerate(zip(sentences, syl)):
                r = tts.synthesize(t, emotion_label=e, intensity=inten, seed=seed, speaker=voice)
                rows.append(deltas(measure(r.wav, r.sample_rate, n), neutral[k]))
                if inten == max(intensities):
                    wavs.setdefault(e, []).append((r.wav, r.sample_rate))
            per[e][inten] = rows
            progress(f"{e} @ {inten:g} done")
    return {"neutral": neutral, "per": per, "wavs": wavs, "neutral_wavs": neutral_wavs}


def check_emotions(per: dict[str, dict[float, list[dict[str, float]]]]) -> dict[str, Any]:
    table, failures = [], []
    for e, by_int in per.items():
        signs = expected_signs(e)
        ints = sorted(by_int)
        means = {i: {m: _mean_se([r[m] for r in by_int[i]]) for m in METRICS} for i in ints}
        for i in ints:
            table.append({"emotion": e, "intensity": i, **{m: means[i][m][0] for m in METRICS},
                          **{m + "_se": means[i][m][1] for m in METRICS}})
        for m, sign in signs.items():
            if sign == 0:
                continue
            vals = [means[i][m][0] for i in ints]
            if np.sign(vals[-1]) != sign:
                failures.append(f"{e}: {m} moved {vals[-1]:+.2f}, profile says {'+' if sign > 0 else '-'}")
            mags = [sign * v for v in vals]
            tol = max(0.1, means[ints[-1]][m][1])
            if any(b < a - tol for a, b in zip(mags, mags[1:])):
                failures.append(f"{e}: {m} does not grow with intensity ({', '.join(f'{v:+.2f}' for v in vals)})")
    top = {e: max(by_int) for e, by_int in per.items()}
    pairs, same = [], []
    names = list(per)
    for a_i, a in enumerate(names):
        for b in names[a_i + 1:]:
            ra, rb = per[a][top[a]], per[b][top[b]]
            best = 0.0
            for m in METRICS:
                d = [x[m] - y[m] for x, y in zip(ra, rb)]
                mean, se = _mean_se(d)
                if abs(mean) >= MIN_DIFF[m] and (not math.isfinite(se) or abs(mean) > 3 * se):
                    best = max(best, abs(mean) / MIN_DIFF[m])
            pairs.append((a, b, best))
            if best == 0.0:
                same.append(f"{a} ~ {b}")
    return {"table": table, "failures": failures, "indistinct": same, "pairs": pairs}


def run_cer(tts: Any, sentences: Sequence[str], res: dict[str, Any]) -> dict[str, float]:
    from .asr import cer, transcribe

    def avg(wavs: list[tuple[np.ndarray, int]]) -> float:
        return 100.0 * float(np.mean([cer(t, transcribe(w, sr)) for t, (w, sr) in zip(sentences, wavs)]))

    out = {"neutral": avg(res["neutral_wavs"])}
    for e, wavs in res["wavs"].items():
        out[e] = avg(wavs)
    return out


# ----------------------------------------------------------------------------- report
def format_table(table: list[dict[str, Any]]) -> str:
    lines = [f"{'emotion':<12}{'int':>5}  {'ΔF0 st':>8}  {'Δrange st':>10}  {'Δloud dB':>9}  {'Δrate %':>8}"]
    for row in table:
        lines.append(f"{row['emotion']:<12}{row['intensity']:>5.1f}  {row['f0_st']:>+8.2f}  {row['range_st']:>+10.2f}"
                     f"  {row['loud_db']:>+9.2f}  {row['rate_pct']:>+8.1f}")
    return "\n".join(lines)


def _voice_speed(text: str) -> tuple[str, float]:
    voice, _, speed = text.partition(":")
    try:
        return voice, float(speed or 1.0)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected VOICE:SPEED, got {text!r}") from None


def main(argv: Optional[Sequence[str]] = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m index_tts.eval.emotion_bench", description=__doc__.split("\n")[0])
    ap.add_argument("--sentences", type=int, default=10, help="how many sentences of the set (default 10)")
    ap.add_argument("--sentence-file", help="TSV (id, category, text); default: shared dev set or built-in")
    ap.add_argument("--intensities", type=float, nargs="+", default=[0.3, 0.6, 1.0])
    ap.add_argument("--emotions", nargs="+", default=[e for e in EMOTIONS if e != "neutral"])
    ap.add_argument("--cer", action="store_true", help="Whisper CER at the top intensity vs neutral")
    ap.add_argument("--no-transfer", action="store_true", help="skip the reference-transfer check")
    ap.add_argument("--kokoro", type=_voice_speed, nargs="*", default=list(KOKORO_REFS), metavar="VOICE:SPEED",
                    help="Kokoro references for the transfer check (default: %(default)s; none: no Kokoro)")
    ap.add_argument("--model", default=None, help="bundle name or folder")
    ap.add_argument("--voice", default=None, help="a voice id of the Synthesizer (default: the default voice)")
    ap.add_argument("--device", default="cpu")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--json", help="write all results to this file")
    ap.add_argument("--strict", action="store_true", help="exit 1 when a check fails")
    args = ap.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    logging.getLogger("faster_whisper").setLevel(logging.WARNING)
    import torch

    from ..encoders.emotion import parse_emotion
    from .sentences import default_sentences
    from ..synthesizer import Synthesizer

    torch.set_num_threads(max(1, args.threads))
    emotions = [parse_emotion(e) for e in args.emotions]
    sents, source = default_sentences(args.sentence_file)
    texts = [s.text for s in sents[: args.sentences]]
    print(f"sentences: {len(texts)} from {source}; intensities {args.intensities}; emotions {emotions}")
    t0 = time.perf_counter()
    tts = Synthesizer(model_path=args.model, device=args.device)
    res = run_emotions(tts, texts, emotions, sorted(args.intensities), seed=args.seed, progress=log.info,
                       voice=args.voice)
    chk = check_emotions(res["per"])
    print("\nDeltas vs neutral (mean over sentences):")
    print(format_table(chk["table"]))
    ok = not chk["failures"] and not chk["indistinct"]
    print("\nDirection / monotonicity:", "all pass" if not chk["failures"] else "")
    for f in chk["failures"]:
        print("  FAIL", f)
    print("Distinct at top intensity:", "all pairs distinct" if not chk["indistinct"] else
          "indistinct: " + ", ".join(chk["indistinct"]))
    out: dict[str, Any] = {"sentences": texts, "source": source, "table": chk["table"],
                           "failures": chk["failures"], "indistinct": chk["indistinct"],
                           "pairs": chk["pairs"], "neutral": [asdict(s) for s in res["neutral"]]}
    if args.cer:
        try:
            cers = run_cer(tts, texts, res)
        except Exception as exc:  # the ASR model is optional; report and go on
            print(f"\nCER unavailable: {type(exc).__name__}: {exc}")
            ok = False
        else:
            out["cer"] = cers
            print("\nCER % at top intensity:", ", ".join(f"{k} {v:.1f}" for k, v in cers.items()))
            worse = {k: v - cers["neutral"] for k, v in cers.items() if v - cers["neutral"] > 3.0}
            print("CER bar (+3 points vs neutral):", "pass" if not worse else f"FAIL {worse}")
            ok = ok and not worse
    if not args.no_transfer:
        tr = run_transfer(tts, texts[: max(3, min(5, len(texts)))], seed=args.seed, kokoro=args.kokoro)
        out["transfer"] = tr
        print("\nReference transfer at strength 1.0 (fraction of the way from neutral to the reference;"
              " '-' = contrast too small to measure):")
        for row in tr:
            f = {k: ("   -" if not math.isfinite(row[k]) else f"{row[k]:.2f}")
                 for k in ("rate_fraction", "range_fraction", "f0_fraction")}
            print(f"  {row['reference']:<42} rate {row['neutral_rate']:.2f}->{row['out_rate']:.2f} "
                  f"(ref {row['ref_rate']:.2f}; analyser {row['ref_rate_analyser']:.2f}) {f['rate_fraction']}  "
                  f"range {row['neutral_range_st']:.1f}->{row['out_range_st']:.1f} st (ref {row['ref_range_st']:.1f}) "
                  f"{f['range_fraction']}  F0 {row['neutral_f0_hz']:.0f}->{row['out_f0_hz']:.0f} Hz "
                  f"(ref {row['ref_f0_hz']:.0f}) {f['f0_fraction']}")
        fails = transfer_failures(tr)
        print("Transfer bar (half-way on rate and range; espeak-ng informational):",
              "pass" if not fails else "FAIL " + "; ".join(fails))
        ok = ok and not fails
    print(f"\ntotal {time.perf_counter() - t0:.0f} s; overall: {'PASS' if ok else 'FAIL'}")
    if args.json:
        Path(args.json).write_text(json.dumps(out, indent=2, ensure_ascii=False, default=float), encoding="utf-8")
    return 1 if (args.strict and not ok) else 0


if __name__ == "__main__":
    sys.exit(main())
