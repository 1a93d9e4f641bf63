"""Regenerate the tiny synthetic training clips in this folder (deterministic).

Each clip is a "voiced" harmonic chirp (glottal-like harmonic series under a moving formant
envelope, gliding f0) with syllable-like amplitude envelopes, short noise bursts and pauses.
No recordings, no third-party data: the clips are made from arithmetic alone.
Run: python tests/data/tiny_wavs/make_tiny_wavs.py
"""
from pathlib import Path

import numpy as np
import soundfile as sf


def clip(seed: int, sr: int, seconds: float) -> np.ndarray:
    rng = np.random.default_rng(seed)
    n = int(sr * seconds)
    t = np.arange(n) / sr
    f0 = rng.uniform(110, 220) * (1 + 0.25 * np.sin(2 * np.pi * rng.uniform(0.5, 2.0) * t + rng.uniform(0, 6)))
    phase = 2 * np.pi * np.cumsum(f0) / sr
    formant = rng.uniform(500, 900) + 400 * np.sin(2 * np.pi * rng.uniform(1, 3) * t)
    wav = np.zeros(n)
    for h in range(1, 30):
        fh = h * f0
        gain = np.exp(-((fh - formant) / 600.0) ** 2) + 0.3 / h
        wav += gain * np.sin(h * phase) * (fh < sr / 2 - 500)
    syll = np.clip(np.sin(2 * np.pi * rng.uniform(2.5, 4.0) * t) * 1.5, 0, 1) ** 0.5
    wav *= syll
    for _ in range(3):  # fricative-like noise bursts
        start, length = rng.integers(0, n - sr // 10), rng.integers(sr // 50, sr // 12)
        wav[start:start + length] += rng.normal(0, 0.4, length) * np.hanning(length)
    wav = wav / np.max(np.abs(wav)) * rng.uniform(0.3, 0.7)
    return wav.astype(np.float32)


if __name__ == "__main__":
    here = Path(__file__).parent
    for i in range(4):
        sf.write(here / f"tiny_{i}.wav", clip(i, 24000, 0.9), 24000, subtype="PCM_16")
    sf.write(here / "tiny_16k.wav", clip(9, 16000, 0.9), 16000, subtype="PCM_16")
