"""Tone sandhi on one segment's words, given the prosodic breaks between them.

Order: neutral tones, then 一/不, then third-tone sandhi (cyclic: inside lexical words
first, then across word boundaries up to ``#1``, right to left; ``#2``/``#3`` block it).
Locked syllables (user overrides) and spelled letters are never changed.
"""
from __future__ import annotations

from .g2p import char_tag as _char_tag
from .g2p import is_dict_word as _is_dict_word
from .numbers import MEASURE_WORDS, NUMERALS
from .polyphone_news import LOCAL_HEADS
from .polyphone import FULL_TONE_REDUP, NEUTRAL_REDUP_NOUNS, NEUTRAL_WORDS
from .types import Syllable, Word

_PARTICLES = {
    "吗": "ma", "呢": "ne", "吧": "ba", "啊": "a", "呀": "ya", "啦": "la", "嘛": "ma", "哇": "wa",
    "了": "le", "着": "zhe", "的": "de", "地": "de", "么": "me", "们": "men", "哦": "o",
}  # not 得: its rule (polyphone._de) already tells the particle de5 from the verb dé (她得了第一名)
_DIRECTIONAL = frozenset("起来 出来 过来 回来 下来 上来 进来 出去 回去 过去 下去 上去 进去".split())
_DIGITS = "零一二三四五六七八九"
_MODALS = frozenset("没 不 要 想 会 能 别 该 得 可以 应该 愿意 打算 准备".split())


def _set(s: Syllable, tone: int) -> None:
    if not s.locked and not s.letter:
        s.tone = tone


def _neutral(words: list[Word]) -> None:
    for k, w in enumerate(words):
        syls = w.syllables
        if w.kind != "hanzi":
            continue
        local = w.text == "地方" and k + 1 < len(words) and words[k + 1].text.startswith(LOCAL_HEADS)  # 地方政府 dìfāng
        if len(syls) >= 2 and not local and (w.text in NEUTRAL_WORDS or (len(w.text) > 2 and w.text[-2:] in NEUTRAL_WORDS)):
            _set(syls[-1], 5)  # 朋友, 好朋友
        if len(w.text) == 2 and len(syls) == 2 and w.text[0] == w.text[1]:
            adverbial = k + 1 < len(words) and words[k + 1].text == "地"  # 怔怔地, 呆呆地: full tones
            if w.text[0] in NEUTRAL_REDUP_NOUNS or (w.pos.startswith("v") and w.text not in FULL_TONE_REDUP
                                                    and not adverbial):
                _set(syls[1], 5)
        if (len(w.text) == 3 and len(syls) == 3 and w.text[0] == w.text[1] != w.text[2] not in ("地", "的")
                and w.text[:2] not in FULL_TONE_REDUP
                and _is_dict_word(w.text[0] + w.text[2]) and _char_tag(w.text[0]).startswith("v")):
            _set(syls[1], 5)  # a reduplicated verb with its object, one jieba word: 聊聊天, 散散步, 帮帮忙
            # (not a noun before a word that starts with it: 各组|组长, jieba's one word 组组长)
        if len(syls) == 1 and _PARTICLES.get(w.text) == syls[0].base and k and not w.break_before:
            _set(syls[0], 5)
        if (
            w.text in _DIRECTIONAL and k and w.break_before == 0 and words[k - 1].pos.startswith("v")
            and words[k - 1].text not in _MODALS
        ):
            _set(syls[-1], 5)


_TIME_WORDS = ("上午", "下午", "凌晨", "晚上", "中午", "早上", "夜里", "半夜", "傍晚")


def _clock_or_decimal(flat: list[tuple[Syllable, Word, int]], i: int) -> bool:
    """一点 as 1.x or one o'clock (一点五, 一点钟, 下午一点) rather than "a little"."""
    after = flat[i + 2][0].text if i + 2 < len(flat) else ""
    before = "".join(t[0].text for t in flat[max(0, i - 2):i])
    return after[:1] in _DIGITS + "钟半整" and after != "" or before in _TIME_WORDS


def _score_yi(flat: list[tuple[Syllable, Word, int]], i: int) -> bool:
    """一 on either side of 比/对 between two numbers (1比1, 一对一辅导, 三比一获胜): a score, yī."""
    def numeral(k: int) -> bool:
        return 0 <= k < len(flat) and (flat[k][1].kind == "number" or flat[k][0].text in NUMERALS)
    after = flat[i + 1][0].text if i + 1 < len(flat) else ""
    before = flat[i - 1][0].text if i else ""
    return (after in ("比", "对") and numeral(i + 2)) or (before in ("比", "对") and numeral(i - 2))


def _before_measure(flat: list[tuple[Syllable, Word, int]], i: int) -> bool:
    """A measure word follows (1个, 1小时): only then does a written 1 take the 一 sandhi."""
    after = "".join(t[0].text for t in flat[i + 1:i + 3])
    return after.startswith(MEASURE_WORDS) and not after.startswith("点")


# Nouns after which 一 is an ordinal (一月, 一号线, 一楼, 一季度, 一年级, 一单元, 一等奖): yī.
_ORDINAL_NEXT = ("月", "号", "楼", "季度", "年级", "单元", "等奖", "等座", "等功")


