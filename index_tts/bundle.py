"""Self-describing model bundles: save and load ``cache_hub/<name>/``.

A bundle holds one acoustic model, one or more vocoders, the symbol table and the
MelConfig they share (see docs/ARCHITECTURE.md). Loading verifies the sha256 manifest and
that every component agrees on the mel features.
"""
from __future__ import annotations

import json
import logging
import os
import shutil
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterable, Mapping, Optional

import torch
from torch import nn

from .audio.mel_config import MelConfig
from .bundle_config import EmotionSettings, InferenceSettings, SpeakerEntry
from .bundle_spec import (BUNDLE_FORMAT, BUNDLE_VERSION, DEFAULT_DISPLAY_NAME, BundleError,  # noqa: F401
                          NamedBundle, read_bundle_spec)
from .hub import write_manifest

log = logging.getLogger(__name__)

@dataclass
class VocoderEntry:
    type: str
    model: nn.Module
    dtype: str = "float32"  # storage dtype of floating-point weights
    mel: Optional[MelConfig] = None  # features the vocoder was trained on (defaults to the bundle's)


@dataclass
class Bundle(NamedBundle):
    path: Path
    config: dict
    mel: MelConfig
    symbols: list[str]
    acoustic: nn.Module
    vocoders: dict[str, nn.Module]
    default_vocoder: str
    speakers: dict[str, SpeakerEntry] = field(default_factory=dict)  # typed config.json "speakers"
    emotions: EmotionSettings = field(default_factory=EmotionSettings)
    inference: InferenceSettings = field(default_factory=InferenceSettings)

    def vocoder(self, name: Optional[str] = None) -> nn.Module:
        key = name or self.default_vocoder
        if key not in self.vocoders:
            raise KeyError(f"bundle {self.name!r} has no vocoder {key!r}; available: {sorted(self.vocoders)}")
        return self.vocoders[key]

    def symbol_to_id(self) -> dict[str, int]:
        return {s: i for i, s in enumerate(self.symbols)}


# ---------------------------------------------------------------------- save
def _state_for_storage(module: nn.Module, dtype: str) -> dict[str, torch.Tensor]:
    if dtype not in ("float32", "float16"):
        raise ValueError(f"weights dtype must be float32 or float16, got {dtype!r}")
    out = {}
    for k, v in module.state_dict().items():
        v = v.detach().cpu()
        if v.is_floating_point():
            v = v.to(torch.float16 if dtype == "float16" else torch.float32)
        out[k] = v.contiguous()
    return out


def _save_weights(module: nn.Module, path: Path, dtype: str) -> None:
    """safetensors file with a canonical (sorted) header, so identical weights give identical bytes."""
    from safetensors.torch import save

    raw = save(_state_for_storage(module, dtype), metadata={"format": "pt", "dtype": dtype})
    n = int.from_bytes(raw[:8], "little")
    header = json.loads(raw[8 : 8 + n])
    canon = json.dumps(header, sort_keys=True, separators=(",", ":")).encode("utf-8")
    canon += b" " * (-len(canon) % 8)
    path.write_bytes(len(canon).to_bytes(8, "little") + canon + raw[8 + n :])


