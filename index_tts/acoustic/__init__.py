"""Acoustic models (FastSpeech2) and the prosody controls they consume."""
from .config import FastSpeech2Config
from .controls import ProsodyControl
from .model import AcousticOutput, AcousticTrainOutput, FastSpeech2, SequenceTooLongError

ACOUSTIC_TYPES = {"fastspeech2": (FastSpeech2Config, FastSpeech2)}

__all__ = [
    "ACOUSTIC_TYPES",
    "AcousticOutput",
    "AcousticTrainOutput",
    "FastSpeech2",
    "FastSpeech2Config",
    "ProsodyControl",
    "SequenceTooLongError",
]
