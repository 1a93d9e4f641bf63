"""Emotion profiles: monotonic in intensity, pairwise distinct, literature directions, mixing,
learned-table mode and combining with a reference control."""
import itertools
import math

import numpy as np
import pytest

from index_tts.encoders.emotion import (
    EMOTIONS, LIMITS, NEUTRAL_CONTROL, PROSODY_FIELDS, RULE_PROFILES, EmotionControl, EmotionEncoder,
    combine, scale_control,
)

ENC = EmotionEncoder()
GRID = np.linspace(0.0, 1.0, 21)


def test_intensity_zero_is_neutral_and_one_is_profile():
    for e in EMOTIONS:
        assert ENC.encode(e, intensity=0.0).deltas() == pytest.approx(NEUTRAL_CONTROL.deltas())
        assert ENC.encode(e, intensity=1.0).deltas() == pytest.approx(RULE_PROFILES[e].deltas())
    assert ENC.encode().is_neutral()


@pytest.mark.parametrize("emotion", EMOTIONS)
def test_every_parameter_moves_monotonically_with_intensity(emotion):
    rows = [ENC.encode(emotion, intensity=float(i)).deltas() for i in GRID]
    for f in PROSODY_FIELDS:
        vals = np.array([r[f] for r in rows])
        mags = np.abs(vals)
        assert np.all(np.diff(mags) >= -1e-12), (emotion, f, vals)
        # never changes sign along the way
        assert np.all(vals * vals[-1] >= -1e-12), (emotion, f, vals)
        # smooth: equal intensity steps give (near) equal steps in delta space
        steps = np.diff(vals)
        assert np.allclose(steps, steps[0], atol=1e-9), (emotion, f)


def _vec(ctrl: EmotionControl) -> np.ndarray:
    d = ctrl.deltas()
    return np.array([d[f] for f in PROSODY_FIELDS])


def test_profiles_pairwise_distinct_on_measurable_axes():
    # pitch level (st), range (log2), loudness (dB/3), tempo (log2*10): at least one clear difference
    def key(c):
        d = c.deltas()
        return np.array([d["pitch_shift_st"], 6 * d["pitch_range"], d["energy_db"] / 1.5, 10 * d["rate"],
                         d["final_contour_st"], d["spectral_tilt_db"] / 1.5])
    for a, b in itertools.combinations(EMOTIONS, 2):
        dist = np.max(np.abs(key(RULE_PROFILES[a]) - key(RULE_PROFILES[b])))
        assert dist >= 1.0, (a, b, dist)


def test_literature_directions():
    P = RULE_PROFILES
    for e in ("happy", "angry", "surprised", "afraid"):  # high arousal: raised pitch register
        assert P[e].pitch_shift_st > 0
    for e in ("sad", "melancholic", "calm"):             # low arousal: lowered, slower, quieter
        assert P[e].pitch_shift_st < 0 and P[e].rate < 1 and P[e].energy_db < 0
    assert P["happy"].pitch_range > 1 and P["sad"].pitch_range < 1
    assert P["angry"].energy_db == max(p.energy_db for p in P.values())   # anger loudest
    assert P["angry"].spectral_tilt_db == max(p.spectral_tilt_db for p in P.values())
    assert P["happy"].pitch_shift_st > P["angry"].pitch_shift_st          # joy realised on F0
    assert P["happy"].final_contour_st > 0 and P["surprised"].final_contour_st > 0  # rising boundary
    for e in ("angry", "disgusted", "sad", "calm"):                       # falling boundary
        assert P[e].final_contour_st < 0
    for e in ("angry", "sad", "disgusted"):   # negative valence: final lengthening
        assert P[e].final_lengthening > P["happy"].final_lengthening
    for p in P.values():
        for f in PROSODY_FIELDS:
            lo, hi = LIMITS[f]
            assert lo <= getattr(p, f) <= hi


def test_mix_is_weighted_interpolation():
    mix = ENC.encode(vector={"happy": 0.5, "sad": 0.5}, intensity=1.0)
    expect = 0.5 * _vec(RULE_PROFILES["happy"]) + 0.5 * _vec(RULE_PROFILES["sad"])
    assert _vec(mix) == pytest.approx(expect)
    # a single emotion at the cap equals the label
    assert _vec(ENC.encode(vector={"sad": 1.0}, intensity=0.7)) == pytest.approx(_vec(ENC.encode("sad", intensity=0.7)))
    # mixed vectors are also monotonic in intensity
    mags = [np.abs(_vec(ENC.encode(vector=[0.3, 0, 0, 0, 0, 0, 0.5, 0], intensity=float(i)))) for i in GRID]
    assert np.all(np.diff(np.array(mags), axis=0) >= -1e-12)


def test_learned_table_mode_from_bundle_config():
    cfg = {"name": "x", "emotions": {"type": "learned", "vectors": {
        "neutral": [0.0, 0.0, 0.0], "happy": [1.0, 0.0, 0.0], "sad": [0.0, 2.0, 0.0]}}}
    enc = EmotionEncoder.from_bundle_config(cfg)
    assert enc.mode == "learned"
    c = enc.encode("开心", intensity=0.5)
    assert c.embedding_array() == pytest.approx([0.5, 0.0, 0.0])
    assert c.deltas() == pytest.approx(NEUTRAL_CONTROL.deltas())  # prosody left to the model
    m = enc.encode(vector={"happy": 0.4, "sad": 0.4}, intensity=1.0)
    assert m.embedding_array() == pytest.approx([0.5, 1.0, 0.0])
    with pytest.raises(Exception) as info:
        enc.encode("angry")
    assert "angry" in str(info.value)
    both = EmotionEncoder.from_bundle_config({"emotions": {"type": "learned", "rule_prosody": True,
                                                           "vectors": {"happy": [1.0, 0.0]}}})
    assert both.encode("happy").pitch_shift_st == RULE_PROFILES["happy"].pitch_shift_st


def test_rule_mode_is_default():
    assert EmotionEncoder.from_bundle_config(None).mode == "rule"
    assert EmotionEncoder.from_bundle_config({"name": "baker"}).mode == "rule"
    assert EmotionEncoder.from_bundle_config({"emotions": {"type": "rule"}}).mode == "rule"
    with pytest.raises(ValueError):
        EmotionEncoder.from_bundle_config({"emotions": {"type": "magic"}})
    with pytest.raises(ValueError):
        EmotionEncoder.from_bundle_config({"emotions": {"type": "learned"}})


def test_combine_adds_deltas_and_clips():
    label = ENC.encode("happy", intensity=1.0)
    style = EmotionControl(pitch_shift_st=-1.0, rate=0.8, source="reference")
    c = combine(label, style)
    assert c.pitch_shift_st == pytest.approx(label.pitch_shift_st - 1.0)
    assert c.rate == pytest.approx(label.rate * 0.8)
    assert c.final_contour_st == label.final_contour_st
    assert combine(None, style) is style and combine(label, None) is label
    assert combine(None, None).is_neutral()
    big = combine(EmotionControl(pitch_shift_st=6.0), EmotionControl(pitch_shift_st=6.0))
    assert big.pitch_shift_st == LIMITS["pitch_shift_st"][1]
    half = scale_control(label, 0.5)
    assert half.pitch_shift_st == pytest.approx(label.pitch_shift_st / 2)
    assert math.log2(half.pitch_range) == pytest.approx(math.log2(label.pitch_range) / 2)
