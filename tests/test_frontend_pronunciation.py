"""Pronunciation items Whisper heard wrong (issue 12, point 5): hotlines, third-tone chains, 还, rare words."""
import pytest

from reading import pinyin


def breaks(fe, text):
    return [p for s in fe(text).segments for p in s.phones if p in ("#1", "#2", "#3")]


HOTLINE = "si4 ling2 ling2 ba1 yao1 er4 san1 yao1 er4 san1"


@pytest.mark.parametrize("text", ["客服热线4008123123", "客服热线400-812-3123", "客服热线400 812 3123"])
def test_400_hotline_digit_by_digit(fe, text):
    assert pinyin(fe, text).endswith(HOTLINE)


def test_hotline_grouping_gives_phrase_breaks(fe):
    # 400 | 812 | 3123: two phrase breaks inside the number, none inside a group
    seg = fe("热线4008123123").segments[0]
    syl = seg.pinyin
    assert syl[-10:] == HOTLINE.split()
    number_breaks = [p for p in seg.phones[seg.phones.index("#1") + 1:] if p.startswith("#") and p != "#0"]
    assert number_breaks == ["#2", "#2"]


def test_hotline_written_grouping_is_kept(fe):
    assert pinyin(fe, "投诉电话：4006-123-456。").endswith("si4 ling2 ling2 liu4 yao1 er4 san1 si4 wu3 liu4")
    assert pinyin(fe, "请拨打800-820-8820咨询。") == "qing3 bo1 da3 ba1 ling2 ling2 ba1 er4 ling2 ba1 ba1 er4 ling2 zi1 xun2"


def test_numbers_that_are_not_hotlines(fe):
    assert pinyin(fe, "人口达到8001234567人") .endswith("ba1 shi2 yi4 ling2 yi4 bai3 er4 shi2 san1 wan4 si4 qian1 wu2 bai3 liu4 shi2 qi1 ren2")
    assert pinyin(fe, "他跑了4000米") == "ta1 pao3 le5 si4 qian1 mi3"
    assert pinyin(fe, "拨打110报警") == "bo1 da3 yao1 yao1 ling2 bao4 jing3"


@pytest.mark.parametrize("text,expected", [
    ("展览馆", "zhan2 lan2 guan3"),        # [2+1]: both first syllables rise
    ("洗脸水", "xi2 lian2 shui3"),
    ("小老虎", "xiao3 lao2 hu3"),          # [1+2]: the first keeps its third tone
    ("纸老虎", "zhi3 lao2 hu3"),
    ("买雨伞", "mai3 yu2 san3"),
    ("我很好", "wo3 hen2 hao3"),
    ("水彩笔", "shui2 cai2 bi3"),
])
def test_third_tone_chains(fe, text, expected):
    assert pinyin(fe, text) == expected


def test_third_tone_sandhi_blocked_at_comma(fe):
    # 好 before the comma stays third tone although 你 (third tone) follows
    assert pinyin(fe, "我很好，你也好").split()[2] == "hao3"
    assert pinyin(fe, "我很好你也好").split()[2] == "hao2"


@pytest.mark.parametrize("text,reading", [
    ("我还你钱。", "huan2"), ("把书还我。", "huan2"), ("记得把书还给图书馆。", "huan2"),
    ("他把借的钱都还清了。", "huan2"), ("钱还了吗？", "huan2"), ("用完了还回去吧。", "huan2"),
    ("我还你一个公道。", "huan2"), ("还款日期是下个月。", "huan2"),
    ("能不能帮我去图书馆还两本书？", "huan2"), ("每个月要按时还房贷。", "huan2"),
    ("他一定还在家。", "hai2"), ("你去还是不去？", "hai2"), ("我们要还有信心。", "hai2"),
    ("他还学生呢。", "hai2"), ("他还孩子气。", "hai2"), ("时间还早。", "hai2"),
    ("他还没来。", "hai2"), ("还是你去吧。", "hai2"), ("这次还你去吧。", "hai2"), ("我还想再看一遍。", "hai2"),
    ("天还很亮。", "hai2"), ("还有三个人。", "hai2"),
])
def test_huan_as_verb_hai_as_adverb(fe, text, reading):
    seg = fe(text).segments[0]
    idx = [i for i, ch in enumerate(c for c in text if "\u4e00" <= c <= "\u9fff") if ch == "还"][0]
    assert seg.pinyin[idx] == reading


@pytest.mark.parametrize("text,expected", [
    ("溪水潺潺", "xi1 shui3 chan2 chan2"), ("山涧", "shan1 jian4"), ("踟蹰", "chi2 chu2"),
    ("婆娑", "po2 suo1"), ("相濡以沫", "xiang1 ru2 yi3 mo4"), ("棘手", "ji2 shou3"),
    ("鳞次栉比", "lin2 ci4 zhi4 bi3"), ("醍醐灌顶", "ti2 hu2 guan4 ding3"),
])
def test_rare_literary_words(fe, text, expected):
    assert pinyin(fe, text) == expected
