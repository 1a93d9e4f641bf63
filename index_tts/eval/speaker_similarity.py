"""Speaker similarity with Resemblyzer's d-vector encoder (cosine of utterance embeddings)."""
from __future__ import annotations

import functools
from pathlib import Path

import numpy as np

from .asr import ASRUnavailableError


@functools.lru_cache(maxsize=1)
def get_voice_encoder():
    """The process-wide Resemblyzer encoder (CPU), loaded on first use."""
    try:
        from resemblyzer import VoiceEncoder
    except ImportError as exc:  # resemblyzer needs setuptools<81 for pkg_resources
        raise ASRUnavailableError(f"{exc}; pip install resemblyzer 'setuptools<81'") from exc
    return VoiceEncoder("cpu", verbose=False)


def embed(wav: np.ndarray, sr: int) -> np.ndarray:
    """Unit-norm 256-d speaker embedding of one utterance."""
    from resemblyzer import preprocess_wav

    audio = np.asarray(wav, dtype=np.float32)
    if audio.ndim != 1 or audio.size == 0:
        raise ValueError(f"wav must be a non-empty 1-D array, got shape {audio.shape}")
    return get_voice_encoder().embed_utterance(preprocess_wav(audio, source_sr=sr))


def embed_file(path: str | Path) -> np.ndarray:
    import soundfile as sf

    wav, sr = sf.read(str(path), dtype="float32", always_2d=True)
    return embed(wav.mean(axis=1), sr)


def similarity(a: np.ndarray, b: np.ndarray) -> float:
    """Cosine similarity of two embeddings."""
    return float(np.dot(a, b) / (np.linalg.norm(a) * np.linalg.norm(b) + 1e-9))
