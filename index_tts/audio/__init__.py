"""Audio features shared by every model and by training: one MelConfig, one mel function.

``MelConfig`` (``audio/mel_config.py``) imports no torch; the mel function (``audio/mel.py``)
does, so it is loaded on first use.
"""
from .mel_config import MelConfig

__all__ = ["MelConfig", "mel_spectrogram", "log_mel_raw"]


def __getattr__(name: str):
    if name in ("mel_spectrogram", "log_mel_raw"):
        from . import mel

        return getattr(mel, name)
    raise AttributeError(name)
