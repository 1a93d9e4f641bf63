"""Tone sandhi: 一, 不, third-tone chains and neutral tones."""
import pytest

from reading import pinyin


@pytest.mark.parametrize(
    "text, expected",
    [
        ("一天", "yi4 tian1"),  # before tone 1
        ("一年", "yi4 nian2"),  # before tone 2
        ("一起", "yi4 qi3"),  # before tone 3
        ("一夜", "yi2 ye4"),  # before tone 4
        ("一个", "yi2 ge4"),
        ("第一", "di4 yi1"),  # ordinal
        ("十一", "shi2 yi1"),
        ("统一", "tong3 yi1"),  # word-final
        ("看一看", "kan4 yi5 kan4"),  # A一A
        ("1998年", "yi1 jiu2 jiu3 ba1 nian2"),  # digit reading (third-tone sandhi still applies)
        ("第1名", "di4 yi1 ming2"),
        ("一百", "yi4 bai3"),
        ("一万", "yi2 wan4"),
        ("100元", "yi4 bai3 yuan2"),
        ("1.5", "yi1 dian2 wu3"),
        ("下午1点", "xia4 wu3 yi1 dian3"),
        ("1个人", "yi2 ge4 ren2"),
        ("一月一日", "yi1 yue4 yi1 ri4"),
    ],
)
def test_yi(fe, text, expected):
    assert pinyin(fe, text) == expected


@pytest.mark.parametrize(
    "text, expected",
    [("不对", "bu2 dui4"), ("不好", "bu4 hao3"), ("不来", "bu4 lai2"), ("不去", "bu2 qu4"),
     ("要不要", "yao4 bu5 yao4"), ("好不好", "hao3 bu5 hao3"), ("对不起", "dui4 bu5 qi3")],
)
def test_bu(fe, text, expected):
    assert pinyin(fe, text) == expected


@pytest.mark.parametrize(
    "text, expected",
    [
        ("你好", "ni2 hao3"),
        ("很好", "hen2 hao3"),
        ("展览馆", "zhan2 lan2 guan3"),  # 2+1
        ("小老虎", "xiao3 lao2 hu3"),  # 1+2
        ("我也想去北京", "wo3 ye2 xiang3 qu4 bei3 jing1"),
        ("想想", "xiang2 xiang5"),  # reduplicated verb: neutral but underlying third tone
        ("姐姐", "jie3 jie5"),  # kinship reduplication keeps the third tone
        ("椅子", "yi3 zi5"),
    ],
)
def test_third_tone(fe, text, expected):
    assert pinyin(fe, text) == expected


def test_comma_blocks_third_tone_sandhi(fe):
    assert pinyin(fe, "你，好") == "ni3 hao3"


@pytest.mark.parametrize(
    "text, expected",
    [("妈妈", "ma1 ma5"), ("看看", "kan4 kan5"), ("桌子", "zhuo1 zi5"), ("我们", "wo3 men5"),
     ("你去吗", "ni3 qu4 ma5"), ("好朋友", "hao3 peng2 you5"), ("站起来", "zhan4 qi3 lai5"),
     ("石头", "shi2 tou5"), ("走吧", "zou3 ba5")],
)
def test_neutral_tones(fe, text, expected):
    assert pinyin(fe, text) == expected


def test_interjection_keeps_its_tone(fe):
    assert pinyin(fe, "啊，真好啊").split() == ["a1", "zhen1", "hao3", "a5"]
