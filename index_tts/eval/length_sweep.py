"""``python -m index_tts.eval.length_sweep``: where does a voice stop saying long segments well?

Windows of natural text of a target length (in syllables) are synthesized as ONE segment each
(the segment limit is lifted), transcribed with Whisper base and scored (CER), under several
seeds with variance dropout on and off, optionally at a slow speed (to tell whether the limit
is in syllables or in frames). Each window also gets a quality proxy: DNSMOS OVRL when PyPI
``speechmos`` is installed. The report groups CER by target length and by predicted frames;
the safe length is the longest target up to which the mean CER stays within ``--tolerance``
of the best level reached (very short windows are hard for Whisper, so they are not the baseline).

    python -m index_tts.eval.length_sweep --lengths 10,15,20,25,30,35,40,50,60 --seeds 0,1,2
"""
from __future__ import annotations

import argparse
import json
import logging
import sys
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Optional, Sequence

import numpy as np

from ..hub import PROJECT_ROOT

PASSAGES = Path(__file__).with_name("data") / "sweep_passages_zh.txt"
DEFAULT_OUT = PROJECT_ROOT / "outputs" / "length_sweep"
from .quality import dnsmos_ovrl

log = logging.getLogger(__name__)


@dataclass
class SweepItem:
    length: int  # target syllables
    passage: int
    text: str
    condition: str  # e.g. "dropout-on/seed0", "dropout-off", "dropout-on/seed0/speed0.75"
    syllables: int
    frames: int
    audio_s: float
    cer: float
    hypothesis: str
    dnsmos_ovrl: Optional[float] = None


def load_passages(path: Path = PASSAGES) -> list[str]:
    lines = path.read_text(encoding="utf-8").splitlines()
    return [ln.strip() for ln in lines if ln.strip() and not ln.startswith("#")]


def make_window(passage: str, length: int, offset: int) -> str:
    """About ``length`` characters of ``passage`` starting after the ``offset``-th comma,
    ending at a word boundary, with a full stop."""
    import jieba

    starts = [0] + [i + 1 for i, ch in enumerate(passage) if ch == "，"]
    starts = [s for s in starts if len(passage) - s >= length + 2] or [0]
    text = passage[starts[offset % len(starts)]:]
    words = jieba.lcut(text)
    out, n = "", 0
    for w in words:
        hanzi = sum(1 for ch in w if "\u4e00" <= ch <= "\u9fff")
        if n + hanzi > length and n >= length - 2:
            break
        out += w
        n += hanzi
        if n >= length:
            break
    return out.rstrip("，。") + "。"


def run_sweep(lengths: Sequence[int], seeds: Sequence[int], *, slow_speed: Optional[float], quality: bool,
              model: Optional[str], out_dir: Path, paired_limit: Optional[int] = None,
              only_paired: bool = False) -> list[SweepItem]:
    import soundfile as sf

    from ..synthesizer import Synthesizer
    from . import asr
    from .textnorm import cer_counts

    passages = load_passages()
    engines = {
        "dropout-on": Synthesizer(model_path=model, device="cpu", variance_dropout=True, max_segment_syllables=10000),
        "dropout-off": Synthesizer(model_path=model, device="cpu", variance_dropout=False, max_segment_syllables=10000),
    }
    conditions: list[tuple[str, str, Optional[int], float]] = [
        (f"dropout-on/seed{s}", "dropout-on", s, 1.0) for s in seeds
    ] + [("dropout-off", "dropout-off", 0, 1.0)]
    if slow_speed:
        conditions.append((f"dropout-on/seed{seeds[0]}/speed{slow_speed}", "dropout-on", seeds[0], slow_speed))
    if paired_limit:
        # the same windows cut into short segments: a paired baseline that has the same words
        engines["cut"] = Synthesizer(model_path=model, device="cpu", max_segment_syllables=paired_limit)
        paired = [(f"cut{paired_limit}/seed{s}", "cut", s, 1.0) for s in seeds[:1]]
        conditions = paired if only_paired else conditions + paired
    (out_dir / "wavs").mkdir(parents=True, exist_ok=True)
    items: list[SweepItem] = []
    for length in lengths:
        for p, passage in enumerate(passages):
            text = make_window(passage, length, offset=p + length)
            for name, engine, seed, speed in conditions:
                tts = engines[engine]
                res = tts.synthesize(text, seed=seed, speed=speed)
                if engine != "cut" and len(res.segments) != 1:
                    raise RuntimeError(f"expected one segment for {text!r}, got {len(res.segments)}")
                hyp = asr.transcribe(res.wav, res.sample_rate)
                counts = cer_counts(text, hyp)
                item = SweepItem(
                    length=length, passage=p, text=text, condition=name, syllables=counts.ref_len,
                    frames=sum(seg.frames for seg in res.segments), audio_s=res.duration_s, cer=counts.cer, hypothesis=hyp,
                    dnsmos_ovrl=dnsmos_ovrl(res.wav, res.sample_rate) if quality else None,
                )
                items.append(item)
                tag = name.replace("/", "_")
                sf.write(str(out_dir / "wavs" / f"L{length:03d}_p{p}_{tag}.wav"), res.wav, res.sample_rate,
                         subtype="PCM_16")
                log.info("L=%d p=%d %s frames=%d cer=%.3f %s", length, p, name, item.frames, item.cer, hyp)
    return items


def _mean(xs: Sequence[float]) -> float:
    return float(np.mean(xs)) if xs else float("nan")


