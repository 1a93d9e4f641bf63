"""Teacher-forced vocoder data: (acoustic-model mel, teacher-vocoder waveform) pairs.

``python -m index_tts.train make-vocoder-data --bundle cache_hub/baker-zh --sentences FILE
--out DIR [--workers N] [--device cpu]`` (or ``--generate N`` instead of ``--sentences``)
runs the bundle's frontend -> FastSpeech2 -> vocoder (MB-MelGAN by default) and writes
``<id>.npy`` (model-space mel [n_mels, T], float32) + ``<id>.wav`` (T * hop samples, 16-bit),
``metadata.csv`` (id|frames|text) and ``PROVENANCE.md`` (text source and licence, bundle,
command). Mild random prosody (speed, pitch, energy) makes the mels cover what the emotion
and slider controls produce at run time. Existing pairs are kept, so an interrupted run resumes.

Two stages for machines without the frontend's packages (e.g. a GPU box that cannot install
jieba): ``--write-ids ids.jsonl`` runs only the frontend; ``--ids ids.jsonl`` later
synthesizes from the symbol ids (the file carries the text's provenance along).
"""
from __future__ import annotations

import argparse
import json
import logging
import multiprocessing as mp
import sys
import zlib
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Optional, Sequence

import numpy as np

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class AugmentConfig:
    speed: tuple[float, float] = (0.85, 1.15)
    pitch_semitones: tuple[float, float] = (-2.0, 2.0)
    energy_db: tuple[float, float] = (-3.0, 3.0)


@dataclass(frozen=True)
class TeacherItem:
    key: str  # <sentence index:06d>_<segment:02d>
    text: str
    ids: tuple[int, ...]


@dataclass
class TeacherStats:
    items: int = 0
    pairs: int = 0
    skipped_existing: int = 0
    failed: int = 0
    audio_s: float = 0.0

    def add(self, other: "TeacherStats") -> None:
        for f in ("items", "pairs", "skipped_existing", "failed", "audio_s"):
            setattr(self, f, getattr(self, f) + getattr(other, f))


def frontend_items(sentences: Sequence[tuple[int, str]], frontend: Any) -> tuple[list[TeacherItem], int]:
    """Run the frontend over ``(index, text)``; returns one item per segment and the failure count."""
    items, failed = [], 0
    for index, text in sentences:
        try:
            utt = frontend(text)
        except ValueError as exc:
            log.warning("sentence %d skipped (%s): %s", index, exc, text)
            failed += 1
            continue
        items += [TeacherItem(f"{index:06d}_{j:02d}", seg.text, tuple(seg.ids)) for j, seg in enumerate(utt.segments)]
    return items, failed


def write_ids(path: str | Path, items: Sequence[TeacherItem], header: dict) -> Path:
    """JSON lines: a header object (text source, licence, symbols), then one item per line."""
    p = Path(path)
    p.parent.mkdir(parents=True, exist_ok=True)
    lines = [json.dumps({"header": header}, ensure_ascii=False)]
    lines += [json.dumps({"key": it.key, "text": it.text, "ids": list(it.ids)}, ensure_ascii=False) for it in items]
    p.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return p


def read_ids(path: str | Path) -> tuple[dict, list[TeacherItem]]:
    p = Path(path)
    if not p.is_file():
        raise FileNotFoundError(f"ids file {p} does not exist")
    rows = [json.loads(line) for line in p.read_text(encoding="utf-8").splitlines() if line.strip()]
    if not rows or "header" not in rows[0]:
        raise ValueError(f"{p}: not an ids file written by --write-ids (no header line)")
    return rows[0]["header"], [TeacherItem(r["key"], r["text"], tuple(r["ids"])) for r in rows[1:]]


def _control(n: int, rng: np.random.Generator, aug: Optional[AugmentConfig]):
    if aug is None:
        return None
    from ..acoustic.controls import ProsodyControl

    return ProsodyControl(
        speed=float(rng.uniform(*aug.speed)),
        pitch_shift=np.full(n, rng.uniform(*aug.pitch_semitones), dtype=np.float32),
        energy_db=np.full(n, rng.uniform(*aug.energy_db), dtype=np.float32),
    )


