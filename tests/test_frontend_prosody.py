"""Prosodic breaks: #0 inside prosodic words, #1 between them, #2 phrases, #3 commas."""

from index_tts.frontend.breaks import assign_breaks
from index_tts.frontend.types import Syllable, Word


def breaks_between(seg):
    """Syllable-level view: list of (syllable, following break) pairs."""
    out, current = [], None
    for p, si in zip(seg.phones, seg.syllable_index):
        if si >= 0 and si != current:
            current = si
            out.append([seg.pinyin[si], None])
        elif p.startswith("#") and out:
            out[-1][1] = p
    return [tuple(x) for x in out]


def test_particles_and_short_words_join_neighbours(fe):
    b = dict(breaks_between(fe("我们一起去公园散步吧").segments[0]))
    assert b["bu4"] == "#0"  # 散步 + 吧
    assert b["qu4"] == "#0"  # 去 + 公园
    assert b["men5"] in ("#1", "#2")  # 我们 | 一起
    b = breaks_between(fe("他一句话也没说").segments[0])
    assert [x[1] for x in b] == ["#1", "#0", "#0", "#1", "#0", "#0", None]  # 他 | 一句话 | 也没说


def test_phrase_breaks_only_in_long_stretches(fe):
    short = fe("我也想去北京旅游").segments[0]
    assert "#2" not in short.phones and "#3" not in short.phones
    long = fe("随着城市化进程的加快越来越多的年轻人选择到大城市工作和生活").segments[0]
    assert long.phones.count("#2") >= 2
    # phrases stay reasonably short
    sizes, n = [], 0
    for p, si in zip(long.phones, long.syllable_index):
        if p == "#2":
            sizes.append(n)
            n = 0
        elif p[-1].isdigit() and si >= 0 and p != "er5":
            n += 1
    sizes.append(n)
    assert max(sizes) <= 10 and min(sizes) >= 3


def test_comma_level_punctuation_gives_break3(fe):
    seg = fe("他们在追求梦想的同时，也面临着住房、交通和工作压力等诸多问题：这是事实", max_segment_syllables=60).segments[0]
    assert seg.phones.count("#3") == 3


def test_no_break_after_demonstrative():
    def w(text, pos, n=None):
        syls = [Syllable(text=c, base="a", tone=1) for c in text]
        return Word(text=text, syllables=syls, pos=pos)

    words = [w("他", "r"), w("觉得", "v"), w("这部", "r"), w("电影", "n"), w("很", "d"), w("好看", "v")]
    br = assign_breaks(words)
    assert len(br) == 5 and br[2] < 2  # 这部 | 电影 never a phrase break
    assert br[1] == 2  # 他觉得 | 这部电影很好看
