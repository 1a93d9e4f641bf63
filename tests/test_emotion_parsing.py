"""Emotion names, synonyms, intensity validation and IndexTTS2-style vector normalisation."""
import math

import numpy as np
import pytest

from index_tts.encoders.emotion import (
    DEFAULT_CAP, EMOTIONS, INDEXTTS2_BIAS, INDEXTTS2_ORDER, EmotionEncoder, check_intensity,
    normalize_emotion_vector, parse_emotion, resolve_request,
)
from index_tts.errors import InputError, InvalidParameterError, UnknownEmotionError


@pytest.mark.parametrize("name,expected", [
    ("happy", "happy"), ("Happy", "happy"), ("  HAPPY ", "happy"), ("joy", "happy"),
    ("开心", "happy"), ("高兴", "happy"), ("悲伤", "sad"), ("难过", "sad"), ("sadness", "sad"),
    ("生气", "angry"), ("愤怒", "angry"), ("anger", "angry"), ("平静", "calm"), ("温柔", "gentle"),
    ("tender", "gentle"), ("惊讶", "surprised"), ("surprise", "surprised"), ("害怕", "afraid"),
    ("恐惧", "afraid"), ("fear", "afraid"), ("忧郁", "melancholic"), ("低落", "melancholic"),
    ("厌恶", "disgusted"), ("disgust", "disgusted"), ("neutral", "neutral"), ("中性", "neutral"),
])
def test_names_and_synonyms(name, expected):
    assert parse_emotion(name) == expected


def test_every_canonical_name_parses_to_itself():
    for e in EMOTIONS:
        assert parse_emotion(e) == e


@pytest.mark.parametrize("bad", ["furiousish", "", "喜怒", None, 3])
def test_unknown_emotion_lists_valid_names(bad):
    with pytest.raises(UnknownEmotionError) as info:
        parse_emotion(bad)
    msg = str(info.value)
    for e in EMOTIONS:
        assert e in msg
    assert "温柔" in msg
    assert isinstance(info.value, InputError) and isinstance(info.value, ValueError)


@pytest.mark.parametrize("bad", [-0.01, 1.01, float("nan"), float("inf"), "abc", None])
def test_intensity_out_of_range(bad):
    with pytest.raises(InvalidParameterError):
        check_intensity(bad)
    with pytest.raises(InvalidParameterError):
        EmotionEncoder().encode("happy", intensity=bad)


def test_intensity_bounds_accepted():
    assert check_intensity(0) == 0.0 and check_intensity(1) == 1.0 and check_intensity("0.5") == 0.5


def test_list_vector_uses_indextts2_order_and_cap():
    vec = [0.0] * 8
    vec[INDEXTTS2_ORDER.index("sad")] = 1.0
    vec[INDEXTTS2_ORDER.index("calm")] = 1.0
    w = normalize_emotion_vector(vec)
    assert set(w) == {"sad", "calm"}
    assert math.isclose(sum(w.values()), DEFAULT_CAP)
    assert math.isclose(w["sad"], 0.4) and math.isclose(w["calm"], 0.4)


def test_negative_weights_clipped_and_small_sums_kept():
    w = normalize_emotion_vector({"happy": 0.3, "angry": -2.0, "开心": 0.1})
    assert w == pytest.approx({"happy": 0.4})  # synonyms merge, negatives dropped, 0.4 < cap kept


def test_custom_cap_and_bias():
    w = normalize_emotion_vector([1, 1, 1, 1, 1, 1, 1, 1], cap=2.0)
    assert math.isclose(sum(w.values()), 2.0)
    assert all(math.isclose(v, 0.25) for v in w.values())
    b = normalize_emotion_vector([0.1] * 8, apply_bias=True)  # sum < cap after bias
    for name, bias in zip(INDEXTTS2_ORDER, INDEXTTS2_BIAS):
        assert math.isclose(b[name], 0.1 * bias)


@pytest.mark.parametrize("bad", [[1, 2, 3], {"happy": float("nan")}, {"happy": "x"}, {}, "happy"])
def test_bad_vectors(bad):
    with pytest.raises(InputError):
        normalize_emotion_vector(bad)


def test_bad_vector_name():
    with pytest.raises(UnknownEmotionError):
        normalize_emotion_vector({"joyous-rage": 1.0})


def test_request_strengths():
    r = resolve_request("happy", intensity=0.6)
    assert dict(r.strengths) == pytest.approx({"happy": 0.6})
    r = resolve_request(vector={"happy": 1.0, "sad": 1.0}, intensity=1.0)
    assert dict(r.strengths) == pytest.approx({"happy": 0.5, "sad": 0.5})
    r = resolve_request(vector={"happy": 0.4, "neutral": 0.4}, intensity=1.0)
    assert dict(r.strengths) == pytest.approx({"happy": 0.5, "neutral": 0.5})
    r = resolve_request(vector=np.array([0.8, 0, 0, 0, 0, 0, 0, 0]), intensity=0.5)
    assert dict(r.strengths) == pytest.approx({"happy": 0.5})
    assert r.dominant == "happy"
    assert resolve_request(intensity=0.7).dominant == "neutral"
    # parse_emotion parses one name only; whole requests go through resolve_request
    with pytest.raises(TypeError):
        parse_emotion(label="开心", intensity=0.6)
    assert resolve_request("开心", intensity=0.6) == resolve_request("happy", intensity=0.6)


def test_neutral_label_next_to_a_vector_adds_nothing():
    """The request's one rule (index_tts/request.py): neutral = no label, so the mix alone counts."""
    mix = {"happy": 0.5, "sad": 0.25}
    assert resolve_request("neutral", mix, 0.7) == resolve_request(None, mix, 0.7)
    # any other label enters at full weight (the cap) and the sum is scaled back to the cap
    r = dict(resolve_request("angry", {"happy": 0.8}, 1.0).strengths)
    assert r == pytest.approx({"angry": 0.5, "happy": 0.5})


def test_describe_lists_all_emotions_with_chinese_names():
    d = EmotionEncoder().describe()
    assert [x["id"] for x in d] == list(EMOTIONS)
    assert any(x["id"] == "gentle" and "温柔" in x["display_name"] for x in d)
