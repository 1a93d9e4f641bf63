"""What a parsed script is made of (pure data, no torch).

A script is a list of items in reading order: spoken ``ScriptLine``s, ``Pause``s and
``Chapter`` markers. Each item remembers the line (1-based) it came from, so every later
message (an unknown voice, a failed synthesis) can point back at the script.
"""
from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Optional, Union

from ..request import DEFAULTS

NARRATOR = "旁白"
AUTO = "auto"  # an emotion chosen from the text itself (index_tts/textemotion)


@dataclass(frozen=True)
class Settings:
    """Defaults in force at a point of the script (set by ``@key: value`` directives)."""

    narrator: str = NARRATOR
    voice: Optional[str] = None        # the narrator's voice; None = the engine's default voice
    emotion: Optional[str] = None      # canonical emotion name, AUTO, or None (no emotion)
    intensity: float = DEFAULTS.intensity  # the synthesis defaults (index_tts/request.py)
    speed: float = DEFAULTS.speed
    pitch: float = DEFAULTS.pitch
    sentence_pause: float = DEFAULTS.sentence_pause
    comma_pause: float = DEFAULTS.comma_pause
    line_pause: float = 0.4            # silence between two spoken lines in the joined audio
    chapter_pause: float = 1.2         # silence after a chapter title
    read_chapters: bool = True         # speak chapter titles (with the narrator's voice)
    auto_cast: bool = True             # ``名字：台词`` with an undeclared name creates a character
    seed: int = 0
    title: str = ""

    def with_(self, **changes) -> "Settings":
        return replace(self, **changes)


@dataclass(frozen=True)
class CastEntry:
    """What ``@cast 名字: voice=… pitch=… speed=… emotion=…`` fixed for one character."""

    name: str
    voice: Optional[str] = None
    pitch: Optional[float] = None
    speed: Optional[float] = None
    emotion: Optional[str] = None
    intensity: Optional[float] = None
    lineno: int = 0


@dataclass(frozen=True)
class Pause:
    seconds: float
    lineno: int


@dataclass(frozen=True)
class Chapter:
    title: str
    lineno: int


@dataclass(frozen=True)
class ScriptLine:
    """One spoken line. ``parts`` is the text split at inline ``[pause …]`` tags:
    strings to speak and floats (seconds of silence), in order."""

    lineno: int
    character: str
    text: str                               # what is spoken (inline pauses removed)
    parts: tuple[Union[str, float], ...]
    settings: Settings
    emotion: Optional[str] = None           # written on the line: canonical name or AUTO
    intensity: Optional[float] = None       # written on the line
    speed: Optional[float] = None           # written on the line
    pitch: Optional[float] = None           # written on the line
    voice: Optional[str] = None             # a voice id written directly in ``[voice|…]``
    chapter: Optional[str] = None           # title of the chapter the line belongs to
    is_chapter_title: bool = False


Item = Union[ScriptLine, Pause, Chapter]


@dataclass
class Script:
    items: list[Item]
    cast: dict[str, CastEntry] = field(default_factory=dict)
    settings: Settings = field(default_factory=Settings)   # the header (before the first line)
    source: str = "<script>"

    @property
    def lines(self) -> list[ScriptLine]:
        return [it for it in self.items if isinstance(it, ScriptLine)]

    @property
    def characters(self) -> list[str]:
        """Speaking characters in order of first appearance (lines that name a voice id directly
        with ``voice=`` are not counted)."""
        seen: list[str] = []
        for line in self.lines:
            if line.voice is None and line.character not in seen:
                seen.append(line.character)
        return seen

    @property
    def chapters(self) -> list[Chapter]:
        return [it for it in self.items if isinstance(it, Chapter)]
