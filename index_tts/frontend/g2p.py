"""Grapheme-to-phoneme: normalised clause -> lexical words with toned pinyin syllables.

jieba (with POS tags) segments Hanzi runs, pypinyin reads each word at phrase level (both
through ``lexicon_backend``: by default a compact copy of their dictionaries), and
``polyphone`` corrects characters that no known phrase covers. Latin tokens are spelled
(``letters``), override markers become locked words, and erhua (这儿, 玩儿) is folded into
the preceding syllable.
"""
from __future__ import annotations

import functools
import logging
import re
import sys

from .letters import letter_word
from .lexicon_backend import LibraryBackend, backend
from .overrides import OverrideTable
from .pinyin import decompose
from .polyphone import FULL_TONE_REDUP, RULES_OVER_PHRASE, WORD_FIXES, Context, char_reading, has_rule
from .polyphone_names import JOIN_WORDS
from .text import is_hanzi, is_override_marker
from .types import Syllable, Word

log = logging.getLogger(__name__)

_TOKEN_RE = re.compile(
    r"(?P<han>[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\U00020000-\U0003134f\u3007]+)"
    r"|(?P<lat>[A-Za-z]+(?:['-][A-Za-z]+)*)"
    r"|(?P<mark>[\ue000-\uf8ff])"
    r"|(?P<num>\x02[^\x02\x03]*\x03)"
    r"|(?P<comma>，)"
    r"|(?P<space>\s+)"
)
_NON_HANZI = ("letters", "number")
_READING_RE = re.compile(r"^([a-zv]+)([1-5])$")
_MAX_FIX_LEN = max(len(k) for k in WORD_FIXES)
_MAX_PHRASE_LEN = 6

# Words ending in 儿 where 儿 is a full syllable (a child / a person), not erhua.
NON_ERHUA = frozenset(
    """女儿 婴儿 幼儿 孤儿 男儿 健儿 胎儿 患儿 宠儿 混血儿 新生儿 早产儿 弃儿 少儿 孩儿 侄儿 孙儿
    乳儿 育儿 托儿 妻儿 幸运儿 弄潮儿 宁馨儿 娇儿 骄儿 爱儿 犬儿 儿""".split()
)


def _lookups():
    """The word lookups: compact lexicon (default) or jieba / pypinyin (``lexicon_backend``)."""
    return backend()


@functools.lru_cache(maxsize=1)
def _tools():
    """jieba.posseg, lazy_pinyin, Style.TONE3, PHRASES_DICT of the libraries themselves.

    Not on the synthesis path (it imports jieba / pypinyin, ~165 MB); kept for tests that
    inspect the libraries' tables."""
    lib = LibraryBackend()
    return lib._pseg, lib._lazy, lib._tone3, lib._phrases


def reset_caches() -> None:
    """Forget cached lookups (after changing ``INDEX_TTS_LEXICON``, e.g. in tests)."""
    is_dict_word.cache_clear()
    _pinyin_cached.cache_clear()
    incremental = sys.modules.get(__package__ + ".incremental")
    if incremental is not None and hasattr(incremental, "has_single_reading"):
        incremental.has_single_reading.cache_clear()


@functools.lru_cache(maxsize=8192)
def is_dict_word(text: str) -> bool:
    """True if jieba's or pypinyin's dictionary knows ``text`` as a word."""
    return _lookups().is_dict_word(text)


def char_tag(ch: str) -> str:
    """jieba's POS tag for a single character as a word of its own (组 'zg', 聊 'v'); 'x' if unknown."""
    pairs = _lookups().cut(ch)
    return pairs[0][1] if len(pairs) == 1 else "x"


def _pinyin_of(word: str) -> tuple[list[str | None], list[bool]]:
    """pypinyin readings per character and whether a known phrase covers the character."""
    readings, covered = _pinyin_cached(word)
    return list(readings), list(covered)


@functools.lru_cache(maxsize=65536)
def _pinyin_cached(word: str) -> tuple[tuple[str | None, ...], tuple[bool, ...]]:
    tools = _lookups()
    n = len(word)
    if n == 3 and word[0] == word[1] != word[2] == "地":
        # an AA地 adverb as one jieba word (白白地, 远远地): pypinyin would read 白 + the phrase 白地 (dì)
        head, head_covered = _pinyin_cached(word[:2])
        readings: list[str | None] = [*head, "de5"]
        covered = [*head_covered, True]
    else:
        raw = tools.pinyin(word, errors=lambda s: ["?"] * len(s))
        readings = [r if _READING_RE.match(r) else None for r in raw]
        if len(readings) != n:  # defensive: pypinyin should give one item per character
            readings = [None] * n
        covered = [False] * n
        for i in range(n):
            for j in range(i + 2, min(n, i + _MAX_PHRASE_LEN) + 1):
                if tools.is_phrase(word[i:j]):
                    covered[i:j] = [True] * (j - i)
    for size in range(2, min(n, _MAX_FIX_LEN) + 1):  # shorter first: a longer fix wins (知识分子 over 分子)
        for i in range(n - size + 1):
            fix = WORD_FIXES.get(word[i:i + size])
            if fix:
                readings[i:i + size] = fix.split()
                covered[i:i + size] = [True] * size
    return tuple(readings), tuple(covered)


