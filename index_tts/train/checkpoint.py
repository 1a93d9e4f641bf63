"""Training checkpoints: models, optimisers, schedulers and the step counter in one file."""
from __future__ import annotations

import logging
from pathlib import Path
from typing import Any, Mapping, Optional

import torch

log = logging.getLogger(__name__)


def save_checkpoint(
    path: str | Path,
    step: int,
    models: Mapping[str, torch.nn.Module],
    optimizers: Mapping[str, Any] | None = None,
    extra: Optional[dict] = None,
) -> Path:
    """Write atomically (tmp file + rename) so an interrupted save never corrupts a run."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    state = {
        "step": int(step),
        "models": {k: m.state_dict() for k, m in models.items()},
        "optimizers": {k: o.state_dict() for k, o in (optimizers or {}).items()},
        "extra": extra or {},
    }
    tmp = path.with_suffix(path.suffix + ".tmp")
    torch.save(state, tmp)
    tmp.replace(path)
    log.info("saved checkpoint %s at step %d", path, step)
    return path


def load_checkpoint(
    path: str | Path,
    models: Mapping[str, torch.nn.Module],
    optimizers: Mapping[str, Any] | None = None,
    map_location: str | torch.device = "cpu",
) -> tuple[int, dict]:
    """Restore states in place; returns (step, extra)."""
    state = torch.load(Path(path), map_location=map_location, weights_only=False)
    for k, m in models.items():
        m.load_state_dict(state["models"][k])
    for k, o in (optimizers or {}).items():
        if k in state["optimizers"]:
            o.load_state_dict(state["optimizers"][k])
    return int(state["step"]), state.get("extra", {})


def latest_checkpoint(folder: str | Path, pattern: str = "ckpt_*.pt") -> Optional[Path]:
    """The checkpoint with the highest step number in ``folder`` (names ckpt_<step>.pt)."""
    cands = sorted(Path(folder).glob(pattern), key=lambda p: int(p.stem.split("_")[-1]))
    return cands[-1] if cands else None
