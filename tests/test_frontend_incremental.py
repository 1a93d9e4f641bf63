"""Incremental frontend (``Frontend.iter_segments``): the same segments and warnings as the
whole-text call, warnings before the first segment, the same errors, and lazy work."""
import logging
import re
import time
from pathlib import Path

import pytest

from index_tts.frontend import BAKER_SYMBOLS, Frontend, FrontendError, OverrideError, UnknownSymbolError
from index_tts.frontend import normalize as normalize_mod
from index_tts.frontend import numbers as numbers_mod
from index_tts.frontend.g2p import _tools, clause_words
from index_tts.frontend.incremental import NO_READABLE_TEXT, SegmentStream, has_single_reading, usable_reading
from index_tts.frontend.overrides import OverrideTable
from index_tts.frontend.polyphone import CHAR_DEFAULTS, WORD_FIXES
from index_tts.frontend.text import HANZI_RANGES, is_hanzi
from index_tts.stress.checks import PARAGRAPH, long_text

log = logging.getLogger(__name__)

ROOT = Path(__file__).resolve().parents[1]
TEACHER = ROOT / "index_tts" / "train" / "data" / "teacher_sentences_zh.txt"
EVAL_DIR = ROOT / "index_tts" / "eval" / "data"
DEV_TSV = [ROOT / "shared" / "eval" / "dev_sentences_zh.tsv", ROOT.parent / "shared" / "eval" / "dev_sentences_zh.tsv"]


def _texts(path: Path) -> list[str]:
    out = []
    for line in path.read_text(encoding="utf-8").splitlines():
        if not line.strip() or line.startswith("#"):
            continue
        out.append(line.split("\t")[-1] if path.suffix == ".tsv" else line)
    return out


@pytest.fixture(scope="module")
def corpus() -> list[str]:
    texts = _texts(TEACHER)
    for path in sorted(EVAL_DIR.iterdir()):
        if path.suffix in (".tsv", ".txt"):
            texts += _texts(path)
    texts += next((_texts(p) for p in DEV_TSV if p.exists()), [])
    return texts


def check_same(fe, text, overrides=None, limit=None, eager=None):
    """Warnings read before the first segment, then the segments, equal the whole-text call."""
    stream = fe.iter_segments(text, pinyin_overrides=overrides, max_segment_syllables=limit)
    early = list(stream.warnings)
    done_early = stream.sentences_done
    segments = list(stream)
    whole = fe(text, pinyin_overrides=overrides, max_segment_syllables=limit)
    assert early == whole.warnings, text[:60]
    assert stream.warnings == whole.warnings
    assert segments == whole.segments, text[:60]
    if segments:
        assert [s.pause_after for s in segments].count("none") == 1 and segments[-1].pause_after == "none"
        assert done_early <= 2 or stream.eager  # warnings needed at most the first segment's look-ahead
    if eager is not None:
        assert stream.eager is eager, text[:60]
    return whole


def test_every_corpus_line(fe, corpus):
    assert len(corpus) > 1700
    for text in corpus:
        check_same(fe, text, eager=False)


def _joined(corpus, sep, start, n):
    return sep.join(corpus[start:start + n])


@pytest.mark.parametrize("sep", ["", "\n", "\n\n", "。\n", "。。。"])
def test_long_multi_paragraph_texts(fe, corpus, sep):
    for start in range(0, len(corpus) - 120 + 1, 400):  # whole windows of 120 texts only
        u = check_same(fe, _joined(corpus, sep, start, 120), eager=False)
        assert len(u.segments) > 60


@pytest.mark.parametrize("text, overrides", [
    ("他还[huan2]了钱。\n我要还款，银行说行。" * 30, {"还款": "huan2 kuan3", "银行": ["yin2", "xing2"]}),
    ("你[ni3]好。一[yi1]天。不[bu4]要！" * 20, None),
    ("他还钱了，还会来。" * 40, {"还": "hai2"}),
    ("参考文献[1]说，" * 50 + "好。", None),
])
def test_pinyin_overrides(fe, corpus, text, overrides):
    check_same(fe, text, overrides=overrides, eager=False)
    check_same(fe, _joined(corpus, "\n", 7, 60) + text, overrides=overrides, eager=False)


@pytest.mark.parametrize("extra", ["😀", "カタカナ", "한국어", "Привет", "\ue000", "①"])
def test_unknown_characters(fe, corpus, extra):
    texts = [extra + _joined(corpus, "", 0, 50), _joined(corpus, "\n", 100, 50) + extra + "。",
             extra.join(corpus[200:260])]
    for text in texts:
        u = check_same(fe, text, eager=False)
        assert u.warnings and u.warnings[0].startswith("skipped")


