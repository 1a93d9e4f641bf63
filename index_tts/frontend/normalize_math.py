"""Normalisation of school maths, science notation, codes and chat numbers (see normalize.py).

``early(text)`` runs before the general number rules of ``normalize._numbers`` and rewrites
what those rules would misread: sub- and superscript digits (CO₂, 10⁸), powers (2^10), vulgar
fractions (½), a minus before a fraction (-1/2), card numbers in groups of four, codes after
letters and dashes (WO-2024-00135), emergency and service numbers after a dialling verb (打119)
and chat numbers (23333, 666). ``code_after_label`` reads a number that follows a label such
as 邮编： in the previous clause (the colon splits the clause) digit by digit.
"""
from __future__ import annotations

import re

from .numbers import MEASURE_WORDS, read_digits, read_fraction, read_integer

NUM_OPEN, NUM_CLOSE = "\x02", "\x03"

_SUBSCRIPTS = str.maketrans("₀₁₂₃₄₅₆₇₈₉µ", "0123456789μ")  # and the micro sign -> mu
_SUPERSCRIPTS = {"⁰": "0", "¹": "1", "²": "2", "³": "3", "⁴": "4", "⁵": "5", "⁶": "6", "⁷": "7", "⁸": "8",
                 "⁹": "9", "⁻": "-"}
_VULGAR = {"½": ("1", "2"), "⅓": ("1", "3"), "⅔": ("2", "3"), "¼": ("1", "4"), "¾": ("3", "4"),
           "⅕": ("1", "5"), "⅛": ("1", "8")}
# Symbols of school maths, spoken (applied with the other symbols, after the numbers are read).
MATH_SYMBOLS = {"≥": "大于等于", "≤": "小于等于", "≠": "不等于", "≈": "约等于", "√": "根号", "∠": "角",
                "△": "三角形", "∵": "因为", "∴": "所以", "≌": "全等于", "∽": "相似于", "⊥": "垂直于",
                "∥": "平行于", "⩾": "大于等于", "⩽": "小于等于"}
# Emergency and service numbers said digit by digit after a dialling verb (打119, 拨打12345).
_SERVICE = r"110|119|120|122|114|12315|12345|12306|12110|10086|10010|10000|95\d{3}|96\d{3}"
# Labels (as the previous clause ends) whose number is a code: 邮编：310012, 批次号：2024…
_LABEL_TAIL = re.compile(
    r"(?:电话|手机|号码|编号|学号|工号|账号|帐号|卡号|单号|验证码|密码|邮编|邮政编码|尾号|车次|航班|分机|"
    r"身份证|序列号|订单|批号|代码|代号|热线|传真|QQ|qq|微信|ID|id|号)\s*[:：]\s*$")


def _w(reading: str) -> str:
    return f"{NUM_OPEN}{reading}{NUM_CLOSE}"


def _digits(s: str) -> str:
    return _w(read_digits(s, yao=True))


def _power(base: str, exponent: str) -> str:
    neg = exponent.startswith("-")
    n = exponent.lstrip("-")
    return base + "的" + _w(("负" if neg else "") + read_integer(n)) + "次方"


def _superscript_power(m: re.Match) -> str:
    exp = "".join(_SUPERSCRIPTS[ch] for ch in m.group(2))
    base = m.group(1)
    return _power(_w(read_integer(base)) if base.isdigit() else base, exp)


def _not_a_count(text: str, end: int) -> bool:
    """Nothing after ``end`` makes the number a count or an amount (23333人, 666元)."""
    rest = text[end:].lstrip()
    return not rest.startswith(MEASURE_WORDS) and not rest[:1] in ("%", "％", ".", "/", "年", "号", "日")


def early(text: str) -> str:
    text = text.translate(_SUBSCRIPTS)  # H₂O -> H2O (read as H二O)
    # powers: 10⁸, 10⁻⁹, x⁴ (² and ³ alone stay 平方 / 立方 except on 10), 2^10, x^n
    text = re.sub(r"(?<![\d.])(10)([⁻]?[⁰¹²³⁴⁵⁶⁷⁸⁹]+)", _superscript_power, text)
    text = re.sub(r"(?<![\d.])(\d+|[A-Za-z])([⁻]?[⁰¹⁴⁵⁶⁷⁸⁹][⁰¹²³⁴⁵⁶⁷⁸⁹]*|⁻[⁰¹²³⁴⁵⁶⁷⁸⁹]+)", _superscript_power, text)
    text = re.sub(r"(?<![\d.])(\d+|[A-Za-z])\s*\^\s*\(?(-?\d+)\)?",
                  lambda m: _power(_w(read_integer(m.group(1))) if m.group(1).isdigit() else m.group(1),
                                   m.group(2)), text)
    # vulgar fractions ½ ¾; a minus before a fraction (-1/2) is 负
    text = re.sub("[" + "".join(_VULGAR) + "]", lambda m: _w(read_fraction(*_VULGAR[m.group(0)])), text)
    text = re.sub(r"(?<![\dA-Za-z.)）])-(\d+)/(\d+)(?![\d/])", lambda m: _w("负" + read_fraction(m.group(1), m.group(2))),
                  text)
    # card and account numbers in groups of four (6222 0212 3456 7890)
    text = re.sub(r"(?<![\d.])\d{4}(?: \d{4}){3,}(?:\s\d{1,4})?(?![\d.])",
                  lambda m: " ".join(_digits(g) for g in m.group(0).split()), text)
    # a code after letters, in dash-separated digit groups: WO-2024-00135, SN-2023-0915
    text = re.sub(r"(?<=[A-Za-z])-(\d+(?:-\d+)+)(?![\d.])",
                  lambda m: " " + " ".join(_digits(g) for g in m.group(1).split("-")), text)
    # emergency and service numbers after a dialling verb
    text = re.sub(rf"(?<=[打拨叫])(\s*)({_SERVICE})(?![\d.])",
                  lambda m: m.group(1) + _digits(m.group(2)) if _not_a_count(m.string, m.end()) else m.group(0), text)
    # chat: laughter 2333…, praise 666 / 888 (not counts or amounts)
    text = re.sub(r"(?<![\d.¥￥$€£第])(?<!\d[\s-])(2333+|6{3,}|8{3,})(?![\d.]|[\s-]\d)",
                  lambda m: _w(read_digits(m.group(1))) if _not_a_count(m.string, m.end()) else m.group(0), text)
    return text


def code_after_label(clause: str, before: str) -> str:
    """A clause opening with a number of three or more digits, after a clause that ends with a
    label and a colon (邮编：310012, 批次号：20240315A): the number read digit by digit."""
    if not before or not _LABEL_TAIL.search(before):
        return clause
    # (grouped numbers, 4006-123-456 or 6222 0212 …, are left to their own rules)
    return re.sub(r"^(\s*)(\d{3,})(?![\d.]|\s*[-–—]\s*\d|\s\d)", lambda m: m.group(1) + _digits(m.group(2)), clause, count=1)
