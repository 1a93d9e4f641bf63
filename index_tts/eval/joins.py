"""``python -m index_tts.eval.joins``: does a piece cut out of a long sentence end like a sentence?

For every non-final piece of the long-text set (cut at the voice's safe length), the acoustic
model's own prediction for the piece's last syllable is compared in three renderings:

- ``context``: as the Synthesizer renders it (look-ahead context after the cut);
- ``alone``: the same piece ending the utterance (no context), i.e. what plain cutting gives;
- ``in-sentence``: the same syllables inside the whole sentence as one segment (the model's
  continuation prosody; its audio may garble, but the predicted pitch and durations don't);

and, for contrast, true sentence ends. Figures per rendering (means over pieces): the last
syllable's pitch relative to the piece's mean pitch (semitones) and its duration relative to the
piece's mean syllable duration (final lengthening). A sentence-final fall shows as a negative
pitch step and a long last syllable.
"""
from __future__ import annotations

import argparse
import math
import sys
from typing import Optional, Sequence

import numpy as np


def _syllable_stats(phones: Sequence[str], sidx: Sequence[int], f0_hz: np.ndarray, dur: np.ndarray,
                    energy: np.ndarray, syllables: Sequence[int]) -> tuple[float, float, float]:
    """Over the given syllable indices (``sidx`` numbering): last syllable's pitch minus the
    others' mean (semitones), its duration / their mean, its energy minus their mean
    (the model's normalised energy units)."""
    pitch, length, loud = [], [], []
    for s in syllables:
        idx = [i for i, v in enumerate(sidx) if v == s]
        finals = [i for i in idx if phones[i][-1:].isdigit()]
        pitch.append(float(np.mean([f0_hz[i] for i in finals])) if finals else float("nan"))
        loud.append(float(np.mean([energy[i] for i in finals])) if finals else float("nan"))
        length.append(float(sum(dur[i] for i in idx)))
    pitch_arr = np.array(pitch)
    st = 12.0 * math.log2(pitch_arr[-1] / float(np.nanmean(pitch_arr[:-1])))
    return st, length[-1] / float(np.mean(length[:-1])), loud[-1] - float(np.nanmean(loud[:-1]))


def measure(texts: Sequence[str], tts, limit: Optional[int] = None) -> dict[str, tuple]:
    import torch

    fe = tts.frontend
    cfg = tts.acoustic.cfg
    table = {s: i for i, s in enumerate(tts.bundle.symbols)}
    limit = limit or tts.max_segment_syllables

    def run(ids: list[int]):
        # encoder + variance adaptor only: pitch and durations, no decoder (so a whole long
        # sentence fits even where its mel would exceed the position table)
        x = torch.tensor([ids], dtype=torch.long)
        mask = torch.ones_like(x, dtype=torch.float32)
        with torch.inference_mode():
            var = tts.acoustic.variance(tts.acoustic.encode(x, mask, None, None), mask, control=None)
        f0 = cfg.f0_mean_hz + cfg.f0_std_hz * var.f0[0].float().numpy()
        return f0, var.durations[0].numpy().astype(float), var.energy[0].float().numpy()

    rows: dict[str, list[tuple[float, float, float]]] = {"context": [], "alone": [], "in-sentence": [], "sentence end": []}
    for text in texts:
        for whole in fe(text, max_segment_syllables=100000).segments:  # one segment per sentence
            f0w, durw, enw = run(whole.ids)
            offset = 0
            for seg in fe(whole.text, max_segment_syllables=limit).segments:
                own = sorted({i for i in seg.syllable_index if i >= 0})
                if len(own) >= 3:
                    f0, dur, en = run(seg.ids)
                    stats = _syllable_stats(seg.phones, seg.syllable_index, f0, dur, en, own)
                    if seg.ends_sentence:
                        rows["sentence end"].append(stats)
                    else:
                        rows["context"].append(stats)
                        cut = seg.context_start - 1  # drop the cut's break and the context
                        alone_phones = seg.phones[:cut] + ["sil", "eos"]
                        alone_sidx = list(seg.syllable_index[:cut]) + [-1, -1]
                        f0a, dura, ena = run([table[p] for p in alone_phones])
                        rows["alone"].append(_syllable_stats(alone_phones, alone_sidx, f0a, dura, ena, own))
                        rows["in-sentence"].append(_syllable_stats(
                            whole.phones, whole.syllable_index, f0w, durw, enw, [offset + i for i in own]))
                offset += len(own)
    return {k: (*(float(np.mean([r[j] for r in v])) for j in range(3)), len(v)) for k, v in rows.items() if v}


def main(argv: Optional[Sequence[str]] = None) -> int:
    p = argparse.ArgumentParser(prog="python -m index_tts.eval.joins", description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--model", help="bundle name or folder (default baker-zh)")
    p.add_argument("--limit", type=int, help="segment limit (default: the bundle's safe length)")
    args = p.parse_args(argv)
    import torch

    from ..synthesizer import Synthesizer
    from .buckets import long_sentences

    torch.set_num_threads(2)
    tts = Synthesizer(model_path=args.model, device="cpu", backend="torch")  # needs the torch modules
    texts = [s.text for s in long_sentences() if len(s.text) >= 60]
    res = measure(texts, tts, args.limit)
    print(f"segment limit {args.limit or tts.max_segment_syllables} syllables; {len(texts)} long texts")
    print("| rendering | pieces | last-syllable pitch vs the others (st) | duration / mean | energy vs mean |")
    print("|---|---|---|---|---|")
    for k, (st, dr, en, n) in res.items():
        print(f"| {k} | {n} | {st:+.2f} | {dr:.2f} | {en:+.2f} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
