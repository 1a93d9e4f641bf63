"""The audit helper (index_tts/eval/polyphone_audit.py): what counts as explained by tone sandhi."""
from index_tts.eval.polyphone_audit import explained

POLY = set("倒长为一不")


def test_a_real_disagreement_is_not_explained():
    assert not explained(["xia4", "dao4"], ["xia4", "dao3"], "吓倒", POLY)
    assert not explained(["wei3", "yuan2", "chang2"], ["wei3", "yuan2", "zhang3"], "委员长", POLY)


def test_third_tone_sandhi_yi_bu_and_neutral_tones_are_explained():
    assert explained(["zhang2", "lao3"], ["zhang3", "lao3"], "长老", POLY)  # 3-3 sandhi
    assert explained(["yi2", "dao4"], ["yi1", "dao4"], "一倒", POLY)
    assert explained(["wei2", "le5"], ["wei2", "le1"], "为了", POLY)
    assert not explained(["chang2", "lao3"], ["zhang3", "lao3"], "长老", POLY)  # another syllable, not sandhi


def test_overlap_check_compares_up_to_neutral_tone_and_sandhi():
    from index_tts.eval.polyphone_audit import _same

    assert _same("zi5", "zi")             # pypinyin writes the neutral tone without a digit
    assert _same("yuan2", "yuan3")        # third-tone sandhi
    assert not _same("hang2", "xing2")    # 本行|政区域: another syllable
    assert not _same("xie3", "xue4")


def test_rare_phrase_readings_lists_the_dictionary_slips_and_not_common_words():
    from index_tts.eval.polyphone_audit import rare_phrase_readings

    rows = list(rare_phrase_readings(min_freq=50))
    words = {line.split()[1] for line in rows}
    assert {"查查", "暴晒", "会计", "提防"} <= words    # two slips, two real rare readings: for a person to judge
    assert not words & {"因为", "银行", "重要", "朴素"}    # the usual syllable is not listed
    freqs = [int(line.split()[0]) for line in rows]
    assert freqs == sorted(freqs, reverse=True)
    assert any("查查 查 zha1" in line for line in rows)
