"""Pinyin syllable parsing and the (initial, final) decomposition of the Baker set.

Conventions: zero-initial syllables get ``^`` (``wen -> ^ uen``, ``yu -> ^ v``),
``zi/ci/si`` take final ``ii``, ``zhi/chi/shi/ri`` take ``iii``, ``j/q/x + u -> v``,
``ui -> uei``, ``un -> uen``, ``iu -> iou``, ``ü`` is written ``v``.
"""
from __future__ import annotations

import functools
import re

from .errors import PinyinError
from .symbols import FINALS, ZERO_INITIAL

_INITIALS_BY_LENGTH = (
    "zh", "ch", "sh",
    "b", "p", "m", "f", "d", "t", "n", "l", "g", "k", "h", "j", "q", "x", "r", "z", "c", "s",
)
_FINAL_SET = frozenset(FINALS)
# Interjections without a regular final (嗯 n/ng, 呣 m, 噷 hm, 哼 hng) and ê.
_SPECIAL = {
    "n": ("^", "en"), "ng": ("^", "en"), "m": ("m", "u"), "hm": ("h", "en"),
    "hng": ("h", "eng"), "ê": ("^", "ei"), "r": ("^", "er"),
}
_SYLLABLE_RE = re.compile(r"^([a-zü:ê]+?)([0-5])?$")
_TONE_MARKS = {
    "ā": ("a", 1), "á": ("a", 2), "ǎ": ("a", 3), "à": ("a", 4),
    "ē": ("e", 1), "é": ("e", 2), "ě": ("e", 3), "è": ("e", 4),
    "ī": ("i", 1), "í": ("i", 2), "ǐ": ("i", 3), "ì": ("i", 4),
    "ō": ("o", 1), "ó": ("o", 2), "ǒ": ("o", 3), "ò": ("o", 4),
    "ū": ("u", 1), "ú": ("u", 2), "ǔ": ("u", 3), "ù": ("u", 4),
    "ǖ": ("v", 1), "ǘ": ("v", 2), "ǚ": ("v", 3), "ǜ": ("v", 4),
}


def _clean(base: str) -> str:
    return base.lower().replace("u:", "v").replace("ü", "v")


@functools.lru_cache(maxsize=4096)
def decompose(base: str) -> tuple[str, str]:
    """Split a toneless syllable into (initial, final), e.g. ``"jun" -> ("j", "vn")``."""
    s = _clean(base)
    if s in _SPECIAL:
        return _SPECIAL[s]
    if not s or not s.isascii() or not s.isalpha():
        raise PinyinError(f"not a pinyin syllable: {base!r}")
    if s[0] == "y":
        rest = s[1:]
        if rest.startswith(("u", "v")):
            final = "v" + rest[1:]
        elif rest.startswith("i"):
            final = rest
        elif rest in ("ou", "o"):
            final = "iou"
        else:
            final = "i" + rest
        initial = ZERO_INITIAL
    elif s[0] == "w":
        rest = s[1:]
        final = {"u": "u", "ei": "uei", "en": "uen", "eng": "ueng", "o": "uo"}.get(rest, "u" + rest)
        initial = ZERO_INITIAL
    else:
        initial = next((i for i in _INITIALS_BY_LENGTH if s.startswith(i) and len(s) > len(i)), "")
        final = s[len(initial):]
        if not initial:
            initial = ZERO_INITIAL
        elif initial in ("j", "q", "x") and final.startswith("u"):
            final = "v" + final[1:]
        elif final == "i" and initial in ("z", "c", "s"):
            final = "ii"
        elif final == "i" and initial in ("zh", "ch", "sh", "r"):
            final = "iii"
        final = {"ui": "uei", "un": "uen", "iu": "iou", "ue": "ve"}.get(final, final)
    if final not in _FINAL_SET:
        raise PinyinError(f"not a pinyin syllable: {base!r} (final {final!r})")
    return initial, final


def parse_syllable(text: str, default_tone: int | None = None) -> tuple[str, int]:
    """Parse ``"hang2"`` / ``"lü4"`` / ``"háng"`` into (toneless base, tone 1-5).

    Tone 0 and 5 both mean neutral. A syllable without a tone raises unless
    ``default_tone`` is given. The base is validated with :func:`decompose`.
    """
    s = text.strip().lower()
    tone = None
    marked = "".join(_TONE_MARKS.get(ch, (ch, None))[0] for ch in s)
    marks = [_TONE_MARKS[ch][1] for ch in s if ch in _TONE_MARKS]
    if marks:
        if len(marks) > 1:
            raise PinyinError(f"more than one tone mark in {text!r}")
        s, tone = marked, marks[0]
    m = _SYLLABLE_RE.match(s)
    if not m:
        raise PinyinError(f"not a pinyin syllable: {text!r}")
    base, digit = m.group(1), m.group(2)
    if digit is not None:
        if tone is not None:
            raise PinyinError(f"both a tone mark and a tone number in {text!r}")
        tone = int(digit) or 5
    if tone is None:
        if default_tone is None:
            raise PinyinError(f"pinyin {text!r} has no tone (write e.g. {text}4, or 5 for neutral)")
        tone = default_tone
    base = _clean(base)
    decompose(base)
    return base, tone
