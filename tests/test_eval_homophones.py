"""Splitting ASR errors into homophones (right syllable and tone, another character) and the rest."""
import random

import pytest

from index_tts.eval.homophones import align, split_errors
from index_tts.eval.textnorm import edit_distance


def test_alignment_is_a_minimal_edit_script():
    rng = random.Random(3)
    alphabet = "天地人和章张她它"
    for _ in range(200):
        a = "".join(rng.choice(alphabet) for _ in range(rng.randint(0, 9)))
        b = "".join(rng.choice(alphabet) for _ in range(rng.randint(0, 9)))
        steps = align(a, b)
        assert sum(op != "=" for op, _, _ in steps) == edit_distance(a, b)
        # the script rebuilds both strings
        assert "".join(a[i] for op, i, _ in steps if op != "ins") == a
        assert "".join(b[j] for op, _, j in steps if op != "del") == b
        assert all(a[i] == b[j] for op, i, j in steps if op == "=")
        assert all(a[i] != b[j] for op, i, j in steps if op == "sub")


def test_same_syllable_and_tone_is_a_homophone_other_tones_are_not():
    s = split_errors([("第一章雨夜", "第一张雨月"), ("坐在灯下", "坐在等下")])
    assert (s.errors, s.chars, s.homophones) == (3, 9, 1)
    subs = {(x.ref, x.hyp): x for x in s.substitutions}
    assert subs[("章", "张")].homophone and subs[("章", "张")].reading == "zhang1"
    assert not subs[("夜", "月")].homophone          # ye4 / yue4: another syllable
    assert not subs[("灯", "等")].homophone          # deng1 / deng3: another tone
    assert s.cer == pytest.approx(3 / 9) and s.cer_without_homophones == pytest.approx(2 / 9)


def test_readings_follow_the_frontend_in_context():
    # 得 after an adjective is the neutral de5, which 的 also has; 促 cu4 is not 粗 cu1
    s = split_errors([("两个人高兴得抱在了一起", "两个人高兴的抱在了一起"), ("急促", "极粗")])
    assert (s.errors, s.homophones) == (3, 2)
    assert {(x.ref, x.hyp, x.homophone) for x in s.substitutions} == {
        ("得", "的", True), ("急", "极", True), ("促", "粗", False)}
    # tone sandhi: 你好 is said ni2 hao3, so 泥 (ni2) is what the voice said
    s = split_errors([("你好", "泥好")])
    assert s.homophones == 1 and s.substitutions[0].reading == "ni2"


def test_insertions_deletions_and_non_han_are_errors_not_homophones():
    s = split_errors([("声音很轻", "声音很轻了"), ("我们做到了", "我们做了"), ("三点", "3点")])
    assert (s.errors, s.homophones) == (3, 0)
    assert [(x.ref, x.hyp) for x in s.substitutions] == [("三", "3")]
    assert split_errors([]).cer == 0.0
    d = split_errors([("章", "张")]).to_dict()
    assert d["homophones"] == 1 and d["substitutions"] == ["章->张 zhang1 (homophone)"]
