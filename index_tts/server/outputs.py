"""Where results and temporary files live, and how they stay private and bounded.

- Results are synthesized into a scratch file and moved into ``outputs/`` only when
  complete (a kill mid-synthesis leaves no partial file there).
- Result names carry a random token (``20250101_120000_<token>.wav``): unguessable, and
  ``outputs/`` is never on the web UI's list of servable folders anyway.
- ``TempJanitor`` keeps the UI's temp folder (uploads and served copies) under a size cap
  and deletes files older than a maximum age.
"""
from __future__ import annotations

import errno
import logging
import os
import secrets
import shutil
import time
from pathlib import Path

log = logging.getLogger(__name__)

TOKEN_BYTES = 12  # 96 random bits per name


def unique_output_path(out_dir: Path, now: float | None = None, token: str | None = None) -> Path:
    """Reserve ``out_dir/YYYYMMDD_HHMMSS_<token>.wav``; never overwrites an existing file."""
    out_dir.mkdir(parents=True, exist_ok=True)
    stem = time.strftime("%Y%m%d_%H%M%S", time.localtime(now))
    for _ in range(100):
        path = out_dir / f"{stem}_{token or secrets.token_urlsafe(TOKEN_BYTES)}.wav"
        token = None
        try:
            with open(path, "xb"):
                return path
        except FileExistsError:
            continue
    raise RuntimeError(f"cannot find a free file name for {stem} in {out_dir}")


def publish(partial: Path, out_dir: Path, now: float | None = None) -> Path:
    """Move a finished scratch file into ``out_dir`` under a fresh unguessable name."""
    final = unique_output_path(out_dir, now)  # an empty placeholder, replaced atomically
    try:
        os.replace(partial, final)
    except OSError as e:
        if e.errno != errno.EXDEV:
            final.unlink(missing_ok=True)
            raise
        hidden = final.with_name(f".{final.name}.part")  # other filesystem: copy, then rename
        shutil.copyfile(partial, hidden)
        os.replace(hidden, final)
        partial.unlink(missing_ok=True)
    return final


def remove_partials(out_dir: Path) -> int:
    """Delete ``.*.part`` files a killed process left in ``out_dir`` and empty placeholders."""
    n = 0
    if not out_dir.is_dir():
        return 0
    for p in out_dir.glob(".*.part"):
        p.unlink(missing_ok=True)
        n += 1
    return n


class TempJanitor:
    """Bounds a temp folder: files older than ``max_age_s`` go, then the oldest until the
    total is under ``cap_bytes`` (files younger than ``min_age_s`` are never touched)."""

    def __init__(self, root: Path, cap_bytes: int, max_age_s: float = 3600.0, min_age_s: float = 60.0) -> None:
        self.root, self.cap_bytes = Path(root), int(cap_bytes)
        self.max_age_s, self.min_age_s = max_age_s, min_age_s

    def sweep(self, now: float | None = None) -> tuple[int, int]:
        """One pass; returns (files removed, bytes left)."""
        now = time.time() if now is None else now
        files = []
        for dirpath, _dirs, names in os.walk(self.root):
            for name in names:
                p = Path(dirpath, name)
                try:
                    st = p.stat()
                except OSError:
                    continue
                files.append((st.st_mtime, st.st_size, p))
        files.sort()
        total = sum(size for _, size, _ in files)
        removed = 0
        for mtime, size, p in files:
            age = now - mtime
            if age < self.min_age_s:
                break
            if age > self.max_age_s or total > self.cap_bytes:
                try:
                    p.unlink()
                except OSError:
                    continue
                total -= size
                removed += 1
        if removed:
            log.info("temp folder: removed %d old file(s), %.1f MB left", removed, total / 2**20)
            self._prune_empty_dirs()
        return removed, total

    def _prune_empty_dirs(self) -> None:
        for dirpath, dirs, names in os.walk(self.root, topdown=False):
            if Path(dirpath) != self.root and not dirs and not names:
                try:
                    os.rmdir(dirpath)
                except OSError:
                    pass
