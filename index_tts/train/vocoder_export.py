"""Export a trained HiFi-GAN to an inference-only vocoder folder, and install it into a bundle.

Vocoder folder (``export_vocoder``)::

    config.json                  {"format": "index-tts-vocoder", "version": 1, "name", "type": "hifigan",
                                  "config": HiFiGANConfig, "weights": "vocoder_<name>.safetensors",
                                  "mel": MelConfig, "training": {...}, "licence", "provenance"}
    vocoder_<name>.safetensors   generator weights, weight norm removed, fp16
    MODEL_CARD.md
    manifest.json

``install_vocoder_into_bundle`` copies the weights into a bundle and adds
``vocoders[<name>] = {"type", "config", "weights", "dtype", "mel"}`` to its config.json (checking that the
mel features match), optionally making it the default, then rewrites the bundle's manifest.
"""
from __future__ import annotations

import json
import logging
import re
import shutil
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Optional

import torch

from ..audio.mel import MelConfig
from ..hub import verify_manifest, write_manifest
from ..vocoder.hifigan import HiFiGAN, HiFiGANConfig

log = logging.getLogger(__name__)

VOCODER_FORMAT = "index-tts-vocoder"
PROVENANCE_FILES = ("PROVENANCE.md", "PROVENANCE.txt", "LICENSE", "LICENCE", "LICENSE.txt", "README.md")


class VocoderInstallError(ValueError):
    """A vocoder folder cannot be installed into a bundle (mismatched features, bad files …)."""


def _check_name(name: str) -> str:
    if not re.fullmatch(r"[a-z0-9][a-z0-9_-]{0,40}", name):
        raise VocoderInstallError(f"vocoder name {name!r} must be lower-case letters, digits, '-' or '_'")
    return name


