"""Text normalisation: numbers, dates, times, money, units and symbols -> speakable Chinese.

``normalize(clause)`` takes one clause of cleaned text (see ``text.clean``) and returns a
string containing only Hanzi, Latin letters (spelled later by the G2P), override markers,
spaces (soft boundaries), ``，`` (an internal pause, e.g. from a dash) and number readings
wrapped in ``NUM_OPEN``/``NUM_CLOSE`` (one word each). The rules are
applied in a fixed order, most specific first.
"""
from __future__ import annotations

import math
import re
from typing import Callable

from .normalize_math import MATH_SYMBOLS, code_after_label, early
from .numbers import MEASURE_WORDS, read_decimal, read_digits, read_fraction, read_integer
from .text import is_hanzi, is_override_marker

_NUM = r"\d+(?:\.\d+)?"
_DASH = r"[-~—–〜―]"

# Measure words after which a bare 2 is read 两 (and a lone 1 takes the 一 sandhi).
_LIANG_NEXT = MEASURE_WORDS
_NOT_LIANG_NEXT = ("年级", "分之", "点零", "号")

_KEYWORDS = (
    "电话|手机|号码|房间|房号|门牌|编号|学号|工号|账号|帐号|卡号|单号|验证码|密码|邮编|尾号|"
    "车次|航班|分机|身份证|序列号|订单|批号|代码|代号|车牌|热线|拨打|致电|传真|QQ|qq|微信|ID|id|"
    "取件码|取货码|提货码|兑换码|邀请码|优惠码|激活码|识别码|校验码|条形码|条码|"
    # the last / first digits of a number: 卡号后四位是8866, 末4位为1234
    "[前后末尾]\\s*[0-9一二两三四五六七八九十]{1,2}\\s*位(?:数字|号码|数)?"
)

_UNITS = (
    ("m/s²", "米每二次方秒"), ("g/cm³", "克每立方厘米"), ("kg/m³", "千克每立方米"), ("N·m", "牛米"),
    ("N/kg", "牛每千克"), ("kPa", "千帕"), ("MPa", "兆帕"), ("hPa", "百帕"), ("Pa", "帕"), ("μm", "微米"),
    ("μg", "微克"), ("mol", "摩尔"), ("kJ", "千焦"), ("kΩ", "千欧"), ("Ω", "欧姆"), ("N", "牛"), ("J", "焦"),
    ("mmol/L", "毫摩尔每升"), ("μmol/L", "微摩尔每升"), ("mmHg", "毫米汞柱"), ("bps", "个基点"), ("bp", "个基点"),
    ("km/h", "公里每小时"), ("m/s", "米每秒"), ("km²", "平方公里"), ("m²", "平方米"),
    ("cm²", "平方厘米"), ("cm³", "立方厘米"), ("mm²", "平方毫米"), ("mm³", "立方毫米"), ("dm²", "平方分米"),
    ("dm³", "立方分米"), ("km³", "立方公里"), ("m³", "立方米"), ("㎡", "平方米"), ("㎥", "立方米"), ("㎠", "平方厘米"),
    ("㎤", "立方厘米"), ("㎟", "平方毫米"), ("㎢", "平方公里"), ("㎞", "公里"), ("㎏", "公斤"),
    ("㎝", "厘米"), ("㎜", "毫米"), ("㏄", "毫升"), ("㎎", "毫克"), ("㎖", "毫升"),
    ("kWh", "千瓦时"), ("mAh", "毫安时"), ("GHz", "吉赫兹"), ("MHz", "兆赫兹"), ("kHz", "千赫兹"),
    ("Hz", "赫兹"), ("km", "公里"), ("kg", "公斤"), ("cm", "厘米"), ("mm", "毫米"), ("nm", "纳米"),
    ("ml", "毫升"), ("mL", "毫升"), ("mg", "毫克"), ("kW", "千瓦"), ("dB", "分贝"), ("ms", "毫秒"),
    ("min", "分钟"), ("℃", "摄氏度"), ("°C", "摄氏度"), ("℉", "华氏度"), ("°F", "华氏度"),
    ("°", "度"), ("m", "米"), ("g", "克"), ("L", "升"), ("h", "小时"), ("W", "瓦"), ("V", "伏"),
)
_UNIT_ALT = "|".join(re.escape(u) for u, _ in _UNITS)
_UNIT_RE = re.compile(r"(?:(?<=\d)|(?<=\d[万亿])|(?<=次方))\s*(" + _UNIT_ALT + r")(?![A-Za-z])")
# a rate per unit sign after an amount and its word: 32000元/㎡ -> 元每平方米, 6元/kg, 120次/min
_RATE_UNIT_RE = re.compile(r"(\d\s*[\u4e00-\u9fff]{1,3})/\s*(" + _UNIT_ALT + r")(?![A-Za-z])")
_UNIT_MAP = dict(_UNITS)

