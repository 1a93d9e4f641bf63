"""Measure a batch: speed, Whisper-base CER of the joined audio, and subtitle timing.

    python -m index_tts.batch.measure                       # the bundled 30-line demo script
    python -m index_tts.batch.measure story.txt --out /tmp/m --threads 1

Renders the script (or reuses a finished render in ``--out``), transcribes the joined audio
with Whisper base (word timestamps, faster-whisper), and prints one JSON report:

- ``cer``: character error rate of the whole transcript against the spoken text;
- ``cue_start_error_s``: for each SRT cue, cue start minus the time Whisper gives the cue's
  first character (characters aligned with difflib); median and 90th percentile of |error|,
  and for how many cues the audio between the two times is silence (Whisper early, not the cue late);
- ``render``: lines, audio seconds, synthesis seconds and real-time factor;
- ``homophones``: how many of the errors are the recogniser writing another character with the
  same syllable and tone (``index_tts.eval.homophones``), and the CER without them (also for the
  per-line transcripts with ``--per-line``).

Needs the dev requirements (faster-whisper, the Whisper-base parts, opencc).
"""
from __future__ import annotations

import argparse
import difflib
import json
import statistics
import sys
import time
from pathlib import Path
from typing import Optional, Sequence

DEMO = Path(__file__).with_name("data") / "demo_script.txt"


def whisper_chars(wav, sr: int, threads: int) -> list[tuple[str, float]]:
    """(character, time) for every character Whisper hears, simplified and normalised."""
    from .cuetiming import heard, whisper_model

    return heard(whisper_model(threads), wav, sr, vad_filter=False)


def cue_errors(cues: list[tuple[float, float, str]], heard: list[tuple[str, float]],
               wav=None, sr: int = 24000) -> tuple[list[float], str, int]:
    """Per matched cue: its start minus Whisper's time for its first character; the spoken
    reference; and for how many cues the audio between the two times is silence (peak below
    0.02), i.e. the difference is Whisper placing the word early, inside the pause."""
    from ..eval.textnorm import normalize_for_cer

    ref, first = "", []
    for _, _, text in cues:
        body = text.split("：", 1)[1] if "：" in text[:10] else text  # drop the speaker label
        first.append(len(ref))
        ref += normalize_for_cer(body)
    hyp = "".join(c for c, _ in heard)
    ref_to_hyp: dict[int, int] = {}
    for block in difflib.SequenceMatcher(None, ref, hyp, autojunk=False).get_matching_blocks():
        for k in range(block.size):
            ref_to_hyp[block.a + k] = block.b + k
    errors, silent = [], 0
    for (start, _, _), pos in zip(cues, first):
        if pos in ref_to_hyp:
            heard_at = heard[ref_to_hyp[pos]][1]
            errors.append(start - heard_at)
            if wav is not None:
                lo, hi = sorted((int(heard_at * sr), int(start * sr)))
                silent += bool(hi <= lo or float(abs(wav[lo:hi]).max()) < 0.02)
    return errors, ref, silent


def line_cers(out: Path, threads: int) -> list[dict]:
    """Whisper-base CER of each line's own audio (lines/NNNN_*.wav) against its text."""
    import soundfile as sf

    from ..eval.asr import WhisperASR
    from ..eval.textnorm import cer_counts, normalize_for_cer
    from .subtitles import clean_text

    asr = WhisperASR(cpu_threads=threads)
    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    rows = []
    for r in manifest["lines"]:
        wav, sr = sf.read(str(out / r["file"]), dtype="float32")
        ref = normalize_for_cer(clean_text(r["text"]))
        hyp = normalize_for_cer(asr.transcribe(wav, sr))
        c = cer_counts(ref, hyp)
        rows.append({"line": r["line"], "character": r["character"], "voice": r["voice"], "emotion": r["emotion"],
                     "ref": ref, "hyp": hyp, "errors": c.edits, "chars": c.ref_len, "cer": round(c.cer, 4)})
    return rows


def main(argv: Optional[Sequence[str]] = None) -> int:
    p = argparse.ArgumentParser(prog="python -m index_tts.batch.measure", description=__doc__.split("\n")[0])
    p.add_argument("script", nargs="?", default=str(DEMO))
    p.add_argument("--out", default="outputs/batch_measure")
    p.add_argument("--threads", type=int, default=1)
    p.add_argument("--per-line", action="store_true", help="also transcribe each line's own audio and "
                   "report its CER (and the pooled CER over lines)")
    args = p.parse_args(argv)

    import soundfile as sf

    from ..cli import limit_threads
    from ..eval.homophones import split_errors
    from ..eval.textnorm import cer
    from ..script import parse_script
    from ..synthesizer import Synthesizer
    from .runner import run_batch
    from .subtitles import parse_srt

    limit_threads(args.threads)
    path = Path(args.script)
    script = parse_script(path.read_text(encoding="utf-8"), source=str(path))
    t0 = time.perf_counter()
    res = run_batch(script, args.out, Synthesizer(device="cpu"), name=path.stem)
    wall = time.perf_counter() - t0
    wav, sr = sf.read(str(Path(args.out) / f"{path.stem}.wav"), dtype="float32")
    cues = parse_srt((Path(args.out) / f"{path.stem}.srt").read_text(encoding="utf-8"))
    t1 = time.perf_counter()
    heard = whisper_chars(wav, sr, args.threads)
    errors, ref, silent = cue_errors(cues, heard, wav, sr)
    absolute = sorted(abs(e) for e in errors)
    joined_hyp = "".join(c for c, _ in heard)
    report = {
        "script": str(path),
        "render": {"lines": len(res.jobs), "rendered": res.rendered, "audio_s": round(res.audio_s, 2),
                   "render_s": round(res.render_s, 2), "wall_s": round(wall, 2),
                   "rtf": round(res.render_s / res.rendered_audio_s, 3) if res.rendered else None},
        "cer": round(cer(ref, joined_hyp), 4),
        "homophones": split_errors([(ref, joined_hyp)]).to_dict(),
        "cues": len(cues), "cues_matched": len(errors),
        "cue_start_error_s": {
            "median_abs": round(statistics.median(absolute), 3) if absolute else None,
            "p90_abs": round(absolute[int(0.9 * (len(absolute) - 1))], 3) if absolute else None,
            "median_signed": round(statistics.median(errors), 3) if errors else None,
            "within_150ms": sum(1 for e in absolute if e <= 0.15),
            "only_silence_between": silent},
        "asr_s": round(time.perf_counter() - t1, 1),
    }
    if args.per_line:
        rows = line_cers(Path(args.out), args.threads)
        report["lines_cer"] = round(sum(r["errors"] for r in rows) / max(1, sum(r["chars"] for r in rows)), 4)
        report["lines_homophones"] = split_errors([(r["ref"], r["hyp"]) for r in rows]).to_dict()
        report["lines"] = rows
    json.dump(report, sys.stdout, ensure_ascii=False, indent=1)
    print()
    return 0


if __name__ == "__main__":
    sys.exit(main())
