"""``AdaptedHiFiGAN``: the universal HiFi-GAN behind a fitted mel adapter, as a bundle vocoder.

A voice that predicts our 24 kHz mel (hop 300, log10, 80-7600 Hz, z-normalised) cannot drive the
universal HiFi-GAN directly (22,050 Hz, hop 256, ln, 0-8000 Hz). This vocoder chains
``vocoder/mel_adapter.py`` (fixed map + fitted correction, weights stored with the generator's),
the generator, and a resampler back to the source rate, so to the Synthesizer it is one more
vocoder: ``infer(mel [B, 80, T]) -> wav [B, T * 300]`` at 24 kHz.

Why it exists: our MB-MelGAN was trained on one female voice and cannot make low voices; fed a
male teacher's own mel it renders him ~50 Hz too high (zm_yunyang ~100 Hz -> ~148 Hz, fine-tuned or
not), while the universal generator keeps his pitch (docs/VOICES.md).

Inference runs the generator's convolutions as height-1 2-D convolutions on channels-last tensors
(:func:`recast_conv2d`), ~20 % less CPU than the 1-D layers on this machine (docs/HIFIGAN.md). The
time axis is resampled, so sample-exact chunked vocoding does not hold: ``chunkable`` is False
and each segment is vocoded in one call.
"""
from __future__ import annotations

import threading
from dataclasses import dataclass, field

import numpy as np
import torch
from torch import nn

from ..audio.mel_config import MelConfig
from ..utils.config import ConfigBase
from .base import Vocoder
from .hifigan import HiFiGAN, HiFiGANConfig
from .mel_adapter import apply_correction, fixed_map, fixed_matrix


@dataclass(frozen=True)
class AdaptedHiFiGANConfig(ConfigBase):
    source_mel: MelConfig = field(default_factory=MelConfig)  # the features the voice predicts
    target_mel: MelConfig = field(default_factory=MelConfig)  # the features the generator was trained on
    generator: HiFiGANConfig = field(default_factory=HiFiGANConfig)
    context: int = 2  # the correction reads frames t-C..t+C

    def __post_init__(self) -> None:
        self.generator.check_mel(self.target_mel.n_mels, self.target_mel.hop_length)
        if self.context < 0:
            raise ValueError("AdaptedHiFiGANConfig: context must be >= 0")

    @property
    def n_mels(self) -> int:
        return self.source_mel.n_mels

    @property
    def hop_length(self) -> int:
        return self.source_mel.hop_length

    @property
    def sample_rate(self) -> int:
        return self.source_mel.sample_rate

    @property
    def correction_shape(self) -> tuple[int, int]:
        n = self.target_mel.n_mels
        return n * (2 * self.context + 1) + 1, n


def _recast(mod: nn.Module) -> nn.Module:
    k = (1, mod.kernel_size[0])
    if isinstance(mod, nn.Conv1d):
        new = nn.Conv2d(mod.in_channels, mod.out_channels, k, stride=(1, mod.stride[0]), padding=(0, mod.padding[0]),
                        dilation=(1, mod.dilation[0]), bias=mod.bias is not None)
    else:
        new = nn.ConvTranspose2d(mod.in_channels, mod.out_channels, k, stride=(1, mod.stride[0]),
                                 padding=(0, mod.padding[0]), output_padding=(0, mod.output_padding[0]),
                                 bias=mod.bias is not None)
    with torch.no_grad():
        new.weight.copy_(mod.weight.unsqueeze(2))
        if mod.bias is not None:
            new.bias.copy_(mod.bias)
    return new


def recast_conv2d(model: nn.Module) -> nn.Module:
    """Replace (in place) every Conv1d / ConvTranspose1d of ``model`` by the equivalent height-1 2-D
    layer; the model's forward then takes ``[B, C, 1, T]`` (channels-last is fastest)."""
    for name, mod in list(model.named_modules()):
        if isinstance(mod, (nn.Conv1d, nn.ConvTranspose1d)):
            parent = model.get_submodule(name.rsplit(".", 1)[0]) if "." in name else model
            setattr(parent, name.rsplit(".", 1)[-1], _recast(mod))
    return model.to(memory_format=torch.channels_last)


def to_source_frames(wav: np.ndarray, rate: int, source_mel: MelConfig, frames: int) -> np.ndarray:
    """A generator's output at ``rate`` -> exactly ``frames * hop`` samples at the source rate
    (resampled, then cut or zero-padded at the end): what a bundle vocoder must return."""
    from ..importers.hifigan_universal import resample

    n = frames * source_mel.hop_length
    y = resample(wav, rate, source_mel.sample_rate)[:n]
    return np.pad(y, (0, n - len(y))).astype(np.float32)


class AdaptedHiFiGAN(Vocoder):
    """Source mel -> adapter -> universal HiFi-GAN -> resampled to the source rate."""

    chunkable = False  # the adapter resamples time: see the module docstring

    def __init__(self, cfg: AdaptedHiFiGANConfig) -> None:
        super().__init__()
        self.cfg = cfg
        self.generator = HiFiGAN(cfg.generator)
        self.register_buffer("correction", torch.zeros(cfg.correction_shape))
        self.register_buffer("matrix", torch.from_numpy(fixed_matrix(cfg.source_mel, cfg.target_mel)),
                             persistent=False)
        self._fast = False
        self._recast_lock = threading.Lock()

    def adapt(self, mel: torch.Tensor) -> torch.Tensor:
        """Source model-space mel [B, n_mels, T] -> the generator's log mel [B, n_target, T']."""
        c = self.cfg
        return apply_correction(fixed_map(mel, self.matrix, c.source_mel, c.target_mel), self.correction,
                                c.target_mel, c.context)

    def forward(self, mel: torch.Tensor) -> torch.Tensor:
        """Training-style pass at the generator's rate: [B, n_mels, T] -> [B, 1, T' * 256] (22,050 Hz)."""
        x = self.adapt(mel)
        if self._fast:
            return self.generator(x.unsqueeze(2).contiguous(memory_format=torch.channels_last)).flatten(2)
        return self.generator(x)

    def prepare_inference(self) -> "AdaptedHiFiGAN":
        """Recast the generator for speed (once; weights must be loaded first)."""
        with self._recast_lock:  # once, even when two requests arrive together
            if not self._fast:
                recast_conv2d(self.generator)
                self._fast = True
        return self

    def infer(self, mel: torch.Tensor) -> torch.Tensor:
        """mel [B, n_mels, T] -> wav [B, T * hop] at the source rate (float32)."""
        mel = self.check_mel(mel)
        self.prepare_inference()
        with torch.inference_mode():
            wav = self.forward(mel)[:, 0].float().cpu().numpy()
        rate = self.cfg.target_mel.sample_rate
        return torch.from_numpy(np.stack([to_source_frames(w, rate, self.cfg.source_mel, mel.shape[2]) for w in wav]))
