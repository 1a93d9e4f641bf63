"""Typed results of the frontend (public) and the word/syllable records used inside it."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Optional

SENTENCE_TYPES = ("declarative", "question", "exclamation")
PAUSES = ("none", "comma", "phrase", "sentence")


@dataclass(frozen=True)
class Segment:
    """One synthesis unit (a sentence or a piece of a long sentence).

    All per-phone lists (``phones``, ``ids``, ``tones``, ``syllable_index``, ``word_index``)
    have the same length. ``pinyin`` has one entry per syllable (erhua written ``wanr2``).

    A piece cut out of a longer sentence has ``ends_sentence=False`` and, except at the end of
    the text, a look-ahead context: ``phones[context_start:]`` are the first word(s) of the
    next segment (plus the closing sil/eos) that the model reads but whose audio is dropped;
    their ``syllable_index``/``word_index`` are -1 and ``pinyin``/``words`` leave them out.
    ``pause_after``: "sentence" after a sentence end, "comma" after a cut at punctuation,
    "phrase" after a cut at a prosodic boundary without punctuation.
    """

    text: str
    normalized: str
    phones: list[str]
    ids: list[int]
    tones: list[int]
    syllable_index: list[int]
    words: list[str]
    word_index: list[int]
    sentence_type: str = "declarative"
    pause_after: str = "none"
    pinyin: list[str] = field(default_factory=list)
    ends_sentence: bool = True
    context_start: Optional[int] = None

    def __post_init__(self) -> None:
        n = len(self.phones)
        if self.context_start is not None and not 0 < self.context_start < n:
            raise ValueError(f"context_start {self.context_start} outside the {n} phones")
        for name in ("ids", "tones", "syllable_index", "word_index"):
            if len(getattr(self, name)) != n:
                raise ValueError(f"Segment.{name} has {len(getattr(self, name))} entries, phones has {n}")
        if self.sentence_type not in SENTENCE_TYPES:
            raise ValueError(f"bad sentence_type {self.sentence_type!r}")
        if self.pause_after not in PAUSES:
            raise ValueError(f"bad pause_after {self.pause_after!r}")

    @property
    def n_syllables(self) -> int:
        return len(self.pinyin)


@dataclass(frozen=True)
class Utterance:
    text: str
    segments: list[Segment]
    warnings: list[str] = field(default_factory=list)

    @property
    def phones(self) -> list[str]:
        """All segments' phones concatenated (debugging / display)."""
        return [p for s in self.segments for p in s.phones]

    @property
    def pinyin(self) -> list[str]:
        """All segments' toned syllables concatenated (``ni3``, ``hao3``; audits and evaluation)."""
        return [p for s in self.segments for p in s.pinyin]


# ---------------------------------------------------------------- internal records


@dataclass
class Syllable:
    """A spoken syllable: toneless pinyin (``hang``), current tone and provenance."""

    text: str
    base: str
    tone: int
    orig_tone: int = 0
    erhua: bool = False
    locked: bool = False  # user override: sandhi must not change it
    letter: bool = False  # part of a spelled Latin letter / word

    def __post_init__(self) -> None:
        if not self.orig_tone:
            self.orig_tone = self.tone

    @property
    def pinyin(self) -> str:
        return f"{self.base}{'r' if self.erhua else ''}{self.tone}"


@dataclass
class Word:
    """A lexical word (jieba word, spelled letter token or override chunk)."""

    text: str
    syllables: list[Syllable]
    pos: str = ""
    kind: str = "hanzi"  # "hanzi" | "letters" | "override"
    break_before: int = 0  # minimum break before this word: 3 punctuation, 2 soft boundary

    def __len__(self) -> int:
        return len(self.syllables)
