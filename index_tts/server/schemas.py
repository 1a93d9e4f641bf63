"""Request bodies of the HTTP API (pydantic v2) and the mapping to Synthesizer kwargs.

Ranges mirror the Synthesizer contract (docs/ARCHITECTURE.md): speed 0.7–1.3,
pitch 0.8–1.2, pauses 0–2 s, intensity 0–1.  The text length limit is checked by
the route (it is configurable per app), not here.
"""
from __future__ import annotations

import base64
import binascii
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, StrictStr

SPEED_RANGE = (0.7, 1.3)
PITCH_RANGE = (0.8, 1.2)
PAUSE_RANGE = (0.0, 2.0)

#: OpenAI's documented speed range for /v1/audio/speech.
OPENAI_SPEED_RANGE = (0.25, 4.0)
#: OpenAI voice names; they map to the default voice of the loaded bundle.
OPENAI_VOICES = frozenset(
    ["alloy", "ash", "ballad", "cedar", "coral", "echo", "fable", "marin", "nova", "onyx", "sage", "shimmer", "verse"]
)
OPENAI_FORMATS = ("wav", "pcm", "flac")


class SynthesizeRequest(BaseModel):
    """Body of ``POST /synthesize``. Unknown fields are rejected (typos show up)."""

    model_config = ConfigDict(extra="forbid", allow_inf_nan=False)

    text: StrictStr = Field(description="Mandarin text; inline overrides like 还[huan2] allowed")
    speed: float = Field(1.0, ge=SPEED_RANGE[0], le=SPEED_RANGE[1], description="speaking rate ratio")
    pitch: float = Field(1.0, ge=PITCH_RANGE[0], le=PITCH_RANGE[1], description="pitch ratio")
    sentence_pause: float = Field(0.35, ge=PAUSE_RANGE[0], le=PAUSE_RANGE[1], description="seconds")
    comma_pause: float = Field(0.15, ge=PAUSE_RANGE[0], le=PAUSE_RANGE[1], description="seconds")
    emotion: StrictStr | None = Field(None, description="emotion label, see GET /voices")
    intensity: float = Field(0.6, ge=0.0, le=1.0, description="emotion intensity")
    emotion_vector: list[float] | dict[str, float] | None = Field(
        None,
        description="mix of emotions: {emotion: weight} or 8 weights in IndexTTS2 order "
                    "(happy, angry, sad, afraid, disgusted, melancholic, surprised, calm)",
    )
    voice: StrictStr | None = Field(None, description="preset voice, see GET /voices")
    pinyin_overrides: dict[str, str] | None = Field(
        None, description='pronunciation overrides, e.g. {"还": "huan2"}'
    )
    reference_audio_base64: str | None = Field(
        None, description="base64 wav/flac clip to imitate (only if GET /voices says reference_audio)"
    )
    reference_strength: float = Field(0.7, ge=0.0, le=1.0)
    seed: int | None = Field(None, ge=0, le=2**32 - 1)
    format: Literal["wav", "pcm", "flac"] = "wav"
    stream: bool = Field(False, description="send audio segment by segment (wav/pcm; chunked transfer)")
    stream_format: Literal["audio", "sse"] | None = Field(
        None, description='"audio" = raw chunks; "sse" = OpenAI speech.audio.delta events (implies stream)')

    def synth_kwargs(self) -> dict[str, Any]:
        """Keyword arguments for ``Synthesizer.synthesize`` (only what was given)."""
        kw: dict[str, Any] = dict(
            speed=self.speed,
            pitch=self.pitch,
            sentence_pause=self.sentence_pause,
            comma_pause=self.comma_pause,
        )
        if self.emotion is not None:
            kw["emotion_label"] = self.emotion
            kw["intensity"] = self.intensity
        if self.emotion_vector is not None:
            kw["emotion_vector"] = self.emotion_vector
            kw["intensity"] = self.intensity
        if self.voice is not None:
            kw["speaker"] = self.voice
        if self.pinyin_overrides:
            kw["pinyin_overrides"] = self.pinyin_overrides
        if self.seed is not None:
            kw["seed"] = self.seed
        if self.reference_audio_base64:
            kw["reference_audio"] = decode_base64(self.reference_audio_base64)
            kw["reference_strength"] = self.reference_strength
        return kw


class SpeechRequest(BaseModel):
    """Body of ``POST /v1/audio/speech`` (OpenAI compatible; extra fields are ignored)."""

    model_config = ConfigDict(extra="ignore", allow_inf_nan=False)

    model: StrictStr = "index-tts"
    input: StrictStr
    voice: StrictStr | None = None
    speed: float = Field(1.0, ge=OPENAI_SPEED_RANGE[0], le=OPENAI_SPEED_RANGE[1])
    response_format: StrictStr = "wav"
    # OpenAI streams wav/pcm as they are made; "sse" wraps the chunks in speech.audio.delta events.
    stream_format: Literal["audio", "sse"] = "audio"
    stream: bool | None = Field(None, description="false = one complete file (default: stream wav/pcm)")

    def mapped_speed(self) -> float:
        """OpenAI allows 0.25–4.0; the engine 0.7–1.3: clamp into ours."""
        return float(min(max(self.speed, SPEED_RANGE[0]), SPEED_RANGE[1]))


def decode_base64(data: str) -> bytes:
    from ..errors import ReferenceAudioError

    try:
        return base64.b64decode(data, validate=True)
    except (binascii.Error, ValueError) as e:
        raise ReferenceAudioError(f"reference_audio_base64 is not valid base64: {e}") from None
