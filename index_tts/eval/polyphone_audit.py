"""Audit the frontend's readings of dictionary words against a second opinion (session 16).

    pip install g2pM==0.1.2.5                  # the second opinion; not a project dependency
    python -m index_tts.eval.polyphone_audit words --min-freq 300            # words to look at by hand
    python -m index_tts.eval.polyphone_audit words --min-freq 60 --max-freq 300
    python -m index_tts.eval.polyphone_audit first-readings                   # needs no g2pM
    python -m index_tts.eval.polyphone_audit overlaps --min-freq 30           # needs no g2pM
    python -m index_tts.eval.polyphone_audit rare-phrase-readings --min-freq 15   # needs no g2pM

``words``: jieba's dictionary words (2-4 characters, frequency in [min, max)) that pypinyin's
phrase dictionary does not hold and that contain a polyphonic character are read through the
Frontend and through g2pM, a small neural polyphone model. A word is printed when the two
disagree on a polyphonic character in a way tone sandhi does not explain (our third tone
before a third tone, 一 and 不, neutral tones). g2pM is often wrong itself, so the list is for a
person to judge; it is not a score.

``first-readings``: characters whose first reading in pypinyin's character table (the reading a
word outside any phrase gets) is one that pypinyin's own phrase dictionary uses in under 40 % of
its entries, weighted by jieba word frequency.

``overlaps``: longer jieba words (3+ characters, outside pypinyin's phrases) whose reading
disagrees with a pypinyin phrase inside them: pypinyin cut the word so that an overlapping phrase
won (本行|政区域 read 行 háng although 行政 is a phrase). Also for a person to judge.

``rare-phrase-readings`` (session 17): pypinyin's own phrases where a polyphonic character takes a
syllable that its phrases, weighted by jieba frequency, use less than 5 % of the time. Most rows
are real rare readings (会计, 提防, 海参); the rest are errors in pypinyin's data that every reading
of that word repeats (质朴/简朴/古朴 with 朴 piáo, 查查 zhā, 暴晒 pù, 垫圈 juàn).
"""
from __future__ import annotations

import argparse
import collections
import logging
import os
import sys
from typing import Iterator, Optional, Sequence

_SKIP = "一不"


def _jieba_words() -> Iterator[tuple[str, int, str]]:
    import jieba

    with open(os.path.join(os.path.dirname(jieba.__file__), "dict.txt"), encoding="utf-8") as f:
        for line in f:
            word, freq, tag = line.split()
            yield word, int(freq), tag


def _tone3(syllable: str) -> str:
    from pypinyin import Style
    from pypinyin.style import convert

    return convert(syllable, Style.TONE3, strict=False)


def _heteronyms() -> set[str]:
    import pypinyin.pinyin_dict as table

    return {chr(code) for code, readings in table.pinyin_dict.items() if "," in readings}


def _readings(frontend, word: str) -> list[str]:
    """The Frontend's toned syllables for ``word`` read alone."""
    return frontend(word).pinyin


def explained(ours: Sequence[str], theirs: Sequence[str], word: str, polyphonic: set[str]) -> bool:
    """True when every difference on a polyphonic character is tone sandhi, 一/不 or a neutral tone."""
    for i, ch in enumerate(word):
        a, b = ours[i], theirs[i].replace("u:", "v")
        if ch not in polyphonic or ch in _SKIP or a == b or "5" in (a[-1:], b[-1:]):
            continue
        next_low = i + 1 < len(word) and theirs[i + 1][-1:] == "3"
        if a[:-1] == b[:-1] and a[-1:] == "2" and b[-1:] == "3" and next_low:
            continue
        return False
    return True


def audit_words(min_freq: int, max_freq: int) -> Iterator[str]:
    import pypinyin.phrases_dict as phrases
    from g2pM import G2pM

    from ..frontend import Frontend

    frontend, model, polyphonic = Frontend(), G2pM(), _heteronyms()
    rows = sorted(((f, w, t) for w, f, t in _jieba_words()
                   if min_freq <= f < max_freq and 2 <= len(w) <= 4 and w not in phrases.phrases_dict
                   and any(c in polyphonic for c in w)), reverse=True)
    logging.getLogger(__name__).info("%d candidate words", len(rows))
    for freq, word, tag in rows:
        ours = _readings(frontend, word)
        theirs = model(word, tone=True, char_split=False)
        if len(ours) == len(theirs) == len(word) and not explained(ours, theirs, word, polyphonic):
            yield f"{freq} {tag} {word} {' '.join(ours)} | g2pM {' '.join(theirs)}"


def _same(ours: str, phrase: str) -> bool:
    """Our toned syllable agrees with a phrase's, up to a neutral tone or third-tone sandhi."""
    if not phrase[-1:].isdigit():
        phrase += "5"
    if ours[:-1] != phrase[:-1]:
        return False
    return ours[-1] == phrase[-1] or "5" in (ours[-1], phrase[-1]) or (ours[-1] == "2" and phrase[-1] == "3")


def _disagreeing_phrase(word: str, ours: Sequence[str], phrases: dict) -> Optional[tuple[str, list]]:
    """The first pypinyin phrase inside ``word`` (left to right, shorter first) whose reading
    disagrees with ours, with its readings; None when every phrase inside agrees."""
    for i in range(len(word)):
        for j in range(i + 2, len(word) + 1):
            sub = word[i:j]
            readings = phrases.get(sub)
            if readings and len(readings) == len(sub) and any(
                    ch not in _SKIP and not _same(ours[i + k], _tone3(readings[k][0])) for k, ch in enumerate(sub)):
                return sub, readings
    return None