def save_bundle(
    out_dir: str | Path,
    *,
    name: str,
    mel: MelConfig,
    symbols: Iterable[str],
    acoustic: nn.Module,
    vocoders: Mapping[str, VocoderEntry],
    default_vocoder: str,
    acoustic_type: str = "fastspeech2",
    acoustic_dtype: str = "float32",
    description: str = "",
    speakers: Optional[dict] = None,
    emotions: Optional[dict] = None,
    licence: Optional[dict] = None,
    provenance: Optional[dict] = None,
    model_card: str = "",
    extra: Optional[dict] = None,
) -> Path:
    """Write a complete bundle (weights, config.json, MODEL_CARD.md, manifest.json).

    The bundle is assembled in a temporary sibling directory and swapped in at the end, so
    readers never see a half-written bundle.
    """
    out = Path(out_dir)
    symbols = list(symbols)
    if default_vocoder not in vocoders:
        raise ValueError(f"default_vocoder {default_vocoder!r} is not among {sorted(vocoders)}")
    cfg_obj = getattr(acoustic, "cfg", None)
    if cfg_obj is None or not hasattr(cfg_obj, "to_dict"):
        raise ValueError("acoustic model must expose its config as .cfg")
    if getattr(cfg_obj, "vocab_size", len(symbols)) != len(symbols):
        raise BundleError(f"acoustic vocab_size {cfg_obj.vocab_size} != {len(symbols)} symbols")
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{out.name}.", dir=out.parent))
    try:
        _save_weights(acoustic, tmp / "acoustic.safetensors", acoustic_dtype)
        voc_cfg: dict[str, Any] = {}
        for vname, entry in vocoders.items():
            fname = f"vocoder_{vname}.safetensors"
            _save_weights(entry.model, tmp / fname, entry.dtype)
            vc = getattr(entry.model, "cfg", None)
            if vc is None:
                raise ValueError(f"vocoder {vname!r} must expose its config as .cfg")
            voc_cfg[vname] = {"type": entry.type, "config": vc.to_dict(), "weights": fname, "dtype": entry.dtype}
            if entry.mel is not None:
                voc_cfg[vname]["mel"] = entry.mel.to_dict()
        config = {
            "format": BUNDLE_FORMAT,
            "version": BUNDLE_VERSION,
            "name": name,
            "description": description,
            "mel": mel.to_dict(),
            "symbols": symbols,
            "acoustic": {"type": acoustic_type, "config": cfg_obj.to_dict(), "weights": "acoustic.safetensors",
                         "dtype": acoustic_dtype},
            "vocoders": voc_cfg,
            "default_vocoder": default_vocoder,
            "speakers": speakers or {},
            "emotions": emotions or {},
            "licence": licence or {},
            "provenance": provenance or {},
        }
        if extra:
            config.update(extra)
        (tmp / "config.json").write_text(json.dumps(config, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
        (tmp / "MODEL_CARD.md").write_text(model_card or f"# {name}\n", encoding="utf-8")
        write_manifest(tmp)
        for f in tmp.iterdir():
            os.chmod(f, 0o644)
        os.chmod(tmp, 0o755)
        old = None
        if out.exists():
            old = out.with_name(f".{out.name}.old-{os.getpid()}")
            os.replace(out, old)
        os.replace(tmp, out)
        if old is not None:
            shutil.rmtree(old, ignore_errors=True)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return out


# ---------------------------------------------------------------------- load
def _load_weights(module: nn.Module, path: Path, device: str) -> None:
    from safetensors.torch import load_file

    state = load_file(str(path), device="cpu")
    own = module.state_dict()
    state = {k: (v.to(own[k].dtype) if k in own and v.is_floating_point() else v) for k, v in state.items()}
    missing, unexpected = module.load_state_dict(state, strict=False)
    if missing or unexpected:
        raise BundleError(f"{path.name}: weights do not fit the model (missing {missing[:5]}, unexpected {unexpected[:5]})")
    module.to(device).eval()


def load_bundle(
    path: str | Path | None = None,
    device: str = "cpu",
    vocoders: Optional[Iterable[str]] = None,
    verify: bool = True,
) -> Bundle:
    """Load a bundle (a folder, a name under the hub, or None for ``baker-zh``) onto ``device``.

    ``vocoders`` limits which vocoders are instantiated (default: all). Raises
    ModelNotFoundError when the bundle is absent, ManifestError when files were altered,
    BundleError when components disagree (checks: ``bundle_spec.read_bundle_spec``).
    """
    from .acoustic import ACOUSTIC_TYPES
    from .vocoder.base import build_vocoder

    spec = read_bundle_spec(path, verify=verify, vocoders=vocoders)
    acoustic = ACOUSTIC_TYPES[spec.acoustic_type][1](spec.acoustic_config, mel_config=spec.mel)
    _load_weights(acoustic, spec.path / spec.acoustic_weights, device)
    vocs: dict[str, nn.Module] = {}
    for vname, entry in spec.vocoders.items():
        voc = build_vocoder(entry.type, entry.config)
        if voc.n_mels != spec.mel.n_mels or voc.hop_length != spec.mel.hop_length:
            raise BundleError(f"vocoder {vname!r}: n_mels/hop {voc.n_mels}/{voc.hop_length} != mel "
                              f"{spec.mel.n_mels}/{spec.mel.hop_length}")
        _load_weights(voc, spec.path / entry.weights, device)
        vocs[vname] = voc
    return Bundle(spec.path, spec.config, spec.mel, spec.symbols, acoustic, vocs, spec.default_vocoder,
                  spec.speakers, spec.emotions, spec.inference)
