"""Segmentation with POS tags and lazy pinyin over the compact :class:`~.lexicon.Lexicon`.

Both reproduce, output for output, what the frontend used from the libraries:

* :func:`pos_cut` = ``jieba.posseg.lcut(text, HMM=False)`` as ``(word, tag)`` pairs:
  blocks of ``[\\u4E00-\\u9FD5a-zA-Z0-9+#&._]`` are cut on the word DAG of the dictionary
  (every dictionary word with frequency > 0 starting at each position, or the character
  alone) by the route of maximum ``sum(log(freq or 1) - log(total))`` taken right to left,
  ties going to the longer word; single Latin letters / digits of the route are gathered
  into one ``eng`` token; the rest is split on whitespace (tag ``x``) and cut per
  character (``m`` for digits and dots, ``eng`` when the whole piece is Latin/digits, else
  ``x``).
* :func:`lazy_pinyin` = ``pypinyin.lazy_pinyin(text, style=TONE3,
  neutral_tone_with_five=True, errors=...)``: the text is split into runs that do and do
  not match pypinyin's Hanzi pattern; Hanzi runs are cut by forward maximum matching over
  the phrase dictionary (only whole phrases count as words, else single characters);
  a phrase takes its stored readings, a character its first reading, both already in
  TONE3-with-5 as pypinyin converted them at build time; ``errors`` handles the rest.

The rules were read from jieba 0.42.1 and pypinyin 0.55.0; ``tests/test_lexicon.py``
compares both functions with the libraries on the project's sentence sets.
"""
from __future__ import annotations

import re
from math import log

from .lexicon import Lexicon

_RE_HAN_INTERNAL = re.compile(r"([\u4E00-\u9FD5a-zA-Z0-9+#&\._]+)")
_RE_SKIP_INTERNAL = re.compile(r"(\r\n|\s)")
_RE_ENG = re.compile(r"[a-zA-Z0-9]+")
_RE_NUM = re.compile(r"[\.0-9]+")
_RE_ENG1 = re.compile(r"^[a-zA-Z0-9]$", re.U)
_RE_DIGIT = re.compile(r"\d")


def _route(lex: Lexicon, sentence: str) -> list[int]:
    """End index (inclusive) of the word starting at each position on the best route."""
    n = len(sentence)
    words, freqs = lex.words, lex.word_freq
    maxlen = lex.max_word_len
    logtotal = log(lex.total)
    score = [0.0] * (n + 1)
    end = [0] * (n + 1)
    for idx in range(n - 1, -1, -1):
        best = None
        for word, i in words.iter_prefixes_with_ids(sentence[idx:idx + maxlen]):
            f = freqs[i]
            if f:
                x = idx + len(word) - 1
                cand = (log(f) - logtotal + score[x + 1], x)
                if best is None or cand > best:
                    best = cand
        if best is None:  # no dictionary word here: the character alone, freq "or 1"
            best = (log(1) - logtotal + score[idx + 1], idx)
        score[idx], end[idx] = best
    return end


def _cut_dag_no_hmm(lex: Lexicon, sentence: str, out: list[tuple[str, str]]) -> None:
    end = _route(lex, sentence)
    x, n, buf = 0, len(sentence), ""
    while x < n:
        y = end[x] + 1
        word = sentence[x:y]
        if _RE_ENG1.match(word):
            buf += word
        else:
            if buf:
                out.append((buf, "eng"))
                buf = ""
            out.append((word, lex.tag(word)))
        x = y
    if buf:
        out.append((buf, "eng"))


def pos_cut(lex: Lexicon, sentence: str) -> list[tuple[str, str]]:
    """``[(p.word, p.flag) for p in jieba.posseg.lcut(sentence, HMM=False)]``."""
    out: list[tuple[str, str]] = []
    for blk in _RE_HAN_INTERNAL.split(sentence):
        if _RE_HAN_INTERNAL.match(blk):
            _cut_dag_no_hmm(lex, blk, out)
            continue
        for x in _RE_SKIP_INTERNAL.split(blk):
            if _RE_SKIP_INTERNAL.match(x):
                out.append((x, "x"))
                continue
            for xx in x:
                if _RE_NUM.match(xx):
                    out.append((xx, "m"))
                elif _RE_ENG.match(x):  # (sic) jieba tests the whole piece here
                    out.append((xx, "eng"))
                else:
                    out.append((xx, "x"))
    return out


