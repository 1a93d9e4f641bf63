"""build_segment_control on real frontend Segment objects: shapes, contours, emphasis, sliders."""
import math

import numpy as np
import pytest

from index_tts.encoders.emotion import EmotionControl, EmotionEncoder
from index_tts.encoders.prosody import PauseScales, build_segment_control
from index_tts.errors import InvalidParameterError
from index_tts.frontend.symbols import BAKER_SYMBOLS
from index_tts.frontend.types import Segment

ENC = EmotionEncoder()


def make_segment(words, sentence_type="declarative", pause_after="sentence", breaks=None):
    """words: list of lists of (initial, final+tone). Builds phones like the frontend does."""
    phones, tones, sidx, widx = ["sil"], [0], [-1], [-1]
    syl = 0
    for w, word in enumerate(words):
        if w:
            b = (breaks or {}).get(w, "#1")
            phones.append(b), tones.append(0), sidx.append(-1), widx.append(-1)
        for k, (ini, fin) in enumerate(word):
            if k:
                phones.append("#0"), tones.append(0), sidx.append(-1), widx.append(-1)
            phones += [ini, fin]
            tones += [0, int(fin[-1])]
            sidx += [syl, syl]
            widx += [w, w]
            syl += 1
    phones += ["sil", "eos"]
    tones += [0, 0]
    sidx += [-1, -1]
    widx += [-1, -1]
    ids = [BAKER_SYMBOLS.index(p) for p in phones]
    return Segment(text="x", normalized="x", phones=phones, ids=ids, tones=tones, syllable_index=sidx,
                   words=[str(i) for i in range(len(words))], word_index=widx,
                   sentence_type=sentence_type, pause_after=pause_after)


# 你 吃饭 了 吗 / 我们 一起 去 公园
Q_WORDS = [[("n", "i3")], [("ch", "iii1"), ("f", "an4")], [("l", "e5")], [("m", "a5")]]
D_WORDS = [[("^", "uo3"), ("m", "en5")], [("^", "i4"), ("q", "i3")], [("q", "v4")], [("g", "ong1"), ("^", "van2")]]


def _final_index(seg, syl):
    return [i for i, s in enumerate(seg.syllable_index) if s == syl and seg.tones[i] > 0][0]


def test_shapes_match_ids_for_every_emotion():
    seg = make_segment(D_WORDS, breaks={2: "#2"})
    for e in ("neutral", "happy", "sad", "angry", "surprised"):
        ctrl, pauses = build_segment_control(seg, ENC.encode(e, intensity=1.0))
        n = len(seg.ids)
        for name in ("duration_scale", "pitch_shift", "pitch_range", "energy_db"):
            arr = getattr(ctrl, name)
            assert arr is None or np.asarray(arr).shape == (n,)
        assert isinstance(pauses, PauseScales)


def test_neutral_declarative_is_identity():
    ctrl, pauses = build_segment_control(make_segment(D_WORDS), None)
    assert ctrl.is_identity()
    assert pauses == PauseScales(1.0, 1.0)


def test_question_rises_on_last_syllable_even_when_neutral():
    seg = make_segment(Q_WORDS, sentence_type="question")
    ctrl, _ = build_segment_control(seg, None)
    shift = ctrl.pitch_shift
    last = max(seg.syllable_index)
    fin = _final_index(seg, last)
    assert shift[fin] >= 2.0
    assert shift[fin] > shift[_final_index(seg, last - 1)] > shift[_final_index(seg, 0)]
    assert 0.0 < shift[_final_index(seg, 0)] < 1.0  # the whole phrase sits a little higher
    # a declarative version of the same words does not rise
    dctrl, _ = build_segment_control(make_segment(Q_WORDS), None)
    assert dctrl.pitch_shift is None


def test_surprise_raises_question_rise_more_than_sadness():
    seg = make_segment(Q_WORDS, sentence_type="question")
    fin = _final_index(seg, max(seg.syllable_index))
    s = {e: build_segment_control(seg, ENC.encode(e, intensity=1.0))[0] for e in ("surprised", "sad")}
    rise = {e: s[e].pitch_shift[fin] - s[e].pitch_shift[_final_index(seg, 0)] for e in s}
    assert rise["surprised"] > 3.0 > rise["sad"] > 0.0


