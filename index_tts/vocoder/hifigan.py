"""HiFi-GAN generator (Kong, Kim & Bae, 2020), sized for the bundle's 24 kHz / hop-300 mels.

The generator maps a model-space mel ``[B, n_mels, T]`` to ``[B, 1, T * hop]``: an input
convolution, a stack of transposed-convolution upsamplers whose rates multiply to the hop
length, each followed by a multi-receptive-field fusion block (the mean of several residual
blocks with different kernel sizes and dilations), and an output convolution with ``tanh``.

Modules are built *without* weight normalisation so that a plain (exported) state dict loads
directly; training calls :meth:`HiFiGAN.apply_weight_norm` and export calls
:meth:`HiFiGAN.remove_weight_norm`, which folds the reparametrisation back into the weights.
Checkpoints saved with the old ``torch.nn.utils.weight_norm`` (``*.weight_g`` / ``*.weight_v``,
as the published HiFi-GAN generators are) load through :func:`fold_weight_norm`.

The module names (``conv_pre``, ``ups.i``, ``resblocks.j.convs1/convs2``, ``conv_post``) and the
layer arithmetic follow the paper's reference generator, so its V1 at hop 256
(:data:`HIFIGAN_V1_HOP256`) takes the published weights unchanged (docs/HIFIGAN.md).
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Tuple

import torch
import torch.nn.functional as F
from torch import nn
from torch.nn.utils import parametrize
from torch.nn.utils.parametrizations import weight_norm

from ..utils.config import ConfigBase
from .base import Vocoder

LRELU_SLOPE = 0.1


class HiFiGANConfigError(ValueError):
    """A HiFi-GAN config is inconsistent (e.g. its upsample rates do not multiply to the hop)."""


@dataclass(frozen=True)
class HiFiGANConfig(ConfigBase):
    n_mels: int = 80
    hop_length: int = 300
    upsample_rates: Tuple[int, ...] = (5, 5, 4, 3)
    upsample_kernel_sizes: Tuple[int, ...] = (10, 10, 8, 6)
    upsample_initial_channel: int = 128
    resblock: int = 1  # 1: two convs per dilation (V1/V2); 2: one conv per dilation (V3)
    resblock_kernel_sizes: Tuple[int, ...] = (3, 7, 11)
    resblock_dilation_sizes: Tuple[Tuple[int, ...], ...] = ((1, 3, 5), (1, 3, 5), (1, 3, 5))
    pre_kernel_size: int = 7
    post_kernel_size: int = 7

    def __post_init__(self) -> None:
        self.validate()

    def validate(self) -> None:
        name = "HiFiGANConfig"
        if self.n_mels < 1 or self.hop_length < 1:
            raise HiFiGANConfigError(f"{name}: n_mels and hop_length must be positive")
        if not self.upsample_rates:
            raise HiFiGANConfigError(f"{name}: upsample_rates is empty")
        if len(self.upsample_rates) != len(self.upsample_kernel_sizes):
            raise HiFiGANConfigError(
                f"{name}: {len(self.upsample_rates)} upsample_rates but "
                f"{len(self.upsample_kernel_sizes)} upsample_kernel_sizes"
            )
        prod = math.prod(self.upsample_rates)
        if prod != self.hop_length:
            raise HiFiGANConfigError(
                f"{name}: upsample_rates {list(self.upsample_rates)} multiply to {prod}, but the mel "
                f"hop_length is {self.hop_length}; each output sample must come from exactly one frame"
            )
        for u, k in zip(self.upsample_rates, self.upsample_kernel_sizes):
            if u < 1 or k < u:
                raise HiFiGANConfigError(f"{name}: upsample kernel {k} must be >= its rate {u} >= 1")
        if self.upsample_initial_channel < 2 ** len(self.upsample_rates):
            raise HiFiGANConfigError(
                f"{name}: upsample_initial_channel {self.upsample_initial_channel} is too small to halve "
                f"{len(self.upsample_rates)} times"
            )
        if self.resblock not in (1, 2):
            raise HiFiGANConfigError(f"{name}: resblock must be 1 or 2, got {self.resblock}")
        if len(self.resblock_kernel_sizes) != len(self.resblock_dilation_sizes) or not self.resblock_kernel_sizes:
            raise HiFiGANConfigError(f"{name}: need one dilation list per resblock kernel size")
        for k, dil in zip(self.resblock_kernel_sizes, self.resblock_dilation_sizes):
            if k % 2 == 0 or not dil or any(d < 1 for d in dil):
                raise HiFiGANConfigError(f"{name}: resblock kernels must be odd and dilations >= 1 (k={k}, d={dil})")
        if self.pre_kernel_size % 2 == 0 or self.post_kernel_size % 2 == 0:
            raise HiFiGANConfigError(f"{name}: pre/post kernel sizes must be odd")

    def check_mel(self, n_mels: int, hop_length: int) -> None:
        """Raise unless this generator matches a bundle's MelConfig."""
        if (n_mels, hop_length) != (self.n_mels, self.hop_length):
            raise HiFiGANConfigError(
                f"HiFi-GAN expects n_mels={self.n_mels}, hop={self.hop_length}; the mel config has "
                f"n_mels={n_mels}, hop={hop_length}"
            )


