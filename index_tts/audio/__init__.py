"""Audio features shared by every model and by training: one MelConfig, one mel function."""
from .mel import MelConfig, mel_spectrogram, log_mel_raw

__all__ = ["MelConfig", "mel_spectrogram", "log_mel_raw"]