_SYMBOLS = {
    "+": "加", "=": "等于", "&": "和", "@": "艾特", "×": "乘", "÷": "除以", ">": "大于",
    "<": "小于", "±": "正负", "°": "度", "℃": "摄氏度", "℉": "华氏度", "‰": "千分之", "π": "派",
    "㎡": "平方米", "㎥": "立方米", "㎢": "平方公里", "㎞": "公里", "㎏": "公斤",  # unit signs without a number
    **MATH_SYMBOLS,
}
_PAUSE_DASH = re.compile(r"(?:——|--+|—|―|……|…)")
# Every number reading is wrapped in NUM_OPEN/NUM_CLOSE so the G2P keeps it as one word.
NUM_OPEN, NUM_CLOSE = "\x02", "\x03"
_NOT_DIGIT = r"(?<![A-Za-z0-9.])"


def _w(reading: str) -> str:
    return f"{NUM_OPEN}{reading}{NUM_CLOSE}"


def _digit_words(s: str, yao: bool = True) -> str:
    """Digit-by-digit reading, long strings in groups of at most four (one word each)."""
    digits = "".join(c for c in s if c.isdigit())
    n_groups = max(1, math.ceil(len(digits) / 4))
    size, extra = divmod(len(digits), n_groups)
    out, pos = [], 0
    for g in range(n_groups):
        k = size + (1 if g < extra else 0)
        out.append(_w(read_digits(digits[pos:pos + k], yao=yao)))
        pos += k
    return "".join(out)


def _hotline(groups: tuple[str, ...]) -> str:
    """Digit groups of a service number, a short phrase pause (space) between groups."""
    if sum(len(g) for g in groups) != 10:
        return "-".join(groups)  # not a hotline after all: leave it to the other rules
    return _digit_groups(groups)


def _digit_groups(groups: tuple[str, ...]) -> str:
    """Each group digit by digit (幺 for 1), a short phrase pause (space) between groups."""
    return " ".join(_w(read_digits(g, yao=True)) for g in groups)


def _sub(pattern: str, repl: Callable[[re.Match], str] | str, text: str, flags: int = 0) -> str:
    return re.sub(pattern, repl, text, flags=flags)


def _date(m: re.Match) -> str:
    y, mo, d = m.group(1), int(m.group(2)), int(m.group(3))
    if not (1 <= mo <= 12 and 1 <= d <= 31):
        return m.group(0)
    return f"{_w(read_digits(y))}年{_w(read_integer(str(mo)))}月{_w(read_integer(str(d)))}日"


def _time(m: re.Match) -> str:
    h, mi, sec = int(m.group(1)), int(m.group(2)), m.group(3)
    if h > 24 or mi > 59 or (sec is not None and int(sec) > 59):
        return m.group(0)
    out = _w(read_integer(str(h), liang=True)) + "点"
    if mi:
        out += _w(("零" if mi < 10 else "") + read_integer(str(mi))) + "分"
    if sec is not None and int(sec):
        out += _w(read_integer(sec)) + "秒"
    return out


def _blood_pressure(m: re.Match) -> str:
    lead, high, low, unit = m.groups()
    if lead is None and unit is None:  # neither after 血压 nor before its unit: not a blood pressure
        return m.group(0)
    return (lead or "") + _w(read_integer(high)) + " " + _w(read_integer(low)) + ("毫米汞柱" if unit else "")


def _digits_yao(m: re.Match) -> str:
    return "".join(_digit_words(g) for g in m.groups() if g)


