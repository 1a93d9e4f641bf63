"""Configuration of a HiFi-GAN training run (generator, discriminators, data, optimiser, schedule)."""
from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Optional, Tuple

from ..audio.mel import MelConfig
from ..utils.config import ConfigBase
from ..vocoder.hifigan import HiFiGANConfig


class VocoderTrainConfigError(ValueError):
    """A training config is inconsistent or names data / bundles that do not exist."""


@dataclass(frozen=True)
class DiscriminatorConfig(ConfigBase):
    """Multi-period (periods) + multi-scale (msd_scales) discriminators, sizes as in the paper."""

    periods: Tuple[int, ...] = (2, 3, 5, 7, 11)
    mpd_channels: Tuple[int, ...] = (32, 128, 512, 1024, 1024)
    mpd_kernel: int = 5
    mpd_stride: int = 3
    msd_scales: int = 3
    msd_channels: Tuple[int, ...] = (128, 128, 256, 512, 1024, 1024, 1024)
    msd_kernels: Tuple[int, ...] = (15, 41, 41, 41, 41, 41, 5)
    msd_strides: Tuple[int, ...] = (1, 2, 2, 4, 4, 1, 1)
    msd_groups: Tuple[int, ...] = (1, 4, 16, 16, 16, 16, 1)

    def __post_init__(self) -> None:
        n = len(self.msd_channels)
        if not (len(self.msd_kernels) == len(self.msd_strides) == len(self.msd_groups) == n) or n == 0:
            raise VocoderTrainConfigError("DiscriminatorConfig: msd_channels/kernels/strides/groups differ in length")
        cin = 1
        for c, g in zip(self.msd_channels, self.msd_groups):
            if cin % g or c % g:
                raise VocoderTrainConfigError(f"DiscriminatorConfig: channels {cin}->{c} not divisible by groups {g}")
            cin = c
        if any(p < 2 for p in self.periods) or not self.mpd_channels:
            raise VocoderTrainConfigError("DiscriminatorConfig: periods must be >= 2 and mpd_channels non-empty")
        if self.msd_scales < 0 or (self.msd_scales == 0 and not self.periods):
            raise VocoderTrainConfigError("DiscriminatorConfig: need at least one discriminator")


@dataclass(frozen=True)
class VocoderTrainConfig(ConfigBase):
    generator: HiFiGANConfig = field(default_factory=HiFiGANConfig)
    discriminator: DiscriminatorConfig = field(default_factory=DiscriminatorConfig)
    # Mel features: taken from a bundle (folder or name in cache_hub) so the vocoder matches the
    # acoustic model exactly (normalisation stats included); or given explicitly; else MelConfig().
    bundle: Optional[str] = None
    mel: Optional[MelConfig] = None
    # Data: folders of wavs (searched recursively; any sample rate, resampled) and/or folders of
    # teacher-forced pairs (<id>.npy model-space mel [n_mels, T] + <id>.wav of T * hop samples).
    wav_dirs: Tuple[str, ...] = ()
    pair_dirs: Tuple[str, ...] = ()
    cache_dir: Optional[str] = None  # default <out_dir>/cache
    val_items: int = 4
    val_max_frames: int = 400
    segment_frames: int = 32
    batch_size: int = 16
    num_workers: int = 2
    # Optimisation (AdamW, exponential decay applied every lr_decay_every steps).
    lr: float = 2e-4
    betas: Tuple[float, float] = (0.8, 0.99)
    weight_decay: float = 0.01
    lr_decay: float = 0.999
    lr_decay_every: int = 1000
    grad_clip: Optional[float] = None
    mel_loss_weight: float = 45.0
    fm_loss_weight: float = 2.0
    adv_loss_weight: float = 1.0
    loss_fmax: Optional[float] = None  # fmax of the loss mel; None: sample_rate / 2
    precision: str = "fp32"  # fp32 | fp16 | bf16 (autocast, CUDA only)
    # Schedule.
    max_steps: int = 500_000
    log_every: int = 100
    val_every: int = 2000
    ckpt_every: int = 5000
    keep_checkpoints: int = 3
    seed: int = 1234
    out_dir: str = "outputs/vocoder_hifigan"
    export_on_finish: bool = True
    voice_name: str = "hifigan"
    licence: str = "Same terms as the training data (see provenance)."

    def __post_init__(self) -> None:
        if not self.wav_dirs and not self.pair_dirs:
            raise VocoderTrainConfigError("VocoderTrainConfig: give at least one of wav_dirs / pair_dirs")
        if self.precision not in ("fp32", "fp16", "bf16"):
            raise VocoderTrainConfigError(f"VocoderTrainConfig: precision must be fp32, fp16 or bf16, not {self.precision!r}")
        for name in ("segment_frames", "batch_size", "max_steps", "log_every", "val_every", "ckpt_every", "lr_decay_every", "keep_checkpoints"):
            if getattr(self, name) < 1:
                raise VocoderTrainConfigError(f"VocoderTrainConfig: {name} must be >= 1")
        if self.val_items < 0 or self.num_workers < 0:
            raise VocoderTrainConfigError("VocoderTrainConfig: val_items and num_workers must be >= 0")
        if not 0 < self.lr_decay <= 1:
            raise VocoderTrainConfigError("VocoderTrainConfig: lr_decay must be in (0, 1]")

    @classmethod
    def from_file(cls, path: str | Path) -> "VocoderTrainConfig":
        """Load a JSON config; relative data/cache/out paths stay relative to the working directory."""
        path = Path(path)
        if not path.is_file():
            raise VocoderTrainConfigError(f"training config {path} does not exist")
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except json.JSONDecodeError as exc:
            raise VocoderTrainConfigError(f"{path}: not valid JSON ({exc})") from None
        data.pop("_comment", None)
        return cls.from_dict(data)


def resolve_bundle_dir(bundle: str) -> Path:
    """A bundle given as a folder path, or as a name inside the hub (cache_hub/)."""
    from ..hub import hub_dir

    p = Path(bundle).expanduser()
    if (p / "config.json").is_file():
        return p
    q = hub_dir() / bundle
    if (q / "config.json").is_file():
        return q
    raise VocoderTrainConfigError(f"bundle {bundle!r} not found (no config.json in {p} or {q})")


def bundle_mel_config(bundle: str) -> MelConfig:
    data = json.loads((resolve_bundle_dir(bundle) / "config.json").read_text(encoding="utf-8"))
    if "mel" not in data:
        raise VocoderTrainConfigError(f"bundle {bundle!r}: config.json has no 'mel' section")
    return MelConfig.from_dict(data["mel"])


def resolve_mel_config(cfg: VocoderTrainConfig) -> MelConfig:
    """The features the run trains on; raises if bundle / explicit mel / generator disagree."""
    mel = cfg.mel
    if cfg.bundle:
        from_bundle = bundle_mel_config(cfg.bundle)
        if mel is not None and not mel.same_features(from_bundle):
            raise VocoderTrainConfigError(f"config 'mel' differs from the mel config of bundle {cfg.bundle!r}; drop one")
        mel = from_bundle
    mel = mel or MelConfig()
    cfg.generator.check_mel(mel.n_mels, mel.hop_length)
    return mel
