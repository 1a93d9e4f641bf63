"""Finding an ``ffmpeg`` for the web page's streaming player.

Gradio streams audio to the page as HLS (AAC segments, played by the hls.js bundled with
Gradio, so nothing comes from the internet) and encodes those segments with the ``ffmpeg``
program on the PATH.  When there is none, the static build shipped in the
``imageio-ffmpeg`` wheel is used: a symlink named ``ffmpeg`` to it goes into a private
folder that is put at the front of this process's PATH.  Without either, the page falls
back to playing the whole file once it is complete.

Once an ``ffmpeg`` is on the PATH, Gradio also asks ``ffprobe`` whether each result file
is playable in a browser, and fails with "ffprobe not found" where there is none (the wheel
ships no ffprobe).  Our results are always 16-bit PCM wav, which every browser plays, so a
stand-in ``ffprobe`` that always fails goes into the same folder: Gradio treats a failed
probe as "playable" and serves the file unchanged.
"""
from __future__ import annotations

import atexit
import logging
import os
import shutil
import tempfile
from pathlib import Path

log = logging.getLogger(__name__)

_shim_dir: Path | None = None


def find_ffmpeg() -> str | None:
    """Path of a usable ``ffmpeg`` (after making the wheel's build reachable as ``ffmpeg``), or None."""
    found = shutil.which("ffmpeg")
    if found:
        if not shutil.which("ffprobe"):
            _shim().joinpath("ffprobe").exists() or _write_probe_stand_in()
        return found
    try:
        import imageio_ffmpeg
    except ImportError:
        return None
    try:
        exe = imageio_ffmpeg.get_ffmpeg_exe()
    except RuntimeError as e:  # the wheel has no binary for this platform
        log.info("imageio-ffmpeg has no ffmpeg for this system: %s", e)
        return None
    return _put_on_path(Path(exe))


def _shim() -> Path:
    """The private folder at the front of PATH (made on first use, removed at exit)."""
    global _shim_dir
    if _shim_dir is None:
        _shim_dir = Path(tempfile.mkdtemp(prefix="index-tts-bin-"))
        atexit.register(shutil.rmtree, _shim_dir, True)
    if str(_shim_dir) not in os.environ.get("PATH", "").split(os.pathsep):
        os.environ["PATH"] = str(_shim_dir) + os.pathsep + os.environ.get("PATH", "")
    return _shim_dir


def _write_probe_stand_in() -> None:
    probe = _shim() / "ffprobe"
    probe.write_text("#!/bin/sh\n# IndexTTS stand-in: no real ffprobe here; a failed probe makes Gradio\n"
                     "# serve our 16-bit PCM wav results unchanged.\necho 'ffprobe: not installed' >&2\nexit 1\n")
    probe.chmod(0o755)


def _put_on_path(exe: Path) -> str:
    link = _shim() / "ffmpeg"
    if not link.exists():
        link.symlink_to(exe)
    if not shutil.which("ffprobe"):
        _write_probe_stand_in()
    log.info("using the ffmpeg of imageio-ffmpeg for streaming playback (%s)", exe.name)
    return str(link)