_RANGE_TAIL = re.compile(rf"^(?:到|至|{_DASH})\s*\d+(?:\.\d+)?\s*")


def _liang_ok(text: str, start: int, end: int) -> bool:
    prev = text[start - 1] if start else ""
    if prev and (prev in "第点." or prev.isdigit() or (prev.isascii() and prev.isalpha())):
        return False  # 第2, 2.2, a code after a letter: B2层, A2栋
    rest = text[end:].lstrip()
    rest = _RANGE_TAIL.sub("", rest, count=1)  # 2到3个, 2-3人: the range's measure word counts
    return rest.startswith(_LIANG_NEXT) and not rest.startswith(_NOT_LIANG_NEXT)


def _integer(m: re.Match) -> str:
    s = m.group(0)
    liang = s == "2" and _liang_ok(m.string, m.start(), m.end())
    return _w(read_integer(s, liang=liang))


def _percent(m: re.Match) -> str:
    sign = "负" if m.group(1) else ""
    return _w(f"{sign}百分之{_number(m.group(2))}")


def _number(s: str) -> str:
    return read_decimal(s) if "." in s else read_integer(s)


def _year_range(m: re.Match) -> str:
    a, b = m.group(1), m.group(2)
    if not 0 < int(b) - int(a) <= 100:
        return m.group(0)
    return f"{_w(read_digits(a))}到{_w(read_digits(b))}"


def _meridiem(m: re.Match) -> str:
    """9:00AM -> 上午9:00, 3pm -> 下午3点 (the clock rule reads the time)."""
    h, mi, half = int(m.group(1)), m.group(2), m.group(3).lower()
    if not 1 <= h <= 12:
        return m.group(0)
    when = "上午" if half == "a" else "中午" if h == 12 else "下午"
    return when + (f"{h}:{mi}" if mi else f"{h}点")


def _duration(m: re.Match) -> str:
    """A clock-like figure after 时长/用时 is a duration: 05:32 -> 五分三十二秒, 1:20:30 -> 一小时…"""
    parts = [int(x) for x in m.groups()[2:] if x is not None]
    if any(p > 59 for p in parts[1:]):
        return m.group(0)
    units = ("小时", "分", "秒")[3 - len(parts):]
    out = "".join(_w(read_integer(str(p), liang=True)) + u for p, u in zip(parts, units) if p)
    return m.group(1) + m.group(2) + (out or _w("零") + units[-1])


