"""Acoustic training data: (wav, text[, speaker]) pairs -> cached features.

Dataset folder layout (what ``python -m index_tts.train.corpus`` writes, and what a user's
own recordings should look like)::

    DATA/metadata.csv     wav_name|text[|speaker]     (or metadata.tsv, tab-separated)
    DATA/wavs/<wav_name>  (or DATA/<wav_name>; ".wav" is added when the name has no suffix)

Preprocessing (once, cached under ``<out>/cache/``, ``--workers`` processes):

- text -> symbol ids with our ``Frontend`` (segments joined; inner ``eos`` dropped);
- audio -> 24 kHz mono, leading/trailing silence trimmed;
- frame features on the mel grid (hop 300 = 12.5 ms): raw log10 mel (``log_mel_raw``),
  f0 in Hz (WORLD DIO + StoneMask, 0 = unvoiced), energy (L2 norm of the STFT magnitude);
- optional speaker embedding of the clip (``SpeakerEncoder``).

Per-symbol pitch/energy targets are frame averages over the durations that the aligner
finds during training (see ``acoustic_dataset.phone_average``). ``compute_stats`` gives
mel per-bin mean/std and the f0/energy normalisation written into the exported config.
"""
from __future__ import annotations

import csv
import hashlib
import json
import logging
import os
from collections.abc import Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np

from ..audio.mel import MelConfig, log_mel_raw

log = logging.getLogger(__name__)

CACHE_VERSION = 1


@dataclass(frozen=True)
class MetaItem:
    utt_id: str
    wav_path: str
    text: str
    speaker: str


@dataclass(frozen=True)
class CachedItem:
    utt_id: str
    speaker: str
    text: str
    n_ids: int
    n_frames: int
    path: str  # npz file: ids, mel (raw log10), f0, energy[, spk_emb]


def read_metadata(data_dir: str | Path, default_speaker: str = "spk0") -> list[MetaItem]:
    """Parse DATA/metadata.csv (``|``) or DATA/metadata.tsv (tab); raise ValueError on problems."""
    root = Path(data_dir)
    for name, sep in (("metadata.csv", "|"), ("metadata.tsv", "\t")):
        path = root / name
        if path.is_file():
            break
    else:
        raise ValueError(f"{root}: no metadata.csv or metadata.tsv (lines: wav_name|text[|speaker])")
    items: list[MetaItem] = []
    missing: list[str] = []
    seen: set[str] = set()
    with open(path, encoding="utf-8-sig", newline="") as f:
        for lineno, row in enumerate(csv.reader(f, delimiter=sep, quoting=csv.QUOTE_NONE), 1):
            if not row or not "".join(row).strip() or row[0].startswith("#"):
                continue
            if lineno == 1 and row[0].strip().lower() in ("wav_name", "wav", "file", "filename", "path"):
                continue
            if len(row) < 2 or not row[1].strip():
                raise ValueError(f"{path}:{lineno}: expected wav_name{sep}text[{sep}speaker], got {row!r}")
            wav = _resolve_wav(root, row[0].strip())
            if wav is None:
                missing.append(row[0].strip())
                continue
            utt = Path(row[0].strip()).stem
            if utt in seen:
                raise ValueError(f"{path}:{lineno}: duplicate utterance name {utt!r}")
            seen.add(utt)
            spk = row[2].strip() if len(row) > 2 and row[2].strip() else default_speaker
            items.append(MetaItem(utt, str(wav), row[1].strip(), spk))
    if missing:
        log.warning("%d audio files listed in %s are missing, e.g. %s", len(missing), path, missing[:3])
    if not items:
        raise ValueError(f"{path}: no usable (wav, text) pairs")
    return items


def _resolve_wav(root: Path, name: str) -> Path | None:
    cands = [root / "wavs" / name, root / name]
    if not Path(name).suffix:
        cands = [c.with_name(c.name + ".wav") for c in cands] + cands
    return next((c for c in cands if c.is_file()), None)


def text_to_ids(frontend, text: str) -> tuple[list[str], list[int]]:
    """Frontend output of a transcript as one symbol sequence (segments joined, one final eos)."""
    utt = frontend(text)
    phones: list[str] = []
    ids: list[int] = []
    segs = utt.segments
    for k, seg in enumerate(segs):
        for p, i in zip(seg.phones, seg.ids):
            if p == "eos" and k < len(segs) - 1:
                continue
            if phones and p == "sil" and phones[-1] == "sil":
                continue
            phones.append(p)
            ids.append(int(i))
    if not ids:
        raise ValueError(f"transcript gives no symbols: {text!r}")
    return phones, ids


def load_wav(path: str | Path, sample_rate: int) -> np.ndarray:
    """Mono float32 at ``sample_rate`` (index_tts.audio.io when available)."""
    from ..audio.io import load_audio

    return load_audio(str(path), target_sr=sample_rate, max_seconds=None).wav


