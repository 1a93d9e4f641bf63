"""Frontend contract: Utterance/Segment structure, breaks, splitting, warnings, bad input."""
import time
from pathlib import Path

import pytest

from index_tts.frontend import (
    BAKER_SYMBOLS,
    Frontend,
    FrontendConfig,
    FrontendError,
    Segment,
    UnknownSymbolError,
    Utterance,
)
from index_tts.frontend.symbols import is_final_symbol

EVAL_TSV = Path(__file__).resolve().parents[1] / "shared" / "eval" / "dev_sentences_zh.tsv"
EVAL_TSV_ALT = Path("/work/shared/eval/dev_sentences_zh.tsv")


def check_segment(seg: Segment, symbols=BAKER_SYMBOLS):
    n = len(seg.phones)
    assert seg.phones[0] == "sil" and seg.phones[-2:] == ["sil", "eos"]
    assert len(seg.ids) == len(seg.tones) == len(seg.syllable_index) == len(seg.word_index) == n
    assert [symbols[i] for i in seg.ids] == seg.phones
    own = seg.context_start if seg.context_start is not None else n
    for k, (p, t, si, wi) in enumerate(zip(seg.phones, seg.tones, seg.syllable_index, seg.word_index)):
        if k >= own:  # look-ahead context: read by the model, not part of this segment
            assert si == -1 and wi == -1
            continue
        if is_final_symbol(p):
            assert t == int(p[-1]) and si >= 0 and 0 <= wi < len(seg.words)
        else:
            assert t == 0
        if p in ("sil", "eos", "#1", "#2", "#3"):
            assert si == -1 and wi == -1
    assert max(seg.syllable_index) == seg.n_syllables - 1
    # no two break symbols in a row, no break next to sil
    for a, b in zip(seg.phones, seg.phones[1:]):
        assert not (a.startswith("#") and b.startswith("#"))
        assert not (a == "sil" and b.startswith("#")) and not (a.startswith("#") and b == "sil")


def test_basic_contract(fe):
    u = fe("今天天气真不错，我们一起去公园散步吧。")
    assert isinstance(u, Utterance) and u.warnings == [] and len(u.segments) == 1
    seg = u.segments[0]
    check_segment(seg)
    assert seg.text == "今天天气真不错，我们一起去公园散步吧。"
    assert seg.normalized == "今天天气真不错，我们一起去公园散步吧"
    assert seg.n_syllables == 17
    assert seg.phones.count("#3") == 1  # the comma stays inside the segment
    assert "#0" in seg.phones and "#1" in seg.phones
    assert seg.phones[:5] == ["sil", "j", "in1", "#0", "t"]
    assert seg.sentence_type == "declarative" and seg.pause_after == "none"
    assert "公园" in seg.words


def test_word_index_points_at_words(fe):
    seg = fe("他在银行工作").segments[0]
    k = seg.words.index("银行")
    idx = [i for i, w in enumerate(seg.word_index) if w == k]
    assert [seg.phones[i] for i in idx] == ["^", "in2", "#0", "h", "ang2"]


def test_sentence_types_and_pauses(fe):
    u = fe("你吃过晚饭了吗？要不要一起去看电影？真是太棒了！好的。")
    assert [s.sentence_type for s in u.segments] == ["question", "question", "exclamation", "declarative"]
    assert [s.pause_after for s in u.segments] == ["sentence", "sentence", "sentence", "none"]
    assert fe("你好吗").segments[0].sentence_type == "question"
    assert fe("真的吗?!").segments[0].sentence_type == "question"


def test_sentence_enders(fe):
    u = fe("第一句；第二句…第三句\n第四句!第五句?")
    assert [s.text for s in u.segments] == ["第一句；", "第二句…", "第三句", "第四句!", "第五句?"]


def test_quotes_brackets_and_ascii_punctuation(fe):
    u = fe("“你好！”她笑着说，“欢迎来到《我们的城市》（北京）。”")
    assert [s.text for s in u.segments] == ["“你好！”", "她笑着说，“欢迎来到《我们的城市》（北京）。”"]
    for s in u.segments:
        check_segment(s)
        assert not any(c in s.normalized for c in "“”《》（）")
    a = fe("你好,世界.再见!")
    b = fe("你好，世界。再见！")
    assert [s.phones for s in a.segments] == [s.phones for s in b.segments]


def test_full_width_forms(fe):
    assert fe("１２３").segments[0].pinyin == fe("123").segments[0].pinyin
    assert fe("ＡＰＰ").segments[0].pinyin == ["ei1", "pi1", "pi1"]


