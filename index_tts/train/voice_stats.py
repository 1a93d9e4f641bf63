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
from typing import Any, Iterable, Mapping

import numpy as np

log = logging.getLogger(__name__)
PERCENTILES = (1.0, 99.0)
MIN_SYMBOLS = 200  # fewer voiced symbols than this: no range (too little to say)


def symbol_f0(f0: np.ndarray, durations: np.ndarray) -> np.ndarray:
    """Mean f0 over each symbol's voiced frames (the trainer's ``phone_average``) -> [voiced symbols] (Hz)."""
    import torch

    from .acoustic_dataset import phone_average

    per = phone_average(torch.from_numpy(np.asarray(f0, np.float32))[None],
                        torch.from_numpy(np.asarray(durations, np.int64))[None], nonzero_only=True)[0].numpy()
    return per[per > 0].astype(np.float64)


def f0_ranges(clips: Iterable[Any]) -> dict[str, tuple[float, float]]:
    """``{voice: (p1, p99) Hz}`` from corpus clips (``.voice`` and ``.path`` of a feature .npz with
    ``f0`` and ``durations``: ``student.read_corpus``)."""
    values: dict[str, list[np.ndarray]] = {}
    for clip in clips:
        with np.load(clip.path) as z:
            values.setdefault(clip.voice, []).append(symbol_f0(z["f0"], z["durations"]))
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


def main(argv=None) -> int:
    from ..hub import write_manifest
    from .student import StudentConfig, read_corpus
    from .student_voices import student_id

    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--corpus", required=True, type=Path)
    ap.add_argument("--bundle", required=True, type=Path, help="an exported student bundle (its config.json)")
    args = ap.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    clips = read_corpus(args.corpus, StudentConfig().max_clip_frames)  # the clips the trainer reads
    ranges = {student_id(v): r for v, r in f0_ranges(clips).items()}
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