def trim_silence(wav: np.ndarray, cfg: MelConfig, top_db: float | None, pad_s: float = 0.1) -> np.ndarray:
    if top_db is None:
        return wav
    import librosa

    _, (start, end) = librosa.effects.trim(wav, top_db=top_db, frame_length=cfg.win_length, hop_length=cfg.hop_length)
    pad = int(pad_s * cfg.sample_rate)
    return wav[max(0, start - pad) : min(len(wav), end + pad)]


def frame_features(wav: np.ndarray, cfg: MelConfig, f0_floor: float = 60.0, f0_ceil: float = 600.0) -> dict:
    """wav (float32 at cfg.sample_rate) -> raw log10 mel [n_mels, T], f0 [T] Hz, energy [T]."""
    import pyworld
    import torch

    mel = log_mel_raw(wav, cfg).numpy()
    t = mel.shape[1]
    x = torch.as_tensor(wav, dtype=torch.float32)
    spec = torch.stft(x, cfg.n_fft, cfg.hop_length, cfg.win_length, torch.hann_window(cfg.win_length),
                      center=True, pad_mode="reflect", return_complex=True).abs()
    energy = torch.linalg.vector_norm(spec, dim=0).numpy()[:t]
    xd = wav.astype(np.float64)
    period = 1000.0 * cfg.hop_length / cfg.sample_rate
    f0, tt = pyworld.dio(xd, cfg.sample_rate, f0_floor=f0_floor, f0_ceil=f0_ceil, frame_period=period)
    f0 = pyworld.stonemask(xd, f0, tt, cfg.sample_rate)
    f0 = np.pad(f0, (0, max(0, t - len(f0))))[:t]
    return {"mel": mel.astype(np.float32), "f0": f0.astype(np.float32), "energy": energy.astype(np.float32)}


@dataclass(frozen=True)
class PreprocessSettings:
    trim_top_db: float | None = 40.0
    f0_floor: float = 60.0
    f0_ceil: float = 600.0
    speaker_embeddings: bool = True
    max_seconds: float = 20.0
    min_frames_per_symbol: float = 1.0  # items with fewer mel frames than symbols are dropped


def cache_key(cfg: MelConfig, settings: PreprocessSettings, symbols: Sequence[str]) -> str:
    blob = json.dumps({"v": CACHE_VERSION, "mel": cfg.without_stats().to_dict(), "s": asdict(settings),
                       "sym": list(symbols)}, sort_keys=True)
    return hashlib.sha256(blob.encode()).hexdigest()[:16]


_WORKER: dict = {}


def _init_worker(symbols: list[str], threads: int) -> None:
    import torch

    torch.set_num_threads(threads)
    _WORKER.clear()
    _WORKER["symbols"] = symbols


def _process_one(args: tuple) -> tuple[CachedItem | None, str | None]:
    item, cfg_dict, settings_dict, out_dir = args
    cfg, st = MelConfig.from_dict(cfg_dict), PreprocessSettings(**settings_dict)
    try:
        if "frontend" not in _WORKER:
            from ..frontend import Frontend

            _WORKER["frontend"] = Frontend(symbols=_WORKER.get("symbols"))
        _, ids = text_to_ids(_WORKER["frontend"], item.text)
        wav = trim_silence(load_wav(item.wav_path, cfg.sample_rate), cfg, st.trim_top_db)
        if len(wav) > st.max_seconds * cfg.sample_rate:
            return None, f"{item.utt_id}: longer than {st.max_seconds} s"
        feats = frame_features(wav, cfg, st.f0_floor, st.f0_ceil)
        n_frames = feats["mel"].shape[1]
        if n_frames < st.min_frames_per_symbol * len(ids):
            return None, f"{item.utt_id}: {n_frames} frames for {len(ids)} symbols (audio too short for the text)"
        if st.speaker_embeddings:
            if "spk" not in _WORKER:
                from ..encoders.speaker import SpeakerEncoder

                _WORKER["spk"] = SpeakerEncoder()
            feats["spk_emb"] = _WORKER["spk"].embed(wav, cfg.sample_rate, validate=False)
        path = Path(out_dir) / f"{item.utt_id}.npz"
        np.savez(path, ids=np.asarray(ids, dtype=np.int32), **feats)
        return CachedItem(item.utt_id, item.speaker, item.text, len(ids), n_frames, str(path)), None
    except Exception as exc:  # one bad clip must not stop preprocessing
        return None, f"{item.utt_id}: {type(exc).__name__}: {exc}"


