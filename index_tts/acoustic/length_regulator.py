"""Length regulator: expand per-symbol hidden states to frames by integer durations."""
from __future__ import annotations

import torch


def frame_index(durations: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """Symbol index of every output frame and the frame mask.

    durations [B, N] (int, >= 0) -> (index [B, T] long, mask [B, T] bool) with
    ``T = max_b sum_n durations[b, n]``. Frames past an item's total are masked and
    point at symbol 0. Vectorised: no Python loop over frames or symbols.
    """
    if durations.dim() != 2:
        raise ValueError(f"durations must be [B, N], got {tuple(durations.shape)}")
    d = durations.long().clamp_min(0)
    ends = torch.cumsum(d, dim=1)  # [B, N]
    totals = ends[:, -1] if d.shape[1] > 0 else torch.zeros(d.shape[0], dtype=torch.long, device=d.device)
    t_max = int(totals.max().item()) if d.numel() else 0
    frames = torch.arange(t_max, device=d.device).unsqueeze(0).expand(d.shape[0], t_max).contiguous()
    idx = torch.searchsorted(ends, frames, right=True)
    mask = frames < totals.unsqueeze(1)
    idx = torch.where(mask, idx, torch.zeros_like(idx))
    return idx, mask


def regulate_length(hidden: torch.Tensor, durations: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """hidden [B, N, C], durations [B, N] -> (frames [B, T, C] zero-padded, mask [B, T] bool)."""
    idx, mask = frame_index(durations)
    out = torch.gather(hidden, 1, idx.unsqueeze(-1).expand(-1, -1, hidden.shape[-1]))
    return out * mask.unsqueeze(-1).to(hidden.dtype), mask
