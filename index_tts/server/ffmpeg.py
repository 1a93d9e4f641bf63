"""Finding an ``ffmpeg`` for the web page's streaming player.

Gradio streams audio to the page as HLS (AAC segments, played by the hls.js bundled with
Gradio, so nothing comes from the internet) and encodes those segments with the ``ffmpeg``
program on the PATH.  When there is none, the static build shipped in the
``imageio-ffmpeg`` wheel is used: a symlink named ``ffmpeg`` to it goes into a private
folder that is put at the front of this process's PATH.  Without either, the page falls
back to playing the whole file once it is complete.
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


def _put_on_path(exe: Path) -> str:
    global _shim_dir
    if _shim_dir is None:
        _shim_dir = Path(tempfile.mkdtemp(prefix="index-tts-bin-"))
        atexit.register(shutil.rmtree, _shim_dir, True)
    link = _shim_dir / "ffmpeg"
    if not link.exists():
        link.symlink_to(exe)
    if str(_shim_dir) not in os.environ.get("PATH", "").split(os.pathsep):
        os.environ["PATH"] = str(_shim_dir) + os.pathsep + os.environ.get("PATH", "")
    log.info("using the ffmpeg of imageio-ffmpeg for streaming playback (%s)", exe.name)
    return str(link)
