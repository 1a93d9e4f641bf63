"""Cutting long sentences into segments the voice can say (issue 12): boundaries, context, limits."""
import pytest

from index_tts.frontend import Frontend, FrontendConfig
from index_tts.frontend.split import CONTEXT_MAX, plan_cuts

LONG = "从智能手机里的语音助手，到医院里辅助医生诊断的影像系统，再到工厂里自动运转的生产线，人工智能已经渗透到社会的方方面面。"
RUN_ON = ("今天我想跟大家聊一聊如何养成良好的阅读习惯很多人都说自己工作太忙没有时间读书其实只要每天抽出二十分钟"
          "就足够了比如早上起床以后或者晚上睡觉之前拿起一本自己感兴趣的书慢慢地读下去坚持一个月以后你就会发现"
          "自己的注意力更加集中了思考问题也更加深入了")


def own_syllables(seg):
    return sum(1 for i in set(seg.syllable_index) if i >= 0)


def test_short_sentence_is_one_segment_without_context(fe):
    u = fe("今天天气真不错，我们一起去公园散步吧。")
    assert len(u.segments) == 1
    s = u.segments[0]
    assert s.ends_sentence and s.context_start is None and s.pause_after == "none"


@pytest.mark.parametrize("limit", [12, 20, 26, 40])
def test_long_sentence_cut_at_commas_within_limit(fe, limit):
    u = fe(LONG, max_segment_syllables=limit)
    segs = u.segments
    assert sum(s.n_syllables for s in segs) == sum(1 for c in LONG if c not in "，。")
    for s in segs:
        model_syllables = s.n_syllables + (sum(1 for p in s.phones[s.context_start:] if p[-1:].isdigit() and p[:-1].isalpha())
                                           if s.context_start else 0)
        assert model_syllables <= limit, (s.text, model_syllables)
    # the clauses here are 11-16 syllables: whenever a clause fits, cuts fall on commas
    if limit >= 16:
        assert all(s.text.endswith("，") for s in segs[:-1])
        assert [s.pause_after for s in segs[:-1]] == ["comma"] * (len(segs) - 1)
    assert [s.ends_sentence for s in segs] == [False] * (len(segs) - 1) + [True]
    assert all(s.sentence_type == "declarative" for s in segs)


def test_look_ahead_context_is_the_next_segments_start(fe):
    segs = fe(LONG, max_segment_syllables=26).segments
    assert len(segs) >= 3
    for cur, nxt in zip(segs, segs[1:]):
        assert cur.context_start is not None
        assert cur.phones[cur.context_start - 1] in ("#1", "#2", "#3")  # the cut's own break
        ctx = cur.phones[cur.context_start:-2]  # minus the closing sil, eos
        assert ctx and ctx == nxt.phones[1:1 + len(ctx)]  # nxt.phones[0] is sil
        assert all(i == -1 for i in cur.syllable_index[cur.context_start:])
        n_ctx = sum(1 for p in ctx if p[-1:].isdigit() and p[:-1].isalpha())
        assert 1 <= n_ctx <= CONTEXT_MAX
        assert len(cur.pinyin) == own_syllables(cur)
    assert segs[-1].context_start is None


def test_run_on_text_without_punctuation_cut_at_phrase_breaks(fe):
    limit = 26
    u = fe(RUN_ON, max_segment_syllables=limit)
    assert len(u.segments) >= 4
    assert sum(s.n_syllables for s in u.segments) == len(RUN_ON)
    assert all(s.n_syllables <= limit - CONTEXT_MAX for s in u.segments)
    cuts = [s.phones[s.context_start - 1] for s in u.segments[:-1]]
    assert cuts.count("#2") >= len(cuts) - 1, cuts  # prosodic phrases, at worst one word boundary
    assert all(s.pause_after == "phrase" for s in u.segments[:-1])
    assert "".join(s.text for s in u.segments) == RUN_ON


def test_colon_preferred_over_comma():
    sizes = [5, 5, 5, 5, 5, 5]
    kinds = [3, "colon", 3, 3, 3]  # gap after word 1 is a colon, the others commas
    assert plan_cuts(sizes, kinds, 20) == [1]  # 10 + 20 at the colon, not 15 + 15 at a comma


def test_plan_cuts_prefers_strong_boundaries_and_fewer_pieces():
    sizes = [4] * 10  # 40 syllables
    kinds = [1, 1, 2, 1, 3, 1, 2, 1, 0]
    cuts = plan_cuts(sizes, kinds, 26)
    assert cuts == [4]  # one cut, at the comma, 20 + 20
    assert plan_cuts([3, 3], [1], 26) == []  # fits: no cut
    with pytest.raises(ValueError):
        plan_cuts([30], [], 26)


def test_every_piece_within_limit_whatever_the_text(fe):
    texts = [RUN_ON * 3, "我们" * 200, "1234567890" * 10 + "。", "啊" * 300, LONG * 4, "ABCDEFGHIJKLMNOPQRSTUVWXYZ" * 3]
    for limit in (8, 16, 26):
        for t in texts:
            u = fe(t, max_segment_syllables=limit)
            for s in u.segments:
                assert s.n_syllables <= limit
                assert len(s.phones) == len(s.ids)


def test_sandhi_identical_whether_cut_or_not(fe):
    text = "我也想买五把小雨伞给你们两个人用一下不过他们说不用了我们很好"
    whole = [p for s in fe(text, max_segment_syllables=200).segments for p in s.pinyin]
    cut = [p for s in fe(text, max_segment_syllables=10).segments for p in s.pinyin]
    assert len(fe(text, max_segment_syllables=10).segments) > 2
    assert whole == cut


def test_question_type_only_on_the_final_piece(fe):
    text = "你知道从智能手机里的语音助手到医院里辅助医生诊断的影像系统再到工厂里自动运转的生产线这些东西是怎么来的吗？"
    segs = fe(text, max_segment_syllables=20).segments
    assert len(segs) >= 3
    assert segs[-1].sentence_type == "question" and segs[-1].ends_sentence
    assert all(s.sentence_type == "declarative" and not s.ends_sentence for s in segs[:-1])


def test_sentence_boundaries_still_sentence_pauses(fe):
    u = fe("第一句话很短。" + LONG + "最后一句。", max_segment_syllables=26)
    pauses = [s.pause_after for s in u.segments]
    assert pauses[0] == "sentence" and pauses[-1] == "none"
    assert pauses.count("sentence") == 2
    assert u.segments[0].context_start is None  # no context across a sentence end


def test_limit_validation():
    with pytest.raises(ValueError):
        FrontendConfig(max_segment_syllables=3)
    from index_tts.bundle import InferenceSettings
    from index_tts.errors import InputError

    with pytest.raises(InputError, match="at least 4"):  # the same bound for a call and a bundle
        Frontend()(LONG, max_segment_syllables=3)
    with pytest.raises(ValueError, match="at least 4"):
        InferenceSettings(max_segment_syllables=2)
    fe = Frontend(config=FrontendConfig(max_segment_syllables=12))
    assert all(s.n_syllables <= 12 for s in fe(LONG).segments)
