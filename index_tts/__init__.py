"""IndexTTS: local, offline, emotion-controllable Mandarin text-to-speech.

Public API (imported lazily so ``import index_tts`` is cheap)::

    from index_tts import Synthesizer
    tts = Synthesizer()                 # default bundle from cache_hub/, CUDA if available
    result = tts.synthesize("你好，世界。", emotion_label="happy", intensity=0.8)
    tts.save_wav(result, "out.wav")
"""
from __future__ import annotations

import os as _os

# PyTorch's OpenMP threads spin-wait by default; on a small shared CPU that makes the
# acoustic model several times slower under load. Must be set before torch is imported.
_os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

__version__ = "0.1.0"

__all__ = ["Synthesizer", "SynthesisResult", "__version__"]


def __getattr__(name: str):
    if name in ("Synthesizer", "SynthesisResult"):
        from . import synthesizer

        return getattr(synthesizer, name)
    raise AttributeError(name)