class PinyinReader:
    """``lazy_pinyin(..., style=TONE3, neutral_tone_with_five=True)`` over a Lexicon."""

    def __init__(self, lex: Lexicon):
        meta = lex.meta
        self.lex = lex
        self.re_hans = re.compile(meta["re_hans"])
        self.re_tone3 = re.compile(meta["re_tone3"])
        marks = [(k, v) for k, v in meta["tone_marks"]]
        single = "".join(k for k, _ in marks if len(k) == 1)
        self.re_mark = re.compile("[" + re.escape(single) + "]") if single else None
        self.mark_to_num = dict(marks)
        self.multi_marks = [(k, v) for k, v in marks if len(k) > 1]

    def _tone3_five(self, pinyin: str) -> str:
        """pypinyin's TONE3 conversion plus the neutral-tone-5 rule, for ``errors`` output."""
        value = pinyin
        if self.re_mark is not None:
            value = self.re_mark.sub(lambda m: self.mark_to_num[m.group(0)], value)
        for symbol, to in self.multi_marks:
            value = value.replace(symbol, to)
        value = self.re_tone3.sub(r"\1\3\2", value)
        if not value or _RE_DIGIT.search(value):
            return value
        return value + "5"

    @staticmethod
    def _no_pinyin(chars: str, errors) -> list[str]:
        """pypinyin's handle_nopinyin for a lazy (non-heteronym) result, one item per reading."""
        if callable(errors):
            py = errors(chars)
        elif errors == "default":
            py = chars
        elif errors == "ignore":
            py = None
        elif errors == "replace":
            py = "".join("%x" % ord(x) for x in chars)
        else:
            raise ValueError(f"unsupported errors mode {errors!r}")
        if not py:
            return []
        if isinstance(py, list):
            return [x[0] for x in py] if isinstance(py[0], list) else list(py)
        return [py]

    def _cut(self, text: str):
        """pypinyin's mmseg (no_non_phrases=True), in an equivalent form.

        mmseg grows a prefix while it is a prefix of some phrase key, remembering the longest
        one that is a phrase. That is the longest phrase among the prefixes of the rest; when
        there is none, it emits one character, except when the whole rest is a prefix of some
        phrase key: then it emits every remaining character on its own and stops.
        """
        phrases, maxlen = self.lex.phrases, self.lex.max_phrase_len
        pos, n = 0, len(text)
        while pos < n:
            head = text[pos:pos + maxlen]
            longest = 0
            for word in phrases.iter_prefixes(head):
                longest = max(longest, len(word))
            if longest:
                yield text[pos:pos + longest]
                pos += longest
            elif n - pos <= maxlen and next(phrases.iterkeys(head), None) is not None:
                yield from text[pos:]
                return
            else:
                yield text[pos]
                pos += 1

    def _hanzi_token(self, tok: str, errors) -> list[str]:
        readings = self.lex.phrase_readings(tok)
        if readings is not None:
            return readings
        out: list[str] = []
        for ch in tok:
            r = self.lex.char_reading(ch)
            if r is not None:
                out.append(r)
            else:
                out.extend(self._tone3_five(p) if p else "" for p in self._no_pinyin(ch, errors))
        return out

    def __call__(self, text: str, errors="default") -> list[str]:
        out: list[str] = []
        for chunk in self._runs(text):
            if not self.re_hans.match(chunk):
                out.extend(p if p else "" for p in self._no_pinyin(chunk, errors))
            else:
                for tok in self._cut(chunk):
                    out.extend(self._hanzi_token(tok, errors))
        return out

    def _runs(self, text: str) -> list[str]:
        """pypinyin's simple_seg: alternating runs of Hanzi and non-Hanzi characters."""
        runs: list[str] = []
        cur, cur_han = "", None
        for ch in text:
            han = bool(self.re_hans.match(ch))
            if cur_han is None or han == cur_han:
                cur += ch
            else:
                runs.append(cur)
                cur = ch
            cur_han = han
        runs.append(cur)
        return runs
