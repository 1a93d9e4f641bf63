"""Prosodic breaks between the words of one segment.

Levels follow the Baker labels: 0 = same prosodic word (``#0``), 1 = prosodic word boundary
(``#1``), 2 = prosodic phrase (``#2``), 3 = comma-level intonational phrase (``#3``).

1. Particles and suffixes (的, 了, 吗, 们 ...) join the preceding word.
2. Remaining one-syllable words join a short neighbour (在+家, 去+公园, 一句+话).
3. Inside each stretch between commas, ``#2`` breaks are placed by a small dynamic
   programme that keeps phrases near ``target`` syllables and prefers breaking before
   conjunctions and prepositions.
"""
from __future__ import annotations

from dataclasses import dataclass

from .partition import best_partition
from .types import Word

RIGHT_ATTACH = frozenset(
    "的 了 着 过 吗 呢 吧 啊 呀 啦 嘛 哇 地 得 们 么 似的 一样 上 下 里 中 外 前 后 时 儿".split()
)
_LOCALIZER_POS = ("f", "u", "y", "e")
CONJUNCTIONS = frozenset(
    "但是 而且 所以 因为 如果 虽然 然后 可是 并且 或者 不过 于是 因此 而 但 却 就是 然而 还是 "
    "以及 以便 否则 只要 只有 除非 即使 尽管 既然 假如 要是 "
    # discourse connectives that open a new phrase in run-on text
    "其实 比如 例如 另外 此外 首先 其次 最后 总之 同时 接着 后来 甚至 从而 因而 毕竟 其中".split()
)
CLAUSE_VERBS = frozenset(
    "觉得 认为 知道 希望 发现 表示 告诉 相信 以为 感觉 看到 听说 说 想 记得 明白 担心 同意 决定".split()
)
PREPOSITIONS = frozenset("在 从 把 被 对 向 给 跟 和 与 为了 关于 通过 按照 根据 由于 随着 为 往 让 比".split())


@dataclass(frozen=True)
class ProsodyParams:
    phrase_target: int = 6
    phrase_max: int = 10
    phrase_cost: float = 6.0
    conj_bonus: float = 6.0
    prep_bonus: float = 2.0


_NUMBER_LINKS = frozenset("到 至 和 与 或 比 乘 加 减 除以 等于 点 分之".split())
_FUNCTION_POS = ("p", "d", "c", "r", "u")
_PERSONAL = frozenset("我 你 他 她 它 您 这 那 谁".split())


def _attaches_right(w: Word, prev: Word) -> bool:
    """True if ``w`` is a particle/suffix/measure word that belongs to the preceding ``prev``."""
    if w.break_before:
        return False
    if w.kind == "letters" and prev.kind == "number" and len(w) <= 3:
        return True  # 5G, 16GB
    if w.kind != "hanzi":
        return False
    if prev.kind == "number" and len(w.syllables) == 1 and w.text not in _NUMBER_LINKS:
        return True  # 3个, 十九届, 一千五百万
    if w.text in ("上", "下", "里", "中", "外", "前", "后", "时"):
        return w.pos.startswith(_LOCALIZER_POS) and len(prev) <= 3
    return w.text in RIGHT_ATTACH


