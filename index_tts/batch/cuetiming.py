"""How well do subtitle cue starts match where speech starts? Several references, one table.

    python -m index_tts.batch.cuetiming outputs/demo_measure        # a finished batch folder

The batch's cues start at the first 10 ms window of a sentence's chunk whose peak rises above
0.01 (subtitles.speech_bounds). This compares each cue start with:

- ``whisper_joined``: Whisper base word timestamps on the whole joined file, no VAD (what
  ``python -m index_tts.batch.measure`` reports): the time Whisper gives the cue's first
  character (characters aligned with difflib);
- ``whisper_joined_vad``: the same with faster-whisper's Silero VAD (``vad_filter``) and its
  default options (silences under 2 s are kept, 400 ms padding);
- ``whisper_joined_vad_tight``: VAD that cuts at pauses of 100 ms and pads speech by 30 ms, so
  Whisper sees no long silence before a sentence;
- ``whisper_per_line``: Whisper on each line's own audio (lines/*.wav); the line's first cue
  against the first character Whisper hears in that line;
- with ``--vad-grid``: VAD padding 0/30/100/200 ms x minimum silence 100/300 ms;
- ``energy_onset``: an onset found another way: 5 ms RMS frames, the first frame within 35 dB
  of the loudest frame of the cue's chunk (independent of the peak rule the cues use).

For each: cues matched, median and 90th percentile of |cue − reference|, median signed error
(positive = cue later than the reference), cues within 150 ms, and for the Whisper references
how many of the gaps hold only silence (peak below 0.02 between the two times: the reference
sits in the pause). Needs the dev requirements (faster-whisper, the Whisper-base parts, opencc).
"""
from __future__ import annotations

import argparse
import json
import statistics
import sys
from pathlib import Path
from typing import Optional, Sequence

import numpy as np

from .measure import cue_errors

TOLERANCE_S = 0.15


def whisper_model(threads: int):
    from faster_whisper import WhisperModel

    from ..eval.asr import whisper_model_dir

    return WhisperModel(str(whisper_model_dir()), device="cpu", compute_type="int8", cpu_threads=threads)


def heard(model, wav: np.ndarray, sr: int, **options) -> list[tuple[str, float]]:
    """(character, time) for every character Whisper hears, simplified and normalised."""
    import opencc
    from scipy.signal import resample_poly

    from ..eval.textnorm import normalize_for_cer

    audio = np.asarray(wav, np.float32)
    if sr != 16000:
        g = np.gcd(int(sr), 16000)
        audio = resample_poly(audio, 16000 // g, int(sr) // g).astype(np.float32)
    segments, _ = model.transcribe(audio, language="zh", beam_size=1, temperature=0.0, word_timestamps=True,
                                   condition_on_previous_text=False, **options)
    t2s = opencc.OpenCC("tw2s")
    out: list[tuple[str, float]] = []
    for seg in segments:
        for w in seg.words or []:
            chars = normalize_for_cer(t2s.convert(w.word))
            for k, ch in enumerate(chars):
                out.append((ch, w.start + (w.end - w.start) * k / max(len(chars), 1)))
    return out


def energy_onset(chunk: np.ndarray, sr: int, floor_db: float = 35.0) -> Optional[int]:
    """First sample of the first 5 ms frame whose RMS is within ``floor_db`` of the loudest."""
    hop = max(1, int(0.005 * sr))
    n = len(chunk) // hop
    if n == 0:
        return None
    rms = np.sqrt(np.mean(chunk[: n * hop].astype(np.float64).reshape(n, hop) ** 2, axis=1)) + 1e-12
    db = 20 * np.log10(rms / rms.max())
    idx = np.flatnonzero(db > -floor_db)
    return int(idx[0]) * hop if idx.size else None


def summarize(errors: list[float], silent: Optional[int] = None) -> dict:
    absolute = sorted(abs(e) for e in errors)
    out = {"matched": len(errors),
           "median_abs_s": round(statistics.median(absolute), 3) if absolute else None,
           "p90_abs_s": round(absolute[int(0.9 * (len(absolute) - 1))], 3) if absolute else None,
           "median_signed_s": round(statistics.median(errors), 3) if errors else None,
           "within_150ms": sum(1 for e in absolute if e <= TOLERANCE_S)}
    if silent is not None:
        out["only_silence_between"] = silent
    return out


def study(out: Path, threads: int = 1, grid: bool = False) -> dict:
    import soundfile as sf

    from .subtitles import parse_srt

    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    name = Path(manifest["files"]["wav"]).stem
    wav, sr = sf.read(str(out / manifest["files"]["wav"]), dtype="float32")
    cues = parse_srt((out / f"{name}.srt").read_text(encoding="utf-8"))
    model = whisper_model(threads)
    report: dict = {"batch": str(out), "cues": len(cues), "references": {}}
    variants = {
        "whisper_joined": {"vad_filter": False},
        "whisper_joined_vad": {"vad_filter": True},
        "whisper_joined_vad_tight": {"vad_filter": True,
                                     "vad_parameters": {"min_silence_duration_ms": 100, "speech_pad_ms": 30}},
    }
    if grid:  # how much the VAD reference depends on its two settings
        for pad in (0, 30, 100, 200):
            for silence in (100, 300):
                variants[f"whisper_joined_vad_pad{pad}_sil{silence}"] = {
                    "vad_filter": True, "vad_parameters": {"min_silence_duration_ms": silence, "speech_pad_ms": pad}}
    for label, options in variants.items():
        errors, _, silent = cue_errors(cues, heard(model, wav, sr, **options), wav, sr)
        report["references"][label] = summarize(errors, silent)

    # each line on its own: its first cue against the first character Whisper hears in it
    per_line, per_line_silent, onset_errors = [], 0, []
    for row in manifest["lines"]:
        line_wav, _ = sf.read(str(out / row["file"]), dtype="float32")
        meta = json.loads((out / row["file"]).with_suffix(".json").read_text(encoding="utf-8"))
        for seg in meta["segments"]:
            c0, c1 = seg["chunk"]
            onset = energy_onset(line_wav[c0:c1], sr)
            if onset is not None:
                onset_errors.append((seg["speech"][0] - (c0 + onset)) / sr)
        first = meta["segments"][0]["speech"][0] / sr if meta["segments"] else None
        chars = heard(model, line_wav, sr, vad_filter=False)
        if first is None or not chars:
            continue
        t = chars[0][1]
        per_line.append(first - t)
        lo, hi = sorted((int(t * sr), int(first * sr)))
        per_line_silent += bool(hi <= lo or float(np.abs(line_wav[lo:hi]).max()) < 0.02)
    report["references"]["whisper_per_line"] = summarize(per_line, per_line_silent)
    report["references"]["energy_onset"] = summarize(onset_errors)
    return report


def main(argv: Optional[Sequence[str]] = None) -> int:
    p = argparse.ArgumentParser(prog="python -m index_tts.batch.cuetiming", description=__doc__.split("\n")[0])
    p.add_argument("out", help="a finished batch folder (manifest.json, the joined wav, the SRT, lines/)")
    p.add_argument("--threads", type=int, default=1)
    p.add_argument("--vad-grid", action="store_true", help="also VAD padding 0/30/100/200 ms x minimum "
                   "silence 100/300 ms, to show how much the Whisper reference depends on them")
    args = p.parse_args(argv)
    json.dump(study(Path(args.out), args.threads, args.vad_grid), sys.stdout, ensure_ascii=False, indent=1)
    print()
    return 0


if __name__ == "__main__":
    sys.exit(main())