def preprocess(
    items: Sequence[MetaItem],
    cache_dir: str | Path,
    cfg: MelConfig,
    symbols: Sequence[str],
    settings: PreprocessSettings = PreprocessSettings(),
    workers: int = 1,
    threads_per_worker: int = 1,
) -> list[CachedItem]:
    """Extract and cache features of every item (reusing a matching cache); returns kept items."""
    cache = Path(cache_dir)
    key = cache_key(cfg, settings, symbols)
    index_path = cache / f"index_{key}.json"
    if index_path.is_file():
        cached = [CachedItem(**d) for d in json.loads(index_path.read_text(encoding="utf-8"))["items"]]
        wanted = {m.utt_id for m in items}
        if wanted == {c.utt_id for c in cached} | set(json.loads(index_path.read_text(encoding="utf-8"))["dropped"]):
            log.info("using cached features %s (%d items)", index_path, len(cached))
            return cached
    feat_dir = cache / f"feats_{key}"
    feat_dir.mkdir(parents=True, exist_ok=True)
    jobs = [(m, cfg.without_stats().to_dict(), asdict(settings), str(feat_dir)) for m in items]
    if workers > 1:
        with ProcessPoolExecutor(workers, initializer=_init_worker, initargs=(list(symbols), threads_per_worker)) as ex:
            results = list(ex.map(_process_one, jobs, chunksize=8))
    else:
        _init_worker(list(symbols), threads_per_worker or 1)
        results = [_process_one(j) for j in jobs]
        _WORKER.clear()
    kept = [r for r, _ in results if r is not None]
    errors = [e for _, e in results if e is not None]
    dropped = sorted({m.utt_id for m in items} - {k.utt_id for k in kept})
    for e in errors[:20]:
        log.warning("dropped %s", e)
    log.info("preprocessed %d items, dropped %d", len(kept), len(errors))
    if not kept:
        raise ValueError(f"no usable training items; first errors: {errors[:3]}")
    index_path.write_text(json.dumps({"items": [asdict(k) for k in kept], "dropped": dropped}, ensure_ascii=False),
                          encoding="utf-8")
    return kept


@dataclass(frozen=True)
class FeatureStats:
    mel_mean: tuple[float, ...]
    mel_std: tuple[float, ...]
    f0_mean_hz: float
    f0_std_hz: float
    energy_mean: float
    energy_std: float


def compute_stats(items: Sequence[CachedItem], max_items: int = 2000) -> FeatureStats:
    """Normalisation statistics from (up to ``max_items``) cached items."""
    s1 = s2 = None
    n_mel = 0
    f0s, ens = [], []
    for it in list(items)[:max_items]:
        with np.load(it.path) as z:
            mel = z["mel"].astype(np.float64)
            f0, en = z["f0"], z["energy"]
        s1 = mel.sum(1) if s1 is None else s1 + mel.sum(1)
        s2 = (mel**2).sum(1) if s2 is None else s2 + (mel**2).sum(1)
        n_mel += mel.shape[1]
        f0s.append(f0[f0 > 0])
        ens.append(en)
    mean = s1 / n_mel
    std = np.sqrt(np.maximum(s2 / n_mel - mean**2, 1e-8))
    f0 = np.concatenate(f0s) if f0s else np.zeros(0)
    en = np.concatenate(ens)
    if f0.size < 10:
        raise ValueError("too few voiced frames to compute pitch statistics")
    return FeatureStats(
        tuple(float(x) for x in mean), tuple(float(x) for x in std),
        float(f0.mean()), float(max(f0.std(), 1.0)), float(en.mean()), float(max(en.std(), 1e-3)),
    )


PACKED_INDEX = "features.json"


def pack_features(items: Sequence[CachedItem], out_dir: str | Path, cfg: MelConfig, symbols: Sequence[str],
                  extra_files: Sequence[Path] = ()) -> Path:
    """Copy cached features into a compact, audio-free dataset folder (fp16 mels, compressed npz).

    ``--data`` accepts such a folder directly (no wavs, frontend or pitch tracker needed), which is
    how features travel to a training machine that has only torch and numpy.
    """
    import shutil

    out = Path(out_dir)
    (out / "feats").mkdir(parents=True, exist_ok=True)
    rows = []
    for it in items:
        with np.load(it.path) as z:
            arrays = {k: z[k] for k in z.files}
        arrays["mel"] = arrays["mel"].astype(np.float16)
        rel = f"feats/{it.utt_id}.npz"
        np.savez_compressed(out / rel, **arrays)
        rows.append({**asdict(it), "path": rel})
    meta = {"version": CACHE_VERSION, "mel": cfg.without_stats().to_dict(), "symbols": list(symbols), "items": rows}
    (out / PACKED_INDEX).write_text(json.dumps(meta, ensure_ascii=False), encoding="utf-8")
    for f in extra_files:
        if Path(f).is_file():
            shutil.copy2(f, out / Path(f).name)
    return out


def load_packed(data_dir: str | Path, cfg: MelConfig, symbols: Sequence[str]) -> list[CachedItem]:
    """Items of a folder written by ``pack_features``; raises ValueError when its features differ."""
    root = Path(data_dir)
    meta = json.loads((root / PACKED_INDEX).read_text(encoding="utf-8"))
    if not cfg.without_stats().same_features(MelConfig.from_dict(meta["mel"])):
        raise ValueError(f"{root}: packed features were made with another MelConfig: {meta['mel']}")
    if list(meta["symbols"]) != list(symbols):
        raise ValueError(f"{root}: packed features use another symbol table")
    return [CachedItem(**{**d, "path": str(root / d["path"])}) for d in meta["items"]]


def default_workers() -> int:
    return max(1, min(16, (os.cpu_count() or 1)))
