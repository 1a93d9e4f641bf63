"""Configuration of an acoustic (FastSpeech2 + aligner) training run (``configs/acoustic_*.json``)."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from ..utils.config import ConfigBase
from .aligner import AlignerConfig


@dataclass(frozen=True)
class AcousticTrainConfig(ConfigBase):
    name: str = "my-voice"
    description: str = "FastSpeech2 voice trained with index_tts.train.acoustic"
    # FastSpeech2Config fields (vocab_size and n_mels are derived and must not be given).
    # With --init-from the bundle's architecture is kept and only dropout-type fields apply.
    model: dict = field(default_factory=dict)
    aligner: AlignerConfig = AlignerConfig()
    # MelConfig fields for training from scratch; ignored when --init-from / --vocoder-from
    # give a bundle (its MelConfig, statistics included, is used so its vocoder fits).
    mel: dict = field(default_factory=dict)
    # PreprocessSettings fields (trim_top_db, f0_floor, f0_ceil, max_seconds, ...).
    preprocess: dict = field(default_factory=dict)

    # "auto": "none" for one speaker, "speaker" for several. "speaker": each utterance gets
    # its speaker's mean embedding; "utterance": the clip's own embedding (better zero-shot).
    speaker_mode: str = "auto"

    batch_size: int = 16
    max_steps: int = 100_000
    lr: float = 1e-3
    warmup_steps: int = 4000
    min_lr: float = 1e-5
    betas: tuple[float, float] = (0.9, 0.98)
    weight_decay: float = 0.0
    grad_clip: float = 1.0
    precision: str = "bf16"  # bf16 | fp16 | fp32 (autocast only on CUDA)
    seed: int = 1234

    # Steps during which only the aligner learns (FastSpeech2 is skipped).
    aligner_warmup_steps: int = 0
    # The binarisation loss is ramped from 0 to its weight over bin_loss_ramp steps after bin_loss_start.
    bin_loss_start: int = 2000
    bin_loss_ramp: int = 2000

    w_mel: float = 1.0
    w_duration: float = 1.0
    w_pitch: float = 1.0
    w_energy: float = 1.0
    w_forward_sum: float = 1.0
    w_bin: float = 1.0

    num_workers: int = 2  # DataLoader workers
    preprocess_workers: int = 0  # 0 = one per CPU core (max 16)
    log_interval: int = 100
    val_interval: int = 2000
    ckpt_interval: int = 5000
    keep_checkpoints: int = 3
    val_size: int = 16
    val_texts: tuple[str, ...] = ("今天天气真不错，我们一起去公园散步吧。", "请问去火车站怎么走？")
    licence: str = "Depends on the training data; see MODEL_CARD.md."

    def __post_init__(self) -> None:
        if self.speaker_mode not in ("auto", "none", "speaker", "utterance"):
            raise ValueError(f"speaker_mode must be auto|none|speaker|utterance, got {self.speaker_mode!r}")
        if self.precision not in ("bf16", "fp16", "fp32"):
            raise ValueError(f"precision must be bf16|fp16|fp32, got {self.precision!r}")
        for key in ("vocab_size", "n_mels"):
            if key in self.model:
                raise ValueError(f"model.{key} is derived from the symbols / MelConfig; remove it from the config")
        if self.batch_size < 1 or self.max_steps < 0 or self.lr <= 0:
            raise ValueError("batch_size must be >= 1, max_steps >= 0 and lr > 0")
        if min(self.log_interval, self.val_interval, self.ckpt_interval) < 1:
            raise ValueError("log_interval, val_interval and ckpt_interval must be >= 1")

    def lr_at(self, step: int) -> float:
        """Linear warm-up, then inverse-square-root decay, floored at min_lr."""
        w = max(self.warmup_steps, 1)
        if step < w:
            return self.lr * (step + 1) / w
        return max(self.min_lr, self.lr * (w / (step + 1)) ** 0.5)

    def bin_weight(self, step: int) -> float:
        if step < self.bin_loss_start:
            return 0.0
        ramp = max(self.bin_loss_ramp, 1)
        return self.w_bin * min(1.0, (step - self.bin_loss_start + 1) / ramp)


# FastSpeech2 fields that may be changed when fine-tuning an existing bundle.
FINETUNE_OVERRIDABLE = ("dropout", "attention_dropout", "predictor_dropout", "postnet_dropout",
                        "variance_embed_dropout", "speaker_embed_dim")


def merge_model_config(base: dict[str, Any], overrides: dict[str, Any], finetune: bool) -> dict[str, Any]:
    """FastSpeech2Config dict from a base (bundle or defaults) and the run's overrides."""
    out = dict(base)
    for k, v in overrides.items():
        if finetune and k not in FINETUNE_OVERRIDABLE:
            raise ValueError(f"model.{k} cannot change when fine-tuning (the bundle fixes the architecture)")
        out[k] = v
    return out


def resolve_speaker_mode(mode: str, n_speakers: int) -> str:
    if mode == "auto":
        return "speaker" if n_speakers > 1 else "none"
    return mode


