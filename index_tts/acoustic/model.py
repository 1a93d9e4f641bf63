"""FastSpeech2 acoustic model: symbols -> (durations, f0, energy) -> mel [B, n_mels, T]."""
from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Optional

import torch
from torch import nn

from ..audio.mel import MelConfig
from .config import FastSpeech2Config, SequenceTooLongError  # noqa: F401 (re-exported)
from .controls import ProsodyControl
from .layers import FFTStack, Postnet, sinusoid_table
from .prosody_math import mel_gain_db
from .tilt import apply_frame_gain, apply_spectral_tilt
from .variance import VarianceAdaptor, _control_array, check_control

log = logging.getLogger(__name__)


@dataclass
class AcousticOutput:
    mel: torch.Tensor  # [B, n_mels, T]
    durations: torch.Tensor  # [B, N] frames (long)
    f0: torch.Tensor  # [B, N] normalised f0 that was used
    energy: torch.Tensor  # [B, N] normalised energy that was used
    mel_lens: torch.Tensor  # [B] valid frames per item


@dataclass
class AcousticTrainOutput:
    mel_before: torch.Tensor  # [B, n_mels, T]
    mel_after: torch.Tensor  # [B, n_mels, T]
    log_duration_pred: torch.Tensor  # [B, N]
    f0_pred: torch.Tensor  # [B, N]
    energy_pred: torch.Tensor  # [B, N]
    src_mask: torch.Tensor  # [B, N] bool
    mel_mask: torch.Tensor  # [B, T] bool


