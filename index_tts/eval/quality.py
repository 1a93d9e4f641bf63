"""DNSMOS OVRL (PyPI ``speechmos``, Microsoft's DNSMOS P.835 ONNX models): the quality proxy of every
benchmark. The clip is resampled to 16 kHz and peak-normalised to 0.9 first, so loudness does not
move the score.
"""
from __future__ import annotations

from typing import Optional

import numpy as np


def dnsmos_ovrl(wav: np.ndarray, sr: int) -> Optional[float]:
    """DNSMOS overall score (1–5) of ``wav``; None when ``speechmos`` is not installed."""
    try:
        from speechmos import dnsmos
    except Exception:  # noqa: BLE001 - an optional quality proxy
        return None
    import librosa

    y = librosa.resample(np.asarray(wav, np.float32), orig_sr=sr, target_sr=16000)
    peak = float(np.max(np.abs(y))) or 1.0
    return float(dnsmos.run(y / peak * 0.9, sr=16000)["ovrl_mos"])
