"""Vocoder training data: a feature cache, aligned random crops and a resumable step sampler.

Sources are folders of wavs (features computed with the bundle's :class:`MelConfig` through
:func:`index_tts.audio.mel.mel_spectrogram`) and folders of teacher-forced pairs
(``<id>.npy`` model-space mel ``[n_mels, T]`` next to ``<id>.wav`` with ``T * hop`` samples).
Both are prepared once into a cache folder (``<key>.mel.npy`` float32, ``<key>.wav.npy`` int16,
``items.json``); crops are then memory-mapped reads.

Alignment: frame ``i`` of an item drives output samples ``[i * hop, (i + 1) * hop)``, so a crop of
frames ``[f, f + n)`` pairs with samples ``[f * hop, (f + n) * hop)``.
"""
from __future__ import annotations

import hashlib
import json
import logging
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator, Sequence

import numpy as np
import torch

from ..audio.mel import MelConfig, mel_spectrogram

log = logging.getLogger(__name__)

AUDIO_EXTS = (".wav", ".flac")
CACHE_VERSION = 1


class VocoderDataError(ValueError):
    """Training data is missing, unreadable or inconsistent with the mel config."""


@dataclass(frozen=True)
class SourceItem:
    key: str
    wav: str
    mel: str | None  # teacher-forced mel (.npy) or None to compute it from the wav


@dataclass(frozen=True)
class CachedItem:
    key: str
    source: str
    n_frames: int


def find_sources(wav_dirs: Sequence[str], pair_dirs: Sequence[str]) -> list[SourceItem]:
    items: list[SourceItem] = []
    for d in wav_dirs:
        root = Path(d)
        if not root.is_dir():
            raise VocoderDataError(f"wav folder {root} does not exist")
        files = sorted(p for p in root.rglob("*") if p.suffix.lower() in AUDIO_EXTS and p.is_file())
        if not files:
            raise VocoderDataError(f"wav folder {root} holds no .wav/.flac files")
        items += [SourceItem(_key(p), str(p), None) for p in files]
    for d in pair_dirs:
        root = Path(d)
        if not root.is_dir():
            raise VocoderDataError(f"pair folder {root} does not exist")
        mels = sorted(root.rglob("*.npy"))
        pairs = [(m, m.with_suffix(".wav")) for m in mels]
        missing = [str(w) for _, w in pairs if not w.is_file()]
        if missing:
            raise VocoderDataError(f"pair folder {root}: {len(missing)} mels without a wav, e.g. {missing[0]}")
        if not pairs:
            raise VocoderDataError(f"pair folder {root} holds no <id>.npy / <id>.wav pairs")
        items += [SourceItem(_key(w), str(w), str(m)) for m, w in pairs]
    return items


def _key(path: Path) -> str:
    digest = hashlib.sha1(str(path.resolve()).encode("utf-8")).hexdigest()[:10]
    return f"{path.stem[:40]}-{digest}"


def load_audio(path: str, sample_rate: int) -> np.ndarray:
    """Mono float32 at ``sample_rate`` (first channel of multi-channel files)."""
    import soundfile as sf

    try:
        wav, sr = sf.read(path, dtype="float32", always_2d=True)
    except Exception as exc:  # soundfile raises several types for bad files
        raise VocoderDataError(f"cannot read audio {path}: {exc}") from None
    wav = wav[:, 0]
    if sr != sample_rate:
        import librosa

        wav = librosa.resample(wav, orig_sr=sr, target_sr=sample_rate).astype(np.float32)
    return np.clip(wav, -1.0, 1.0)


def _prepare_one(args: tuple[SourceItem, dict, str]) -> tuple[str, str, int]:
    item, mel_dict, cache = args
    torch.set_num_threads(1)
    mel_cfg = MelConfig.from_dict(mel_dict)
    hop = mel_cfg.hop_length
    wav = load_audio(item.wav, mel_cfg.sample_rate)
    if item.mel is None:
        n = len(wav) // hop
        mel = mel_spectrogram(torch.from_numpy(wav[: n * hop]), mel_cfg).numpy()[:, :n]
    else:
        mel = np.load(item.mel).astype(np.float32)
        if mel.ndim != 2 or mel.shape[0] != mel_cfg.n_mels:
            raise VocoderDataError(f"{item.mel}: expected a mel [{mel_cfg.n_mels}, T], got {mel.shape}")
        n = mel.shape[1]
        if abs(len(wav) - n * hop) > hop:
            raise VocoderDataError(f"{item.wav}: {len(wav)} samples do not match {n} frames x hop {hop}")
        wav = np.pad(wav, (0, max(0, n * hop - len(wav))))
    wav16 = np.round(wav[: n * hop] * 32767.0).astype(np.int16)
    np.save(Path(cache) / f"{item.key}.mel.npy", np.ascontiguousarray(mel, dtype=np.float32))
    np.save(Path(cache) / f"{item.key}.wav.npy", wav16)
    return item.key, item.wav, int(n)