def _merge_reduplications(pairs: list[tuple[str, str]]) -> list[tuple[str, str]]:
    """jieba splits 说说 into 说/说: join identical one-character verbs; and a place name it cut
    apart (会/稽, 郫/都)."""
    out: list[tuple[str, str]] = []
    for w, pos in pairs:
        if out and len(w) == 1 and out[-1][0] == w and pos.startswith("v") and out[-1][1].startswith("v"):
            out[-1] = (w + w, "v")
        elif out and out[-1][0] + w in JOIN_WORDS:
            out[-1] = (out[-1][0] + w, "ns")
        else:
            out.append((w, pos))
    return out


def _hanzi_words(run: str, unknown: list[str], clause_start: bool, clause_end: bool = False) -> list[Word]:
    pairs = _merge_reduplications(_lookups().cut(run))
    words: list[Word] = []
    for k, (w, pos) in enumerate(pairs):
        readings, covered = _pinyin_of(w)
        prev_w, prev_pos = pairs[k - 1] if k else ("", "")
        next_w, next_pos = pairs[k + 1] if k + 1 < len(pairs) else ("", "")
        next2_w, next2_pos = pairs[k + 2] if k + 2 < len(pairs) else ("", "")
        prev2_w, prev2_pos = pairs[k - 2] if k >= 2 else ("", "")
        syls: list[Syllable] = []
        for i, ch in enumerate(w):
            reading = readings[i]
            if (not covered[i] or w in RULES_OVER_PHRASE) and has_rule(ch):
                ctx = Context(
                    prev_char=w[i - 1] if i else prev_w[-1:],
                    next_char=w[i + 1] if i + 1 < len(w) else next_w[:1],
                    prev_word=prev_w, next_word=next_w, word=w, pos=pos,
                    prev_pos=prev_pos, next_pos=next_pos, at_clause_start=clause_start and k == 0,
                    next2_word=next2_w, next2_pos=next2_pos, prev2_pos=prev2_pos, prev2_word=prev2_w,
                    words_left=len(pairs) - 1 - k if clause_end else -1,
                )
                reading = char_reading(ch, ctx) or reading
            if reading is None:
                unknown.append(ch)
                continue
            m = _READING_RE.match(reading)
            try:
                decompose(m.group(1)) if m else None
            except ValueError:
                m = None
            if m is None:
                unknown.append(ch)
                continue
            syls.append(Syllable(text=ch, base=m.group(1), tone=int(m.group(2))))
        if len(w) == 3 and len(syls) == 3 and w[0] == w[2] and w[1] in "一不了来":  # 数一数, 想不想
            syls[2].base, syls[2].tone, syls[2].orig_tone = syls[0].base, syls[0].tone, syls[0].tone
        if (len(w) == 1 and len(syls) == 1 and prev_w in ("了", "一", "不") and prev2_w == w and len(words) >= 2
                and words[-2].text == w and len(words[-2].syllables) == 1):
            first = words[-2].syllables[0]  # V了V, V一V split by jieba (数了数, 转了转): one reading
            syls[0].base, syls[0].tone, syls[0].orig_tone = first.base, first.tone, first.tone
        if syls:
            words.append(Word(text=w, syllables=syls, pos=pos))
    return words


def _number_word(reading: str, unknown: list[str]) -> list[Word]:
    """A number reading from the normaliser (e.g. 一千五百, 幺三九) as one word."""
    readings, _ = _pinyin_of(reading)
    syls = []
    for ch, r in zip(reading, readings):
        m = _READING_RE.match(r or "")
        if m is None:
            unknown.append(ch)
            continue
        syls.append(Syllable(text=ch, base=m.group(1), tone=int(m.group(2))))
    return [Word(text=reading, syllables=syls, pos="m", kind="number")] if syls else []


def _erhua_tone(w: Word) -> None:
    """A reduplicated adjective with erhua (慢慢儿, 远远儿) takes the first tone on its second syllable."""
    if len(w.text) == 3 and w.text[0] == w.text[1] and len(w.syllables) == 2 and w.syllables[1].erhua \
            and (w.pos[:1] in ("z", "a", "d") or w.text[:2] in FULL_TONE_REDUP) and not w.syllables[1].locked:
        w.syllables[1].tone = w.syllables[1].orig_tone = 1


