"""Plain-text training logs: the same lines on stdout and in a log file of the run folder."""
from __future__ import annotations

import logging
import sys
from pathlib import Path

FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"


def setup_train_logging(log_file: str | Path | None, level: int = logging.INFO) -> logging.Logger:
    """Attach a stdout handler and (optionally) an appending file handler to the root logger.

    Idempotent: handlers this function added before are replaced, so calling it twice (e.g.
    in tests) does not duplicate lines.
    """
    root = logging.getLogger()
    root.setLevel(level)
    for h in list(root.handlers):
        if getattr(h, "_index_tts_train", False):
            root.removeHandler(h)
            h.close()
    handlers: list[logging.Handler] = [logging.StreamHandler(sys.stdout)]
    if log_file is not None:
        path = Path(log_file)
        path.parent.mkdir(parents=True, exist_ok=True)
        handlers.append(logging.FileHandler(path, encoding="utf-8"))
    for h in handlers:
        h.setFormatter(logging.Formatter(FORMAT))
        h._index_tts_train = True  # type: ignore[attr-defined]
        root.addHandler(h)
    return root
