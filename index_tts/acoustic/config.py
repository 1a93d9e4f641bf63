"""Configuration of the FastSpeech2 acoustic model."""
from __future__ import annotations

from dataclasses import dataclass

from ..utils.config import ConfigBase
from .prosody_math import ENERGY_MEL_SHARE


class SequenceTooLongError(ValueError):
    """Input symbols or output frames exceed the model's position table; split the text."""


@dataclass(frozen=True)
class FastSpeech2Config(ConfigBase):
    # Derived from the bundle (symbol table, MelConfig): never hand-copied.
    vocab_size: int = 219
    n_mels: int = 80
    pad_id: int = 0

    hidden: int = 256
    # Rows of the sinusoidal position table; row 0 is the padding row, so at most
    # ``max_positions - 1`` symbols or frames fit in one call.
    max_positions: int = 2049

    encoder_layers: int = 3
    decoder_layers: int = 3
    heads: int = 2
    head_dim: int = 16
    ffn_dim: int = 1024
    ffn_kernel: int = 3
    layer_norm_eps: float = 1e-5
    attention_mask_value: float = -1e9

    predictor_channels: int = 256
    predictor_kernel: int = 3
    predictor_layers: int = 2
    # Durations are predicted as log(frames + offset).
    duration_offset: float = 1.0

    variance_embed_kernel: int = 9
    # Dropout on the f0 / energy embeddings; the original keeps it active at inference.
    variance_embed_dropout: float = 0.5

    postnet_layers: int = 5
    postnet_channels: int = 512
    postnet_kernel: int = 5
    batch_norm_eps: float = 1e-3

    # Training-time dropout (inactive in infer()).
    dropout: float = 0.2
    attention_dropout: float = 0.1
    predictor_dropout: float = 0.5
    postnet_dropout: float = 0.1

    # Optional conditioning vectors added to the encoder output; 0 disables them.
    speaker_embed_dim: int = 0
    emotion_dim: int = 0

    # Units of the model's per-symbol variance features (z-scores of linear values):
    # f0_hz = f0_mean_hz + f0_std_hz * f0;  energy = energy_mean + energy_std * e.
    f0_mean_hz: float = 200.0
    f0_std_hz: float = 50.0
    f0_floor_hz: float = 40.0
    energy_mean: float = 1.0
    energy_std: float = 0.5

    # How a control's ``energy_db`` is realised: this share of it moves the model's energy input,
    # ``energy_mel_share`` of it is a gain on the output mel (the default voice: 1.0 and 0.1,
    # docs/EMOTION.md). ``energy_boost_via_mel``: a boost (dB > 0) goes to the mel gain whole and
    # never to the energy input, for a multi-voice decoder that blurs consonants when a voice
    # already loud in these units is driven higher (the student, docs/VOICES.md); cuts keep the
    # shares above.
    energy_input_share: float = 1.0
    energy_mel_share: float = ENERGY_MEL_SHARE
    energy_boost_via_mel: bool = False
    # Share (log terms) of an emotion's tempo change that syllable initials follow
    # (``build_segment_control``); 1.0: every symbol alike (the default voice). The student uses
    # 0.5: vowels and pauses take the change whole, consonants half, as speakers do, where its
    # squeezed consonants blurred (xiaoxiao afraid 1.2x: CER 7.8 -> 4.7 %, docs/VOICES.md).
    initial_rate_share: float = 1.0

    def __post_init__(self) -> None:
        if self.vocab_size < 2:
            raise ValueError("FastSpeech2Config.vocab_size must be >= 2")
        if self.max_positions < 2:
            raise ValueError("FastSpeech2Config.max_positions must be >= 2")
        if self.ffn_kernel % 2 == 0 or self.predictor_kernel % 2 == 0 or self.postnet_kernel % 2 == 0:
            raise ValueError("FastSpeech2Config: convolution kernels must be odd")
        if self.variance_embed_kernel % 2 == 0:
            raise ValueError("FastSpeech2Config.variance_embed_kernel must be odd")
        if self.f0_std_hz <= 0 or self.energy_std <= 0:
            raise ValueError("FastSpeech2Config: f0_std_hz and energy_std must be positive")
        for name in ("energy_input_share", "energy_mel_share", "initial_rate_share"):
            if not 0.0 <= getattr(self, name) <= 2.0:
                raise ValueError(f"FastSpeech2Config.{name} must be within [0, 2], got {getattr(self, name)}")

    @property
    def attention_dim(self) -> int:
        return self.heads * self.head_dim
