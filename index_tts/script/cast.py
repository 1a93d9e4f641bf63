"""Give every character of a script a voice (any voice the loaded engine lists).

The narrator keeps the narrator voice (``@voice``, else the engine's first voice). Other
characters, in order of first appearance, first get the *unused* voices one each; when
there are more characters than voices, voices are reused with a different pitch/speed
preset so two characters never sound the same. With one voice today every character is
that voice with its own preset; add voices and the same script spreads over them, with no
change to the script. ``@cast 名字: voice=… pitch=… speed=…`` always wins.

Voices that cannot change pitch (those listing "pitch" under ``lacks``) get speed-only
presets. The result depends only on the script and the list of voices (deterministic).
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Iterable, Mapping, Optional, Sequence

from ..errors import UnknownVoiceError
from .model import CastEntry, Script

# (pitch, speed) presets used when a voice is shared; the first is the voice as it is.
PRESETS: tuple[tuple[float, float], ...] = (
    (1.0, 1.0), (1.12, 1.04), (0.88, 0.96), (1.18, 0.97), (0.84, 1.03),
    (1.06, 1.1), (0.94, 0.9), (1.15, 1.1), (0.86, 0.9),
)
SPEED_PRESETS: tuple[float, ...] = (1.0, 1.08, 0.92, 1.15, 0.86, 1.04, 0.96)


@dataclass(frozen=True)
class VoiceChoice:
    character: str
    voice: Optional[str]     # None = the engine's default voice
    pitch: float
    speed: float
    emotion: Optional[str] = None
    intensity: Optional[float] = None
    source: str = "auto"     # "auto" | "cast" (from @cast) | "voice" (the name is a voice id)


def _voice_ids(voices: Iterable[Any]) -> list[str]:
    return [v["id"] if isinstance(v, Mapping) else str(v) for v in voices]


def _can_pitch(voices: Sequence[Any], voice: Optional[str]) -> bool:
    for v in voices:
        if isinstance(v, Mapping) and v.get("id") == voice:
            return "pitch" not in (v.get("lacks") or [])
    return True


def assign_voices(script: Script, voices: Sequence[Any]) -> dict[str, VoiceChoice]:
    """Map every character of ``script`` (and the narrator) to a ``VoiceChoice``.

    ``voices`` is ``Synthesizer.info()["voices"]`` (dicts with ``id``) or plain ids.
    Raises ``UnknownVoiceError`` naming the script line of a voice that does not exist.
    """
    ids = _voice_ids(voices)
    if not ids:
        raise UnknownVoiceError("the engine lists no voices")

    def check(voice: Optional[str], where: str) -> Optional[str]:
        if voice is not None and voice not in ids:
            raise UnknownVoiceError(f"{where}: unknown voice {voice!r}; available: {', '.join(ids)}")
        return voice

    settings = script.settings
    narrator_voice = check(settings.voice, f"{script.source}: @voice") or ids[0]
    out: dict[str, VoiceChoice] = {}
    used: dict[str, int] = {}  # voice -> how many characters share it so far

    def take(voice: str) -> int:
        n = used.get(voice, 0)
        used[voice] = n + 1
        return n

    def from_cast(entry: CastEntry, default_voice: str) -> VoiceChoice:
        voice = check(entry.voice, f"{script.source}:{entry.lineno}: @cast {entry.name}") or default_voice
        n = take(voice)
        pitch, speed = _preset(voices, voice, n)
        return VoiceChoice(entry.name, voice, entry.pitch if entry.pitch is not None else pitch,
                           entry.speed if entry.speed is not None else speed,
                           entry.emotion, entry.intensity, "cast")

    narrator = settings.narrator
    if narrator in script.cast:
        out[narrator] = from_cast(script.cast[narrator], narrator_voice)
    else:
        take(narrator_voice)
        out[narrator] = VoiceChoice(narrator, narrator_voice, 1.0, 1.0, source="auto")
    for name, entry in script.cast.items():  # declared voices are taken before automatic ones
        if name not in out and entry.voice is not None:
            out[name] = from_cast(entry, entry.voice)
    order = [line.character for line in script.lines] + list(script.cast)
    for name in order:
        if name in out:
            continue
        if name in script.cast:
            out[name] = from_cast(script.cast[name], _next_voice(ids, used))
        elif name in ids:  # [zm_yunxi|happy] names a voice directly
            pitch, speed = _preset(voices, name, take(name))
            out[name] = VoiceChoice(name, name, pitch, speed, source="voice")
        else:
            voice = _next_voice(ids, used)
            pitch, speed = _preset(voices, voice, take(voice))
            out[name] = VoiceChoice(name, voice, pitch, speed, source="auto")
    for line in script.lines:
        check(line.voice, f"{script.source}:{line.lineno}: voice=")
    return out


def _next_voice(ids: list[str], used: Mapping[str, int]) -> str:
    """The least-used voice, earliest in the engine's list on ties."""
    return min(ids, key=lambda v: (used.get(v, 0), ids.index(v)))


def _preset(voices: Sequence[Any], voice: str, n: int) -> tuple[float, float]:
    if _can_pitch(voices, voice):
        return PRESETS[n % len(PRESETS)]
    return 1.0, SPEED_PRESETS[n % len(SPEED_PRESETS)]


def describe_cast(cast: Mapping[str, VoiceChoice]) -> list[str]:
    """One readable line per character, for the CLI and the UI."""
    return [f"{c.character}: voice={c.voice} pitch={c.pitch:g} speed={c.speed:g}"
            + (f" emotion={c.emotion}" if c.emotion else "") + f" ({c.source})" for c in cast.values()]
