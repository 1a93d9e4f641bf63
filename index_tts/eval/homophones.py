"""How many of an ASR's errors are homophones: the voice said the right syllable and tone, and the
recogniser wrote another character that is read that way (章 -> 张, 她 -> 它, 陈默 -> 沉默).

Whisper base has no way to tell such characters apart from the sound alone, so these errors say
something about the recogniser's language model, not about the voice. :func:`split_errors` aligns
each reference with its transcript (the same Levenshtein alignment as the CER), and counts a
one-for-one substitution as a homophone when any dictionary reading of the written character
(pypinyin, with tone) equals the reading our frontend gave the reference character in its
sentence (after tone sandhi: the syllable the voice was asked to say).

Used by ``python -m index_tts.batch.measure`` (the ``homophones`` entry of its report).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from functools import lru_cache
from typing import Iterable

from ..frontend.text import is_hanzi


@dataclass(frozen=True)
class Substitution:
    ref: str          # the character that was meant
    hyp: str          # the character the recogniser wrote
    reading: str      # the reference character's reading in its sentence, e.g. "zhang1"
    homophone: bool   # the written character can be read the same way, tone included


@dataclass(frozen=True)
class ErrorSplit:
    errors: int                 # edit operations, as the CER counts them
    chars: int                  # reference characters
    homophones: int             # substitutions by a character with the same reading and tone
    substitutions: tuple[Substitution, ...] = field(default=())

    @property
    def cer(self) -> float:
        return self.errors / self.chars if self.chars else 0.0

    @property
    def cer_without_homophones(self) -> float:
        return (self.errors - self.homophones) / self.chars if self.chars else 0.0

    def to_dict(self) -> dict:
        return {"errors": self.errors, "chars": self.chars, "homophones": self.homophones,
                "cer": round(self.cer, 4), "cer_without_homophones": round(self.cer_without_homophones, 4),
                "substitutions": [f"{s.ref}->{s.hyp} {s.reading}{' (homophone)' if s.homophone else ''}"
                                  for s in self.substitutions]}


def align(ref: str, hyp: str) -> list[tuple[str, int, int]]:
    """A minimal edit script as (op, i, j): "=" and "sub" pair ref[i] with hyp[j], "del" drops
    ref[i] (j = -1), "ins" adds hyp[j] (i = -1). Its non-"=" steps number the Levenshtein distance."""
    n, m = len(ref), len(hyp)
    cost = [[0] * (m + 1) for _ in range(n + 1)]
    for i in range(n + 1):
        cost[i][0] = i
    for j in range(m + 1):
        cost[0][j] = j
    for i in range(1, n + 1):
        row, prev, a = cost[i], cost[i - 1], ref[i - 1]
        for j in range(1, m + 1):
            row[j] = min(prev[j] + 1, row[j - 1] + 1, prev[j - 1] + (a != hyp[j - 1]))
    steps: list[tuple[str, int, int]] = []
    i, j = n, m
    while i or j:
        if i and j and cost[i][j] == cost[i - 1][j - 1] + (ref[i - 1] != hyp[j - 1]):
            steps.append(("=" if ref[i - 1] == hyp[j - 1] else "sub", i - 1, j - 1))
            i, j = i - 1, j - 1
        elif i and cost[i][j] == cost[i - 1][j] + 1:
            steps.append(("del", i - 1, -1))
            i -= 1
        else:
            steps.append(("ins", -1, j - 1))
            j -= 1
    return steps[::-1]


@lru_cache(maxsize=1)
def _frontend():
    from ..frontend import Frontend

    return Frontend()


def _readings_in_context(text: str) -> list[str]:
    """The reading of each character of ``text`` as our frontend says it (sandhi and neutral tones
    included: what the voice was asked to say); "" for characters that are not Han. Where the
    frontend's syllables cannot be lined up with the characters (erhua), pypinyin's reading."""
    out = [""] * len(text)
    han = [k for k, ch in enumerate(text) if is_hanzi(ch)]
    if not han:
        return out
    chars = "".join(text[k] for k in han)
    said = _frontend()(chars).pinyin
    if len(said) != len(han):
        from pypinyin import Style, lazy_pinyin

        said = lazy_pinyin(chars, style=Style.TONE3, neutral_tone_with_five=True)
    if len(said) == len(han):
        for k, r in zip(han, said):
            out[k] = r
    return out


@lru_cache(maxsize=4096)
def _dictionary_readings(ch: str) -> frozenset[str]:
    from pypinyin import Style, pinyin

    if not is_hanzi(ch):
        return frozenset()
    return frozenset(pinyin(ch, style=Style.TONE3, heteronym=True, neutral_tone_with_five=True)[0])


def split_errors(pairs: Iterable[tuple[str, str]]) -> ErrorSplit:
    """Pool (reference, transcript) pairs, both already normalised for the CER."""
    errors = chars = homophones = 0
    subs: list[Substitution] = []
    for ref, hyp in pairs:
        chars += len(ref)
        readings = _readings_in_context(ref)
        for op, i, j in align(ref, hyp):
            if op == "=":
                continue
            errors += 1
            if op == "sub":
                same = bool(readings[i]) and readings[i] in _dictionary_readings(hyp[j])
                homophones += same
                subs.append(Substitution(ref[i], hyp[j], readings[i], same))
    return ErrorSplit(errors, chars, homophones, tuple(subs))


__all__ = ["ErrorSplit", "Substitution", "align", "split_errors"]