def _write_json(path: Path, data: dict) -> None:
    tmp = path.with_suffix(path.suffix + ".tmp")
    tmp.write_text(json.dumps(data, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    tmp.replace(path)


def _data_provenance(train_cfg: dict) -> list[str]:
    """Short lines naming each data folder and the first lines of any provenance file inside it."""
    lines = []
    for key in ("wav_dirs", "pair_dirs"):
        for d in train_cfg.get(key, []):
            lines.append(f"- {key[:-5]} folder `{d}`")
            for name in PROVENANCE_FILES:
                p = Path(d) / name
                if p.is_file():
                    text = " ".join(p.read_text(encoding="utf-8", errors="replace").split())[:400]
                    lines.append(f"  - {name}: {text}")
                    break
    return lines


def export_vocoder(checkpoint: str | Path, out_dir: str | Path, name: str = "hifigan") -> Path:
    """Write an inference-only vocoder folder from a training checkpoint; returns the folder."""
    from safetensors.torch import save_file

    name = _check_name(name)
    checkpoint, out = Path(checkpoint), Path(out_dir)
    if not checkpoint.is_file():
        raise FileNotFoundError(f"checkpoint {checkpoint} does not exist")
    state = torch.load(checkpoint, map_location="cpu", weights_only=False)
    extra = state.get("extra", {})
    if "generator_config" not in extra or "mel" not in extra:
        raise VocoderInstallError(f"{checkpoint} is not a HiFi-GAN training checkpoint")
    gcfg = HiFiGANConfig.from_dict(extra["generator_config"])
    mel = MelConfig.from_dict(extra["mel"])
    gen = HiFiGAN(gcfg).apply_weight_norm()
    gen.load_state_dict(state["models"]["generator"])
    gen.remove_weight_norm().eval()
    tensors = {k: v.detach().to(torch.float16).contiguous() for k, v in gen.state_dict().items()}

    out.mkdir(parents=True, exist_ok=True)
    weights = f"vocoder_{name}.safetensors"
    save_file(tensors, str(out / weights), metadata={"format": "pt", "type": "hifigan"})
    train_cfg = extra.get("train_config", {})
    step, val, val_in = int(state["step"]), extra.get("val_mel_l1"), extra.get("val_input_l1")
    config = {
        "format": VOCODER_FORMAT,
        "version": 1,
        "name": name,
        "type": "hifigan",
        "config": gcfg.to_dict(),
        "weights": weights,
        "mel": mel.to_dict(),
        "training": {
            "steps": step,
            "val_mel_l1_log10": val,
            "val_input_mel_l1_log10": None if val_in is None else {"generated": val_in[0], "reference_audio": val_in[1]},
            "exported": datetime.now(timezone.utc).isoformat(timespec="seconds"),
            "data": {k: train_cfg.get(k, []) for k in ("wav_dirs", "pair_dirs")},
        },
        "licence": train_cfg.get("licence", ""),
        "provenance": "HiFi-GAN generator trained with index_tts.train (Kong et al. 2020 architecture).",
    }
    _write_json(out / "config.json", config)
    n_params = sum(t.numel() for t in tensors.values())
    card = [
        f"# Vocoder `{name}` (HiFi-GAN)",
        "",
        f"- Architecture: HiFi-GAN generator, upsample {list(gcfg.upsample_rates)} (hop {gcfg.hop_length}), "
        f"{gcfg.upsample_initial_channel} initial channels, resblock type {gcfg.resblock}; {n_params / 1e6:.2f}M parameters (fp16).",
        f"- Features: {mel.n_mels} log10 mels at {mel.sample_rate} Hz, hop {mel.hop_length}, "
        f"{mel.fmin:g}-{mel.fmax:g} Hz, {'normalised with bundle statistics' if mel.normalized else 'not normalised'}.",
        f"- Trained steps: {step}; validation mel L1 (log10) against the reference audio: {'n/a' if val is None else f'{val:.4f}'}"
        + ("" if val_in is None else f"; against the input mel: {val_in[0]:.4f} (reference audio itself: {val_in[1]:.4f})") + ".",
        "- Training data:",
        *(_data_provenance(train_cfg) or ["- (not recorded)"]),
        f"- Licence: {config['licence'] or 'not stated'}",
        "",
    ]
    (out / "MODEL_CARD.md").write_text("\n".join(card), encoding="utf-8")
    write_manifest(out)
    log.info("exported %s (step %d) to %s", name, step, out)
    return out


def load_vocoder_folder(vocoder_dir: str | Path) -> tuple[dict, HiFiGAN]:
    """(config.json dict, generator in eval mode, fp32) of an exported vocoder folder."""
    from safetensors.torch import load_file

    from ..vocoder.base import build_vocoder

    root = Path(vocoder_dir)
    cfg_path = root / "config.json"
    if not cfg_path.is_file():
        raise VocoderInstallError(f"{root} has no config.json; is it an exported vocoder folder?")
    verify_manifest(root)
    data = json.loads(cfg_path.read_text(encoding="utf-8"))
    if data.get("format") != VOCODER_FORMAT:
        raise VocoderInstallError(f"{cfg_path}: not an {VOCODER_FORMAT} config")
    model = build_vocoder(data["type"], data["config"])
    model.load_state_dict({k: v.float() for k, v in load_file(str(root / data["weights"])).items()})
    return data, model.eval()


def install_vocoder_into_bundle(vocoder_dir: str | Path, bundle_dir: str | Path, make_default: bool = False,
                                name: Optional[str] = None) -> dict[str, Any]:
    """Copy an exported vocoder into a bundle, register it in config.json, rewrite the manifest.

    Returns the bundle's new ``vocoders[name]`` entry. Raises :class:`VocoderInstallError` when
    the vocoder was trained on other mel features than the bundle's acoustic model produces.
    """
    src, dst = Path(vocoder_dir), Path(bundle_dir)
    data, _ = load_vocoder_folder(src)  # verifies the manifest and that the weights load
    name = _check_name(name or data.get("name") or "hifigan")
    bundle_cfg_path = dst / "config.json"
    if not bundle_cfg_path.is_file():
        raise VocoderInstallError(f"{dst} has no config.json; is it a bundle folder?")
    bundle = json.loads(bundle_cfg_path.read_text(encoding="utf-8"))
    if "mel" in bundle:
        bmel, vmel = MelConfig.from_dict(bundle["mel"]), MelConfig.from_dict(data["mel"])
        if not vmel.same_features(bmel):
            raise VocoderInstallError(
                f"vocoder {src} was trained on other mel features than bundle {dst} uses "
                f"(sample rate/hop/mels/range or normalisation statistics differ)"
            )
    weights = f"vocoder_{name}.safetensors"
    shutil.copyfile(src / data["weights"], dst / weights)
    entry = {"type": data["type"], "config": data["config"], "weights": weights, "dtype": "float16", "mel": data["mel"]}
    bundle.setdefault("vocoders", {})[name] = entry
    if make_default or not bundle.get("default_vocoder"):
        bundle["default_vocoder"] = name
    _write_json(bundle_cfg_path, bundle)
    _merge_model_card(dst / "MODEL_CARD.md", name, (src / "MODEL_CARD.md").read_text(encoding="utf-8"))
    write_manifest(dst)
    log.info("installed vocoder %s into %s (default: %s)", name, dst, bundle["default_vocoder"])
    return entry


def _merge_model_card(card: Path, name: str, vocoder_card: str) -> None:
    """Replace (or append) the bundle card's section for this vocoder."""
    begin, end = f"<!-- vocoder:{name} -->", f"<!-- /vocoder:{name} -->"
    text = card.read_text(encoding="utf-8") if card.is_file() else ""
    body = vocoder_card.replace("# Vocoder", "## Vocoder", 1).strip()
    section = f"{begin}\n{body}\n{end}"
    if begin in text and end in text:
        text = text[: text.index(begin)] + section + text[text.index(end) + len(end):]
    else:
        text = text.rstrip() + ("\n\n" if text else "") + section + "\n"
    card.write_text(text, encoding="utf-8")


def main_export(argv: Optional[list[str]] = None) -> int:
    import argparse

    from .checkpoint import latest_checkpoint

    ap = argparse.ArgumentParser(prog="python -m index_tts.train vocoder-export",
                                 description="Export a HiFi-GAN checkpoint as an inference-only vocoder folder.")
    src = ap.add_mutually_exclusive_group(required=True)
    src.add_argument("--checkpoint", help="a ckpt_<step>.pt file")
    src.add_argument("--run", help="a training out_dir; its latest checkpoint is exported")
    ap.add_argument("--out", required=True, help="folder to write")
    ap.add_argument("--name", default="hifigan", help="vocoder name inside bundles (default hifigan)")
    args = ap.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    ckpt = Path(args.checkpoint) if args.checkpoint else latest_checkpoint(Path(args.run) / "checkpoints")
    if ckpt is None:
        raise SystemExit(f"no checkpoint in {args.run}/checkpoints")
    print(export_vocoder(ckpt, args.out, name=args.name))
    return 0


def main_install(argv: Optional[list[str]] = None) -> int:
    import argparse

    ap = argparse.ArgumentParser(prog="python -m index_tts.train vocoder-install",
                                 description="Install an exported vocoder folder into a bundle.")
    ap.add_argument("--vocoder", required=True, help="exported vocoder folder (see vocoder-export)")
    ap.add_argument("--bundle", required=True, help="bundle folder, e.g. cache_hub/baker-zh")
    ap.add_argument("--default", action="store_true", help="make it the bundle's default vocoder")
    ap.add_argument("--name", default=None, help="name inside the bundle (default: the vocoder's own)")
    args = ap.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    entry = install_vocoder_into_bundle(args.vocoder, args.bundle, make_default=args.default, name=args.name)
    print(json.dumps({"installed": entry["weights"], "bundle": str(args.bundle)}))
    return 0
