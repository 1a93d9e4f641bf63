"""Packing a sentence's clauses into synthesis segments of bounded length.

Clauses (split at ，、：) are packed greedily while the total stays within ``max_len``
syllables; a clause that is itself too long is cut at word boundaries into pieces of
similar length (a single word longer than the limit is the only thing ever cut inside).
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field

from .types import Word


@dataclass
class Clause:
    raw: str
    normalized: str
    words: list[Word]

    @property
    def size(self) -> int:
        return sum(len(w) for w in self.words)


@dataclass
class Chunk:
    """Words for one segment plus its texts; ``split_inside`` marks a cut within a clause."""

    raw_parts: list[str] = field(default_factory=list)
    norm_parts: list[str] = field(default_factory=list)
    words: list[Word] = field(default_factory=list)
    split_inside: bool = False

    @property
    def size(self) -> int:
        return sum(len(w) for w in self.words)


def _split_word(w: Word, max_len: int) -> list[Word]:
    out = []
    for i in range(0, len(w.syllables), max_len):
        syls = w.syllables[i:i + max_len]
        out.append(Word(text="".join(s.text for s in syls), syllables=syls, pos=w.pos, kind=w.kind,
                        break_before=w.break_before if i == 0 else 0))
    return out


def _cut_clause(c: Clause, max_len: int) -> list[Chunk]:
    words = [piece for w in c.words for piece in (_split_word(w, max_len) if len(w) > max_len else [w])]
    total = sum(len(w) for w in words)
    target = math.ceil(total / math.ceil(total / max_len))
    pieces: list[list[Word]] = [[]]
    size = 0
    for w in words:
        if pieces[-1] and (size + len(w) > max_len or size >= target):
            pieces.append([])
            size = 0
        pieces[-1].append(w)
        size += len(w)
    chunks = []
    for ws in pieces:
        ws[0].break_before = 0
        text = "".join(w.text for w in ws)
        chunks.append(Chunk(raw_parts=[text], norm_parts=[text], words=ws, split_inside=True))
    return chunks


def pack_clauses(clauses: list[Clause], max_len: int) -> list[Chunk]:
    """Group clauses (dropping empty ones) into chunks of at most ``max_len`` syllables."""
    if max_len < 1:
        raise ValueError("max_len must be positive")
    chunks: list[Chunk] = []
    cur = Chunk()
    for c in clauses:
        if not c.words:
            if cur.words:
                cur.raw_parts.append(c.raw)  # keep the original text complete
            continue
        if c.size > max_len:
            if cur.words:
                chunks.append(cur)
                cur = Chunk()
            chunks.extend(_cut_clause(c, max_len))
            continue
        if cur.words and cur.size + c.size > max_len:
            chunks.append(cur)
            cur = Chunk()
        c.words[0].break_before = 3 if cur.words else 0
        cur.raw_parts.append(c.raw)
        cur.norm_parts.append(c.normalized)
        cur.words.extend(c.words)
    if cur.words:
        chunks.append(cur)
    return chunks
