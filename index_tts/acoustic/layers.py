"""Transformer building blocks of FastSpeech2 (channels-last: [B, N, C])."""
from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch import nn

from .config import FastSpeech2Config


def sinusoid_table(rows: int, dim: int) -> torch.Tensor:
    """Sinusoidal position table [rows, dim]; row 0 is all zeros (padding position)."""
    pos = torch.arange(rows, dtype=torch.float64).unsqueeze(1)
    idx = torch.arange(dim, dtype=torch.float64).unsqueeze(0)
    angle = pos / torch.pow(10000.0, 2.0 * torch.div(idx, 2, rounding_mode="floor") / dim)
    table = torch.where(idx.long() % 2 == 0, torch.sin(angle), torch.cos(angle))
    table[0] = 0.0
    return table.float()


class ConvChannelsLast(nn.Conv1d):
    """1-D convolution with "same" zero padding applied to [B, N, C] tensors."""

    def __init__(self, in_ch: int, out_ch: int, kernel: int, bias: bool = True) -> None:
        super().__init__(in_ch, out_ch, kernel, padding=kernel // 2, bias=bias)

    def forward(self, x: torch.Tensor) -> torch.Tensor:  # type: ignore[override]
        return super().forward(x.transpose(1, 2)).transpose(1, 2)


class SelfAttention(nn.Module):
    """Multi-head self-attention with output projection, residual and LayerNorm."""

    def __init__(self, cfg: FastSpeech2Config) -> None:
        super().__init__()
        self.heads = cfg.heads
        self.head_dim = cfg.head_dim
        self.mask_value = cfg.attention_mask_value
        inner = cfg.attention_dim
        self.query = nn.Linear(cfg.hidden, inner)
        self.key = nn.Linear(cfg.hidden, inner)
        self.value = nn.Linear(cfg.hidden, inner)
        self.out = nn.Linear(inner, cfg.hidden)
        self.norm = nn.LayerNorm(cfg.hidden, eps=cfg.layer_norm_eps)
        self.attn_dropout = nn.Dropout(cfg.attention_dropout)
        self.dropout = nn.Dropout(cfg.dropout)

    def _split(self, x: torch.Tensor) -> torch.Tensor:
        b, n, _ = x.shape
        return x.view(b, n, self.heads, self.head_dim).transpose(1, 2)

    def forward(self, x: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        """x [B, N, C], mask [B, N] float (1 = valid) -> [B, N, C] (masked)."""
        q = self._split(self.query(x))
        k = self._split(self.key(x))
        v = self._split(self.value(x))
        scores = torch.matmul(q, k.transpose(-1, -2)) * (1.0 / math.sqrt(self.head_dim))
        scores = scores + ((1.0 - mask) * self.mask_value)[:, None, None, :]
        probs = self.attn_dropout(torch.softmax(scores, dim=-1))
        ctx = torch.matmul(probs, v).transpose(1, 2).reshape(x.shape[0], x.shape[1], -1)
        y = self.norm(self.dropout(self.out(ctx)) + x)
        return y * mask.unsqueeze(-1)


class ConvFeedForward(nn.Module):
    """conv(k) -> mish -> conv(k), residual, LayerNorm."""

    def __init__(self, cfg: FastSpeech2Config) -> None:
        super().__init__()
        self.conv1 = ConvChannelsLast(cfg.hidden, cfg.ffn_dim, cfg.ffn_kernel)
        self.conv2 = ConvChannelsLast(cfg.ffn_dim, cfg.hidden, cfg.ffn_kernel)
        self.norm = nn.LayerNorm(cfg.hidden, eps=cfg.layer_norm_eps)
        self.dropout = nn.Dropout(cfg.dropout)

    def forward(self, x: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        m = mask.unsqueeze(-1)
        h = self.conv2(F.mish(self.conv1(x)))
        y = self.norm(self.dropout(h) * m + x)
        return y * m


class FFTBlock(nn.Module):
    """One feed-forward Transformer layer (self-attention + convolutional FFN)."""

    def __init__(self, cfg: FastSpeech2Config) -> None:
        super().__init__()
        self.attention = SelfAttention(cfg)
        self.ffn = ConvFeedForward(cfg)

    def forward(self, x: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        return self.ffn(self.attention(x, mask), mask)


class FFTStack(nn.Module):
    """Position embedding + a stack of FFT blocks."""

    def __init__(self, cfg: FastSpeech2Config, layers: int) -> None:
        super().__init__()
        self.layers = nn.ModuleList(FFTBlock(cfg) for _ in range(layers))

    def forward(self, x: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        for layer in self.layers:
            x = layer(x, mask)
        return x


class Postnet(nn.Module):
    """Residual mel refinement: conv -> BatchNorm -> tanh (last layer linear)."""

    def __init__(self, cfg: FastSpeech2Config) -> None:
        super().__init__()
        chans = [cfg.n_mels] + [cfg.postnet_channels] * (cfg.postnet_layers - 1) + [cfg.n_mels]
        self.convs = nn.ModuleList(
            nn.Conv1d(chans[i], chans[i + 1], cfg.postnet_kernel, padding=cfg.postnet_kernel // 2)
            for i in range(cfg.postnet_layers)
        )
        self.norms = nn.ModuleList(
            nn.BatchNorm1d(chans[i + 1], eps=cfg.batch_norm_eps) for i in range(cfg.postnet_layers)
        )
        self.dropout = nn.Dropout(cfg.postnet_dropout)

    def forward(self, mel: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        """mel [B, n_mels, T], mask [B, T] float -> residual [B, n_mels, T] (masked)."""
        m = mask.unsqueeze(1)
        x = mel * m
        last = len(self.convs) - 1
        for i, (conv, norm) in enumerate(zip(self.convs, self.norms)):
            x = norm(conv(x))
            if i < last:
                x = torch.tanh(x)
            x = self.dropout(x)
        return x * m