def synthesize_items(
    items: Sequence[TeacherItem],
    acoustic: Any,
    vocoder: Any,
    out_dir: Path,
    sample_rate: int,
    seed: int = 0,
    augment: Optional[AugmentConfig] = AugmentConfig(),
    device: str = "cpu",
    variance_dropout: bool = False,
) -> tuple[TeacherStats, list[tuple[str, int, str]]]:
    """Write ``<key>.npy`` + ``<key>.wav`` for every item; returns stats and metadata rows."""
    import soundfile as sf
    import torch

    stats, rows = TeacherStats(), []
    hop = vocoder.hop_length
    for it in items:
        stats.items += 1
        mel_path, wav_path = out_dir / f"{it.key}.npy", out_dir / f"{it.key}.wav"
        if mel_path.is_file() and wav_path.is_file():
            stats.skipped_existing += 1
            rows.append((it.key, int(np.load(mel_path, mmap_mode="r").shape[1]), it.text))
            continue
        rng = np.random.default_rng([seed, zlib.crc32(it.key.encode("utf-8"))])
        ids = torch.tensor([it.ids], dtype=torch.long, device=device)
        try:
            with torch.inference_mode():
                gen = torch.Generator(device=device).manual_seed(int(rng.integers(0, 2**31 - 1)))
                mel = acoustic.infer(ids, control=_control(len(it.ids), rng, augment),
                                     variance_dropout=variance_dropout, generator=gen).mel
                wav = vocoder.infer(mel)[0].float().cpu().numpy()
        except ValueError as exc:  # e.g. a segment too long for the model, or no frames
            log.warning("pair %s skipped (%s): %s", it.key, exc, it.text)
            stats.failed += 1
            continue
        mel_np = mel[0].float().cpu().numpy()
        if wav.shape[0] != mel_np.shape[1] * hop or not np.isfinite(wav).all():
            log.warning("pair %s skipped: bad teacher output", it.key)
            stats.failed += 1
            continue
        sf.write(wav_path, np.clip(wav, -1.0, 1.0), sample_rate, subtype="PCM_16")
        np.save(mel_path, mel_np.astype(np.float32))  # written last: its presence marks a complete pair
        stats.pairs += 1
        stats.audio_s += wav.shape[0] / sample_rate
        rows.append((it.key, int(mel_np.shape[1]), it.text))
    return stats, rows


def _run_shard(shard: int, n_shards: int, items: list[TeacherItem], opts: dict) -> tuple[TeacherStats, list]:
    """Load the voice (inside this process) and synthesize every n-th item."""
    import torch

    from ..bundle import load_bundle

    torch.set_num_threads(opts["threads"])
    bundle = load_bundle(opts["bundle_dir"], device=opts["device"], vocoders=[opts["teacher"]])
    aug = AugmentConfig() if opts["augment"] else None
    return synthesize_items(
        items[shard::n_shards], bundle.acoustic.eval(), bundle.vocoders[opts["teacher"]].eval(),
        Path(opts["out"]), bundle.mel.sample_rate, seed=opts["seed"], augment=aug, device=opts["device"],
        variance_dropout=opts["variance_dropout"],
    )


def _text(value: Any) -> str:
    if not value:
        return "see the bundle's MODEL_CARD.md"
    return value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)


def write_provenance(out: Path, header: dict, bundle_dir: Path, teacher: str, stats: TeacherStats, argv: list[str]) -> Path:
    bundle_cfg = json.loads((bundle_dir / "config.json").read_text(encoding="utf-8"))
    lines = [
        "# Teacher-forced vocoder data",
        "",
        f"- Created: {datetime.now(timezone.utc).isoformat(timespec='seconds')} by `python -m index_tts.train make-vocoder-data {' '.join(argv)}`",
        f"- Text: {header.get('text_source', 'unknown')}",
        f"- Text licence: {header.get('text_licence', 'unknown')}",
        f"- Voice: bundle `{bundle_cfg.get('name', bundle_dir.name)}` (acoustic model + `{teacher}` vocoder); "
        f"licence: {_text(bundle_cfg.get('licence'))}",
        f"- Provenance of the voice: {_text(bundle_cfg.get('provenance'))}",
        f"- Pairs: {stats.pairs} new, {stats.skipped_existing} kept, {stats.failed} failed; {stats.audio_s / 60:.1f} min new audio",
        "- Files: `<id>.npy` model-space mel [n_mels, T] float32, `<id>.wav` T * hop samples; `metadata.csv` id|frames|text",
        "",
    ]
    path = out / "PROVENANCE.md"
    path.write_text("\n".join(lines), encoding="utf-8")
    return path


