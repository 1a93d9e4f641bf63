"""``python -m index_tts batch SCRIPT_OR_FOLDER --out DIR`` (registered in index_tts/cli.py).

A folder renders each of its ``*.txt`` scripts (sorted by name) into ``DIR/<file stem>/``.
Every script is parsed before any audio is made, so a typo on line 300 is reported at once.
Progress (line, character, emotion, ETA) goes to stderr; run it again to resume.
``--queue URL`` has the lines rendered by task-queue workers (index_tts/batch/queue.py); this
process then only plans, waits, joins and writes subtitles.
"""
from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

from .runner import AUDIO_FORMATS, ProgressInfo


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("source", help="a script .txt file or a folder of them")
    p.add_argument("--out", required=True, help="output folder (created; reused to resume)")
    p.add_argument("--formats", default="wav", help=f"comma-separated, from {','.join(AUDIO_FORMATS)} "
                   "(the joined audio; wav is always written)")
    p.add_argument("--seed", type=int, help="batch seed (default: @seed in the script, else 0)")
    p.add_argument("--model", help="bundle name under cache_hub/ or a bundle folder (default baker-zh)")
    p.add_argument("--device", default="auto", choices=["auto", "cpu", "cuda"])
    p.add_argument("--threads", type=int, help="torch threads per process (default 2; 1 with --workers)")
    p.add_argument("--workers", type=int, default=1, help="render lines in this many processes (default 1); "
                   "files are identical for the same --threads whatever the number of workers")
    p.add_argument("--queue", metavar="URL", help="render the lines on a Celery task queue instead of here, e.g. "
                   "redis://127.0.0.1:6379/0 (workers: python -m index_tts.batch.queue worker --broker URL; "
                   "needs celery and redis, see README 'Scaling out')")
    p.add_argument("--queue-timeout", type=float, default=600.0, metavar="S", help="with --queue: give up when "
                   "no line has finished for this many seconds (default 600)")
    p.add_argument("--dry-run", action="store_true", help="parse, show the cast and each line's voice and "
                   "emotion, make no audio")


def _scripts(source: Path) -> list[Path]:
    if source.is_dir():
        files = sorted(p for p in source.iterdir() if p.suffix.lower() == ".txt" and p.is_file())
        if not files:
            raise ValueError(f"no .txt scripts in folder {source}")
        return files
    if not source.is_file():
        raise ValueError(f"script not found: {source}")
    return [source]


def _fmt_s(seconds: float) -> str:
    seconds = int(round(seconds))
    return f"{seconds // 3600}:{seconds % 3600 // 60:02d}:{seconds % 60:02d}"


def _printer(label: str):
    def show(p: ProgressInfo) -> None:
        if p.job is None:
            if p.skipped:
                print(f"{label}: {p.skipped}/{p.total} lines already done (resuming)", file=sys.stderr)
            return
        j = p.job
        eta = f"ETA {_fmt_s(p.eta_s)}" if p.eta_s is not None else "ETA ?"
        emo = f"{j.emotion or 'neutral'}({j.emotion_source})"
        print(f"{label}: [{p.done:>4}/{p.total}] {p.fraction:4.0%}  line {j.lineno:<4} {j.character} "
              f"{emo}  {eta}", file=sys.stderr, flush=True)
    return show


def run_cli(args: argparse.Namespace) -> int:
    from ..script import parse_script
    from .runner import check_formats  # no torch yet: worker processes start before it loads here

    scripts = _scripts(Path(args.source))
    parsed = []
    for path in scripts:
        try:
            text = path.read_text(encoding="utf-8")
        except UnicodeDecodeError as exc:
            raise ValueError(f"{path} is not UTF-8 text ({exc.reason})") from None
        parsed.append((path, parse_script(text, source=str(path))))
    formats = check_formats(args.formats.split(","))
    if args.workers < 1:
        raise ValueError(f"--workers must be at least 1, got {args.workers}")
    if args.queue and args.workers > 1:
        raise ValueError("--queue and --workers > 1 cannot be combined: with --queue the queue's workers render "
                         "the lines (start more of them instead)")
    if args.queue and not args.dry_run:
        from .queue import make_app

        make_app(args.queue)  # Celery missing or a bad URL: say so before a model loads
    threads = args.threads or (1 if args.workers > 1 else 2)
    pool = None
    if args.workers > 1 and not args.dry_run:
        from .parallel import LinePool, ParallelSpec

        # this process only plans, joins and writes subtitles: the workers load the model
        pool = LinePool(ParallelSpec(args.workers, args.model, args.device, threads))
    try:
        if pool is not None:
            tts = pool.engine()  # the workers' engine answers for planning; no model loads here
        else:
            from ..cli import limit_threads
            from ..synthesizer import Synthesizer

            limit_threads(threads)
            tts = Synthesizer(model_path=args.model, device=args.device)
        return _render_all(args, parsed, formats, tts, pool)
    finally:
        if pool is not None:
            pool.close()


def _render_all(args: argparse.Namespace, parsed: list, formats: list[str], tts, pool) -> int:
    from ..script import describe_cast
    from .runner import plan_script, run_batch

    out_root = Path(args.out)
    for path, script in parsed:
        out = out_root / path.stem if len(parsed) > 1 else out_root
        if args.dry_run:
            jobs, cast, _ = plan_script(script, tts, args.seed)
            print(f"# {path}: {len(jobs)} lines")
            print("\n".join(describe_cast(cast)))
            for j in jobs:
                print(f"{j.lineno}\t{j.character}\t{j.voice}\t{j.emotion or 'neutral'}({j.emotion_source})"
                      f" {j.intensity:g}\tspeed={j.speed:g} pitch={j.pitch:g}\t{j.text}")
            continue
        t0 = time.perf_counter()
        if args.queue:
            from .queue import run_batch_on_queue

            res = run_batch_on_queue(script, out, tts, args.queue, name=path.stem, formats=formats, seed=args.seed,
                                     progress=_printer(path.name), timeout=args.queue_timeout)
            if res.tasks:
                print(f"{path.name}: lines rendered by " + ", ".join(f"{w} ({n})" for w, n in
                      sorted(res.by_worker().items())), file=sys.stderr)
        else:
            res = run_batch(script, out, tts, name=path.stem, formats=formats, seed=args.seed,
                            progress=_printer(path.name), parallel=pool)
        wall = time.perf_counter() - t0
        for w in res.warnings:
            print(f"warning: {w}", file=sys.stderr)
        rtf = (f", synthesis RTF {res.render_s / res.rendered_audio_s:.3f} ({res.rendered_audio_s / res.render_s:.1f}x real time)"
               if res.rendered and res.rendered_audio_s and res.render_s else "")
        print(f"{path.name}: {len(res.jobs)} lines ({res.rendered} rendered, {res.skipped} reused), "
              f"{res.audio_s:.1f} s audio in {wall:.1f} s wall{rtf} -> {res.out_dir}/{res.files['wav']}, "
              f"{res.files['srt']}, {res.files['vtt']}, manifest.json")
    if pool is not None and pool.ready:
        print(f"{len(pool.ready)} workers ready after {max(pool.ready.values()):.1f} s (load + warm-up), "
              f"torch threads per worker: {sorted(set(pool.threads.values()))}", file=sys.stderr)
    return 0