def test_long_text_split_at_commas_then_words(fe):
    limit = fe.config.max_segment_syllables
    clause = "我们在银行工作"  # 7 syllables
    text = "，".join([clause] * 20) + "。"
    u = fe(text)
    assert len(u.segments) > 1
    assert all(s.n_syllables <= limit for s in u.segments)
    assert sum(s.n_syllables for s in u.segments) == 140
    assert [s.pause_after for s in u.segments][:-1] == ["comma"] * (len(u.segments) - 1)
    assert all(s.text.startswith(clause) for s in u.segments)
    assert "".join(s.text for s in u.segments) == text
    no_punct = clause * 30  # 210 syllables, no punctuation at all
    u = fe(no_punct)
    assert all(s.n_syllables <= limit for s in u.segments)
    # few segments (at most one more than the limit forces), each cut at a phrase break (#2)
    assert len(u.segments) <= -(-210 // (limit - 4)) + 1
    assert all(s.phones[s.context_start - 1] == "#2" for s in u.segments[:-1])
    assert [s.pause_after for s in u.segments][:-1] == ["phrase"] * (len(u.segments) - 1)
    words = [w for s in u.segments for w in s.words]
    assert set(words) <= {"我们", "在", "银行", "工作"}  # never cut inside a word
    for s in u.segments:
        check_segment(s)


def test_segment_limit_is_configurable():
    fe = Frontend(config=FrontendConfig(max_segment_syllables=10))
    u = fe("今天天气真不错，我们一起去公园散步吧，然后回家。")
    assert all(s.n_syllables <= 10 for s in u.segments) and len(u.segments) >= 3


def test_unreadable_characters_warn(fe):
    u = fe("你好😀，世界🌍！")
    assert len(u.warnings) == 1 and "😀" in u.warnings[0] and "🌍" in u.warnings[0]
    assert u.segments[0].pinyin == ["ni2", "hao3", "shi4", "jie4"]
    u = fe("안녕 привет مرحبا 你好")
    assert len(u.warnings) == 1
    assert all(c in u.warnings[0] for c in "안п") and "م" in u.warnings[0]
    assert u.segments[0].pinyin == ["ni2", "hao3"]


def test_japanese_kanji_are_read(fe):
    u = fe("東京は日本の首都です。")
    assert u.segments[0].pinyin == ["dong1", "jing1", "ri4", "ben3", "shou3", "du1"]
    assert "は" in u.warnings[0]


@pytest.mark.parametrize("text", ["", "   \n\t ", "😀😀😀", "……！？", "“”（）"])
def test_nothing_readable(fe, text):
    u = fe(text)
    assert u.segments == [] and u.warnings
    assert "no readable text" in u.warnings[-1]


@pytest.mark.parametrize("bad", [None, 123, b"bytes", ["list"]])
def test_non_string_input_raises(fe, bad):
    with pytest.raises(FrontendError):
        fe(bad)


def test_huge_text_is_linear_and_bounded(fe):
    fe("预热一下。")  # jieba loads on first use
    base = "随着城市化进程的加快，越来越多的年轻人选择到大城市工作和生活。电话是13912345678！"
    text = (base * (20000 // len(base) + 1))[:20000]
    t0 = time.perf_counter()
    u = fe(text)
    elapsed = time.perf_counter() - t0
    assert elapsed < 10.0, f"20,000 characters took {elapsed:.1f} s"
    assert all(s.n_syllables <= fe.config.max_segment_syllables for s in u.segments)
    assert not u.warnings
    t0 = time.perf_counter()
    u = fe("这是一个没有标点的长句子" * 1700)
    assert time.perf_counter() - t0 < 10.0
    assert all(s.n_syllables <= fe.config.max_segment_syllables for s in u.segments)


def test_custom_symbol_table():
    custom = list(reversed(BAKER_SYMBOLS))
    fe = Frontend(symbols=custom)
    seg = fe("你好").segments[0]
    check_segment(seg, custom)
    no_erhua = [s for s in BAKER_SYMBOLS if s != "er5"]
    fe2 = Frontend(symbols=no_erhua)
    fe2("你好")  # fine
    with pytest.raises(UnknownSymbolError, match="er5"):
        fe2("这儿")


def test_config_roundtrip():
    cfg = FrontendConfig(max_segment_syllables=40)
    assert FrontendConfig.from_dict(cfg.to_dict()) == cfg
    with pytest.raises(ValueError):
        FrontendConfig(max_segment_syllables=0)
    with pytest.raises(ValueError):
        FrontendConfig.from_dict({"max_len": 3})


def test_no_heavy_imports():
    import subprocess
    import sys

    code = "import sys, index_tts.frontend; print(sorted(m for m in ('torch','jieba','pypinyin') if m in sys.modules))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_eval_sentences_sanity(fe):
    path = EVAL_TSV if EVAL_TSV.exists() else EVAL_TSV_ALT
    if not path.exists():
        pytest.skip("evaluation sentences not available")
    for line in path.read_text(encoding="utf-8").splitlines():
        if not line.strip():
            continue
        sid, _, text = line.split("\t")
        u = fe(text)
        assert u.segments and not u.warnings, sid
        for s in u.segments:
            check_segment(s)
            hanzi = sum(1 for c in s.normalized if "\u4e00" <= c <= "\u9fff")
            erhua = sum(1 for p in s.phones if p == "er5")
            assert s.n_syllables >= hanzi - erhua, sid