class FastSpeech2(nn.Module):
    def __init__(self, cfg: FastSpeech2Config, mel_config: Optional[MelConfig] = None) -> None:
        super().__init__()
        self.cfg = cfg
        self.embedding = nn.Embedding(cfg.vocab_size, cfg.hidden)
        # Persistent so that imported tables are reproduced bit for bit.
        self.register_buffer("positions", sinusoid_table(cfg.max_positions, cfg.hidden))
        self.encoder = FFTStack(cfg, cfg.encoder_layers)
        self.speaker_proj = nn.Linear(cfg.speaker_embed_dim, cfg.hidden) if cfg.speaker_embed_dim > 0 else None
        self.emotion_proj = nn.Linear(cfg.emotion_dim, cfg.hidden) if cfg.emotion_dim > 0 else None
        self.variance = VarianceAdaptor(cfg)
        self.decoder = FFTStack(cfg, cfg.decoder_layers)
        self.mel_proj = nn.Linear(cfg.hidden, cfg.n_mels)
        self.postnet = Postnet(cfg)
        # The bundle's MelConfig (needed for spectral tilt and gain); given by whoever builds the model.
        self.mel_config = mel_config
        # Share of energy_db applied as a gain on the output mel (the energy input takes
        # cfg.energy_input_share of it).
        self.energy_mel_share = float(cfg.energy_mel_share)

    # ------------------------------------------------------------------ helpers
    def _check_ids(self, ids: torch.Tensor) -> torch.Tensor:
        if not isinstance(ids, torch.Tensor):
            ids = torch.as_tensor(ids)
        if ids.dim() == 1:
            ids = ids.unsqueeze(0)
        if ids.dim() != 2 or ids.shape[1] == 0:
            raise ValueError(f"ids must be a non-empty [B, N] tensor, got shape {tuple(ids.shape)}")
        if ids.dtype not in (torch.int32, torch.int64):
            raise ValueError(f"ids must be integers, got {ids.dtype}")
        if int(ids.min()) < 0 or int(ids.max()) >= self.cfg.vocab_size:
            raise ValueError(f"ids out of range [0, {self.cfg.vocab_size}): min {int(ids.min())}, max {int(ids.max())}")
        self._check_length(ids.shape[1], "symbols")
        return ids.long().to(self.embedding.weight.device)

    def _check_length(self, n: int, what: str) -> None:
        limit = self.cfg.max_positions - 1
        if n > limit:
            raise SequenceTooLongError(
                f"{n} {what} exceed the model's position table ({limit}); split the text into shorter segments"
            )

    def _condition(self, name: str, proj: Optional[nn.Linear], vec, batch: int) -> Optional[torch.Tensor]:
        if vec is None:
            return None
        if proj is None:
            raise ValueError(f"this model has no {name} conditioning ({name}_dim is 0) but a {name} vector was given")
        v = torch.as_tensor(vec, dtype=proj.weight.dtype, device=proj.weight.device)
        if v.dim() == 1:
            v = v.unsqueeze(0)
        if v.dim() != 2 or v.shape[1] != proj.in_features or v.shape[0] not in (1, batch):
            raise ValueError(f"{name} must be [B, {proj.in_features}], got {tuple(v.shape)}")
        return proj(v).unsqueeze(1)

    def encode(self, ids: torch.Tensor, mask: torch.Tensor, speaker=None, emotion=None) -> torch.Tensor:
        n = ids.shape[1]
        pos = self.positions[1 : n + 1].unsqueeze(0)
        x = self.embedding(ids) + pos
        x = self.encoder(x, mask)
        for name, proj, vec in (("speaker", self.speaker_proj, speaker), ("emotion", self.emotion_proj, emotion)):
            c = self._condition(name, proj, vec, ids.shape[0])
            if c is not None:
                x = x + c * mask.unsqueeze(-1)
        return x

    def decode(self, frames: torch.Tensor, mel_mask: torch.Tensor,
               postnet: bool = True) -> tuple[torch.Tensor, torch.Tensor]:
        t = frames.shape[1]
        self._check_length(t, "mel frames")
        m = mel_mask.to(frames.dtype)
        pos_idx = torch.arange(1, t + 1, device=frames.device).unsqueeze(0) * mel_mask.long()
        h = self.decoder(frames + self.positions[pos_idx], m)
        mel_before = self.mel_proj(h).transpose(1, 2)
        if not postnet:  # training that leaves the postnet as it is skips it (mel_after = mel_before)
            return mel_before, mel_before
        mel_after = mel_before + self.postnet(mel_before, m)
        return mel_before, mel_after

    # ------------------------------------------------------------------ API
    def forward(
        self,
        ids: torch.Tensor,
        ids_lens: torch.Tensor,
        durations: torch.Tensor,
        f0: torch.Tensor,
        energy: torch.Tensor,
        mel_lens: Optional[torch.Tensor] = None,
        speaker=None,
        emotion=None,
        postnet: bool = True,
    ) -> AcousticTrainOutput:
        """Teacher-forced pass for training (targets in the model's normalised units).

        ``postnet=False`` skips the postnet (``mel_after`` is then ``mel_before``): for
        fine-tuning that keeps the postnet frozen, it halves the cost of a step."""
        ids = self._check_ids(ids)
        b, n = ids.shape
        lens = torch.as_tensor(ids_lens, device=ids.device).long().view(-1)
        if lens.shape[0] != b:
            raise ValueError(f"ids_lens must have {b} entries, got {lens.shape[0]}")
        for name, t in (("durations", durations), ("f0", f0), ("energy", energy)):
            if tuple(t.shape) != (b, n):
                raise ValueError(f"{name} must be [B, N] = {(b, n)}, got {tuple(t.shape)}")
        src_mask = torch.arange(n, device=ids.device).unsqueeze(0) < lens.unsqueeze(1)
        dtype = self.embedding.weight.dtype
        mask = src_mask.to(dtype)
        x = self.encode(ids, mask, speaker, emotion)
        var = self.variance(x, mask, durations=durations.to(ids.device), f0=f0.to(ids.device, dtype),
                            energy=energy.to(ids.device, dtype))
        frames, mel_mask = var.frames, var.mel_mask
        if mel_lens is not None:
            t = int(torch.as_tensor(mel_lens).max())
            if frames.shape[1] < t:
                pad = t - frames.shape[1]
                frames = nn.functional.pad(frames, (0, 0, 0, pad))
                mel_mask = nn.functional.pad(mel_mask, (0, pad))
        mel_before, mel_after = self.decode(frames, mel_mask, postnet)
        return AcousticTrainOutput(mel_before, mel_after, var.log_duration_pred, var.f0_pred, var.energy_pred,
                                   src_mask, mel_mask)

    def infer(
        self,
        ids: torch.Tensor,
        control: Optional[ProsodyControl] = None,
        speaker=None,
        emotion=None,
        variance_dropout: bool = False,
        generator: Optional[torch.Generator] = None,
        ids_lens: Optional[torch.Tensor] = None,
    ) -> AcousticOutput:
        """Synthesis: ids [B, N] -> AcousticOutput (mel [B, n_mels, T]).

        ``variance_dropout=True`` reproduces the original voice's stochastic f0/energy
        embedding dropout (seed it with ``generator``); False is deterministic.
        """
        check_control(control)
        ids = self._check_ids(ids)
        b, n = ids.shape
        dtype = self.embedding.weight.dtype
        if ids_lens is None:
            mask = (ids != self.cfg.pad_id).to(dtype)
        else:
            lens = torch.as_tensor(ids_lens, device=ids.device).long().view(-1)
            mask = (torch.arange(n, device=ids.device).unsqueeze(0) < lens.unsqueeze(1)).to(dtype)
        with torch.inference_mode():
            x = self.encode(ids, mask, speaker, emotion)
            var = self.variance(x, mask, control=control, embed_dropout=variance_dropout, generator=generator)
            _, mel = self.decode(var.frames, var.mel_mask)
            tilt = 0.0 if control is None else float(control.spectral_tilt_db)
            if tilt != 0.0:
                if self.mel_config is None:
                    raise ValueError("spectral_tilt_db needs the bundle's MelConfig (FastSpeech2(cfg, mel_config))")
                mel = apply_spectral_tilt(mel, tilt, self.mel_config) * var.mel_mask.unsqueeze(1)
            mel = self._energy_gain(mel, control, var)
        return AcousticOutput(mel, var.durations, var.f0, var.energy, var.mel_mask.sum(dim=1))

    def _energy_gain(self, mel: torch.Tensor, control: Optional[ProsodyControl], var) -> torch.Tensor:
        """Add ``energy_mel_share`` of ``control.energy_db`` to the mel, per frame, with short ramps.

        The decoder follows the energy input only weakly, so without this ``energy_db`` would
        move loudness by about a quarter of the request. Needs ``mel_config`` (without it only
        the energy input acts, as before).
        """
        boost = self.cfg.energy_boost_via_mel
        if control is None or control.energy_db is None or (self.energy_mel_share == 0.0 and not boost):
            return mel
        db = _control_array(control.energy_db, var.energy, "energy_db").expand_as(var.energy)
        if not bool(torch.any(db != 0)):
            return mel
        if self.mel_config is None:
            if not getattr(self, "_warned_no_gain", False):
                log.warning("energy_db acts only through the energy input: the model was built without a MelConfig")
                self._warned_no_gain = True
            return mel
        gain = mel_gain_db(db, self.energy_mel_share, boost)
        gained = apply_frame_gain(mel, gain, var.durations, self.mel_config)
        return gained * var.mel_mask.unsqueeze(1).to(mel.dtype)
