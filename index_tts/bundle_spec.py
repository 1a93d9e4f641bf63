"""A bundle's ``config.json`` read and checked without building any network (no torch).

``read_bundle_spec`` is the one place that validates a bundle's description: format and
version, the symbol table against the acoustic model's vocabulary, every vocoder's mel
features against the acoustic model's. ``bundle.load_bundle`` (PyTorch) builds the networks
from a spec; the ONNX backend (``onnx/runtime.py``) runs the bundle's exported graphs from it.
"""
from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterable, Optional

from .audio.mel_config import MelConfig
from .bundle_config import EmotionSettings, InferenceSettings, SpeakerEntry, parse_speakers
from .hub import resolve_bundle, verify_manifest

BUNDLE_FORMAT = "index-tts-bundle"
BUNDLE_VERSION = 1
DEFAULT_DISPLAY_NAME = "默认女声"


class BundleError(ValueError):
    """A bundle's config is malformed or its components disagree."""


class NamedBundle:
    """``name`` / ``display_name`` of anything with a bundle ``path`` and its ``config`` dict."""

    path: Path
    config: dict

    @property
    def name(self) -> str:
        return str(self.config.get("name", self.path.name))

    @property
    def display_name(self) -> str:
        """The voice's name for people when the bundle lists no speakers."""
        return str(self.config.get("display_name") or DEFAULT_DISPLAY_NAME)


@dataclass(frozen=True)
class VocoderSpec:
    name: str
    type: str
    config: dict
    weights: str
    mel: MelConfig  # the features it takes (the bundle's unless its entry says otherwise)


@dataclass
class BundleSpec(NamedBundle):
    path: Path
    config: dict
    mel: MelConfig
    symbols: list[str]
    acoustic_type: str
    acoustic_config: Any  # the acoustic model's config dataclass (e.g. FastSpeech2Config)
    acoustic_weights: str
    vocoders: dict[str, VocoderSpec]
    default_vocoder: str
    speakers: dict[str, SpeakerEntry] = field(default_factory=dict)
    emotions: EmotionSettings = field(default_factory=EmotionSettings)
    inference: InferenceSettings = field(default_factory=InferenceSettings)


def read_bundle_spec(path: str | Path | None = None, verify: bool = True,
                     vocoders: Optional[Iterable[str]] = None) -> BundleSpec:
    """Read and check ``<bundle>/config.json`` (a folder, a name under the hub, or None for the default).

    ``vocoders`` limits the vocoders kept (default: all); the default vocoder falls back to the
    first kept one. Raises ModelNotFoundError when the bundle is absent, ManifestError when files
    were altered (``verify``), BundleError when the config is malformed or components disagree.
    """
    from .acoustic import ACOUSTIC_CONFIGS

    root = Path(resolve_bundle(path))
    cfg_path = root / "config.json"
    if verify:
        verify_manifest(root)
    try:
        config = json.loads(cfg_path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as exc:
        raise BundleError(f"{cfg_path}: invalid JSON ({exc})") from exc
    if config.get("format") != BUNDLE_FORMAT:
        raise BundleError(f"{cfg_path}: not an {BUNDLE_FORMAT} config")
    if int(config.get("version", 0)) > BUNDLE_VERSION:
        raise BundleError(f"{cfg_path}: bundle version {config.get('version')} is newer than supported ({BUNDLE_VERSION})")
    if config.get("engine", "fastspeech2") != "fastspeech2":
        raise BundleError(f"{root.name} is a {config['engine']} bundle (voices for a second engine), not an "
                          f"acoustic-model voice: load the default voice and pick its voices with speaker=<id>")
    for key in ("mel", "symbols", "acoustic", "vocoders", "default_vocoder"):
        if key not in config:
            raise BundleError(f"{cfg_path}: missing key {key!r}")
    mel = MelConfig.from_dict(config["mel"])
    symbols = list(config["symbols"])

    ac = config["acoustic"]
    if ac.get("type") not in ACOUSTIC_CONFIGS:
        raise BundleError(f"unknown acoustic type {ac.get('type')!r}; known: {sorted(ACOUSTIC_CONFIGS)}")
    ac_cfg = ACOUSTIC_CONFIGS[ac["type"]][0].from_dict(ac["config"])
    if ac_cfg.vocab_size != len(symbols):
        raise BundleError(f"acoustic vocab_size {ac_cfg.vocab_size} != {len(symbols)} symbols in the bundle")
    if ac_cfg.n_mels != mel.n_mels:
        raise BundleError(f"acoustic n_mels {ac_cfg.n_mels} != MelConfig.n_mels {mel.n_mels}")

    wanted = set(config["vocoders"]) if vocoders is None else set(vocoders)
    unknown = wanted - set(config["vocoders"])
    if unknown:
        raise BundleError(f"bundle has no vocoder(s) {sorted(unknown)}; available: {sorted(config['vocoders'])}")
    vocs: dict[str, VocoderSpec] = {}
    for vname in sorted(wanted):
        entry = config["vocoders"][vname]
        vmel = MelConfig.from_dict(entry["mel"]) if "mel" in entry else mel
        if not vmel.same_features(mel):
            raise BundleError(f"vocoder {vname!r} was built for different mel features than the acoustic model")
        vocs[vname] = VocoderSpec(vname, entry["type"], dict(entry["config"]), entry["weights"], vmel)
    default = config["default_vocoder"]
    if default not in config["vocoders"]:
        raise BundleError(f"default_vocoder {default!r} is not in the bundle")
    if vocoders is not None and default not in vocs and vocs:
        default = sorted(vocs)[0]
    try:
        inference = InferenceSettings.from_dict(dict(config.get("inference") or {}))
    except (TypeError, ValueError) as exc:
        raise BundleError(f"{cfg_path}: bad 'inference' settings ({exc})") from exc
    try:
        speakers = parse_speakers(config.get("speakers"))
        emotions = EmotionSettings.from_dict(config.get("emotions"))
    except (TypeError, ValueError) as exc:
        raise BundleError(f"{cfg_path}: bad 'speakers' or 'emotions' ({exc})") from exc
    return BundleSpec(root, config, mel, symbols, ac["type"], ac_cfg, ac["weights"], vocs, default, speakers,
                      emotions, inference)