def _numbers(text: str) -> str:
    # Roman numeral signs (第Ⅱ卷, Ⅲ期): their value, then read as any number
    text = _sub(r"[\u2160-\u216b\u2170-\u217b]", lambda m: str(ord(m.group(0)) % 16 + 1), text)
    text = early(text)  # sub/superscripts, powers, ½, card numbers, letter-dash codes, 打119, 666
    # dates: 2023-09-23, 2023/9/23, 2023.9.23
    text = _sub(r"(?<![\d.])(\d{4})[-/.](\d{1,2})[-/.](\d{1,2})(?![\d./])", _date, text)
    # years: 2023年 / 2019-2023年 (four digits, read digit by digit)
    text = _sub(
        rf"(?<!\d)(\d{{4}})\s*{_DASH}\s*(\d{{4}})(?=\s*年)",
        lambda m: f"{_w(read_digits(m.group(1)))}到{_w(read_digits(m.group(2)))}", text,
    )
    text = _sub(r"(?<![\d.])([12]\d{3})(?=\s*年)", lambda m: _w(read_digits(m.group(1))), text)
    # 2024-2025赛季, (2019-2023): a span of years read as years
    text = _sub(rf"(?<![\d.])((?:19|20)\d\d)\s*{_DASH}\s*((?:19|20)\d\d)(?![\d.])"
                r"(?=\s*(?:赛季|学年|年度|财年)|[^\w\s]|\s*$)", _year_range, text)
    # generations 80后, 95后 (digit by digit); dates named by a middle dot: 3·15 -> 三一五
    text = _sub(r"(?<![\d.第])(\d\d)(?=后(?![面边来续期天]))", lambda m: _w(read_digits(m.group(1))), text)
    text = _sub(r"(?<![\d.])(1[0-2]|0?[1-9])[·・•]([12]\d|3[01]|0?[1-9])(?![\d.])",
                lambda m: _w(read_digits(m.group(1) + m.group(2))), text)
    # durations written like clock times: 时长05:32, 用时1:20:30
    text = _sub(r"(时长|用时|耗时|历时|计时|成绩|配速)([是为约:：\s]{0,2})(?:(\d{1,2}):)?(\d{1,2}):(\d{2})(?![\d:])",
                _duration, text)
    # hundredths in sports results: 9秒58 -> 九秒五八, 2米45 -> 两米四五 (not 2米50个)
    text = _sub(r"(?<![\d.])(\d+)(秒|米)(\d\d)(?![\d.])(?!\s*[个次人名件位岁天年万亿米秒分元])",
                lambda m: m.group(1) + m.group(2) + _w(read_digits(m.group(3))), text)
    # 9:00AM, 3 p.m.
    text = _sub(r"(?<![\d:])(\d{1,2})(?::(\d{2}))?\s*([AaPp])\.?[Mm](?![A-Za-z])\.?", _meridiem, text)
    # clock times 14:30 / 9:05:30
    text = _sub(r"(?<![\d:])(\d{1,2}):(\d{2})(?::(\d{2}))?(?![\d:])", _time, text)
    # phone numbers
    text = _sub(r"\+(\d{1,3})(?=[\s-]?\d)", lambda m: "加" + _digit_words(m.group(1)) + " ", text)
    text = _sub(r"(?<!\d)(1[3-9]\d)[-\s]?(\d{4})[-\s]?(\d{4})(?!\d)", _digits_yao, text)
    # flight numbers (CA1831航班, MU5101次航班): digit by digit with 幺, as announced
    text = _sub(r"(?<![A-Za-z0-9])([A-Z][A-Z0-9])(\d{3,4})(?=\s*次?航班)",
                lambda m: m.group(1) + _digit_words(m.group(2)), text)
    # blood pressure 130/85mmHg, 血压120/80: two readings (not a fraction), a short pause between
    text = _sub(r"(?:(?<=血压)([是为:：\s约]{0,3}))?(?<![\d./])(\d{2,3})/(\d{2,3})(\s*(?:mmHg|毫米汞柱))?(?![\d./])",
                _blood_pressure, text)
    # landlines whose local number is written in two groups (021-5432 1098, 0755-8888-6666,
    # (021) 5432 1098): digit by digit, a short phrase pause between the groups, never a range
    text = _sub(r"(?<![\d.])[(（]?(0\d{2,3})[)）]?(?:[-\s]\s*|(?<=[)）]))(\d{3,4})[-\s](\d{4})(?![\d.])",
                lambda m: _digit_groups(m.groups()), text)
    text = _sub(r"(?<!\d)(0\d{2,3})-(\d{7,8})(?!\d)", _digits_yao, text)
    text = _sub(rf"(?<={NUM_CLOSE})(\s*转\s*)(\d{{2,5}})(?![\d.])", lambda m: m.group(1) + _digit_words(m.group(2)), text)
    # 400/800 service hotlines: ten digits, read digit by digit in the groups written
    # (400-812-3123, 4006-123-456) or, unseparated, in the usual 3-3-4 grouping
    text = _sub(r"(?<![\d.])([48]00\d?)[-\s](\d{3,4})[-\s](\d{3,4})(?![\d.])",
                lambda m: _hotline(m.groups()), text)
    text = _sub(r"(?<![\d.])([48]00)(\d{3})(\d{4})(?![\d.])(?!\s*[人元块个万亿米件次台辆年岁])",
                lambda m: _hotline(m.groups()), text)
    # No.1 -> 第1; digits in an e-mail address or web domain are read one by one (163.com)
    text = _sub(r"(?<![A-Za-z])[Nn][Oo]\.\s*(?=\d)", "第", text)
    text = _sub(r"(?<=@)\d+|(?<![\d.])\d+(?=\.(?:com|cn|net|org)(?![A-Za-z]))", lambda m: _digit_words(m.group(0)), text)
    # numbers that are codes: after a keyword, before 室/房间/路, long or zero-led strings
    text = _sub(  # (one- and two-digit numbers stay numbers: 门牌号是23号 -> 二十三号)
        rf"(?<![A-Za-z])({_KEYWORDS})([号码]*)([是为:：\s]{{0,3}})(\d{{3,}})",
        lambda m: m.group(1) + m.group(2) + m.group(3) + _digit_words(m.group(4)), text,
    )
    # codes in three or more dash-separated groups (ISBN 978-7-111-12345-6): digit by digit
    text = _sub(r"(?<![\d.-])\d+(?:-\d+){2,}(?![\d.])",
                lambda m: " ".join(_digit_words(g) for g in m.group(0).split("-")), text)
    # car plates written with a gap (粤B 12345, 沪B·8K123): read like 京A12345
    text = _sub(r"([京津沪渝冀豫云辽黑湘皖鲁新苏浙赣鄂桂甘晋蒙陕吉闽贵粤青藏川宁琼][A-Z])[\s·・•-]+(?=[A-Z0-9]{5,6}(?![A-Za-z0-9]))",
                r"\1", text)
    # video resolutions 1080P, 720p; model numbers after an acronym and a space (RTX 4090)
    text = _sub(r"(?<![\d.])\d{2,3}0(?=[Pp](?![A-Za-z]))", lambda m: _digit_words(m.group(0), yao=False), text)
    text = _sub(r"(?<=[A-Z][A-Z] )\d{4}(?![\d.]|\s*[万亿千百元块人个年%])", lambda m: _digit_words(m.group(0), yao=False), text)
    # a flat after 单元 (5栋2单元302)
    text = _sub(r"(?<=单元)(\d{3,4})(?![\d.])", _digits_yao, text)
    text = _sub(r"(?<![\d.])(\d{3,})(?=\s*(?:室|房间|号房|路公交|路车|次列车))", _digits_yao, text)
    text = _sub(r"(?<![\d.,])(\d{11,}|0\d+)(?![\d.,])", _digits_yao, text)
    # thousands separators (1,299.50): dropped before money and decimals read the number
    text = _sub(r"(?<![\d,.])\d{1,3}(?:,\d{3})+(?![\d,])", lambda m: m.group(0).replace(",", ""), text)
    # money: the sign's currency unless the amount already names it (￥1299元)
    text = _sub(rf"[¥￥]\s*({_NUM})(?![\d.])(?!\s*[元块])", r"\1元", text)
    text = _sub(rf"(?<![A-Za-z])HK\$\s*({_NUM})(?![\d.])(?!\s*(?:港元|港币))", r"\1港元", text)
    text = _sub(rf"(?<![A-Za-z])(?:US)?\$\s*({_NUM})(?![\d.])(?!\s*(?:美元|美金))", r"\1美元", text)
    text = _sub(rf"€\s*({_NUM})(?![\d.])(?!\s*欧元)", r"\1欧元", text)
    text = _sub(rf"£\s*({_NUM})(?![\d.])(?!\s*英镑)", r"\1英镑", text)
    text = _sub(r"[¥￥$€£]\s*(?=\d)", "", text)
    text = _sub(r"(\d+)\.0+(?=\s*(?:元|块|美元|欧元|英镑))", r"\1", text)
    text = _sub(r"(\d+\.\d*?[1-9])0+(?=\s*(?:元|块|美元|欧元|英镑))", r"\1", text)
    # percentages
    text = _sub(
        rf"({_NUM})[%％]?\s*{_DASH}\s*({_NUM})[%％]",
        lambda m: _w(f"百分之{_number(m.group(1))}") + "到" + _w(f"百分之{_number(m.group(2))}"), text,
    )
    text = _sub(rf"{_NOT_DIGIT}(-)?({_NUM})\s*[%％]", _percent, text)
    text = _sub(rf"({_NUM})\s*‰", lambda m: _w("千分之" + _number(m.group(1))), text)
    # fractions 3/4
    text = _sub(r"(?<![\d/.])(\d+)/(\d+)(?![\d/])", lambda m: _w(read_fraction(m.group(1), m.group(2))), text)
    # units after numbers (digits stay for the cardinal rule so 2公里 -> 两公里)
    text = _UNIT_RE.sub(lambda m: _UNIT_MAP[m.group(1)], text)
    text = _sub(r"(?<=\d)w(?![A-Za-z])", "万", text)  # 月薪1.5w
    text = _RATE_UNIT_RE.sub(lambda m: m.group(1) + "每" + _UNIT_MAP[m.group(2)], text)
    text = _sub(r"(?<=[A-Za-z0-9)])\s*([²³])", lambda m: "平方" if m.group(1) == "²" else "立方", text)
    # a rate: 10元/件 -> 十元每件, 20元/人/天 -> 每人每天 (a slash between words alone stays a pause)
    text = _sub(r"(\d\s*[\u4e00-\u9fff]{1,3})/(?=[\u4e00-\u9fff])", r"\1每", text)
    text = _sub(r"(?<=每[\u4e00-\u9fff])/(?=[\u4e00-\u9fff])", "每", text)
    text = _sub(r"(\d\s*[\u4e00-\u9fff]{1,4})/(?=\d+(?:\.\d+)?\s*[\u4e00-\u9fff])", r"\1每", text)  # 15千瓦时/100公里
    # ranges 3-5天, 10~20; ratios 3:2; arithmetic
    text = _sub(rf"(?<=\d)\s*-\s*(?={_NUM}\s*(?:[=+×÷*]|[)）]\s*[=+×÷*-]))", "减", text)  # 5-3=2, (8-3)×2
    text = _sub(rf"({_NUM})\s*{_DASH}\s*(?=\d)", r"\1到", text)
    text = _sub(rf"(?<=[\d{NUM_CLOSE}][\u4e00-\u9fff])\s*{_DASH}\s*(?=\d)", "到", text)  # 3月5日-7日, 3岁-6岁
    text = _sub(rf"(?<=[{NUM_CLOSE}点分秒元%])\s*{_DASH}\s*(?=[\d{NUM_OPEN}])", "到", text)  # 10:00-12:00
    text = _sub(r"(\d+):(\d+)", r"\1比\2", text)
    text = _sub(r"(?<=\d)\s*[×xX*]\s*(?=\d)", "乘", text)
    # negative numbers
    text = _sub(rf"{_NOT_DIGIT}-(?=\d[\d.]*\s*(?:摄氏度|华氏度|度))", "零下", text)
    text = _sub(rf"{_NOT_DIGIT}-(?=\d)", "负", text)
    # versions 1.2.3, decimals, thousands separators, model numbers, plain integers
    text = _sub(r"\d+(?:\.\d+){2,}", lambda m: _w("点".join(read_digits(p) for p in m.group(0).split("."))), text)
    text = _sub(r"\d+\.\d+", lambda m: _w(read_decimal(m.group(0))), text)
    text = _sub(r"(?<=[A-Za-z])\d{3,}", lambda m: _digit_words(m.group(0), yao=False), text)
    text = _sub(r"\d+", _integer, text)
    return text