def test_exclamation_peak_louder_and_wider_at_end():
    seg = make_segment(D_WORDS, sentence_type="exclamation")
    ctrl, _ = build_segment_control(seg, None)
    last = _final_index(seg, max(seg.syllable_index))
    first = _final_index(seg, 0)
    assert ctrl.pitch_shift[last] > ctrl.pitch_shift[first]
    assert ctrl.energy_db[last] > ctrl.energy_db[first]
    assert ctrl.pitch_range[last] > ctrl.pitch_range[first] == pytest.approx(1.0)


def test_emotion_directions_and_final_contours():
    seg = make_segment(D_WORDS)
    last = _final_index(seg, max(seg.syllable_index))
    mid = _final_index(seg, 2)
    happy, hp = build_segment_control(seg, ENC.encode("happy", intensity=1.0))
    sad, sp = build_segment_control(seg, ENC.encode("sad", intensity=1.0))
    assert happy.pitch_shift[mid] > 0 > sad.pitch_shift[mid]
    assert np.all(happy.pitch_range > 1) and np.all(sad.pitch_range < 1)
    assert happy.speed > 1 > sad.speed
    assert happy.energy_db[mid] > 0 > sad.energy_db[mid]
    # boundary tones: happy rises at the end, sad falls
    assert happy.pitch_shift[last] > happy.pitch_shift[mid]
    assert sad.pitch_shift[last] < sad.pitch_shift[mid]
    # sad lengthens its last syllable and its pauses
    assert sad.duration_scale[last] > 1.0
    assert sp.sentence > 1.0 and sp.comma > 1.0 and hp.sentence < 1.0
    # silence symbols get no energy change; breaks inside the segment follow the level (the
    # voice renders syllable audio in their frames, a gap there would make the level flutter)
    phones = np.asarray(seg.phones)
    silent = np.isin(phones, ["sil", "eos", "pad"])
    breaks = np.char.startswith(phones.astype(str), "#")
    assert silent.any() and breaks.any()
    assert np.all(sad.energy_db[silent] == 0.0)
    assert np.all(sad.energy_db[breaks] == pytest.approx(ENC.encode("sad", intensity=1.0).energy_db))
    assert sad.spectral_tilt_db < 0 < happy.spectral_tilt_db


def test_emphasis_on_first_syllable_of_polysyllabic_words():
    seg = make_segment(D_WORDS)
    ctrl, _ = build_segment_control(seg, EmotionControl(emphasis_st=1.0, emphasis_db=2.0))
    # words: 我们(wo3 men5) 一起(yi4 qi3) 去(qu4) 公园(gong1 yuan2) -> syllables 0, 2, 5
    emph = {s for i, s in enumerate(seg.syllable_index) if s >= 0 and ctrl.pitch_shift[i] > 0}
    assert emph == {0, 2, 5}
    # neutral-tone first syllable is not emphasised
    seg2 = make_segment([[("l", "e5"), ("m", "a5")], [("g", "ong1"), ("^", "van2")]])
    ctrl2, _ = build_segment_control(seg2, EmotionControl(emphasis_st=1.0))
    emph2 = {s for i, s in enumerate(seg2.syllable_index) if s >= 0 and ctrl2.pitch_shift[i] > 0}
    assert emph2 == {2}


def test_sliders_combine_with_emotion():
    seg = make_segment(D_WORDS)
    mid = _final_index(seg, 2)
    base, _ = build_segment_control(seg, ENC.encode("happy", intensity=0.5))
    fast, _ = build_segment_control(seg, ENC.encode("happy", intensity=0.5), speed=1.3, pitch=1.2)
    assert fast.speed == pytest.approx(base.speed * 1.3)
    assert fast.pitch_shift[mid] - base.pitch_shift[mid] == pytest.approx(12 * math.log2(1.2), abs=1e-5)
    low, _ = build_segment_control(seg, None, pitch=0.8)
    assert np.allclose(low.pitch_shift, 12 * math.log2(0.8))


