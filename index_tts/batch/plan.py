"""Turn a parsed script into concrete jobs: one per spoken line, every setting decided.

A job's ``key`` is a hash of everything that changes its audio (text, voice, emotion,
intensity, speed, pitch, pauses, seed, engine). Line files are named by it, so a resumed
batch reuses exactly the lines whose audio would come out the same, and an edited line
is redone. Each line gets its own seed derived from the batch seed and its key, so a line's
audio does not depend on which lines were rendered before it in this process.
"""
from __future__ import annotations

import hashlib
import json
from dataclasses import asdict, dataclass
from typing import Any, Callable, Optional, Sequence, Union

from ..script import AUTO, Pause, Script, ScriptLine, VoiceChoice, assign_voices
from ..limits import LIMITS

Detect = Callable[[str], Any]  # text -> object with .emotion and .intensity (textemotion)


@dataclass(frozen=True)
class Job:
    index: int                      # 1-based position among spoken lines
    lineno: int                     # line in the script file
    character: str
    text: str
    parts: tuple[Union[str, float], ...]
    voice: Optional[str]
    emotion: Optional[str]          # canonical name; None = no emotion (neutral)
    emotion_source: str             # "line" | "cast" | "header" | "auto" | "none"
    intensity: float
    speed: float
    pitch: float
    sentence_pause: float
    comma_pause: float
    gap_before: float               # silence before this line in the joined audio
    seed: int
    chapter: Optional[str]
    is_chapter_title: bool
    key: str

    @property
    def stem(self) -> str:
        return f"{self.index:04d}_{self.key[:12]}"

    def synth_kwargs(self) -> dict[str, Any]:
        kw: dict[str, Any] = dict(speed=self.speed, pitch=self.pitch, sentence_pause=self.sentence_pause,
                                  comma_pause=self.comma_pause, seed=self.seed)
        if self.voice is not None:
            kw["speaker"] = self.voice
        if self.emotion is not None:
            kw.update(emotion_label=self.emotion, intensity=self.intensity)
        return kw

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-able data (for a task queue); ``Job.from_dict`` reverses it."""
        d = asdict(self)
        d["parts"] = list(self.parts)
        return d

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> "Job":
        return cls(**{**d, "parts": tuple(float(p) if isinstance(p, (int, float)) else p for p in d["parts"])})


def _clip(name: str, value: float) -> float:
    lo, hi = LIMITS[name]
    return round(min(hi, max(lo, float(value))), 4)


def _emotion(line: ScriptLine, choice: VoiceChoice, detect: Optional[Detect]) -> tuple[Optional[str], float, str]:
    """(emotion, intensity, source) for a line: the line, else the character, else the header."""
    for value, intensity, source in ((line.emotion, line.intensity, "line"),
                                     (choice.emotion, choice.intensity, "cast"),
                                     (line.settings.emotion, None, "header")):
        if value is None:
            continue
        if value == AUTO:
            if line.is_chapter_title:  # a title like "第二章 消息" is read plainly
                return None, 0.0, "none"
            if detect is None:
                raise ValueError("emotion 'auto' needs the text-emotion detector")
            guess = detect(line.text)
            if guess.emotion == "neutral":
                return None, 0.0, "auto"
            return guess.emotion, float(intensity if intensity is not None else guess.intensity), "auto"
        return value, float(intensity if intensity is not None else
                            (line.intensity if line.intensity is not None else line.settings.intensity)), source
    return None, 0.0, "none"


def make_jobs(script: Script, voices: Sequence[Any], *, engine: str = "", detect: Optional[Detect] = None,
              seed: Optional[int] = None) -> tuple[list[Job], dict[str, VoiceChoice], float]:
    """Jobs in reading order, the cast, and the trailing silence after the last line."""
    cast = assign_voices(script, voices)
    jobs: list[Job] = []
    pending_pause: Optional[float] = None
    for item in script.items:
        if isinstance(item, Pause):
            pending_pause = (pending_pause or 0.0) + item.seconds
            continue
        if not isinstance(item, ScriptLine):
            continue
        st = item.settings
        choice = cast[item.character]
        voice = item.voice or choice.voice
        emotion, intensity, source = _emotion(item, choice, detect)
        speed = _clip("speed", item.speed if item.speed is not None else st.speed * choice.speed)
        pitch = _clip("pitch", item.pitch if item.pitch is not None else st.pitch * choice.pitch)
        gap = pending_pause if pending_pause is not None else (st.line_pause if jobs else 0.0)
        pending_pause = None
        base_seed = st.seed if seed is None else int(seed)
        settings = dict(text=item.text, parts=list(item.parts), voice=voice, emotion=emotion,
                        intensity=round(intensity, 4), speed=speed, pitch=pitch,
                        sentence_pause=st.sentence_pause, comma_pause=st.comma_pause,
                        seed=base_seed, engine=engine)
        key = hashlib.sha256(json.dumps(settings, ensure_ascii=False, sort_keys=True).encode()).hexdigest()
        line_seed = int(key[:8], 16) & 0x7FFFFFFF
        jobs.append(Job(len(jobs) + 1, item.lineno, item.character, item.text, item.parts, voice, emotion,
                        source, round(intensity, 4), speed, pitch, st.sentence_pause, st.comma_pause,
                        gap, line_seed, item.chapter, item.is_chapter_title, key))
    return jobs, cast, pending_pause or 0.0