def overlaps(min_freq: int) -> Iterator[str]:
    import pypinyin.phrases_dict as phrases

    from ..frontend import Frontend

    frontend = Frontend()
    rows = []
    for word, freq, tag in _jieba_words():
        if freq < min_freq or len(word) < 3 or word in phrases.phrases_dict:
            continue
        ours = _readings(frontend, word)
        found = _disagreeing_phrase(word, ours, phrases.phrases_dict) if len(ours) == len(word) else None
        if found:
            sub, readings = found
            rows.append((freq, f"{freq} {tag} {word} {' '.join(ours)} | phrase {sub} "
                               f"{' '.join(_tone3(r[0]) for r in readings)}"))
    for _, line in sorted(rows, reverse=True):
        yield line


def _phrase_usage(syllable_key) -> tuple[dict[str, collections.Counter], dict[str, int]]:
    """Per character: how much each of its readings (``syllable_key`` of the toned syllable) is used
    in pypinyin's phrase dictionary, weighted by jieba's word frequency; and that frequency table."""
    import pypinyin.phrases_dict as phrases

    freq = {w: f for w, f, _ in _jieba_words()}
    used: dict[str, collections.Counter] = collections.defaultdict(collections.Counter)
    for word, readings in phrases.phrases_dict.items():
        if len(readings) == len(word) and freq.get(word):
            for ch, r in zip(word, readings):
                used[ch][syllable_key(_tone3(r[0]))] += freq[word]
    return used, freq


def rare_first_readings(min_share: float = 0.6, min_weight: int = 100) -> Iterator[str]:
    import pypinyin.pinyin_dict as table

    used, _ = _phrase_usage(lambda s: s)
    rows = []
    for code, readings in table.pinyin_dict.items():
        ch, first = chr(code), _tone3(readings.split(",")[0])
        counts = used.get(ch)
        if "," not in readings or not counts:
            continue
        total = sum(counts.values())
        top, n = counts.most_common(1)[0]
        if top != first and n / total > min_share and total > min_weight:
            rows.append((total, ch, first, top, n / total))
    for total, ch, first, top, share in sorted(rows, reverse=True):
        yield f"{ch} first {first}, phrases use {top} in {share:.0%} (weight {total})"


def rare_phrase_readings(min_freq: int, max_share: float = 0.05) -> Iterator[str]:
    """pypinyin phrases (jieba frequency >= ``min_freq``) that give a polyphonic character a syllable
    its phrases use in under ``max_share`` of their weight: mostly right (会计 kuài, 提防 dī), but
    this is where the dictionary's slips are (简朴 piáo, 查查 zhā, 暴晒 pù)."""
    import pypinyin.phrases_dict as phrases

    toneless = lambda s: s.rstrip("12345")  # noqa: E731
    used, freq = _phrase_usage(toneless)
    polyphonic = _heteronyms()
    rows = []
    for word, readings in phrases.phrases_dict.items():
        if freq.get(word, 0) < min_freq or len(readings) != len(word):
            continue
        for ch, r in zip(word, readings):
            counts = used.get(ch)
            if ch not in polyphonic or not counts:
                continue
            syl = toneless(_tone3(r[0]))
            share = counts[syl] / sum(counts.values())
            if share < max_share:
                rows.append((freq[word], word, ch, _tone3(r[0]), share, counts.most_common(1)[0][0]))
    for f, word, ch, syl, share, top in sorted(rows, reverse=True):
        yield f"{f} {word} {ch} {syl} (phrases use it {share:.1%}; mostly {top})"


def main(argv: Optional[list[str]] = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m index_tts.eval.polyphone_audit", description=__doc__.split("\n")[0])
    sub = ap.add_subparsers(dest="cmd", required=True)
    w = sub.add_parser("words", help="dictionary words where the frontend and g2pM disagree")
    w.add_argument("--min-freq", type=int, default=300)
    w.add_argument("--max-freq", type=int, default=10**9)
    sub.add_parser("first-readings", help="characters whose first pypinyin reading is the rare one")
    o = sub.add_parser("overlaps", help="longer words that disagree with a pypinyin phrase inside them")
    o.add_argument("--min-freq", type=int, default=30)
    r = sub.add_parser("rare-phrase-readings", help="pypinyin phrases that use a character's rare syllable")
    r.add_argument("--min-freq", type=int, default=50)
    r.add_argument("--max-share", type=float, default=0.05)
    args = ap.parse_args(argv)
    logging.basicConfig(level=logging.WARNING)
    if args.cmd == "words":
        try:
            import g2pM  # noqa: F401
        except ImportError:
            print("error: this needs g2pM (pip install g2pM==0.1.2.5)", file=sys.stderr)
            return 2
        lines = audit_words(args.min_freq, args.max_freq)
    elif args.cmd == "overlaps":
        lines = overlaps(args.min_freq)
    elif args.cmd == "rare-phrase-readings":
        lines = rare_phrase_readings(args.min_freq, args.max_share)
    else:
        lines = rare_first_readings()
    n = 0
    for line in lines:
        print(line, flush=True)
        n += 1
    print(f"# {n} rows", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
