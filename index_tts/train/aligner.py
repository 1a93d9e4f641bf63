"""Alignment learned during acoustic training (no external forced aligner).

Idea from "One TTS Alignment To Rule Them All" (Badlani et al., 2021) and Glow-TTS's
monotonic alignment search: a text encoder and a mel encoder produce keys and queries; the
soft alignment is a softmax over text positions of their negative squared distance (plus an
optional diagonal prior). It is trained with

- the forward-sum loss: the likelihood of the mel frames summed over every monotonic path
  through all text symbols, computed by CTC with a blank column that is never used;
- the binarisation loss: the soft alignment's log-probability on the hard (MAS) path.

The hard alignment comes from monotonic alignment search (MAS), a dynamic programme written
here in numpy: every symbol gets at least one frame, frames move forward one symbol at a time,
and the path maximises the summed log-probabilities. Its column sums are the durations fed
to FastSpeech2's length regulator and duration loss.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from ..utils.config import ConfigBase


@dataclass(frozen=True)
class AlignerConfig(ConfigBase):
    symbol_dim: int = 256  # text embedding width (the aligner has its own embedding)
    channels: int = 256
    attn_dim: int = 80
    temperature: float = 0.0005
    # Weight of a beta-binomial diagonal prior on the log-attention (0 disables it).
    prior_weight: float = 1.0
    prior_scaling: float = 1.0
    blank_logprob: float = -1.0


@dataclass
class AlignerOutput:
    log_attn: torch.Tensor  # [B, T, N] log-softmax over text (masked positions = -inf-ish)
    attn_logits: torch.Tensor  # [B, T, N] unnormalised log-scores (for the forward-sum loss)


def length_mask(lengths: torch.Tensor, max_len: int | None = None) -> torch.Tensor:
    """[B] lengths -> [B, max_len] bool, True at valid positions."""
    max_len = int(lengths.max().item()) if max_len is None else max_len
    return torch.arange(max_len, device=lengths.device).unsqueeze(0) < lengths.unsqueeze(1)


class Aligner(nn.Module):
    """Text/mel encoders whose pairwise distances give a soft alignment [B, T_mel, N_text]."""

    def __init__(self, cfg: AlignerConfig, vocab_size: int, n_mels: int) -> None:
        super().__init__()
        self.cfg = cfg
        self.embed = nn.Embedding(vocab_size, cfg.symbol_dim)
        c = cfg.channels
        self.key_net = nn.Sequential(
            nn.Conv1d(cfg.symbol_dim, c, 3, padding=1), nn.ReLU(), nn.Conv1d(c, cfg.attn_dim, 1)
        )
        self.query_net = nn.Sequential(
            nn.Conv1d(n_mels, c, 3, padding=1),
            nn.ReLU(),
            nn.Conv1d(c, c, 1),
            nn.ReLU(),
            nn.Conv1d(c, cfg.attn_dim, 1),
        )

    def forward(
        self, ids: torch.Tensor, ids_lens: torch.Tensor, mel: torch.Tensor, mel_lens: torch.Tensor
    ) -> AlignerOutput:
        """ids [B, N], mel [B, n_mels, T] -> log-alignment [B, T, N] (softmax over N)."""
        keys = self.key_net(self.embed(ids).transpose(1, 2))  # [B, A, N]
        queries = self.query_net(mel.float())  # [B, A, T]
        dist = (queries.unsqueeze(-1) - keys.unsqueeze(2)).pow(2).sum(1)  # [B, T, N]
        logits = -self.cfg.temperature * dist
        if self.cfg.prior_weight > 0:
            prior = beta_binomial_log_prior(ids_lens, mel_lens, ids.shape[1], mel.shape[2], self.cfg.prior_scaling)
            logits = logits + self.cfg.prior_weight * prior.to(logits.dtype)
        text_mask = length_mask(ids_lens, ids.shape[1])
        logits = logits.masked_fill(~text_mask.unsqueeze(1), -1e4)
        return AlignerOutput(log_attn=torch.log_softmax(logits, dim=-1), attn_logits=logits)


def beta_binomial_log_prior(
    ids_lens: torch.Tensor, mel_lens: torch.Tensor, n_max: int, t_max: int, scaling: float = 1.0
) -> torch.Tensor:
    """log P(text position n | frame t) from a beta-binomial centred on the diagonal: [B, T, N]."""
    out = torch.zeros(len(ids_lens), t_max, n_max)
    for b, (n, t) in enumerate(zip(ids_lens.tolist(), mel_lens.tolist())):
        k = torch.arange(n, dtype=torch.float64)
        frames = torch.arange(1, t + 1, dtype=torch.float64).unsqueeze(1)
        alpha, beta = scaling * frames, scaling * (t + 1 - frames)
        # log Beta-Binomial(k; n-1, alpha, beta), normalised over k.
        logp = (
            torch.lgamma(torch.tensor(float(n))) - torch.lgamma(k + 1) - torch.lgamma(n - k)
            + torch.lgamma(k + alpha) + torch.lgamma(n - 1 - k + beta) - torch.lgamma(n - 1 + alpha + beta)
            - (torch.lgamma(alpha) + torch.lgamma(beta) - torch.lgamma(alpha + beta))
        )
        out[b, :t, :n] = torch.log_softmax(logp, dim=-1).float()
    return out.to(ids_lens.device)


def forward_sum_loss(
    attn_logits: torch.Tensor, ids_lens: torch.Tensor, mel_lens: torch.Tensor, blank_logprob: float = -1.0
) -> torch.Tensor:
    """Negative log-likelihood of all monotonic alignments that visit every symbol in order.

    attn_logits [B, T, N]. A blank class (index 0) with a constant score is added so that
    CTC's machinery computes the sum over paths; targets are 1..N for every item.
    """
    b, _, n = attn_logits.shape
    padded = F.pad(attn_logits.float(), (1, 0), value=blank_logprob)  # [B, T, N+1]
    log_probs = torch.log_softmax(padded, dim=-1).transpose(0, 1)  # [T, B, N+1]
    targets = torch.arange(1, n + 1, device=attn_logits.device).unsqueeze(0).expand(b, n)
    loss = F.ctc_loss(
        log_probs,
        targets,
        input_lengths=mel_lens.long(),
        target_lengths=ids_lens.long(),
        blank=0,
        reduction="none",
        zero_infinity=True,
    )
    return (loss / ids_lens.float().clamp_min(1)).mean()


def bin_loss(log_attn: torch.Tensor, hard: torch.Tensor) -> torch.Tensor:
    """-mean log soft-alignment probability on the hard path. hard [B, T, N] in {0, 1}."""
    sel = hard.bool()
    n = sel.sum().clamp_min(1)
    return -(log_attn.float().masked_fill(~sel, 0.0).sum()) / n


def mas_path(logp: np.ndarray) -> np.ndarray:
    """Monotonic alignment search on one item.

    logp [T, N] (T >= N >= 1): log-probability of frame t belonging to symbol n. Returns a
    0/1 matrix [T, N] with exactly one 1 per row, the first row at symbol 0, the last at
    symbol N-1, each row's symbol equal to or one more than the previous row's, every
    symbol used at least once, and the sum of ``logp`` over the path maximal.
    """
    logp = np.asarray(logp, dtype=np.float64)
    if logp.ndim != 2:
        raise ValueError(f"mas_path expects a [T, N] matrix, got shape {logp.shape}")
    t_len, n_len = logp.shape
    return mas_numpy(logp[None], np.array([n_len]), np.array([t_len]))[0]


def mas_numpy(logp: np.ndarray, ids_lens: np.ndarray, mel_lens: np.ndarray) -> np.ndarray:
    """Batched MAS (vectorised over the batch): logp [B, T, N] -> 0/1 paths [B, T, N] (int64).

    Item b uses logp[b, :mel_lens[b], :ids_lens[b]]; everything outside is 0 in the result.
    """
    logp = np.asarray(logp, dtype=np.float64)
    b, t_max, n_max = logp.shape
    nl, tl = np.asarray(ids_lens).astype(np.int64), np.asarray(mel_lens).astype(np.int64)
    if np.any(nl < 1) or np.any(tl < nl) or np.any(tl > t_max) or np.any(nl > n_max):
        raise ValueError(f"MAS needs T >= N >= 1 for every item (every symbol gets a frame); N={nl}, T={tl}")
    neg = -np.inf
    cols = np.arange(n_max)[None, :]
    value = np.full((b, t_max, n_max), neg)
    value[:, 0, 0] = logp[:, 0, 0]
    for t in range(1, t_max):
        prev = value[:, t - 1]
        move = np.concatenate((np.full((b, 1), neg), prev[:, :-1]), axis=1)
        cur = np.maximum(prev, move) + logp[:, t]
        # Symbol n cannot be reached before frame n, nor the end in time from too far behind.
        lo = (nl - (tl - t))[:, None]
        cur[(cols < lo) | (cols > t) | (cols >= nl[:, None])] = neg
        value[:, t] = cur
    path = np.zeros((b, t_max, n_max), dtype=np.int64)
    n = nl - 1
    rows = np.arange(b)
    for t in range(t_max - 1, -1, -1):
        active = t < tl
        path[rows[active], t, n[active]] = 1
        if t == 0:
            break
        nm1 = np.maximum(n - 1, 0)
        go = active & (n > 0) & ((n == t) | (value[rows, t - 1, nm1] >= value[rows, t - 1, n]))
        n = np.where(go, n - 1, n)
    return path


def mas_batch(log_attn: torch.Tensor, ids_lens: torch.Tensor, mel_lens: torch.Tensor) -> torch.Tensor:
    """Hard alignments [B, T, N] (float 0/1) for a batch of log-alignments [B, T, N]."""
    arr = log_attn.detach().float().cpu().numpy()
    out = mas_numpy(arr, ids_lens.cpu().numpy(), mel_lens.cpu().numpy()).astype(np.float32)
    return torch.from_numpy(out).to(log_attn.device)


def durations_from_path(hard: torch.Tensor) -> torch.Tensor:
    """[B, T, N] 0/1 -> [B, N] long frame counts (sum over frames)."""
    return hard.sum(1).round().long()
