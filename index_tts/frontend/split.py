"""Cutting one sentence into synthesis segments the voice can say.

A voice has a safe segment length (measured per bundle: past it the acoustic model's output
turns to mush). A sentence within that length stays one segment. A longer one is cut at the
strongest boundaries available, chosen together by a small dynamic programme:

    colon  >  comma / 顿号  >  prosodic phrase (#2)  >  prosodic word (#1)  >  inside a
    prosodic word (#0)  >  inside an over-long word (digit or letter strings only)

while keeping the number of segments low and their lengths even. Every non-final piece also
gets a short *look-ahead context* (the first prosodic word of the next piece): the model reads
it, so the piece does not end like an utterance (no sentence-final fall), and the Synthesizer
drops its audio at the cut.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Optional

from .errors import FrontendError
from .partition import best_partition
from .types import Word

# Cost of cutting at a gap of each kind (lower = better place to cut).
CUT_COST = {"colon": -1.0, 3: 0.0, 2: 6.0, 1: 14.0, 0: 30.0, "split": 80.0}
PIECE_COST = 2.0  # per segment: fewer segments when the boundaries are equally good
BALANCE_COST = 2.0  # x (size / limit)^2: prefer even lengths
SHORT_PIECE = 3  # pieces below this many syllables ...
SHORT_COST = 2.0  # ... cost this much more
CONTEXT_MAX = 4  # look-ahead context: at most this many syllables
MIN_SEGMENT_LIMIT = 4  # the smallest segment limit anyone (config, bundle, caller) may set


def check_segment_limit(value: object) -> int:
    """A segment limit in syllables as an int; FrontendError (a ValueError) when too small."""
    limit = int(value)  # type: ignore[call-overload]
    if limit < MIN_SEGMENT_LIMIT:
        raise FrontendError(f"max_segment_syllables must be at least {MIN_SEGMENT_LIMIT}, got {value!r}")
    return limit


@dataclass
class Clause:
    raw: str
    normalized: str
    words: list[Word]

    @property
    def size(self) -> int:
        return sum(len(w) for w in self.words)


@dataclass
class Piece:
    """Words ``[start, end)`` of a sentence, its texts, and the look-ahead context after it."""

    start: int
    end: int
    raw: str
    normalized: str
    cut_level: int = 0  # break level of the gap after the piece (3 = punctuation)
    context: list[Word] = field(default_factory=list)  # look-ahead context (first words of the next piece)


def split_long_words(words: list[Word], max_len: int) -> tuple[list[Word], set[int]]:
    """Cut words longer than ``max_len`` syllables (long digit/letter strings) into pieces.

    Returns the new word list and the gap indices (gap k lies after word k) that fall inside
    an original word.
    """
    out: list[Word] = []
    inside: set[int] = set()
    for w in words:
        if len(w) <= max_len:
            out.append(w)
            continue
        for i in range(0, len(w.syllables), max_len):
            syls = w.syllables[i:i + max_len]
            if i:
                inside.add(len(out) - 1)
            out.append(Word(text="".join(s.text for s in syls), syllables=syls, pos=w.pos, kind=w.kind,
                            break_before=w.break_before if i == 0 else 0))
    return out, inside


def plan_cuts(sizes: list[int], gap_kinds: list[object], max_len: int,
              bias: Optional[list[float]] = None) -> list[int]:
    """Gap indices to cut at so that every piece has at most ``max_len`` syllables.

    ``sizes``: syllables per word; ``gap_kinds[k]``: the kind of the gap after word k (a key
    of CUT_COST); ``bias[k]``: extra cost of cutting there (see ``gap_bias``). Every word must
    fit (``split_long_words`` first).
    """
    if max_len < 1:
        raise ValueError("max_len must be positive")
    if any(s > max_len for s in sizes):
        raise ValueError("a word is longer than max_len; split it first")
    if sum(sizes) <= max_len:
        return []

    def piece(size: int) -> float:
        return PIECE_COST + BALANCE_COST * (size / max_len) ** 2 + (SHORT_COST if size < SHORT_PIECE else 0.0)

    def cut(k: int) -> float:
        return CUT_COST[gap_kinds[k]] + (bias[k] if bias else 0.0)

    return best_partition(sizes, max_len, piece, cut)


# Words that bind to what follows (a cut right after them splits a phrase: 自己的 | 注意力,
# 属于 | 自己, 在 | 家里) and words that open a new phrase (a cut right before them is natural).
BINDS_RIGHT = frozenset("的 地 之 是 在 把 被 给 对 向 和 与 跟 及 从 为 让 比 属于 关于 通过 按照 根据 作为 一个 这个 那个 每个".split())
WEAK_BIND_COST = 8.0
OPENS_PHRASE_BONUS = 3.0


def gap_bias(words: list[Word], opens_phrase: frozenset[str]) -> list[float]:
    """Extra cut cost per gap from the words on either side (negative = a good place)."""
    out = []
    for k in range(len(words) - 1):
        w = words[k]
        binds = w.text in BINDS_RIGHT or (w.kind == "hanzi" and (
            w.pos.startswith(("m", "q")) or (len(w) == 1 and w.pos.startswith(("a", "p")))))
        b = WEAK_BIND_COST if binds else 0.0  # 两款 | 产品, 新 | 产品, 在 | 家里
        if words[k + 1].text in opens_phrase:
            b -= OPENS_PHRASE_BONUS
        out.append(b)
    return out


def context_words(words: list[Word], breaks: list[int], start: int, budget: int) -> list[Word]:
    """The look-ahead context that starts at word ``start``: its first prosodic word (words
    joined by #0), at most ``budget`` syllables; a first word longer than that contributes
    its first ``budget`` syllables."""
    out: list[Word] = []
    size, k = 0, start
    while k < len(words) and size + len(words[k]) <= budget:
        out.append(words[k])
        size += len(words[k])
        k += 1
        if k < len(words) and breaks[k - 1] >= 1:
            break
    if not out and start < len(words):
        w = words[start]
        syls = w.syllables[:budget]
        out.append(Word(text="".join(s.text for s in syls), syllables=syls, pos=w.pos, kind=w.kind))
    return out


def context_budget(max_len: int) -> int:
    """Syllables kept free for the look-ahead context inside a segment of ``max_len``."""
    return max(1, min(CONTEXT_MAX, max_len // 4))