def _regular_yi(nxt: Syllable | None) -> int:
    if nxt is None or nxt.letter:
        return 1
    return 2 if nxt.orig_tone == 4 or (nxt.orig_tone == 5 and nxt.text == "个") else 4


def _yi_tone(flat: list[tuple[Syllable, Word, int]], i: int) -> int:
    s, w, j = flat[i]
    prev = flat[i - 1][0] if i else None
    nxt = flat[i + 1][0] if i + 1 < len(flat) else None
    if prev is not None and (prev.text == "第" or (w.kind != "number" and prev.text in NUMERALS)):
        return 1  # 第一, 十一
    inner = w.syllables[j + 1].text if j + 1 < len(w.syllables) else ""
    if inner not in ("百", "千", "万", "亿") and _score_yi(flat, i):
        return 1
    if w.kind == "number":
        if inner in ("百", "千", "万", "亿"):
            return _regular_yi(nxt)  # 一百 yi4, 一万 yi2
        if len(w.syllables) == 1 and nxt is not None and _before_measure(flat, i):
            return _regular_yi(nxt)  # 1个 -> 一个 yi2
        return 1  # digits, 十一, 一点五, 1月, F1赛车
    if nxt is None or nxt.letter or j == len(w.syllables) - 1 and len(w.syllables) > 1:
        return 1  # 统一, 星期一, clause-final
    following = "".join(t[0].text for t in flat[i + 1:i + 3])
    if nxt.text in _DIGITS or following.startswith(_ORDINAL_NEXT) or (nxt.text == "点" and _clock_or_decimal(flat, i)):
        return 1
    if nxt.text == "日" and prev is not None and prev.text == "月":  # 一月一日
        return 1
    return _regular_yi(nxt)


def _yi_bu(words: list[Word]) -> None:
    """一 and 不 sandhi, using the next syllable's dictionary tone."""
    flat = [(s, w, j) for w in words for j, s in enumerate(w.syllables)]
    for i, (s, w, j) in enumerate(flat):
        if s.text not in ("一", "不") or s.locked or s.letter:
            continue
        prev = flat[i - 1] if i else None
        nxt = flat[i + 1][0] if i + 1 < len(flat) else None
        one_a = s.text == "不" and i >= 2 and flat[i - 2][0].text == "一"  # 一动不动: the idiom keeps its 不
        if prev and nxt and prev[0].text == nxt.text and not nxt.letter and w.kind == "hanzi" and not one_a:
            if s.text == "不" or prev[1].pos.startswith("v") or len(w.text) == 3:
                _set(s, 5)  # 看一看, 要不要
                continue
        if s.tone == 5:
            continue  # a phrase reading already made it neutral (对不起)
        if s.text == "一":
            _set(s, _yi_tone(flat, i))
        else:
            _set(s, 2 if nxt is not None and not nxt.letter and nxt.orig_tone == 4 else 4)


def _chunks(w: Word) -> list[list[Syllable]]:
    """Split a lexical word into sandhi feet: 2+1 / 1+2 for three syllables, pairs otherwise."""
    syls = w.syllables
    n = len(syls)
    if n <= 2 or w.kind != "hanzi" or len(w.text) != n:
        return [syls]
    if n == 3:
        if not _is_dict_word(w.text[:2]) and _is_dict_word(w.text[1:]):
            return [syls[:1], syls[1:]]
        return [syls[:2], syls[2:]]
    return [syls[i:i + 2] for i in range(0, n, 2)]


def _join(left: list[Syllable], right: list[Syllable]) -> None:
    """Third-tone sandhi across a boundary: 3 + 3 -> 2 + 3 (on current tones)."""
    a, b = left[-1], right[0]
    if a.tone == 3 and b.tone == 3 and not a.letter and not b.letter:
        _set(a, 2)


def _third_in_word(w: Word) -> None:
    chunks = _chunks(w)
    for c in chunks:
        for j in range(len(c) - 2, -1, -1):
            _join(c[j:j + 1], c[j + 1:j + 2])
        # reduplicated verb 想想: the neutral second syllable is an underlying third tone
        if len(c) == 2 and c[0].text == c[1].text and c[1].tone == 5 and c[1].orig_tone == 3:
            if c[0].text not in NEUTRAL_REDUP_NOUNS:
                _set(c[0], 2)
    for j in range(len(chunks) - 2, -1, -1):
        _join(chunks[j], chunks[j + 1])


def _third(words: list[Word], breaks: list[int]) -> None:
    for w in words:
        _third_in_word(w)
    for k in range(len(words) - 2, -1, -1):  # across words, right to left, up to #1
        if breaks[k] <= 1:
            _join(words[k].syllables, words[k + 1].syllables)


def apply_sandhi(words: list[Word], breaks: list[int]) -> None:
    """Change tones in place. ``breaks[k]`` is the break level between words k and k+1."""
    if len(breaks) != max(len(words) - 1, 0):
        raise ValueError("breaks must have one entry per word boundary")
    _neutral(words)
    _yi_bu(words)
    _third(words, breaks)