_RB1 = ((1, 3, 5), (1, 3, 5), (1, 3, 5))
# The paper's V1/V2 upsample by 8·8·2·2 = 256; here 5·5·4·3 = 300 with kernels of twice the rate.
HIFIGAN_V1 = HiFiGANConfig(upsample_initial_channel=512)
HIFIGAN_V2 = HiFiGANConfig(upsample_initial_channel=128)
# V3: three upsamplers (paper 8·8·4 = 256, here 10·6·5 = 300) and the lighter resblock 2.
HIFIGAN_V3 = HiFiGANConfig(
    upsample_rates=(10, 6, 5),
    upsample_kernel_sizes=(20, 12, 10),
    upsample_initial_channel=256,
    resblock=2,
    resblock_kernel_sizes=(3, 5, 7),
    resblock_dilation_sizes=((1, 2), (2, 6), (3, 12)),
)
HIFIGAN_TINY = HiFiGANConfig(
    upsample_rates=(10, 6, 5),
    upsample_kernel_sizes=(20, 12, 10),
    upsample_initial_channel=32,
    resblock=2,
    resblock_kernel_sizes=(3,),
    resblock_dilation_sizes=((1, 3),),
)
PRESETS = {"v1": HIFIGAN_V1, "v2": HIFIGAN_V2, "v3": HIFIGAN_V3, "tiny": HIFIGAN_TINY}
# The paper's own V1 (hop 256, 22.05 kHz mels): the shape of the published universal generator.
HIFIGAN_V1_HOP256 = HiFiGANConfig(
    hop_length=256,
    upsample_rates=(8, 8, 2, 2),
    upsample_kernel_sizes=(16, 16, 4, 4),
    upsample_initial_channel=512,
)


def fold_weight_norm(state: dict[str, torch.Tensor], dim: int = 0) -> dict[str, torch.Tensor]:
    """Replace each ``X.weight_g`` / ``X.weight_v`` pair by ``X.weight = g * v / ||v||``.

    ``||v||`` is taken over every axis but ``dim`` (0, the default of ``weight_norm``, for
    ``Conv1d`` and ``ConvTranspose1d`` alike). Other entries pass through unchanged; an unpaired
    ``weight_g`` or ``weight_v`` raises ``KeyError``.
    """
    out: dict[str, torch.Tensor] = {}
    for key, value in state.items():
        if key.endswith(".weight_g"):
            continue
        if not key.endswith(".weight_v"):
            out[key] = value
            continue
        stem = key[: -len(".weight_v")]
        g = state[stem + ".weight_g"]
        v = value.double()
        axes = [a for a in range(v.dim()) if a != dim]
        norm = v.pow(2).sum(dim=axes, keepdim=True).sqrt()
        out[stem + ".weight"] = (g.double() * v / norm).to(value.dtype)
    orphans = [k for k in state if k.endswith(".weight_g") and k[: -len("_g")] + "_v" not in state]
    if orphans:
        raise KeyError(f"weight_g without weight_v: {orphans[:3]}")
    return out


def preset(name: str, n_mels: int = 80, hop_length: int = 300) -> HiFiGANConfig:
    """A named preset (v1, v2, v3, tiny) at hop 300; other hops raise (see HIFIGAN_V1_HOP256)."""
    try:
        cfg = PRESETS[name.lower()]
    except KeyError:
        raise HiFiGANConfigError(f"unknown HiFi-GAN preset {name!r}; known: {sorted(PRESETS)}") from None
    return cfg.replace(n_mels=n_mels, hop_length=hop_length)


def _same_pad(kernel: int, dilation: int = 1) -> int:
    return dilation * (kernel - 1) // 2