def summarize(items: Sequence[SweepItem], tolerance: float) -> dict:
    conditions = sorted({i.condition for i in items})
    lengths = sorted({i.length for i in items})
    by_len = {}
    for L in lengths:
        row = {}
        for c in conditions:
            sel = [i for i in items if i.length == L and i.condition == c]
            row[c] = {
                "cer": _mean([i.cer for i in sel]),
                "frames": _mean([i.frames for i in sel]),
                "syllables": _mean([i.syllables for i in sel]),
                "dnsmos": _mean([i.dnsmos_ovrl for i in sel if i.dnsmos_ovrl is not None]),
            }
        by_len[L] = row
    frame_edges = [0, 200, 300, 400, 500, 600, 700, 800, 1000, 100000]
    by_frames = {}
    for lo, hi in zip(frame_edges, frame_edges[1:]):
        sel = [i for i in items if lo <= i.frames < hi]
        if sel:
            by_frames[f"{lo}-{hi}"] = {"n": len(sel), "cer": _mean([i.cer for i in sel]),
                                       "dnsmos": _mean([i.dnsmos_ovrl for i in sel if i.dnsmos_ovrl is not None])}
    # Very short windows are hard for Whisper (little context), so the baseline is the best
    # level the voice reaches; the safe length is the longest target from there on up to which
    # every target stays within ``tolerance`` of it.
    base = {c: min(by_len[L][c]["cer"] for L in lengths) for c in conditions}
    safe = {}
    for c in conditions:
        start = min(lengths, key=lambda L: (by_len[L][c]["cer"], L))
        best = start
        for L in lengths:
            if L <= start:
                continue
            if by_len[L][c]["cer"] > base[c] + tolerance:
                break
            best = L
        safe[c] = best
    return {"by_length": by_len, "by_frames": by_frames, "baseline_cer": base, "safe_length": safe,
            "tolerance": tolerance}


def format_summary(summary: dict) -> str:
    conds = sorted(next(iter(summary["by_length"].values())).keys())
    lines = ["| target syllables | " + " | ".join(f"{c} CER" for c in conds) + " | frames (first dropout-on) | DNSMOS (same) |",
             "|---" * (len(conds) + 3) + "|"]
    for L, row in summary["by_length"].items():
        cells = [f"{row[c]['cer'] * 100:.1f}%" if row[c]["cer"] == row[c]["cer"] else "-" for c in conds]
        main = next((c for c in conds if c.startswith("dropout-on") and row[c]["frames"] == row[c]["frames"]), conds[0])
        lines.append(f"| {L} | " + " | ".join(cells) + f" | {row[main]['frames']:.0f} | {row[main]['dnsmos']:.2f} |")
    lines.append("")
    lines.append("| predicted frames | n | CER | DNSMOS |")
    lines.append("|---|---|---|---|")
    for k, v in summary["by_frames"].items():
        lines.append(f"| {k} | {v['n']} | {v['cer'] * 100:.1f}% | {v['dnsmos']:.2f} |")
    lines.append("")
    lines.append(f"safe length (CER within {summary['tolerance'] * 100:.0f} points of the best level): "
                 + ", ".join(f"{c}: {v}" for c, v in summary["safe_length"].items()))
    return "\n".join(lines)


def main(argv: Optional[Sequence[str]] = None) -> int:
    p = argparse.ArgumentParser(prog="python -m index_tts.eval.length_sweep", description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--lengths", default="10,15,20,25,30,35,40,50,60", help="target syllables ('none': only --merge)")
    p.add_argument("--seeds", default="0,1,2")
    p.add_argument("--slow-speed", type=float, default=0.75, help="extra condition at this speed (0 = off)")
    p.add_argument("--no-quality", action="store_true", help="skip the DNSMOS quality proxy")
    p.add_argument("--tolerance", type=float, default=0.03)
    p.add_argument("--paired-limit", type=int, default=0,
                   help="also synthesize every window cut at this segment limit (a paired baseline)")
    p.add_argument("--only-paired", action="store_true", help="run only the paired-baseline condition")
    p.add_argument("--merge", nargs="*", default=[], help="sweep.json files of earlier runs to report together")
    p.add_argument("--model", help="bundle name or folder (default baker-zh)")
    p.add_argument("--out", default=str(DEFAULT_OUT))
    p.add_argument("-v", "--verbose", action="store_true")
    args = p.parse_args(argv)
    logging.basicConfig(level=logging.INFO if args.verbose else logging.WARNING,
                        format="%(levelname)s %(name)s: %(message)s")
    import torch

    torch.set_num_threads(2)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    items: list[SweepItem] = []
    if args.lengths != "none":
        items = run_sweep([int(x) for x in args.lengths.split(",")], [int(x) for x in args.seeds.split(",")],
                          slow_speed=args.slow_speed or None, quality=not args.no_quality, model=args.model,
                          out_dir=out, paired_limit=args.paired_limit or None, only_paired=args.only_paired)
    for path in args.merge:
        items += [SweepItem(**d) for d in json.loads(Path(path).read_text(encoding="utf-8"))["items"]]
    summary = summarize(items, args.tolerance)
    (out / "sweep.json").write_text(json.dumps({"items": [asdict(i) for i in items], "summary": summary},
                                               ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    text = format_summary(summary)
    (out / "sweep.md").write_text(text + "\n", encoding="utf-8")
    print(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