def _parser() -> argparse.ArgumentParser:
    ap = argparse.ArgumentParser(prog="python -m index_tts.train make-vocoder-data", description=__doc__.split("\n")[0])
    ap.add_argument("--bundle", default="baker-zh", help="bundle folder or name in cache_hub/")
    src = ap.add_mutually_exclusive_group(required=True)
    src.add_argument("--sentences", help="text file, one sentence per line ('#' lines skipped)")
    src.add_argument("--generate", type=int, metavar="N", help="generate N sentences (templates + jieba words)")
    src.add_argument("--ids", help="ids file from an earlier --write-ids run (no frontend needed)")
    ap.add_argument("--text-licence", default=None, help="licence of the --sentences text (recorded in PROVENANCE.md)")
    ap.add_argument("--write-ids", default=None, metavar="FILE", help="only run the frontend and write symbol ids here")
    ap.add_argument("--out", default=None, help="output folder for the pairs")
    ap.add_argument("--workers", type=int, default=1, help="processes (each loads the voice); use 1 with --device cuda")
    ap.add_argument("--threads", type=int, default=1, help="torch threads per worker")
    ap.add_argument("--device", default="cpu")
    ap.add_argument("--teacher", default="mbmelgan", help="bundle vocoder that makes the target waveforms")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--variance-dropout", action="store_true",
                    help="keep the acoustic model's f0/energy embedding dropout on (stochastic, like the original voice)")
    ap.add_argument("--no-augment", action="store_true", help="no random speed/pitch/energy variation")
    ap.add_argument("--limit", type=int, default=None, help="use only the first N sentences")
    return ap


def main(argv: Optional[list[str]] = None) -> int:
    from ..hub import resolve_bundle

    argv = list(sys.argv[1:] if argv is None else argv)
    ap = _parser()
    args = ap.parse_args(argv)
    if not args.write_ids and not args.out:
        ap.error("give --out (pairs) or --write-ids (frontend only)")
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    bundle_dir = resolve_bundle(args.bundle)
    if args.ids:
        header, items = read_ids(args.ids)
        symbols = json.loads((bundle_dir / "config.json").read_text(encoding="utf-8")).get("symbols", [])
        if header.get("symbols_sha1") not in (None, _symbols_digest(symbols)):
            raise ValueError(f"{args.ids} was made for another symbol table than bundle {bundle_dir}'s")
        items = items[: args.limit] if args.limit else items
        n_failed = 0
    else:
        header, items, n_failed = _run_frontend(args, bundle_dir)
        if args.write_ids:
            print(f"{len(items)} segments ({n_failed} sentences failed) -> {write_ids(args.write_ids, items, header)}")
            if not args.out:
                return 0
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    opts = {"bundle_dir": str(bundle_dir), "device": args.device, "teacher": args.teacher, "augment": not args.no_augment,
            "seed": args.seed, "out": str(out), "threads": args.threads, "variance_dropout": args.variance_dropout}
    n = max(1, args.workers)
    if n == 1:
        results = [_run_shard(0, 1, items, opts)]
    else:
        with ProcessPoolExecutor(n, mp_context=mp.get_context("spawn")) as pool:
            results = list(pool.map(_run_shard, range(n), [n] * n, [items] * n, [opts] * n))
    total, rows = TeacherStats(failed=n_failed), []
    for st, r in results:
        total.add(st)
        rows += r
    rows.sort()
    (out / "metadata.csv").write_text("".join(f"{k}|{fr}|{t}\n" for k, fr, t in rows), encoding="utf-8")
    write_provenance(out, header, bundle_dir, args.teacher, total, argv)
    print(f"{total.pairs} new pairs ({total.audio_s / 60:.1f} min), {total.skipped_existing} kept, {total.failed} failed -> {out}")
    return 0


def _run_frontend(args: argparse.Namespace, bundle_dir: Path) -> tuple[dict, list[TeacherItem], int]:
    from ..frontend import Frontend
    from .sentences import PROVENANCE, generate_sentences, read_sentences

    if args.sentences:
        texts = read_sentences(args.sentences)
        header = {"text_source": f"`{args.sentences}` ({len(texts)} lines)",
                  "text_licence": args.text_licence or "not stated by the user"}
    else:
        texts = generate_sentences(args.generate, seed=args.seed)
        header = {"text_source": f"{len(texts)} generated sentences (seed {args.seed}). {PROVENANCE}",
                  "text_licence": "MIT (jieba words) / repository licence (templates)"}
    texts = texts[: args.limit] if args.limit else texts
    symbols = json.loads((bundle_dir / "config.json").read_text(encoding="utf-8"))["symbols"]
    header["symbols_sha1"] = _symbols_digest(symbols)
    items, failed = frontend_items(list(enumerate(texts)), Frontend(symbols=symbols))
    return header, items, failed


def _symbols_digest(symbols: list[str]) -> str:
    import hashlib

    return hashlib.sha1("\n".join(symbols).encode("utf-8")).hexdigest()
