"""Text normalisation for character error rate (CER) and the CER itself.

The same rule runs on the reference text and on the ASR hypothesis, so that spellings that
sound the same compare equal:

- NFKC (full-width → half-width); a number with thousands separators is an amount, read by
  value (``1,500,000`` → ``一百五十万``), as is a long number before a unit (``20000元``);
- digit groups of a phone number joined: ``400-812-3123`` / ``4001 888 999`` → one digit string;
- currency signs said as their unit (``$25`` → ``25美元``, ``￥30`` → ``30元``) and a rate's
  slash as 每 (``5元/辆`` → ``5元每辆``), as a speaker reads them;
- ``20%`` → ``百分之二十``; clock times ``3:45`` / ``3.45分`` → ``3点45分``, ``9:00`` → ``9点``;
  a colon that cannot be a time is a score or ratio (``98:95`` → ``98比95``); a dash between
  numbers is a range (``8点-9点`` → ``8点到9点``; ``2019-2023年`` → ``2019到2023年``);
- Arabic numbers → Chinese numerals: a 4-digit number before 年, a number with a leading
  zero or right after Latin letters, and any other number of 5+ digits are read digit by digit (``2023年`` → ``二零二三年``,
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
_GROUPED = re.compile(r"(?<![\d,.])\d{1,3}(?:,\d{3})+(?:\.\d+)?(?![\d,])")
# After these a long number is an amount, not a code read digit by digit.
_AMOUNT_UNITS = ("元", "块", "美元", "米", "公里", "千米", "人", "步", "个", "次", "名", "件", "吨", "辆",
                 "台", "户", "份", "张", "字", "斤", "公斤", "平方", "立方", "万", "亿", "倍")
_PERCENT = re.compile(r"(\d+(?:\.\d+)?)\s*%")
_CLOCK = re.compile(r"(?<![\d.])(\d{1,2})(?::|\.(?=\d\d分))(\d\d)(?!\d)(分?)")
_RATIO = re.compile(r"(?<![\d.])(\d+):(\d+)(?![\d:])")
_YEAR_RANGE = re.compile(r"(?<!\d)(\d{4})\s*[-~—–]\s*(\d{4})(?=\s*年)")
_RANGE = re.compile(r"(?<=[\d点分秒元%])\s*[-~—–]\s*(?=\d)")
# A currency sign before an amount is said as its unit after it, unless the unit is already there.
_CURRENCY = tuple((re.compile(re.escape(sign) + r"\s*(\d+(?:\.\d+)?)(?![\d.])(?!\s*" + unit + ")"), unit)
                  for sign, unit in (("US$", "美元"), ("HK$", "港元"), ("$", "美元"), ("¥", "元"), ("￥", "元"),
                                     ("€", "欧元"), ("£", "英镑")))
_RATE = re.compile(r"(\d\s*[\u4e00-\u9fff]{1,3})/(?=[\u4e00-\u9fff])")
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


def _by_value(number: str) -> str:
    """An amount: its value in words whatever its length (``3456000`` → ``三百四十五万六千``)."""
    import cn2an

    integer, dot, frac = number.partition(".")
    if len(integer) > 16:
        return number_to_chinese(number)
    return cn2an.an2cn(integer, "low") + ("点" + digits_to_chinese(frac) if frac else "")


def _clock(m: re.Match) -> str:
    hour, minute = int(m.group(1)), int(m.group(2))
    if hour > 24 or minute > 59:
        return m.group(0)  # not a time: left for the ratio rule (98:95)
    return f"{m.group(1)}点" if minute == 0 and not m.group(3) else f"{m.group(1)}点{m.group(2)}分"


def _currency(text: str) -> str:
    for pattern, unit in _CURRENCY:
        text = pattern.sub(lambda m: m.group(1) + unit, text)
    return text


def _replace_numbers(text: str) -> str:
    out, pos = [], 0
    for m in _NUMBER.finditer(text):
        out.append(text[pos : m.start()])
        after = text[m.end() : m.end() + 2]
        before = text[m.start() - 1 : m.start()]
        if len(m.group().partition(".")[0]) >= 5 and m.group()[0] != "0" and after.startswith(_AMOUNT_UNITS):
            out.append(_by_value(m.group()))
        elif before.isascii() and before.isalpha() and "." not in m.group():
            out.append(digits_to_chinese(m.group()))  # a model or flight number: CA1234, RTX4090
        else:
            out.append(number_to_chinese(m.group(), after[:1]))
        pos = m.end()
    out.append(text[pos:])
    return "".join(out)


def normalize_for_cer(text: str) -> str:
    """Normalise one side (reference or hypothesis) for CER; see the module docstring."""
    if not isinstance(text, str):
        raise TypeError(f"text must be str, got {type(text).__name__}")
    text = unicodedata.normalize("NFKC", text)
    text = _GROUPED.sub(lambda m: _by_value(m.group().replace(",", "")), text)
    text = _DIGIT_GROUPS.sub(lambda m: m.group().replace("-", "").replace(" ", "")
                             if len(m.group()) - m.group().count("-") - m.group().count(" ") >= 10 else m.group(), text)
    text = _currency(text)
    text = _RATE.sub(lambda m: m.group(1) + "每", text)
    text = _PERCENT.sub(lambda m: "百分之" + m.group(1), text)
    text = _CLOCK.sub(_clock, text)
    text = _RATIO.sub(lambda m: f"{m.group(1)}比{m.group(2)}", text)
    text = _YEAR_RANGE.sub(lambda m: f"{digits_to_chinese(m.group(1))}到{m.group(2)}", text)
    text = _RANGE.sub("到", text)
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
