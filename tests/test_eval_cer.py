"""CER normalisation and edit distance (no models needed)."""
import pytest

from index_tts.eval.textnorm import (
    cer,
    cer_counts,
    digits_to_chinese,
    edit_distance,
    normalize_for_cer,
    number_to_chinese,
)


@pytest.mark.parametrize(
    "text, expected",
    [
        ("今天天气真不错，我们一起去公园散步吧。", "今天天气真不错我们一起去公园散步吧"),
        ("“你好！”她笑着说", "你好她笑着说"),
        ("ＡＰＰ，ＳＳＤ", "appssd"),  # full-width letters -> half-width, lower-cased
        ("请打开APP 扫描", "请打开app扫描"),
        ("下午3点45分", "下午三点四十五分"),
        ("打八折以后只要240元", "打八折以后只要二百四十元"),
        ("超过1500万，增加了20%。", "超过一千五百万增加了百分之二十"),
        ("增长3.5%", "增长百分之三点五"),
        ("人口1,500,000人", "人口一百五十万人"),  # thousands separators: an amount, read by value
        ("电话是13912345678", "电话是一三九一二三四五六七八"),
        ("2023年9月23日", "二零二三年九月二十三日"),
        ("房间号是1208", "房间号是一千二百零八"),
        ("编号0571", "编号零五七一"),
        ("１６GB内存", "十六gb内存"),  # full-width digits
        ("二〇二三年", "二零二三年"),
        ("幺三九", "一三九"),
        ("下午3.45分出发", "下午三点四十五分出发"),  # Whisper's way of writing 3点45分
        ("3:45出发", "三点四十五分出发"),
        ("3.45元", "三点四五元"),  # a decimal, not a time
        ("比分3:2", "比分三比二"), ("以98:95结束", "以九十八比九十五结束"),  # not a time: a score
        ("热线400-812-3123", "热线四零零八一二三一二三"),  # phone-number groups join
        ("4001 888 999", "四零零一八八八九九九"),
        ("2019-2023年", "二零一九到二零二三年"),  # a year range is not a phone number
        ("12:00前送达", "十二点前送达"), ("8:30-21:00", "八点三十分到二十一点"),
        ("门票$25", "门票二十五美元"), ("￥30元", "三十元"), ("每小时5元/辆", "每小时五元每辆"),
        ("每天6000步", "每天六千步"), ("编号20000", "编号二零零零零"), ("航班CA1234", "航班ca一二三四"),
    ],
)
def test_normalize_golden(text, expected):
    assert normalize_for_cer(text) == expected


def test_digits_and_words_compare_equal():
    assert cer("净利润为3,456,000元", "净利润为345万6千元") == 0.0
    assert cer("比赛以98:95结束", "比赛以98比95结束") == 0.0
    assert cer("火车将于下午3点45分出发。", "火车将于下午三点四十五分出发") == 0.0
    assert cer("第19届亚运会于2023年9月23日开幕。", "第十九届亚运会于二零二三年九月二十三日开幕") == 0.0
    assert cer("全市人口已经超过1500万，比十年前增加了20%。", "全市人口已经超过一千五百万比十年前增加了百分之二十") == 0.0
    assert cer("電腦", "电脑") == 1.0  # traditional->simplified is the ASR's job, not the normaliser's


def test_number_helpers_reject_bad_input():
    with pytest.raises(ValueError):
        digits_to_chinese("12a")
    with pytest.raises(ValueError):
        number_to_chinese("3.")
    assert number_to_chinese("2024", next_char="年") == "二零二四"
    assert number_to_chinese("2024") == "二千零二十四"


@pytest.mark.parametrize(
    "a, b, d",
    [("", "", 0), ("abc", "", 3), ("", "ab", 2), ("kitten", "sitting", 3), ("我们走吧", "我们走", 1),
     ("我们走吧", "你们走吧", 1), ("abcd", "badc", 3), ("长长的", "长的长的", 1)],
)
def test_edit_distance(a, b, d):
    assert edit_distance(a, b) == d
    assert edit_distance(b, a) == d


def test_cer_values():
    assert cer("我们一起去公园。", "我们一起去公园") == 0.0
    assert cer("我们一起去公园", "我们去公园") == pytest.approx(2 / 7)
    assert cer("你好", "你好你好你好") == pytest.approx(2.0)  # insertions can push CER above 1
    counts = cer_counts("还没回来", "环没回来啊")
    assert (counts.edits, counts.ref_len) == (2, 4)
    assert counts.cer == pytest.approx(0.5)


def test_cer_rejects_empty_reference():
    with pytest.raises(ValueError, match="no characters"):
        cer("。！", "你好")
    with pytest.raises(TypeError):
        normalize_for_cer(None)