def _units(words: list[Word]) -> list[list[int]]:
    """Group word indices into prosodic words."""
    units: list[list[int]] = []
    for k, w in enumerate(words):
        if units and _attaches_right(w, words[k - 1]):
            units[-1].append(k)
        else:
            units.append([k])

    def size(u: list[int]) -> int:
        return sum(len(words[i]) for i in u)

    def open_before(u: list[int]) -> bool:  # no punctuation / soft boundary before unit u
        return words[u[0]].break_before == 0

    # numeral-classifier + one-syllable noun: 一句+话
    merged: list[list[int]] = []
    for u in units:
        w = words[u[0]]
        if (
            merged and len(u) == 1 and size(u) == 1 and open_before(u) and w.pos.startswith(("n", "q"))
            and words[merged[-1][-1]].pos.startswith(("m", "q")) and size(merged[-1]) <= 3
        ):
            merged[-1].extend(u)
        else:
            merged.append(list(u))
    # a one-syllable pronoun and a following one-syllable word: 这是, 我也, 你有
    paired: list[list[int]] = []
    for u in merged:
        if (
            paired and len(u) == 1 and size(u) == 1 and open_before(u) and len(paired[-1]) == 1
            and words[paired[-1][0]].text in _PERSONAL and words[u[0]].text not in CONJUNCTIONS
        ):
            paired[-1].extend(u)
        else:
            paired.append(list(u))
    # remaining one-syllable words join a short neighbour, left to right
    out: list[list[int]] = []
    i = 0
    while i < len(paired):
        u = paired[i]
        nxt = paired[i + 1] if i + 1 < len(paired) else None
        if len(u) == 1 and size(u) == 1 and words[u[0]].text not in CONJUNCTIONS:
            w = words[u[0]]
            limit = 4 if w.pos.startswith("p") or w.text == "第" or (
                w.pos.startswith(_FUNCTION_POS) and nxt is not None and len(nxt) == 1) else 3
            # a one-syllable modifier in between prefers its own right neighbour: 给 | 小和尚
            nxt_goes_right = (
                nxt is not None and size(nxt) == 1 and i + 2 < len(paired)
                and words[nxt[0]].pos.startswith(("a", "m", "q", "b")) and size(paired[i + 2]) <= 2
                and open_before(paired[i + 2])
            )
            if nxt_goes_right and size(paired[i + 2]) == 1 and open_before(nxt):
                out.append(u + nxt + paired[i + 2])  # three single syllables: 很好用
                i += 3
                continue
            if nxt is not None and open_before(nxt) and size(nxt) + 1 <= limit and not nxt_goes_right \
                    and words[nxt[0]].text not in CONJUNCTIONS:
                out.append(u + nxt)
                i += 2
                continue
            if out and open_before(u) and size(out[-1]) <= 2:
                out[-1].extend(u)
                i += 1
                continue
        out.append(list(u))
        i += 1
    return out


def _phrase_breaks(words: list[Word], units: list[list[int]], p: ProsodyParams) -> set[int]:
    """Indices j of units after which a #2 goes (within one comma-free stretch)."""
    sizes = [sum(len(words[i]) for i in u) for u in units]
    if sum(sizes) <= p.phrase_target + 2:
        return set()

    def bonus(j: int) -> float:  # break between unit j and j+1 (negative: a bad place)
        first = words[units[j + 1][0]].text
        last_word = words[units[j][-1]]
        b = p.conj_bonus if first in CONJUNCTIONS else p.prep_bonus if first in PREPOSITIONS else 0.0
        if last_word.text in CLAUSE_VERBS:
            b += 3.0
        if last_word.pos.startswith(("m", "q")) or (
            last_word.pos.startswith("r") and len(last_word.text) > 1 and last_word.text[0] in "这那哪每各某"
        ):
            b -= 8.0  # keep 这部/一个 with their noun
        if last_word.pos.startswith("p") and len(last_word.syllables) == 1:
            b -= 8.0  # never strand a preposition: 于 | 二零二三年
        return b

    return set(best_partition(sizes, p.phrase_max, lambda total: (total - p.phrase_target) ** 2 + p.phrase_cost,
                              lambda j: -bonus(j), oversize_single=True))


def assign_breaks(words: list[Word], params: ProsodyParams | None = None) -> list[int]:
    """Break level between each pair of consecutive words (len(words) - 1 entries)."""
    p = params or ProsodyParams()
    if len(words) < 2:
        return []
    breaks = [1] * (len(words) - 1)
    units = _units(words)
    for u in units:
        for k in u[:-1]:
            breaks[k] = 0
    # stretches separated by punctuation / soft boundaries
    stretch: list[list[int]] = []
    for u in units:
        hint = words[u[0]].break_before
        if stretch and hint:
            breaks[u[0] - 1] = max(breaks[u[0] - 1], min(hint, 3))
            _place(words, stretch, breaks, p)
            stretch = []
        stretch.append(u)
    _place(words, stretch, breaks, p)
    return breaks


def _place(words: list[Word], units: list[list[int]], breaks: list[int], p: ProsodyParams) -> None:
    for j in _phrase_breaks(words, units, p):
        breaks[units[j][-1]] = max(breaks[units[j][-1]], 2)