@pytest.mark.parametrize("text", [
    "", " ", "\n\n\n", "。。。", "！？，、；：……", "……——", "😀😀。", "“”。（）！",
    "你好。。。。\n\n\n！！！", "。。。你好", "你好。" + "。！？\n" * 50, "%", "%%%。", "A", "1。2。3",
])
def test_empty_sentences_and_punctuation(fe, text):
    u = check_same(fe, text, eager=False)
    if not u.segments:
        assert u.warnings[-1] == NO_READABLE_TEXT


@pytest.mark.parametrize("limit", [4, 8, 12, 60])
def test_segment_limits(fe, corpus, limit):
    check_same(fe, _joined(corpus, "", 300, 80), limit=limit, eager=False)


def test_char_without_reading_processes_whole_text(fe, corpus):
    """A Hanzi pypinyin cannot read: only G2P finds it, so the stream works eagerly and
    its warnings (read before the first segment) still equal the whole-text call's."""
    rare = next(chr(cp) for cp in range(0x4E00, 0xA000) if not has_single_reading(chr(cp)))
    assert clause_words(rare, OverrideTable(), unknown := []) == [] and unknown == [rare]
    text = _joined(corpus, "\n", 0, 30) + rare + "字。" + _joined(corpus, "", 30, 30)
    u = check_same(fe, text, eager=True)
    assert f"U+{ord(rare):04X}" in u.warnings[0]


def test_same_errors(fe):
    for args in [(123,), (None,), ("你好", None, 3), ("你好", None, "x"), ("还[hx2]",), ("[yin2]开头",),
                 ("还", {"还": "huan"}), ("银行", {"": "yin2"}), ("银行", ["yin2"])]:
        with pytest.raises((FrontendError, ValueError)) as whole:
            fe(*args)
        with pytest.raises(whole.type) as streamed:
            fe.iter_segments(*args)
        assert str(streamed.value) == str(whole.value)
    with pytest.raises(OverrideError):
        fe.iter_segments("行[yin2 hang2]")
    fe2 = Frontend(symbols=[s for s in BAKER_SYMBOLS if s != "er5"])
    stream = fe2.iter_segments("你好。" * 5 + "这儿。")  # a missing phone: found at its segment
    assert [next(stream) for _ in range(5)]
    with pytest.raises(UnknownSymbolError, match="er5"):
        next(stream)
    with pytest.raises(UnknownSymbolError, match="er5"):
        fe2("你好。" * 5 + "这儿。")


def test_first_segment_needs_only_the_first_sentences(fe):
    text = long_text(4900)
    fe(text)  # warm
    stream = fe.iter_segments(text)
    assert isinstance(stream, SegmentStream)
    first = next(stream)
    assert stream.sentences_done <= 2
    assert first == fe(text).segments[0]
    assert len(list(stream)) > 100 and stream.sentences_done > 100
    t_first, t_whole = [], []
    for _ in range(3):
        t0 = time.perf_counter()
        next(fe.iter_segments(text))
        t1 = time.perf_counter()
        fe(text)
        t_first.append(t1 - t0)
        t_whole.append(time.perf_counter() - t1)
    log.warning("4,900 chars: first segment %.1f ms, whole utterance %.1f ms (best of 3)",
                1000 * min(t_first), 1000 * min(t_whole))
    short = fe.iter_segments(PARAGRAPH)
    next(short)
    assert short.sentences_done <= 2


# ------------------------------------------- why the G2P adds no unreadable character


def test_phrase_fix_and_rule_readings_are_allusable_reading():
    """Readings other than a character's own: pypinyin phrases, WORD_FIXES, polyphone rules."""
    from pypinyin.contrib.tone_convert import to_tone3

    phrases = _tools()[3]
    syllables = {alts[0] for readings in phrases.values() for alts in readings}
    bad = sorted(s for s in syllables if not usable_reading(to_tone3(s, neutral_tone_with_five=True)))
    assert not bad
    assert all(usable_reading(r) for fix in WORD_FIXES.values() for r in fix.split())
    assert all(usable_reading(r) for r in CHAR_DEFAULTS.values())
    source = (ROOT / "index_tts" / "frontend" / "polyphone.py").read_text(encoding="utf-8")
    rule_readings = re.findall(r"\"([a-z]+[0-9])\"", source)
    assert len(rule_readings) > 30 and all(usable_reading(r) for r in rule_readings)


def test_normaliser_writes_only_readable_hanzi():
    hanzi = {ch for mod in (normalize_mod, numbers_mod) for ch in Path(mod.__file__).read_text(encoding="utf-8")
             if is_hanzi(ch)}
    assert len(hanzi) > 100
    assert not [ch for ch in hanzi if not has_single_reading(ch)]


def test_single_reading_matches_the_g2p():
    chars = [chr(cp) for lo, hi in HANZI_RANGES for cp in range(lo, min(hi, lo + 3000) + 1, 7)]
    for ch in chars:
        unknown: list[str] = []
        clause_words(ch, OverrideTable(), unknown)
        assert (unknown == [ch]) is (not has_single_reading(ch)), ch
