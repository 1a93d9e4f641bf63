"""Request bodies of the HTTP API (pydantic v2) and the mapping to Synthesizer kwargs.

Ranges, defaults and descriptions of the synthesis settings are read from the core's
``SETTINGS`` (index_tts/request.py), so a value out of range is a 422 here exactly when the
Synthesizer would refuse it.  The text length limit is checked by the route (it is
configurable per app), not here.
"""
from __future__ import annotations

import base64
import binascii
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, StrictStr

from ..request import SETTINGS, SynthesisRequest
from ..voices import OPENAI_VOICE_PRESETS


def setting_field(name: str, **extra: Any) -> Any:
    """A pydantic field with the core's default, range and description of setting ``name``."""
    s = SETTINGS[name]
    return Field(s.default, ge=s.low, le=s.high, description=f"{s.help}, {s.span}", **extra)


#: OpenAI's documented speed range for /v1/audio/speech.
OPENAI_SPEED_RANGE = (0.25, 4.0)
#: OpenAI voice names; each maps to an installed preset, else the default voice.
OPENAI_VOICES = frozenset(OPENAI_VOICE_PRESETS)  # each maps to a preset (index_tts/voices.py)
OPENAI_FORMATS = ("wav", "pcm", "flac")


class SynthesizeRequest(BaseModel):
    """Body of ``POST /synthesize``. Unknown fields are rejected (typos show up)."""

    model_config = ConfigDict(extra="forbid", allow_inf_nan=False)

    text: StrictStr = Field(description="Mandarin text; inline overrides like 还[huan2] allowed")
    speed: float = setting_field("speed")
    pitch: float = setting_field("pitch")
    sentence_pause: float = setting_field("sentence_pause")
    comma_pause: float = setting_field("comma_pause")
    emotion: StrictStr | None = Field(None, description="emotion label, see GET /voices; with emotion_vector "
                                                        "both count (the core's rule, index_tts/request.py)")
    intensity: float = setting_field("intensity")
    emotion_vector: list[float] | dict[str, float] | None = Field(
        None,
        description="mix of emotions: {emotion: weight} or 8 weights in IndexTTS2 order "
                    "(happy, angry, sad, afraid, disgusted, melancholic, surprised, calm)",
    )
    voice: StrictStr | None = Field(None, description="preset voice, see GET /voices")
    vocoder: StrictStr | None = Field(None, description="vocoder for the student voices (GET /voices: "
                                                         "student_vocoders); omitted: the voice's default")
    pinyin_overrides: dict[str, str] | None = Field(
        None, description='pronunciation overrides, e.g. {"还": "huan2"}'
    )
    reference_audio_base64: str | None = Field(
        None, description="base64 wav/flac clip to imitate (only if GET /voices says reference_audio)"
    )
    reference_strength: float = setting_field("reference_strength")
    timbre_strength: float = setting_field("timbre_strength")
    seed: int | None = setting_field("seed")
    format: Literal["wav", "pcm", "flac"] = "wav"
    subtitles: Literal["srt", "vtt", "json"] | None = Field(
        None, description="answer with JSON: base64 audio plus sentence subtitles in this format (not with stream)")
    stream: bool = Field(False, description="send audio segment by segment (wav/pcm; chunked transfer)")
    stream_format: Literal["audio", "sse"] | None = Field(
        None, description='"audio" = raw chunks; "sse" = OpenAI speech.audio.delta events (implies stream)')

    def synthesis_request(self) -> SynthesisRequest:
        """The core's request for this body (API names: ``emotion`` = emotion_label, ``voice`` = speaker)."""
        reference = decode_base64(self.reference_audio_base64) if self.reference_audio_base64 else None
        return SynthesisRequest(
            self.text, speaker=self.voice, emotion_label=self.emotion, emotion_vector=self.emotion_vector,
            intensity=self.intensity, reference_audio=reference, reference_strength=self.reference_strength,
            timbre_strength=self.timbre_strength,
            speed=self.speed, pitch=self.pitch, sentence_pause=self.sentence_pause, comma_pause=self.comma_pause,
            pinyin_overrides=self.pinyin_overrides or None, seed=self.seed, vocoder=self.vocoder)

    def synth_kwargs(self) -> dict[str, Any]:
        """Keyword arguments for ``Synthesizer.synthesize`` (only what was given)."""
        return self.synthesis_request().to_kwargs()


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
        """OpenAI allows 0.25–4.0; the engine's range is narrower (SETTINGS["speed"]): clamp into ours."""
        s = SETTINGS["speed"]
        return float(min(max(self.speed, s.low), s.high))


def decode_base64(data: str) -> bytes:
    from ..errors import ReferenceAudioError

    try:
        return base64.b64decode(data, validate=True)
    except (binascii.Error, ValueError) as e:
        raise ReferenceAudioError(f"reference_audio_base64 is not valid base64: {e}") from None