def _apply_erhua(words: list[Word]) -> list[Word]:
    out: list[Word] = []
    for w in words:
        for j in range(len(w.syllables) - 2, 0, -1):  # a neutral 儿 inside a word (今儿个, 一会儿步)
            s, host = w.syllables[j], w.syllables[j - 1]
            if s.text == "儿" and s.tone == 5 and not s.locked and not host.erhua and host.base != "er":
                host.erhua, host.text = True, host.text + "儿"
                del w.syllables[j]
        last = w.syllables[-1]
        if w.kind == "hanzi" and last.text == "儿" and not last.locked:
            if len(w.syllables) >= 2 and w.text not in NON_ERHUA:
                host = w.syllables[-2]
                if not host.erhua and host.base != "er":
                    host.erhua, host.text = True, host.text + "儿"
                    w.syllables.pop()
                    _erhua_tone(w)
            elif (
                len(w.syllables) == 1 and out and out[-1].kind == "hanzi" and w.break_before == 0
                and not out[-1].syllables[-1].erhua and out[-1].syllables[-1].base != "er"
                and out[-1].text + "儿" not in NON_ERHUA and not out[-1].syllables[-1].locked
            ):
                host = out[-1].syllables[-1]
                host.erhua, host.text = True, host.text + "儿"
                out[-1].text += "儿"
                _erhua_tone(out[-1])
                continue
        out.append(w)
    return out


# Interjections that open a sentence and take their tone from it: asking rises (啊？ 哦？ 嗯？ — each alone
# as the sentence — and 嗯，你说什么？), and 嗯 outside a question answers (嗯，我知道了: ǹ).
_ASKING = {"啊": "a", "哦": "o", "嗯": "n"}


def sentence_interjection(clauses: list[list[Word]], sentence_type: str) -> None:
    """Set the tone of a sentence-opening 啊/哦/嗯 from the sentence type (in place; overrides stay)."""
    first = clauses[0][0] if clauses and clauses[0] else None
    if first is None or first.kind != "hanzi" or first.text not in _ASKING or len(first.syllables) != 1:
        return
    alone = sum(len(words) for words in clauses) == 1
    if sentence_type == "question" and (alone or first.text == "嗯"):
        tone = 2
    elif first.text == "嗯":
        tone = 4
    else:
        return
    for w in clauses[0]:  # 嗯嗯，好: jieba cuts 嗯/嗯
        if w.text != first.text or len(w.syllables) != 1:
            break
        syl = w.syllables[0]
        if not syl.locked and syl.base == _ASKING[first.text]:
            syl.tone = tone


def clause_words(norm: str, overrides: OverrideTable, unknown: list[str], erhua: bool = True) -> list[Word]:
    """Words of one normalised clause; characters without a reading go to ``unknown``."""
    words: list[Word] = []
    pending_break = 0
    tokens = list(_TOKEN_RE.finditer(norm))
    for t, m in enumerate(tokens):
        kind = m.lastgroup
        tok = m.group(0)
        if kind == "comma":
            pending_break = 3 if words else 0
            continue
        if kind == "space":
            pending_break = max(pending_break, 2 if words else 0)
            continue
        if kind == "han":
            after = next((n.lastgroup for n in tokens[t + 1:] if n.lastgroup != "space"), "comma")
            new = _hanzi_words(tok, unknown, clause_start=not words or pending_break >= 3, clause_end=after == "comma")
        elif kind == "num":
            new = _number_word(tok[1:-1], unknown)
        elif kind == "lat":
            new = [letter_word(tok)]
        else:
            chunk, syls = overrides.entries[tok]
            new = [Word(
                text=chunk,
                syllables=[
                    Syllable(text=chunk[i] if len(chunk) == len(syls) else chunk, base=b, tone=t, locked=True)
                    for i, (b, t) in enumerate(syls)
                ],
                pos="x", kind="override",
            )]
        if new:
            if pending_break == 2 and new[0].kind in _NON_HANZI and words[-1].kind in _NON_HANZI \
                    and not (new[0].kind == words[-1].kind == "number"):
                pending_break = 1  # "iPhone 15", "Pro Max": a word gap, not a phrase break
                # (two digit groups apart, as in 400 812 3123, keep their phrase break)
            new[0].break_before = max(new[0].break_before, pending_break)
            pending_break = 0
            words.extend(new)
    for ch in norm:
        if not (is_hanzi(ch) or is_override_marker(ch) or ch.isascii() or ch == "，"):
            unknown.append(ch)
    return _apply_erhua(words) if erhua else words
