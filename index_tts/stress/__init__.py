"""IndexTTS's own reliability suite: fuzz, load, memory, cancellation, privacy, kill.

``python -m index_tts.stress`` starts its own server (``webui.py`` on 127.0.0.1, a free
port, a private output folder) and runs every check against it; ``--quick`` is the short
version the default test run uses (``tests/reliability/``).  See README, "Reliability suite".
"""
from __future__ import annotations

__all__ = ["run"]


def __getattr__(name: str):
    if name == "run":
        from .__main__ import run

        return run
    raise AttributeError(name)
