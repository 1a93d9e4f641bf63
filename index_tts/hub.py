"""cache_hub/: where model bundles live, their sha256 manifests, and how they are found.

Layout: ``<hub>/<bundle-name>/{config.json, *.safetensors, MODEL_CARD.md, manifest.json}``.
``<hub>`` is ``$INDEX_TTS_HUB`` when set, else ``cache_hub/`` at the project root.
"""
from __future__ import annotations

import hashlib
import json
import logging
import os
from pathlib import Path

log = logging.getLogger(__name__)

HUB_ENV = "INDEX_TTS_HUB"
DEFAULT_BUNDLE = "baker-zh"
MANIFEST = "manifest.json"
PROJECT_ROOT = Path(__file__).resolve().parent.parent


class ModelNotFoundError(FileNotFoundError):
    """A bundle is missing or incomplete; the message names the command that fixes it."""


class ManifestError(RuntimeError):
    """A bundle's files do not match its manifest (corrupt or edited)."""


def hub_dir() -> Path:
    env = os.environ.get(HUB_ENV)
    return Path(env).expanduser() if env else PROJECT_ROOT / "cache_hub"


def sha256_file(path: Path, chunk: int = 1 << 20) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        while True:
            block = f.read(chunk)
            if not block:
                break
            h.update(block)
    return h.hexdigest()


def write_manifest(bundle_dir: str | Path) -> dict[str, str]:
    """Hash every file of the bundle (except the manifest itself) into manifest.json."""
    root = Path(bundle_dir)
    files = {
        p.relative_to(root).as_posix(): sha256_file(p)
        for p in sorted(root.rglob("*"))
        if p.is_file() and p.name != MANIFEST
    }
    (root / MANIFEST).write_text(json.dumps({"files": files}, indent=2) + "\n", encoding="utf-8")
    return files


def verify_manifest(bundle_dir: str | Path) -> None:
    """Raise ManifestError naming the first file that is missing or differs."""
    root = Path(bundle_dir)
    mpath = root / MANIFEST
    if not mpath.is_file():
        raise ManifestError(f"{root}: no {MANIFEST}")
    files = json.loads(mpath.read_text(encoding="utf-8"))["files"]
    for rel, digest in files.items():
        p = root / rel
        if not p.is_file():
            raise ManifestError(f"{root}: {rel} is listed in the manifest but missing")
        if sha256_file(p) != digest:
            raise ManifestError(f"{root}: {rel} does not match its sha256 in the manifest")
