"""Character cleanup, unreadable-character detection and sentence/clause splitting.

Everything here maps the text one character to one character, so offsets found in the
cleaned text are valid in the original text (used to keep each segment's original text).
"""
from __future__ import annotations

import functools
import re
import unicodedata

HANZI_RANGES = (
    (0x3400, 0x4DBF), (0x4E00, 0x9FFF), (0xF900, 0xFAFF), (0x20000, 0x3134F), (0x3007, 0x3007),
)
PUA_START, PUA_END = 0xE000, 0xF8FF  # private use: reserved for pronunciation overrides

SENTENCE_END = "。！？!?；;…\n"
CLAUSE_PUNCT = "，、：,:"
CLOSERS = "”’」』）)】》〉]}\"'"
# Punctuation and symbols that are known: either spoken by the normaliser or silent marks.
KNOWN_SYMBOLS = frozenset(
    "!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~"
    "。，、；：？！…—–―‐-“”‘’「」『』（）【】《》〈〉〔〕［］｛｝·・•～〜￥¥€£°℃℉²³％‰×÷＝＋－№§¶©®™"
    "㎡㎞㎏㎝㎜㏄㎎㎖π"
    "≥≤≠≈√∠△∵∴≌∽⊥∥⩾⩽½⅓⅔¼¾⅕⅛₀₁₂₃₄₅₆₇₈₉⁰¹⁴⁵⁶⁷⁸⁹⁻Ωμµ"  # maths and science notation (normalize_math)
    "ⅠⅡⅢⅣⅤⅥⅦⅧⅨⅩⅪⅫⅰⅱⅲⅳⅴⅵⅶⅷⅸⅹⅺⅻ"  # Roman numeral signs: read as numbers by the normaliser
)
_INVISIBLE = frozenset("\u200b\u200c\u200d\u2060\ufeff\u00ad\u200e\u200f")


def is_hanzi(ch: str) -> bool:
    cp = ord(ch)
    return any(lo <= cp <= hi for lo, hi in HANZI_RANGES)


def is_override_marker(ch: str) -> bool:
    return PUA_START <= ord(ch) <= PUA_END


def _fold(ch: str) -> str:
    """Full-width ASCII -> ASCII, ideographic space -> space, accented Latin -> base letter."""
    cp = ord(ch)
    if 0xFF01 <= cp <= 0xFF5E:
        return chr(cp - 0xFEE0)
    if cp == 0x3000:
        return " "
    if cp > 0x7F and ch.isalpha() and not is_hanzi(ch):
        base = unicodedata.normalize("NFD", ch)[0]
        if base.isascii() and base.isalpha():
            return base
    return ch


def clean(text: str, allow_markers: bool = False) -> tuple[str, list[str]]:
    """Return (cleaned text of the same length, unreadable characters in order of appearance).

    Unreadable characters (emoji, kana, Hangul, Cyrillic, ...) become spaces and are
    reported; invisible format characters become spaces silently.
    """
    out: list[str] = []
    unknown: list[str] = []
    for ch in text:
        c, readable = _classify(ch, allow_markers)
        if ch == "々" and out and is_hanzi(out[-1]):
            c, readable = out[-1], True  # Japanese iteration mark: repeat the previous character
        out.append(c)
        if not readable:
            unknown.append(ch)
    return "".join(out), unknown


@functools.lru_cache(maxsize=16384)
def _classify(ch: str, allow_markers: bool) -> tuple[str, bool]:
    """What ``clean`` writes for ``ch`` (on its own) and whether ``ch`` is readable."""
    c = _fold(ch)
    if unicodedata.category(c) == "Cc" and c not in "\n\t\r":
        return " ", True  # control characters (also keeps the normaliser's marks private)
    if (
        c.isascii()
        or is_hanzi(c)
        or c in KNOWN_SYMBOLS
        or c.isspace()
        or (allow_markers and is_override_marker(c))
    ):
        return c, True
    if c in _INVISIBLE or unicodedata.category(c) in ("Mn", "Cf", "Cc"):
        return " ", True
    return " ", False


def describe_unknown(chars: list[str], limit: int = 12) -> str:
    """One clear warning naming the skipped characters."""
    seen: list[str] = []
    for ch in chars:
        if ch not in seen:
            seen.append(ch)
    shown = ", ".join(f"'{c}' (U+{ord(c):04X})" for c in seen[:limit])
    more = f" and {len(seen) - limit} more" if len(seen) > limit else ""
    return f"skipped {len(chars)} unreadable character(s): {shown}{more}"


def _is_alnum(ch: str) -> bool:
    return ch.isascii() and ch.isalnum()


def _is_terminator(text: str, i: int) -> bool:
    ch = text[i]
    if ch in SENTENCE_END:
        return True
    if ch == ".":
        prev = text[i - 1] if i > 0 else ""
        nxt = text[i + 1] if i + 1 < len(text) else ""
        if nxt == "." or prev == ".":
            return True  # "..." ellipsis
        return not (_is_alnum(prev) and _is_alnum(nxt))
    return False


def split_sentences(text: str) -> list[tuple[int, int]]:
    """(start, end) spans ending after terminator runs and any closing quotes/brackets."""
    return _split_after(
        text, 0, len(text), lambda i: _is_terminator(text, i),
        lambda j: _is_terminator(text, j) or text[j] in CLOSERS or text[j] in " \t\r",
    )


def _split_after(text: str, start: int, end: int, is_break, absorbs) -> list[tuple[int, int]]:
    """Spans of ``text[start:end]`` cut after each break position plus the run of
    following positions that ``absorbs`` accepts (closing quotes, more punctuation …)."""
    spans: list[tuple[int, int]] = []
    s, i = start, start
    while i < end:
        if is_break(i):
            j = i + 1
            while j < end and absorbs(j):
                j += 1
            spans.append((s, j))
            s = i = j
        else:
            i += 1
    if s < end:
        spans.append((s, end))
    return spans


def _is_clause_break(text: str, i: int) -> bool:
    ch = text[i]
    if ch not in CLAUSE_PUNCT:
        return False
    if ch in ",:":
        prev = text[i - 1] if i > 0 else ""
        nxt = text[i + 1] if i + 1 < len(text) else ""
        if prev.isdigit() and nxt.isdigit():
            return False  # 1,000 / 14:30
    return True


def split_clauses(text: str, start: int, end: int) -> list[tuple[int, int]]:
    """Split ``text[start:end]`` after comma-level punctuation (and following closers)."""
    return _split_after(
        text, start, end, lambda i: _is_clause_break(text, i),
        lambda j: text[j] in CLOSERS or _is_clause_break(text, j),
    )


_QUESTION_END = re.compile(r"[?？][\s”’」』）)】》〉\]\"'!！…。.]*$")
_EXCLAIM_END = re.compile(r"[!！][\s”’」』）)】》〉\]\"'…。.]*$")


def sentence_type(raw_sentence: str) -> str:
    s = raw_sentence.rstrip()
    if _QUESTION_END.search(s):
        return "question"
    if _EXCLAIM_END.search(s):
        return "exclamation"
    if re.search(r"吗[\s”’」』）)】》。.]*$", s):
        return "question"
    return "declarative"
