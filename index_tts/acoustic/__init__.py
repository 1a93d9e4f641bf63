"""Acoustic models (FastSpeech2) and the prosody controls they consume.

The configs and controls import no torch (the ONNX backend uses them); the models are
loaded on first use.
"""
from .config import FastSpeech2Config, SequenceTooLongError
from .controls import ProsodyControl

_MODEL_NAMES = ("AcousticOutput", "AcousticTrainOutput", "FastSpeech2")
# type name in a bundle's config.json -> (config class, model class name in acoustic/model.py)
ACOUSTIC_CONFIGS = {"fastspeech2": (FastSpeech2Config, "FastSpeech2")}

__all__ = ["ACOUSTIC_CONFIGS", "ACOUSTIC_TYPES", "FastSpeech2Config", "ProsodyControl", "SequenceTooLongError",
           *_MODEL_NAMES]


def __getattr__(name: str):
    if name in _MODEL_NAMES:
        from . import model

        return getattr(model, name)
    if name == "ACOUSTIC_TYPES":  # type name -> (config class, model class)
        from . import model

        return {k: (cfg, getattr(model, cls)) for k, (cfg, cls) in ACOUSTIC_CONFIGS.items()}
    raise AttributeError(name)
