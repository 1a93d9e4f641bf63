"""Subtitle cues from the synthesizer's own segment timing, written as SRT and WebVTT.

A cue is one segment the synthesizer produced (a sentence, or a piece of a long sentence),
placed where that segment's audio chunk lies in the joined file (``SegmentInfo.start_s`` /
``end_s`` plus the line's offset). The chunk also holds the silence the model put before
the first syllable and the pause after the segment; those are cut off by measuring where
the chunk's samples first and last rise above a low level, so the cue covers the speech.
"""
from __future__ import annotations

import re
from dataclasses import asdict, dataclass
from typing import Iterable

import numpy as np

SILENCE_LEVEL = 0.01       # |sample| above this (about -40 dBFS) counts as sound
SILENCE_WINDOW_S = 0.01    # measured in 10 ms windows
_READING = re.compile(r"\[[^\[\]]*\]")  # pinyin readings 还[huan2] are not shown


@dataclass
class Cue:
    start: float
    end: float
    text: str
    line: int            # script line number
    index: int           # job index (1-based)
    speaker: str

    def to_dict(self) -> dict:
        return asdict(self)


def speech_bounds(chunk: np.ndarray, sample_rate: int) -> tuple[int, int]:
    """(first, last+1) sample of sound in ``chunk``, in whole samples; (0, len) when all quiet."""
    n = len(chunk)
    win = max(1, int(sample_rate * SILENCE_WINDOW_S))
    usable = n - n % win
    if usable == 0:
        return 0, n
    peaks = np.abs(chunk[:usable]).reshape(-1, win).max(axis=1)
    loud = np.flatnonzero(peaks > SILENCE_LEVEL)
    if loud.size == 0:
        return 0, n
    return int(loud[0]) * win, min(n, (int(loud[-1]) + 1) * win)


def cues_from_result(result, speaker: str = "") -> list[Cue]:
    """Sentence cues for one ``SynthesisResult`` (e.g. for ``/synthesize`` to return subtitles):
    each segment's chunk is where its ``SegmentInfo`` says, the cue is the sound inside it."""
    sr = result.sample_rate
    cues = []
    for i, seg in enumerate(result.segments, start=1):
        begin, end = int(round(seg.start_s * sr)), int(round(seg.end_s * sr))
        a, b = speech_bounds(result.wav[begin:end], sr)
        cues.append(Cue(round((begin + a) / sr, 3), round((begin + b) / sr, 3), clean_text(seg.text), 0, i, speaker))
    return cues


def subtitles_for_result(result, fmt: str = "srt", speaker: str = "") -> str:
    """Subtitles for one synthesis as text: ``srt``, ``vtt`` or ``json`` (a list of cues with
    start/end in seconds) - what ``/synthesize`` and the single-text page offer next to the audio."""
    return format_cues(cues_from_result(result, speaker), fmt)


def format_cues(cues: list[Cue], fmt: str) -> str:
    """Cues as ``srt``, ``vtt`` or ``json`` text."""
    import json

    if fmt == "srt":
        return to_srt(cues)
    if fmt == "vtt":
        return to_vtt(cues)
    if fmt == "json":
        return json.dumps(cues_json(cues), ensure_ascii=False)
    raise ValueError(f"unknown subtitle format {fmt!r}; choose srt, vtt or json")


def cues_json(cues: list[Cue]) -> list[dict]:
    return [{"start": c.start, "end": c.end, "text": c.text} for c in cues]


def clean_text(text: str) -> str:
    return " ".join(_READING.sub("", text).split())


def _stamp(seconds: float, sep: str) -> str:
    ms = int(round(max(0.0, seconds) * 1000))
    h, rest = divmod(ms, 3_600_000)
    m, rest = divmod(rest, 60_000)
    s, ms = divmod(rest, 1000)
    return f"{h:02d}:{m:02d}:{s:02d}{sep}{ms:03d}"


def _label(cue: Cue, narrator: str) -> str:
    return cue.text if not cue.speaker or cue.speaker == narrator else f"{cue.speaker}：{cue.text}"


def to_srt(cues: Iterable[Cue], narrator: str = "") -> str:
    blocks = [f"{i}\n{_stamp(c.start, ',')} --> {_stamp(c.end, ',')}\n{_label(c, narrator)}\n"
              for i, c in enumerate(cues, start=1)]
    return "\n".join(blocks)


def to_vtt(cues: Iterable[Cue], narrator: str = "") -> str:
    out = ["WEBVTT", ""]
    for i, c in enumerate(cues, start=1):
        out += [str(i), f"{_stamp(c.start, '.')} --> {_stamp(c.end, '.')}", _label(c, narrator), ""]
    return "\n".join(out)


def parse_srt(text: str) -> list[tuple[float, float, str]]:
    """Read back an SRT file (used by tests and tools): (start, end, text) per cue."""
    cues = []
    for block in text.strip().split("\n\n"):
        rows = block.strip().splitlines()
        m = re.match(r"(\d+):(\d+):(\d+),(\d+) --> (\d+):(\d+):(\d+),(\d+)", rows[1]) if len(rows) >= 3 else None
        if not m:
            raise ValueError(f"bad SRT block: {block!r}")
        g = [int(x) for x in m.groups()]
        cues.append((g[0] * 3600 + g[1] * 60 + g[2] + g[3] / 1000, g[4] * 3600 + g[5] * 60 + g[6] + g[7] / 1000,
                     "\n".join(rows[2:])))
    return cues