def _symbols(text: str) -> str:
    text = _PAUSE_DASH.sub("，", text)
    text = _sub(r"(?<=[A-Za-z])\.(?=[A-Za-z])", "点", text)
    text = _sub(r"(?<=[A-Za-z])-(?=[A-Za-z])", "\x01", text)  # keep Wi-Fi together
    text = "".join(_SYMBOLS.get(ch, ch) for ch in text)
    out = []
    for ch in text:
        if ch == "\x01":
            out.append("-")
        elif ch in (NUM_OPEN, NUM_CLOSE, "，") or is_hanzi(ch) or is_override_marker(ch) or (
            ch.isascii() and ch.isalpha()
        ):
            out.append(ch)
        elif ch in "、，,：:；;":
            out.append("，")
        else:
            out.append(" ")
    text = re.sub(r"\s+", " ", "".join(out))
    text = re.sub(r"\s*，[\s，]*", "，", text)
    return text.strip(" ，")


def normalize(clause: str, before: str = "") -> str:
    """Normalise one clause; see the module docstring for what the result contains. ``before``:
    the text of the sentence before the clause (a label such as 邮编： makes a number a code)."""
    return _symbols(_numbers(code_after_label(clause, before)))


def strip_marks(text: str) -> str:
    """The normalised text without the number-word marks."""
    return text.replace(NUM_OPEN, "").replace(NUM_CLOSE, "")
