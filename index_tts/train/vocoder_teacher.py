"""Teacher-forced vocoder data: (acoustic-model mel, teacher-vocoder waveform) pairs.

``python -m index_tts.train make-vocoder-data --bundle cache_hub/baker-zh --sentences FILE
--out DIR [--workers N] [--device cpu]`` (or ``--generate N`` instead of ``--sentences``)
runs the bundle's frontend -> FastSpeech2 -> vocoder (MB-MelGAN by default) and writes
``<id>.npy`` (model-space mel [n_mels, T], float32) + ``<id>.wav`` (T * hop samples, 16-bit),
``metadata.csv`` (id|frames|text) and ``PROVENANCE.md`` (text source and licence, bundle,
command). Mild random prosody (speed, pitch, energy) makes the mels cover what the emotion
and slider controls produce at run time. Existing pairs are kept, so an interrupted run resumes.
"""
from __future__ import annotations

import argparse
import logging
import multiprocessing as mp
import sys
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


@dataclass
class TeacherStats:
    sentences: int = 0
    pairs: int = 0
    skipped_existing: int = 0
    failed: int = 0
    audio_s: float = 0.0


def _control(n: int, rng: np.random.Generator, aug: Optional[AugmentConfig]):
    if aug is None:
        return None
    from ..acoustic.controls import ProsodyControl

    return ProsodyControl(
        speed=float(rng.uniform(*aug.speed)),
        pitch_shift=np.full(n, rng.uniform(*aug.pitch_semitones), dtype=np.float32),
        energy_db=np.full(n, rng.uniform(*aug.energy_db), dtype=np.float32),
    )


def synthesize_pairs(
    sentences: Sequence[tuple[int, str]],
    frontend: Any,
    acoustic: Any,
    vocoder: Any,
    out_dir: Path,
    sample_rate: int,
    seed: int = 0,
    augment: Optional[AugmentConfig] = AugmentConfig(),
    device: str = "cpu",
) -> tuple[TeacherStats, list[tuple[str, int, str]]]:
    """Synthesize each ``(index, text)`` into pairs ``<index>_<segment>``; returns stats and metadata rows."""
    import soundfile as sf
    import torch

    stats, rows = TeacherStats(), []
    hop = vocoder.hop_length
    for index, text in sentences:
        stats.sentences += 1
        try:
            utt = frontend(text)
        except ValueError as exc:
            log.warning("sentence %d skipped (%s): %s", index, exc, text)
            stats.failed += 1
            continue
        for j, seg in enumerate(utt.segments):
            key = f"{index:06d}_{j:02d}"
            mel_path, wav_path = out_dir / f"{key}.npy", out_dir / f"{key}.wav"
            if mel_path.is_file() and wav_path.is_file():
                stats.skipped_existing += 1
                rows.append((key, int(np.load(mel_path, mmap_mode="r").shape[1]), seg.text))
                continue
            rng = np.random.default_rng([seed, index, j])
            ids = torch.tensor([seg.ids], dtype=torch.long, device=device)
            try:
                with torch.inference_mode():
                    mel = acoustic.infer(ids, control=_control(len(seg.ids), rng, augment)).mel
                    wav = vocoder.infer(mel)[0].float().cpu().numpy()
            except ValueError as exc:  # e.g. a segment too long for the model, or no frames
                log.warning("pair %s skipped (%s): %s", key, exc, seg.text)
                stats.failed += 1
                continue
            mel_np = mel[0].float().cpu().numpy()
            if wav.shape[0] != mel_np.shape[1] * hop or not np.isfinite(wav).all():
                log.warning("pair %s skipped: bad teacher output", key)
                stats.failed += 1
                continue
            sf.write(wav_path, np.clip(wav, -1.0, 1.0), sample_rate, subtype="PCM_16")
            np.save(mel_path, mel_np.astype(np.float32))  # written last: its presence marks a complete pair
            stats.pairs += 1
            stats.audio_s += wav.shape[0] / sample_rate
            rows.append((key, int(mel_np.shape[1]), seg.text))
    return stats, rows


def _run_shard(shard: int, n_shards: int, sentences: list[tuple[int, str]], opts: dict) -> tuple[TeacherStats, list]:
    """Load the voice (inside this process) and synthesize every n-th sentence."""
    import torch

    from ..bundle import load_bundle
    from ..frontend import Frontend

    torch.set_num_threads(opts["threads"])
    bundle = load_bundle(opts["bundle_dir"], device=opts["device"])
    name = opts["teacher"] or bundle.default_vocoder
    if name not in bundle.vocoders:
        raise ValueError(f"bundle has no vocoder {name!r}; it has {sorted(bundle.vocoders)}")
    frontend = Frontend(symbols=bundle.symbols)
    aug = AugmentConfig() if opts["augment"] else None
    return synthesize_pairs(
        sentences[shard::n_shards], frontend, bundle.acoustic.eval(), bundle.vocoders[name].eval(),
        Path(opts["out"]), bundle.mel.sample_rate, seed=opts["seed"], augment=aug, device=opts["device"],
    )