def prepare_cache(sources: list[SourceItem], mel_cfg: MelConfig, cache_dir: str | Path, workers: int = 1) -> list[CachedItem]:
    """Compute (or reuse) cached features for every source; returns the cached items, sorted by key."""
    cache = Path(cache_dir)
    cache.mkdir(parents=True, exist_ok=True)
    index_path = cache / "items.json"
    index: dict = {}
    if index_path.is_file():
        index = json.loads(index_path.read_text(encoding="utf-8"))
        if index.get("version") != CACHE_VERSION or not MelConfig.from_dict(index["mel"]).same_features(mel_cfg):
            log.warning("feature cache %s was built with other settings; rebuilding it", cache)
            index = {}
    known = index.get("items", {})
    todo = [s for s in sources if s.key not in known or not (cache / f"{s.key}.mel.npy").is_file()]
    if todo:
        log.info("preparing %d of %d items into %s (%d workers)", len(todo), len(sources), cache, workers)
        jobs = [(s, mel_cfg.to_dict(), str(cache)) for s in todo]
        if workers > 1:
            with ProcessPoolExecutor(workers) as pool:
                results = list(pool.map(_prepare_one, jobs, chunksize=8))
        else:
            results = [_prepare_one(j) for j in jobs]
        for key, src, n in results:
            known[key] = {"source": src, "n_frames": n}
        index = {"version": CACHE_VERSION, "mel": mel_cfg.to_dict(), "items": known}
        tmp = index_path.with_suffix(".tmp")
        tmp.write_text(json.dumps(index, indent=1, ensure_ascii=False), encoding="utf-8")
        tmp.replace(index_path)
    wanted = {s.key for s in sources}
    return [CachedItem(k, v["source"], v["n_frames"]) for k, v in sorted(known.items()) if k in wanted]


def split_items(items: list[CachedItem], n_val: int, segment_frames: int) -> tuple[list[CachedItem], list[CachedItem]]:
    """Deterministic split: ``n_val`` evenly spaced items for validation, the rest (long enough) for training."""
    val_idx = set(np.linspace(0, len(items) - 1, n_val).round().astype(int).tolist()) if n_val and len(items) > n_val else set()
    val = [it for i, it in enumerate(items) if i in val_idx]
    train = [it for i, it in enumerate(items) if i not in val_idx and it.n_frames >= segment_frames]
    dropped = len(items) - len(val) - len(train)
    if dropped:
        log.warning("dropped %d training items shorter than %d frames", dropped, segment_frames)
    if not train:
        raise VocoderDataError(f"no training item is at least {segment_frames} frames long ({len(items)} items found)")
    return train, val


class SegmentDataset(torch.utils.data.Dataset):
    """Indexed by ``(item_index, crop_seed)``; returns aligned (mel [n_mels, n], wav [n * hop])."""

    def __init__(self, items: list[CachedItem], cache_dir: str | Path, segment_frames: int, hop: int):
        self.items, self.cache, self.n, self.hop = items, Path(cache_dir), segment_frames, hop

    def __len__(self) -> int:
        return len(self.items)

    def load(self, i: int) -> tuple[np.ndarray, np.ndarray]:
        key = self.items[i].key
        mel = np.load(self.cache / f"{key}.mel.npy", mmap_mode="r")
        wav = np.load(self.cache / f"{key}.wav.npy", mmap_mode="r")
        return mel, wav

    def crop_start(self, i: int, seed: int) -> int:
        """First frame of the crop that ``(i, seed)`` selects (uniform over valid starts)."""
        return int(np.random.default_rng(seed).integers(0, self.items[i].n_frames - self.n + 1))

    def __getitem__(self, index: tuple[int, int]) -> tuple[torch.Tensor, torch.Tensor]:
        i, seed = index
        mel, wav = self.load(i)
        start = self.crop_start(i, seed)
        m = np.array(mel[:, start : start + self.n], dtype=np.float32)
        w = np.array(wav[start * self.hop : (start + self.n) * self.hop], dtype=np.float32) / 32767.0
        return torch.from_numpy(m), torch.from_numpy(w)


class StepBatchSampler(torch.utils.data.Sampler):
    """Batch ``k`` (1-based step number) depends only on ``(seed, k)``, so a resumed run sees the
    same batches as an uninterrupted one."""

    def __init__(self, n_items: int, batch_size: int, seed: int, first_step: int, last_step: int):
        self.n_items, self.batch_size, self.seed = n_items, batch_size, seed
        self.first_step, self.last_step = first_step, last_step

    def batch_for_step(self, step: int) -> list[tuple[int, int]]:
        rng = np.random.default_rng([self.seed, step])
        idx = rng.integers(0, self.n_items, self.batch_size)
        seeds = rng.integers(0, 2**31 - 1, self.batch_size)
        return [(int(i), int(s)) for i, s in zip(idx, seeds)]

    def __iter__(self) -> Iterator[list[tuple[int, int]]]:
        for step in range(self.first_step, self.last_step + 1):
            yield self.batch_for_step(step)

    def __len__(self) -> int:
        return max(0, self.last_step - self.first_step + 1)


def collate(batch: list[tuple[torch.Tensor, torch.Tensor]]) -> tuple[torch.Tensor, torch.Tensor]:
    mels, wavs = zip(*batch)
    return torch.stack(mels), torch.stack(wavs).unsqueeze(1)
