"""Text normalisation for character error rate (CER) and the CER itself.

The same rule runs on the reference text and on the ASR hypothesis, so that spellings that
sound the same compare equal:

- ``1,500`` → ``1500`` (thousands separators), then NFKC (full-width → half-width);
- digit groups of a phone number joined: ``400-812-3123`` / ``4001 888 999`` → one digit string;
- ``20%`` → ``百分之二十``; clock times ``3:45`` / ``3.45分`` → ``3点45分``;
- Arabic numbers → Chinese numerals: a 4-digit number before 年, a number with a leading
  zero, and any number of 5+ digits are read digit by digit (``2023年`` → ``二零二三年``,
  ``13912345678`` → ``一三九一二三四五六七八``); other numbers by value (``45`` → ``四十五``,
  ``3.5`` → ``三点五``); 〇 → 零 and 幺 → 一 so digit readings agree;
- Latin letters lower-cased;
- everything that is not a letter or a digit (punctuation, symbols, spaces) removed.

CER = Levenshtein distance between the normalised strings / length of the normalised reference.
No torch, no model: cheap to import.
"""
from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

_DIGITS = "零一二三四五六七八九"
_THOUSANDS = re.compile(r"(?<=\d),(?=\d{3}(?!\d))")
_PERCENT = re.compile(r"(\d+(?:\.\d+)?)\s*%")
_CLOCK = re.compile(r"(?<![\d.])(\d{1,2})(?::|\.(?=\d\d分))(\d\d)(?!\d)(分?)")
_NUMBER = re.compile(r"\d+(?:\.\d+)?")
# Digit groups split by hyphens or spaces that make a phone number (400-812-3123, 4001 888 999)
_DIGIT_GROUPS = re.compile(r"(?<![\d.])\d{3,4}(?:[-\s]\d{3,4}){1,2}(?![\d.])")
_CHAR_MAP = str.maketrans({"〇": "零", "幺": "一"})


def digits_to_chinese(digits: str) -> str:
    """Read a string of ASCII digits one by one: ``"1208"`` → ``"一二零八"``."""
    if not digits.isdigit() or not digits.isascii():
        raise ValueError(f"expected ASCII digits, got {digits!r}")
    return "".join(_DIGITS[int(d)] for d in digits)


def number_to_chinese(number: str, next_char: str = "") -> str:
    """Chinese reading of one Arabic number (integer or decimal), the common rule above."""
    integer, dot, frac = number.partition(".")
    if not (integer.isdigit() and integer.isascii()) or (dot and not (frac.isdigit() and frac.isascii())):
        raise ValueError(f"not a number: {number!r}")
    by_digit = len(integer) >= 5 or (len(integer) > 1 and integer[0] == "0")
    if len(integer) == 4 and next_char == "年":
        by_digit = True
    if by_digit:
        head = digits_to_chinese(integer)
    else:
        import cn2an  # small, pure Python; imported here to keep this module light

        head = cn2an.an2cn(integer, "low")
    return head + ("点" + digits_to_chinese(frac) if frac else "")


def _replace_numbers(text: str) -> str:
    out, pos = [], 0
    for m in _NUMBER.finditer(text):
        out.append(text[pos : m.start()])
        out.append(number_to_chinese(m.group(), text[m.end() : m.end() + 1]))
        pos = m.end()
    out.append(text[pos:])
    return "".join(out)


def normalize_for_cer(text: str) -> str:
    """Normalise one side (reference or hypothesis) for CER; see the module docstring."""
    if not isinstance(text, str):
        raise TypeError(f"text must be str, got {type(text).__name__}")
    text = _THOUSANDS.sub("", text)
    text = unicodedata.normalize("NFKC", text)
    text = _DIGIT_GROUPS.sub(lambda m: m.group().replace("-", "").replace(" ", "")
                             if len(m.group()) - m.group().count("-") - m.group().count(" ") >= 10 else m.group(), text)
    text = _PERCENT.sub(lambda m: "百分之" + m.group(1), text)
    text = _CLOCK.sub(lambda m: f"{m.group(1)}点{m.group(2)}分", text)
    text = _replace_numbers(text)
    text = text.translate(_CHAR_MAP).lower()
    return "".join(c for c in text if unicodedata.category(c)[0] in "LN")


def edit_distance(a: str, b: str) -> int:
    """Levenshtein distance (substitutions, insertions, deletions all cost 1)."""
    if len(a) < len(b):
        a, b = b, a
    prev = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        cur = [i]
        for j, cb in enumerate(b, 1):
            cur.append(min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (ca != cb)))
        prev = cur
    return prev[-1]


@dataclass(frozen=True)
class CERCounts:
    edits: int
    ref_len: int
    ref_norm: str
    hyp_norm: str

    @property
    def cer(self) -> float:
        return self.edits / self.ref_len


def cer_counts(ref: str, hyp: str) -> CERCounts:
    """Edit count and normalised reference length (for corpus-level, length-weighted CER)."""
    r, h = normalize_for_cer(ref), normalize_for_cer(hyp)
    if not r:
        raise ValueError(f"reference {ref!r} has no characters left after normalisation")
    return CERCounts(edit_distance(r, h), len(r), r, h)


def cer(ref: str, hyp: str) -> float:
    """Character error rate of ``hyp`` against ``ref`` after normalising both (may exceed 1)."""
    return cer_counts(ref, hyp).cer