class ResBlock1(nn.Module):
    """Per dilation: lrelu -> dilated conv -> lrelu -> conv, added to the input."""

    def __init__(self, ch: int, kernel: int, dilations: Tuple[int, ...]):
        super().__init__()
        self.convs1 = nn.ModuleList(nn.Conv1d(ch, ch, kernel, dilation=d, padding=_same_pad(kernel, d)) for d in dilations)
        self.convs2 = nn.ModuleList(nn.Conv1d(ch, ch, kernel, padding=_same_pad(kernel)) for _ in dilations)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        for c1, c2 in zip(self.convs1, self.convs2):
            y = c2(F.leaky_relu(c1(F.leaky_relu(x, LRELU_SLOPE)), LRELU_SLOPE))
            x = x + y
        return x


class ResBlock2(nn.Module):
    """Per dilation: lrelu -> dilated conv, added to the input."""

    def __init__(self, ch: int, kernel: int, dilations: Tuple[int, ...]):
        super().__init__()
        self.convs = nn.ModuleList(nn.Conv1d(ch, ch, kernel, dilation=d, padding=_same_pad(kernel, d)) for d in dilations)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        for c in self.convs:
            x = x + c(F.leaky_relu(x, LRELU_SLOPE))
        return x


def _upsampler(cin: int, cout: int, rate: int, kernel: int) -> nn.ConvTranspose1d:
    """Transposed conv whose output is exactly ``rate`` times longer than its input."""
    pad = (kernel - rate + 1) // 2
    out_pad = 2 * pad - (kernel - rate)  # 0 or 1, makes odd (kernel - rate) exact
    return nn.ConvTranspose1d(cin, cout, kernel, stride=rate, padding=pad, output_padding=out_pad)


class HiFiGAN(Vocoder):
    """HiFi-GAN generator; ``infer(mel [B, n_mels, T]) -> wav [B, T * hop]``."""

    def __init__(self, cfg: HiFiGANConfig):
        super().__init__()
        self.cfg = cfg
        ch = cfg.upsample_initial_channel
        self.conv_pre = nn.Conv1d(cfg.n_mels, ch, cfg.pre_kernel_size, padding=_same_pad(cfg.pre_kernel_size))
        block = ResBlock1 if cfg.resblock == 1 else ResBlock2
        self.ups = nn.ModuleList()
        self.resblocks = nn.ModuleList()
        for i, (u, k) in enumerate(zip(cfg.upsample_rates, cfg.upsample_kernel_sizes)):
            cin, cout = ch // 2**i, ch // 2 ** (i + 1)
            self.ups.append(_upsampler(cin, cout, u, k))
            for rk, rd in zip(cfg.resblock_kernel_sizes, cfg.resblock_dilation_sizes):
                self.resblocks.append(block(cout, rk, tuple(rd)))
        last = ch // 2 ** len(cfg.upsample_rates)
        self.conv_post = nn.Conv1d(last, 1, cfg.post_kernel_size, padding=_same_pad(cfg.post_kernel_size))
        self._init_weights()

    def _convs(self) -> list[nn.Module]:
        return [m for m in self.modules() if isinstance(m, (nn.Conv1d, nn.ConvTranspose1d))]

    def _init_weights(self) -> None:
        for m in self._convs():
            nn.init.normal_(m.weight, 0.0, 0.01)
            if m.bias is not None:
                nn.init.zeros_(m.bias)

    @property
    def has_weight_norm(self) -> bool:
        return parametrize.is_parametrized(self.conv_pre, "weight")

    def apply_weight_norm(self) -> "HiFiGAN":
        """Reparametrise every convolution with weight norm (training); the function is unchanged."""
        if not self.has_weight_norm:
            for m in self._convs():
                weight_norm(m)
        return self

    def remove_weight_norm(self) -> "HiFiGAN":
        """Fold weight norm back into plain weights (inference / export)."""
        if self.has_weight_norm:
            for m in self._convs():
                parametrize.remove_parametrizations(m, "weight", leave_parametrized=True)
        return self

    def forward(self, mel: torch.Tensor) -> torch.Tensor:
        """mel [B, n_mels, T] -> wav [B, 1, T * hop] in [-1, 1]."""
        x = self.conv_pre(mel)
        n_k = len(self.cfg.resblock_kernel_sizes)
        for i, up in enumerate(self.ups):
            x = up(F.leaky_relu(x, LRELU_SLOPE))
            acc = self.resblocks[i * n_k](x)
            for j in range(1, n_k):
                acc = acc + self.resblocks[i * n_k + j](x)
            x = acc / n_k
        x = self.conv_post(F.leaky_relu(x))  # default slope before the output conv, as in the paper's code
        return torch.tanh(x)
