"""Common vocoder interface and a lazy registry of vocoder types.

Every vocoder maps a model-space mel ``[B, n_mels, T]`` to a waveform ``[B, T * hop]``
(float32, nominally in [-1, 1]). Bundles name their vocoders by type
(``"mbmelgan"``, ``"hifigan"``); :func:`build_vocoder` turns such an entry's config dict into
a module without importing every implementation up front.
"""
from __future__ import annotations

import importlib
from typing import Any, Mapping

import torch
from torch import nn

# type name -> (module path, config class name, model class name); imported on first use.
VOCODER_TYPES: dict[str, tuple[str, str, str]] = {
    "mbmelgan": ("index_tts.vocoder.mbmelgan", "MBMelGANConfig", "MBMelGAN"),
    "hifigan": ("index_tts.vocoder.hifigan", "HiFiGANConfig", "HiFiGAN"),
    "adapted_hifigan": ("index_tts.vocoder.adapted", "AdaptedHiFiGANConfig", "AdaptedHiFiGAN"),
}


class UnknownVocoderError(ValueError):
    """A bundle or caller named a vocoder type that is not registered."""


class Vocoder(nn.Module):
    """Base class: subclasses keep their config as ``self.cfg`` (with ``hop_length`` and
    ``n_mels``) and implement ``forward(mel) -> wav [B, 1, T*hop]`` or override ``infer``."""

    cfg: Any

    @property
    def hop_length(self) -> int:
        return int(self.cfg.hop_length)

    @property
    def n_mels(self) -> int:
        return int(self.cfg.n_mels)

    def check_mel(self, mel: torch.Tensor) -> torch.Tensor:
        """Validate a mel batch and return it as float32 [B, n_mels, T]."""
        if not isinstance(mel, torch.Tensor):
            mel = torch.as_tensor(mel)
        if mel.dim() == 2:
            mel = mel.unsqueeze(0)
        if mel.dim() != 3 or mel.shape[1] != self.n_mels:
            raise ValueError(f"{type(self).__name__}: expected mel [B, {self.n_mels}, T], got {tuple(mel.shape)}")
        if mel.shape[2] < 1:
            raise ValueError(f"{type(self).__name__}: mel has no frames")
        param = next(self.parameters(), None)
        dtype = param.dtype if param is not None else torch.float32
        device = param.device if param is not None else mel.device
        return mel.to(device=device, dtype=dtype)

    def infer(self, mel: torch.Tensor) -> torch.Tensor:
        """mel [B, n_mels, T] -> wav [B, T * hop_length] (float32)."""
        mel = self.check_mel(mel)
        with torch.inference_mode():
            wav = self.forward(mel)
        if wav.dim() == 3:
            wav = wav.squeeze(1)
        return wav[:, : mel.shape[2] * self.hop_length].float()


def vocoder_classes(type_name: str) -> tuple[type, type]:
    """(ConfigClass, ModelClass) for a registered vocoder type, imported lazily."""
    try:
        module_path, cfg_name, model_name = VOCODER_TYPES[type_name]
    except KeyError:
        raise UnknownVocoderError(f"unknown vocoder type {type_name!r}; known: {sorted(VOCODER_TYPES)}") from None
    module = importlib.import_module(module_path)
    return getattr(module, cfg_name), getattr(module, model_name)


def build_vocoder(type_name: str, config: Mapping[str, Any] | Any) -> Vocoder:
    """Instantiate a vocoder of ``type_name`` from its config dict (or config object)."""
    cfg_cls, model_cls = vocoder_classes(type_name)
    cfg = config if isinstance(config, cfg_cls) else cfg_cls.from_dict(dict(config))
    return model_cls(cfg)
