"""Reading numbers aloud in Mandarin: cardinals, decimals, digit strings, fractions."""
from __future__ import annotations

DIGITS = "零一二三四五六七八九"
DIGITS_YAO = "零幺二三四五六七八九"
# Characters that write a Chinese numeral (一百二十, 几, 两): the polyphone rules test what precedes a measure.
NUMERALS = "零一二三四五六七八九十百千万亿两几幺"
_SECTION_UNITS = ("", "万", "亿", "万亿")
_MAX_CARDINAL_DIGITS = 16

# Measure words (and 万/千/亿): a bare 2 before them is read 两, a lone 1 before them takes the
# 一 sandhi (1个 yí gè); elsewhere a digit keeps its citation reading (F1赛车, 3:1获胜 yī).
MEASURE_WORDS = tuple(
    "个 位 只 本 次 天 年 周 星期 岁 件 条 张 块 元 角 毛 分钟 分 秒 小时 钟头 点 斤 公斤 千克 克 "
    "公里 千米 米 厘米 毫米 升 毫升 吨 倍 种 名 家 台 辆 架 部 杯 瓶 碗 口 把 双 对 套 份 场 声 "
    "句 遍 趟 下 步 颗 粒 片 支 枝 根 篇 首 封 间 座 所 棵 头 匹 节 章 页 行 批 组 队 万 千 亿 百 "
    "人 成 样 项 门 道 段 幅 株 朵 盒 箱 包 袋 排 圈 轮 局 盘 集 季 招 笔 顿 番 回 群 类 款 层 "
    "瓦 伏 赫兹 分贝 室 厅 卫 刻 串 堆 束 副 扇 顶 滴 阵 平方米 平方公里 平方千米 平方厘米 立方米 立方厘米 "
    "毫克 微克 微米 纳米 千瓦 摩尔 牛 焦 欧姆 千帕 兆帕".split()
)


def read_digits(s: str, yao: bool = False) -> str:
    """Digit by digit: ``"1208" -> 一二零八`` (``幺二零八`` with ``yao``)."""
    table = DIGITS_YAO if yao else DIGITS
    return "".join(table[int(c)] for c in s if c.isdigit())


def _section(v: int) -> str:
    """0 < v < 10000 without leading zeros: 1005 -> 一千零五, 230 -> 二百三十."""
    out, pending_zero = "", False
    for d, unit in ((v // 1000, "千"), (v // 100 % 10, "百"), (v // 10 % 10, "十"), (v % 10, "")):
        if d == 0:
            pending_zero = bool(out)
            continue
        if pending_zero:
            out += "零"
            pending_zero = False
        out += DIGITS[d] + unit
    return out


def read_integer(s: str | int, liang: bool = False) -> str:
    """Cardinal reading of a non-negative integer string (leading zeros ignored).

    ``liang`` reads a bare 2 as 两 (before measure words). A leading 2 before 千/万/亿
    is always 两 (两千, 两万). Numbers longer than 16 digits are read digit by digit.
    """
    digits = str(s).lstrip("0")
    if not digits:
        return "零"
    if not digits.isdigit():
        raise ValueError(f"not an integer: {s!r}")
    if len(digits) > _MAX_CARDINAL_DIGITS:
        return read_digits(digits)
    n = int(digits)
    if n == 2 and liang:
        return "两"
    sections = []
    while n:
        sections.append(n % 10000)
        n //= 10000
    out, need_zero = "", False
    for idx in range(len(sections) - 1, -1, -1):
        v = sections[idx]
        if v == 0:
            need_zero = bool(out)
            continue
        if out and (need_zero or v < 1000):
            out += "零"
        out += _section(v) + _SECTION_UNITS[idx]
        need_zero = False
    if out.startswith("一十"):
        out = out[1:]  # 十五, not 一十五
    if out.startswith("二") and len(out) > 1 and out[1] in "千万亿":
        out = "两" + out[1:]
    return out


def read_decimal(s: str, strip_zeros: bool = False) -> str:
    """``"3.5" -> 三点五``, ``"0.25" -> 零点二五``; ``strip_zeros`` drops trailing zeros."""
    whole, _, frac = s.partition(".")
    if strip_zeros:
        frac = frac.rstrip("0")
    text = read_integer(whole or "0")
    return text + ("点" + read_digits(frac) if frac else "")


def read_number(s: str, liang: bool = False) -> str:
    """Integer or decimal; thousands separators (``1,000``) are ignored."""
    s = s.replace(",", "")
    if "." in s:
        return read_decimal(s)
    return read_integer(s, liang=liang)


def read_fraction(numerator: str, denominator: str) -> str:
    """``3/4 -> 四分之三``."""
    return f"{read_number(denominator)}分之{read_number(numerator)}"