def write_provenance(out: Path, text_source: str, text_licence: str, bundle_dir: Path, teacher: str, stats: TeacherStats, argv: list[str]) -> Path:
    import json

    bundle_cfg = json.loads((bundle_dir / "config.json").read_text(encoding="utf-8"))
    lines = [
        "# Teacher-forced vocoder data",
        "",
        f"- Created: {datetime.now(timezone.utc).isoformat(timespec='seconds')} by `python -m index_tts.train make-vocoder-data {' '.join(argv)}`",
        f"- Text: {text_source}",
        f"- Text licence: {text_licence}",
        f"- Voice: bundle `{bundle_cfg.get('name', bundle_dir.name)}` (acoustic model + `{teacher}` vocoder); "
        f"licence: {bundle_cfg.get('licence', 'see the bundle MODEL_CARD.md')}",
        f"- Provenance of the voice: {bundle_cfg.get('provenance', 'see the bundle MODEL_CARD.md')}",
        f"- Pairs: {stats.pairs} new, {stats.skipped_existing} kept, {stats.failed} failed; {stats.audio_s / 3600:.2f} h new audio",
        "- Files: `<id>.npy` model-space mel [n_mels, T] float32, `<id>.wav` T * hop samples; `metadata.csv` id|frames|text",
        "",
    ]
    path = out / "PROVENANCE.md"
    path.write_text("\n".join(lines), encoding="utf-8")
    return path


def main(argv: Optional[list[str]] = None) -> int:
    from ..hub import resolve_bundle
    from .sentences import PROVENANCE, generate_sentences, read_sentences

    argv = list(sys.argv[1:] if argv is None else argv)
    ap = argparse.ArgumentParser(prog="python -m index_tts.train make-vocoder-data", description=__doc__.split("\n")[0])
    ap.add_argument("--bundle", default="baker-zh", help="bundle folder or name in cache_hub/")
    src = ap.add_mutually_exclusive_group(required=True)
    src.add_argument("--sentences", help="text file, one sentence per line ('#' lines skipped)")
    src.add_argument("--generate", type=int, metavar="N", help="generate N sentences (templates + jieba words)")
    ap.add_argument("--text-licence", default=None, help="licence of the --sentences text (recorded in PROVENANCE.md)")
    ap.add_argument("--out", required=True)
    ap.add_argument("--workers", type=int, default=1, help="processes (each loads the voice); use 1 with --device cuda")
    ap.add_argument("--threads", type=int, default=1, help="torch threads per worker")
    ap.add_argument("--device", default="cpu")
    ap.add_argument("--teacher", default="mbmelgan", help="bundle vocoder that makes the target waveforms")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--no-augment", action="store_true", help="no random speed/pitch/energy variation")
    ap.add_argument("--limit", type=int, default=None, help="use only the first N sentences")
    args = ap.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")

    if args.sentences:
        texts = read_sentences(args.sentences)
        source = f"`{args.sentences}` ({len(texts)} lines)"
        licence = args.text_licence or "not stated by the user"
    else:
        texts = generate_sentences(args.generate, seed=args.seed)
        source, licence = f"{len(texts)} generated sentences (seed {args.seed}). {PROVENANCE}", "MIT (jieba words) / repository licence (templates)"
    texts = texts[: args.limit] if args.limit else texts
    bundle_dir = resolve_bundle(args.bundle)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    items = list(enumerate(texts))
    opts = {"bundle_dir": str(bundle_dir), "device": args.device, "teacher": args.teacher, "augment": not args.no_augment,
            "seed": args.seed, "out": str(out), "threads": args.threads}
    n = max(1, args.workers)
    if n == 1:
        results = [_run_shard(0, 1, items, opts)]
    else:
        with ProcessPoolExecutor(n, mp_context=mp.get_context("spawn")) as pool:
            results = list(pool.map(_run_shard, range(n), [n] * n, [items] * n, [opts] * n))
    total, rows = TeacherStats(), []
    for st, r in results:
        for f in ("sentences", "pairs", "skipped_existing", "failed"):
            setattr(total, f, getattr(total, f) + getattr(st, f))
        total.audio_s += st.audio_s
        rows += r
    rows.sort()
    (out / "metadata.csv").write_text("".join(f"{k}|{fr}|{t}\n" for k, fr, t in rows), encoding="utf-8")
    write_provenance(out, source, licence, bundle_dir, args.teacher, total, argv)
    print(f"{total.pairs} new pairs ({total.audio_s / 60:.1f} min), {total.skipped_existing} kept, {total.failed} failed -> {out}")
    return 0
