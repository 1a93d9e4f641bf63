"""Give a bundle the universal HiFi-GAN as a vocoder: fit the mel adapter on a teacher corpus.

    python -m index_tts.train.fit_adapter --bundle EXPORTED_BUNDLE --corpus .run/student/corpus \
        [--per-voice 8] [--default]

Reads kept clips of the corpus (``--per-voice`` of each voice, chosen by a seeded shuffle of its
training clips), fits the adapter's correction (``vocoder/mel_adapter.fit_correction``) from the
bundle's mel to the universal HiFi-GAN's, and writes ``vocoder_hifigan.safetensors`` (generator
fp16 + correction fp32) and a ``hifigan`` entry of type ``adapted_hifigan`` into the bundle's
config (``--default`` makes it the default vocoder), then re-writes the manifest. The universal
HiFi-GAN comes from ``cache_hub/hifigan-universal`` (built by
``python -m index_tts.importers.hifigan_universal`` when missing).
"""
from __future__ import annotations

import argparse
import json
import logging
import random
from pathlib import Path
from typing import Optional, Sequence

import numpy as np

log = logging.getLogger(__name__)

VOCODER_NAME = "hifigan"
WEIGHTS = f"vocoder_{VOCODER_NAME}.safetensors"


def pick_clips(corpus: Path, per_voice: int, seed: int = 0) -> list[Path]:
    """Audio files of ``per_voice`` training clips of each voice in the corpus (seeded)."""
    from .student import read_corpus, split_validation

    train, _ = split_validation(read_corpus(corpus, max_frames=10**9))
    by_voice: dict[str, list] = {}
    for c in train:
        by_voice.setdefault(c.voice, []).append(c)
    rng = random.Random(seed)
    out = []
    for voice in sorted(by_voice):
        clips = sorted(by_voice[voice], key=lambda c: c.uid)
        rng.shuffle(clips)
        for c in clips[:per_voice]:
            audio = Path(str(c.path).replace("/feats/", "/audio/")).with_suffix(".flac")
            if audio.is_file():
                out.append(audio)
    return out


def add_vocoder(bundle: str | Path, wavs: Sequence[np.ndarray], sr: int, make_default: bool = False,
                context: int = 2, ridge: float = 1.0, provenance: Optional[dict] = None) -> dict:
    """Fit on ``wavs`` and write the ``hifigan`` vocoder into ``bundle``; returns its config entry."""
    from safetensors.torch import save_file

    from ..audio.mel_config import MelConfig
    from ..hub import write_manifest
    from ..importers import hifigan_universal as hu
    from ..vocoder.adapted import AdaptedHiFiGAN, AdaptedHiFiGANConfig
    from ..vocoder.mel_adapter import MelAdapter, fit_correction

    root = Path(bundle)
    cfg = json.loads((root / "config.json").read_text(encoding="utf-8"))
    src = MelConfig.from_dict(cfg["mel"])
    gen = hu.stored(hu.ensure())
    weights = fit_correction(MelAdapter(src, gen.mel), wavs, sr, context=context, ridge=ridge)
    vcfg = AdaptedHiFiGANConfig(source_mel=src, target_mel=gen.mel, generator=gen.config, context=context)
    model = AdaptedHiFiGAN(vcfg)  # checks that the tensors fit before anything is written
    model.load_state_dict({**{"generator." + k: v.float() for k, v in gen.state.items()}, "correction": weights})
    tensors = {"generator." + k: v.half().contiguous() for k, v in gen.state.items()}
    tensors["correction"] = weights.float().contiguous()
    save_file(tensors, str(root / WEIGHTS), metadata={"format": "pt"})
    entry = {"type": "adapted_hifigan", "config": vcfg.to_dict(), "weights": WEIGHTS, "dtype": "float16",
             "provenance": {"generator": "universal HiFi-GAN V1 (cache_hub/hifigan-universal)",
                            "generator_sha256": gen.sha256, "generator_licence": gen.licence,
                            "adapter": f"ridge fit (context {context}, ridge {ridge}) on {len(wavs)} clips, "
                                       f"{sum(len(w) for w in wavs) / sr / 60:.1f} min",
                            **(provenance or {})}}
    cfg.setdefault("vocoders", {})[VOCODER_NAME] = entry
    if make_default:
        cfg["default_vocoder"] = VOCODER_NAME
    (root / "config.json").write_text(json.dumps(cfg, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    write_manifest(root)
    return entry


def main(argv: Optional[list[str]] = None) -> int:
    import soundfile as sf

    ap = argparse.ArgumentParser(prog="python -m index_tts.train.fit_adapter", description=__doc__.split("\n\n")[0])
    ap.add_argument("--bundle", required=True, help="bundle folder to extend (e.g. a student export)")
    ap.add_argument("--corpus", required=True, help="teacher corpus folder (index.jsonl, audio/)")
    ap.add_argument("--per-voice", type=int, default=8)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--default", action="store_true", help="make it the bundle's default vocoder")
    args = ap.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(message)s")
    files = pick_clips(Path(args.corpus), args.per_voice, args.seed)
    if not files:
        raise SystemExit(f"error: no kept clips with audio in {args.corpus}")
    wavs, rates = zip(*(sf.read(str(f), dtype="float32") for f in files))
    if len(set(rates)) != 1:
        raise SystemExit(f"error: clips have different sample rates {sorted(set(rates))}")
    entry = add_vocoder(args.bundle, list(wavs), rates[0], make_default=args.default,
                        provenance={"corpus_clips": len(files), "seed": args.seed})
    log.info("wrote %s into %s: %s", VOCODER_NAME, args.bundle, entry["provenance"]["adapter"])
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
