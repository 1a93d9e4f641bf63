"""Write a trained acoustic model as a bundle folder loadable by ``index_tts.bundle.load_bundle``.

Layout (docs/ARCHITECTURE.md): ``config.json`` (FastSpeech2Config, MelConfig, symbols,
speakers with embeddings and display names, licence, provenance), ``acoustic.safetensors``
(fp16), the vocoders copied from a source bundle when one is given, ``MODEL_CARD.md`` and
``manifest.json``.
"""
from __future__ import annotations

import datetime as _dt
import json
import logging
import shutil
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import torch

from ..audio.mel import MelConfig
from ..hub import hub_dir, write_manifest

log = logging.getLogger(__name__)


def resolve_bundle_dir(name_or_path: str | Path) -> Path:
    """A folder path, or a bundle name inside cache_hub/ (``baker-zh``)."""
    p = Path(name_or_path).expanduser()
    if (p / "config.json").is_file():
        return p
    q = hub_dir() / str(name_or_path)
    if (q / "config.json").is_file():
        return q
    from ..hub import ModelNotFoundError

    raise ModelNotFoundError(
        f"bundle {name_or_path!r} not found (looked in {p} and {q}); "
        "build the default one with 'python -m index_tts models fetch'"
    )


def read_bundle_config(bundle_dir: Path) -> dict:
    return json.loads((Path(bundle_dir) / "config.json").read_text(encoding="utf-8"))


def load_acoustic_state(bundle_dir: Path, cfg: dict) -> dict[str, torch.Tensor]:
    from safetensors.torch import load_file

    ac = cfg.get("acoustic") or {}
    if ac.get("type", "fastspeech2") != "fastspeech2":
        raise ValueError(f"{bundle_dir}: acoustic type {ac.get('type')!r} cannot be fine-tuned here")
    return {k: v.float() for k, v in load_file(str(Path(bundle_dir) / ac.get("weights", "acoustic.safetensors"))).items()}


@dataclass
class ExportInfo:
    name: str
    description: str
    licence: str
    provenance: dict
    speakers: dict = field(default_factory=dict)  # id -> {"display_name", "embedding": [...]}
    training: dict = field(default_factory=dict)  # steps, hours, losses ... for the model card
    extra: dict = field(default_factory=dict)  # further top-level config entries (the student's clone_timbre)


def export_bundle(
    out_dir: str | Path,
    model: torch.nn.Module,
    model_cfg: Any,
    mel_cfg: MelConfig,
    symbols: list[str],
    info: ExportInfo,
    vocoder_bundle: Path | None = None,
) -> Path:
    """Write the bundle folder (replacing files of the same name) and its manifest."""
    from safetensors.torch import save_file

    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    state = {k: v.detach().to("cpu", torch.float16).contiguous() for k, v in model.state_dict().items()
             if v.is_floating_point()}
    state.update({k: v.detach().cpu().contiguous() for k, v in model.state_dict().items() if not v.is_floating_point()})
    save_file(state, str(out / "acoustic.safetensors"), metadata={"format": "pt", "dtype": "float16"})
    cfg: dict[str, Any] = {
        "format": "index-tts-bundle",
        "version": 1,
        "name": info.name,
        "description": info.description,
        "mel": mel_cfg.to_dict(),
        "symbols": list(symbols),
        "acoustic": {"type": "fastspeech2", "config": model_cfg.to_dict(), "weights": "acoustic.safetensors",
                     "dtype": "float16"},
        "vocoders": {},
        "default_vocoder": None,
        "speakers": info.speakers,
        "emotions": {},
        "licence": {"acoustic_model": info.licence},
        "provenance": info.provenance,
    }
    if vocoder_bundle is not None:
        src = read_bundle_config(vocoder_bundle)
        for key, entry in (src.get("vocoders") or {}).items():
            cfg["vocoders"][key] = entry
            weights = entry.get("weights")
            if weights and (Path(vocoder_bundle) / weights).is_file():
                shutil.copy2(Path(vocoder_bundle) / weights, out / weights)
        if src.get("default_vocoder"):
            cfg["default_vocoder"] = src["default_vocoder"]
        if src.get("emotions"):
            cfg["emotions"] = src["emotions"]
        if src.get("licence"):
            cfg["licence"] = {"acoustic_model": info.licence, "vocoder": src["licence"]}
    cfg.update(info.extra)
    if not cfg["vocoders"]:
        log.warning("%s has no vocoder: give --vocoder-from BUNDLE (e.g. baker-zh) so load_bundle can use it", out)
    (out / "config.json").write_text(json.dumps(cfg, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    (out / "MODEL_CARD.md").write_text(model_card(cfg, info), encoding="utf-8")
    write_manifest(out)
    return out


def model_card(cfg: Mapping[str, Any], info: ExportInfo) -> str:
    spk = cfg.get("speakers") or {}
    lines = [
        f"# {info.name}",
        "",
        info.description,
        "",
        "## Model",
        (f"- Acoustic: FastSpeech2, {len(cfg['symbols'])} symbols, {cfg['mel']['n_mels']} mels at "
         f"{cfg['mel']['sample_rate']} Hz (hop {cfg['mel']['hop_length']}), fp16 weights."),
        "- Alignment: learned during training (soft attention + forward-sum loss, hard durations by MAS).",
        f"- Vocoders: {', '.join(cfg.get('vocoders') or {}) or 'none (use a bundle with the same MelConfig)'}.",
        f"- Voices: {len(spk)}" + (": " + ", ".join(f"{k} ({v.get('display_name', k)})" for k, v in list(spk.items())[:20])
                                   if spk else " (single-speaker model)."),
        "",
        "## Training",
    ]
    lines += [f"- {k}: {v}" for k, v in info.training.items()] or ["- (no details recorded)"]
    lines += ["", "## Provenance", ""]
    lines += [f"- {k}: {v}" for k, v in info.provenance.items()]
    lines += ["", "## Licence", "", info.licence, "",
              f"_Written by index_tts.train.acoustic on {_dt.date.today().isoformat()}._", ""]
    return "\n".join(lines)


def speakers_entry(table: Mapping[str, np.ndarray], display_names: Mapping[str, str]) -> dict:
    from ..encoders.speaker import preset_entry

    return {sid: preset_entry(display_names.get(sid, sid), emb) for sid, emb in table.items()}


def slim_bundle(src: str | Path, dst: str | Path) -> Path:
    """Copy a bundle with its acoustic weights stored in fp16 (half the size, e.g. to carry it to
    a training machine); vocoders and everything else are copied as they are."""
    from safetensors.torch import load_file, save_file

    src_dir, out = resolve_bundle_dir(src), Path(dst)
    out.mkdir(parents=True, exist_ok=True)
    cfg = read_bundle_config(src_dir)
    for f in src_dir.iterdir():
        if f.is_file() and f.name not in ("manifest.json", "config.json", cfg["acoustic"]["weights"]):
            shutil.copy2(f, out / f.name)
    state = load_file(str(src_dir / cfg["acoustic"]["weights"]))
    save_file({k: (v.half() if v.is_floating_point() else v).contiguous() for k, v in state.items()},
              str(out / cfg["acoustic"]["weights"]), metadata={"format": "pt", "dtype": "float16"})
    cfg["acoustic"]["dtype"] = "float16"
    (out / "config.json").write_text(json.dumps(cfg, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    write_manifest(out)
    return out
