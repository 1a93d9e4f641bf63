"""Per-voice pitch range of a teacher corpus, written into a multi-voice bundle's speakers.

A voice's ``f0_range_hz`` is the 1st and 99th percentile of its per-symbol f0 (voiced symbols,
the mean f0 over each symbol's voiced frames, as the trainer's targets) over its kept clips.
At inference an emotion's or the user's pitch change is softly held inside that range
(``prosody_math.controlled_f0``): the decoder has not learnt a voice far outside its own
range, and a 1.6x wider range on a 230 Hz voice garbles it (docs/VOICES.md).

    python -m index_tts.train.voice_stats --corpus .run/student/corpus --bundle EXPORT_DIR
"""
from __future__ import annotations

import argparse
import json
import logging
from pathlib import Path
from typing import Iterable, Mapping

import numpy as np

log = logging.getLogger(__name__)
PERCENTILES = (1.0, 99.0)
MIN_SYMBOLS = 200  # fewer voiced symbols than this: no range (too little to say)


def symbol_f0(f0: np.ndarray, durations: np.ndarray) -> np.ndarray:
    """Mean f0 over each symbol's voiced frames -> [voiced symbols] (Hz)."""
    out = []
    start = 0
    for n in np.asarray(durations, np.int64):
        seg = f0[start:start + n]
        start += n
        seg = seg[seg > 0]
        if seg.size:
            out.append(float(seg.mean()))
    return np.asarray(out, np.float64)


def f0_ranges(clips: Iterable[tuple[str, Path]]) -> dict[str, tuple[float, float]]:
    """``{voice: (p1, p99) Hz}`` from (voice, feature .npz with ``f0`` and ``durations``) pairs."""
    values: dict[str, list[np.ndarray]] = {}
    for voice, path in clips:
        with np.load(path) as z:
            values.setdefault(voice, []).append(symbol_f0(z["f0"], z["durations"]))
    ranges = {}
    for voice, parts in sorted(values.items()):
        v = np.concatenate(parts) if parts else np.zeros(0)
        if v.size < MIN_SYMBOLS:
            log.warning("%s: %d voiced symbols, no pitch range", voice, v.size)
            continue
        lo, hi = np.percentile(v, PERCENTILES)
        ranges[voice] = (round(float(lo), 1), round(float(hi), 1))
    return ranges


def add_ranges(speakers: Mapping[str, dict], ranges: Mapping[str, tuple[float, float]]) -> dict[str, dict]:
    """Speaker entries with ``f0_range_hz`` added where a range is known (keys: student ids)."""
    return {sid: ({**entry, "f0_range_hz": list(ranges[sid])} if sid in ranges else dict(entry))
            for sid, entry in speakers.items()}


def corpus_clips(corpus: Path) -> list[tuple[str, Path]]:
    """(voice, features) of the kept clips in a teacher corpus's index.jsonl."""
    out = []
    for line in (corpus / "index.jsonl").read_text(encoding="utf-8").splitlines():
        row = json.loads(line)
        if row.get("kept") and (corpus / row["path"]).exists():
            out.append((row["voice"], corpus / row["path"]))
    return out


def main(argv=None) -> int:
    from ..hub import write_manifest
    from .student_voices import student_id

    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--corpus", required=True, type=Path)
    ap.add_argument("--bundle", required=True, type=Path, help="an exported student bundle (its config.json)")
    args = ap.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    ranges = {student_id(v): r for v, r in f0_ranges(corpus_clips(args.corpus)).items()}
    cfg_path = args.bundle / "config.json"
    cfg = json.loads(cfg_path.read_text(encoding="utf-8"))
    cfg["speakers"] = add_ranges(cfg["speakers"], ranges)
    cfg_path.write_text(json.dumps(cfg, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    write_manifest(args.bundle)
    for sid, r in sorted(ranges.items()):
        log.info("%-12s %6.1f – %6.1f Hz", sid, *r)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