@pytest.mark.parametrize("kw", [{"speed": 0.5}, {"speed": 1.31}, {"pitch": 1.3}, {"pitch": 0.79},
                                {"speed": float("nan")}, {"pitch": "high"}])
def test_slider_out_of_range(kw):
    # one check for the sliders, in the request the Synthesizer builds (index_tts/request.py)
    from index_tts.request import SynthesisRequest

    with pytest.raises(InvalidParameterError):
        SynthesisRequest("你好。", **kw).validate()


def test_phrase_break_stretches_with_pause_scale():
    seg = make_segment(D_WORDS, breaks={2: "#2"})
    i2 = seg.phones.index("#2")
    ctrl, _ = build_segment_control(seg, ENC.encode("melancholic", intensity=1.0))
    assert ctrl.duration_scale[i2] > 1.3


def test_piece_cut_from_a_sentence_gets_no_final_contour():
    """A non-final piece of a long sentence (ends_sentence=False) continues: no boundary tone,
    no final lengthening; the same words ending the sentence get both."""
    from dataclasses import replace

    words = [[("j", "in1"), ("t", "ian1")], [("t", "ian1"), ("q", "i4")], [("h", "en3"), ("h", "ao3")]]
    end = make_segment(words)
    piece = replace(end, ends_sentence=False, pause_after="comma")
    sad = ENC.encode("sad", intensity=1.0)
    c_end, _ = build_segment_control(end, sad)
    c_piece, _ = build_segment_control(piece, sad)
    last = [i for i, s in enumerate(end.syllable_index) if s == 5]
    assert c_end.duration_scale is not None and all(c_end.duration_scale[i] > 1.0 for i in last)
    first = [i for i, s in enumerate(end.syllable_index) if s == 1]  # not touched by the contour
    piece_scale = np.ones(len(piece.ids)) if c_piece.duration_scale is None else c_piece.duration_scale
    assert np.allclose(piece_scale[last], piece_scale[first])  # initial + final each: no lengthening
    assert np.allclose(c_end.pitch_shift[first], c_piece.pitch_shift[first])
    assert not np.allclose(c_end.pitch_shift[last], c_piece.pitch_shift[last])


def test_initials_follow_half_of_the_emotions_tempo_change():
    """With a voice's initial_rate_share of 0.5 an emotion's tempo (rate) squeezes or stretches
    vowels fully, initials by half in log terms; the user's speed slider, tempo-neutral emotions
    and a voice with share 1.0 (the default) leave the initials' scale alone."""
    CONSONANT_RATE_SHARE = 0.5

    words = [[("j", "in1"), ("t", "ian1")], [("t", "ian1"), ("q", "i4")], [("h", "en3"), ("h", "ao3")]]
    seg = make_segment(words)
    for name in ("afraid", "sad"):
        ctrl = ENC.encode(name, intensity=1.0)
        c, _ = build_segment_control(seg, ctrl, speed=1.3, initial_rate_share=CONSONANT_RATE_SHARE)
        assert c.speed == pytest.approx(1.3 * ctrl.rate)
        last = max(seg.syllable_index)  # the last syllable also gets the final lengthening
        initials = [i for i, p in enumerate(seg.phones)
                    if p in ("j", "t", "q", "h") and seg.syllable_index[i] != last]
        assert initials and np.allclose(c.duration_scale[initials], ctrl.rate ** (1 - CONSONANT_RATE_SHARE))
        # net tempo of an initial: rate ** share, between 1 and the vowels' rate
        net = ctrl.rate / c.duration_scale[initials[0]]
        assert min(1.0, ctrl.rate) < net < max(1.0, ctrl.rate)
        plain, _ = build_segment_control(seg, ctrl, speed=1.3)  # share 1.0: initials like the rest
        assert plain.duration_scale is None or np.allclose(plain.duration_scale[initials], 1.0)
    c, _ = build_segment_control(seg, None, speed=1.3, initial_rate_share=CONSONANT_RATE_SHARE)
    assert c.duration_scale is None and c.speed == pytest.approx(1.3)
