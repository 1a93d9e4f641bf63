"""Batches of cached acoustic features, a step-indexed sampler and per-symbol averaging."""
from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import torch

from ..acoustic.length_regulator import frame_index
from ..audio.mel import MelConfig, normalize_mel
from .acoustic_data import CachedItem


@dataclass
class AcousticBatch:
    ids: torch.Tensor  # [B, N] long
    ids_lens: torch.Tensor  # [B]
    mel: torch.Tensor  # [B, n_mels, T] model-space (normalised) mels
    mel_lens: torch.Tensor  # [B]
    f0: torch.Tensor  # [B, T] Hz, 0 = unvoiced
    energy: torch.Tensor  # [B, T]
    speaker: torch.Tensor | None  # [B, D] or None
    utt_ids: list[str]

    def to(self, device) -> AcousticBatch:
        mv = lambda t: None if t is None else t.to(device, non_blocking=True)
        return AcousticBatch(mv(self.ids), mv(self.ids_lens), mv(self.mel), mv(self.mel_lens), mv(self.f0),
                             mv(self.energy), mv(self.speaker), self.utt_ids)


class AcousticDataset(torch.utils.data.Dataset):
    """Cached items -> dict of tensors. ``speaker_table`` maps speaker -> mean embedding.

    ``speaker_mode``: "speaker" (the speaker's mean embedding), "utterance" (the clip's own
    embedding) or "none".
    """

    def __init__(self, items: Sequence[CachedItem], mel_cfg: MelConfig,
                 speaker_table: Mapping[str, np.ndarray] | None = None, speaker_mode: str = "speaker") -> None:
        if speaker_mode not in ("speaker", "utterance", "none"):
            raise ValueError(f"speaker_mode must be speaker|utterance|none, got {speaker_mode!r}")
        if speaker_mode == "speaker" and speaker_table is None:
            raise ValueError("speaker_mode='speaker' needs a speaker_table")
        self.items = list(items)
        self.mel_cfg = mel_cfg
        self.speaker_table = speaker_table
        self.speaker_mode = speaker_mode

    def __len__(self) -> int:
        return len(self.items)

    def __getitem__(self, i: int) -> dict:
        it = self.items[i]
        with np.load(it.path) as z:
            out = {
                "utt_id": it.utt_id,
                "ids": torch.from_numpy(z["ids"].astype(np.int64)),
                "mel": normalize_mel(torch.from_numpy(z["mel"]).float(), self.mel_cfg),
                "f0": torch.from_numpy(z["f0"]),
                "energy": torch.from_numpy(z["energy"]),
            }
            if self.speaker_mode == "utterance":
                out["speaker"] = torch.from_numpy(z["spk_emb"].astype(np.float32))
        if self.speaker_mode == "speaker":
            out["speaker"] = torch.as_tensor(self.speaker_table[it.speaker], dtype=torch.float32)
        return out


def collate(rows: Sequence[dict]) -> AcousticBatch:
    b = len(rows)
    n = max(len(r["ids"]) for r in rows)
    t = max(r["mel"].shape[1] for r in rows)
    n_mels = rows[0]["mel"].shape[0]
    ids = torch.zeros(b, n, dtype=torch.long)
    mel = torch.zeros(b, n_mels, t)
    f0 = torch.zeros(b, t)
    energy = torch.zeros(b, t)
    for k, r in enumerate(rows):
        ids[k, : len(r["ids"])] = r["ids"]
        tk = r["mel"].shape[1]
        mel[k, :, :tk] = r["mel"]
        f0[k, :tk] = r["f0"][:tk]
        energy[k, :tk] = r["energy"][:tk]
    spk = torch.stack([r["speaker"] for r in rows]) if "speaker" in rows[0] else None
    return AcousticBatch(
        ids, torch.tensor([len(r["ids"]) for r in rows]), mel, torch.tensor([r["mel"].shape[1] for r in rows]),
        f0, energy, spk, [r["utt_id"] for r in rows],
    )


class StepBatchSampler(torch.utils.data.Sampler):
    """Batches as a pure function of (seed, step), so a resumed run sees exactly the batches an
    uninterrupted one would. Each epoch: shuffle, sort chunks of ``bucket`` batches by length
    (less padding), shuffle the batches. Iterates from ``start_step`` for ``num_steps`` steps.
    """

    def __init__(self, lengths: Sequence[int], batch_size: int, seed: int = 0, start_step: int = 0,
                 num_steps: int | None = None, bucket: int = 8) -> None:
        if batch_size < 1:
            raise ValueError("batch_size must be >= 1")
        if not lengths:
            raise ValueError("no items to sample from")
        self.lengths = np.asarray(lengths)
        self.batch_size = min(batch_size, len(lengths))
        self.seed, self.start_step, self.num_steps, self.bucket = seed, start_step, num_steps, bucket

    @property
    def batches_per_epoch(self) -> int:
        return len(self.lengths) // self.batch_size

    def epoch_batches(self, epoch: int) -> list[list[int]]:
        rng = np.random.default_rng([self.seed, epoch])
        order = rng.permutation(len(self.lengths))
        chunk = self.batch_size * self.bucket
        batches: list[list[int]] = []
        for s in range(0, len(order), chunk):
            part = order[s : s + chunk]
            part = part[np.argsort(self.lengths[part], kind="stable")]
            batches += [part[i : i + self.batch_size].tolist() for i in range(0, len(part), self.batch_size)]
        batches = [bt for bt in batches if len(bt) == self.batch_size]  # drop ragged tails
        while len(batches) < self.batches_per_epoch:  # refill when tails were dropped
            batches.append(rng.choice(len(self.lengths), self.batch_size, replace=False).tolist())
        batches = batches[: self.batches_per_epoch]
        return [batches[i] for i in rng.permutation(len(batches))]

    def batch_at(self, step: int) -> list[int]:
        epoch, pos = divmod(step, self.batches_per_epoch)
        return self.epoch_batches(epoch)[pos]

    def __iter__(self):
        step = self.start_step
        cached_epoch, cached = -1, []
        while self.num_steps is None or step < self.start_step + self.num_steps:
            epoch, pos = divmod(step, self.batches_per_epoch)
            if epoch != cached_epoch:
                cached_epoch, cached = epoch, self.epoch_batches(epoch)
            yield cached[pos]
            step += 1

    def __len__(self) -> int:
        return self.num_steps if self.num_steps is not None else 1 << 30


def phone_average(values: torch.Tensor, durations: torch.Tensor, nonzero_only: bool = False) -> torch.Tensor:
    """Mean of frame values [B, T] over each symbol's frames (durations [B, N]) -> [B, N].

    ``nonzero_only`` averages only frames with a non-zero value (voiced f0); symbols with no
    such frame (or zero duration) get 0.
    """
    idx, mask = frame_index(durations)
    t = idx.shape[1]
    v = values[:, :t].float()
    if v.shape[1] < t:
        v = torch.nn.functional.pad(v, (0, t - v.shape[1]))
    w = mask.float()
    if nonzero_only:
        w = w * (v != 0).float()
    sums = torch.zeros(durations.shape, device=values.device).scatter_add_(1, idx, v * w)
    counts = torch.zeros(durations.shape, device=values.device).scatter_add_(1, idx, w)
    return torch.where(counts > 0, sums / counts.clamp_min(1), torch.zeros_like(sums))
