"""A voice's own pitch range holds pitch controls (ProsodyControl.f0_limits_hz): the soft hold,
the controls through it, the per-voice ranges from a corpus, and where a student voice gets its range."""
from __future__ import annotations

import json
import math

import numpy as np
import pytest

from index_tts.acoustic import FastSpeech2Config, ProsodyControl
from index_tts.acoustic import prosody_math as pm

CFG = FastSpeech2Config(vocab_size=12, n_mels=8, f0_mean_hz=200.0, f0_std_hz=50.0)


def z(hz):
    return ((np.asarray(hz, np.float32) - CFG.f0_mean_hz) / CFG.f0_std_hz).reshape(1, -1).astype(np.float32)


def hz(zv):
    return CFG.f0_mean_hz + CFG.f0_std_hz * np.asarray(zv)[0]


def test_hold_keeps_what_is_inside_and_squashes_what_is_pushed_out():
    lo, hi = 150.0, 300.0
    old = np.log(np.array([200.0, 290.0, 290.0, 160.0, 320.0, 140.0], np.float32))
    new = np.log(np.array([220.0, 400.0, 900.0, 120.0, 320.0, 140.0], np.float32))
    out = np.exp(pm.hold_in_range(new, old, (lo, hi)))
    assert out[0] == pytest.approx(220.0, rel=1e-5)                  # inside: exactly as asked
    soft = 2 ** (pm.F0_LIMIT_SOFT_ST / 12)
    assert hi < out[1] < out[2] < hi * soft                           # pushed out: at most 2 st past
    assert out[1] < 400.0 and out[2] < 900.0                          # never further than asked
    assert lo / soft < out[3] < lo                                    # the low side likewise
    assert out[4] == pytest.approx(320.0, rel=1e-5)                   # the model's own value: kept
    assert out[5] == pytest.approx(140.0, rel=1e-5)
    # order is kept: a bigger push is never held lower than a smaller one
    pushes = np.log(np.linspace(250, 1000, 50)).astype(np.float32)
    held = pm.hold_in_range(pushes, np.full(50, np.log(250.0), np.float32), (lo, hi))
    assert np.all(np.diff(held) >= 0)
    with pytest.raises(ValueError, match="f0_limits_hz"):
        pm.hold_in_range(new, old, (300.0, 150.0))


def test_pitch_controls_are_held_in_the_voices_range():
    f0 = z([220.0, 260.0, 300.0, 180.0])
    mask = np.ones((1, 4), np.float32)
    w = np.ones((1, 4), np.float32)
    up = ProsodyControl(pitch_shift=np.full(4, 7.0, np.float32))
    free = hz(pm.controlled_f0(f0, mask, w, CFG, up))
    assert np.allclose(free, np.array([220, 260, 300, 180]) * 2 ** (7 / 12), rtol=1e-4)
    up.f0_limits_hz = (150.0, 310.0)
    held = hz(pm.controlled_f0(f0, mask, w, CFG, up))
    assert np.all(held > np.array([220, 260, 300, 180]) + 1.0)          # still a raise everywhere
    assert np.all(held < free)                                          # shortened, never past the ask
    assert held.max() < 310.0 * 2 ** (pm.F0_LIMIT_SOFT_ST / 12) + 1e-3
    # the contour's shape is kept: the body moves by one interval (the lowest symbol is not
    # carried up against the others, as a symbol-by-symbol squash did)
    rise = 12 * np.log2(held / np.array([220, 260, 300, 180]))
    assert rise[0] == pytest.approx(rise[3], abs=1e-3) and rise[1] == pytest.approx(rise[0], abs=1e-3)
    wide = ProsodyControl(pitch_range=np.full(4, 2.0, np.float32), f0_limits_hz=(150.0, 310.0))
    spread = hz(pm.controlled_f0(f0, mask, w, CFG, wide))
    assert spread.max() < 310.0 * 2 ** (pm.F0_LIMIT_SOFT_ST / 12) and spread.min() > 150.0 / 2 ** (pm.F0_LIMIT_SOFT_ST / 12)
    # limits alone change nothing
    same = pm.controlled_f0(f0, mask, w, CFG, ProsodyControl(f0_limits_hz=(150.0, 310.0)))
    assert np.array_equal(same, f0)


def _st(x):
    return 12.0 * np.asarray(x) / math.log(2.0)


def test_a_raised_widened_contour_keeps_growing_with_the_request():
    """An emotion that raises and widens pitch (surprised) on a voice near its ceiling: level and
    spread both grow with intensity, where the symbol-by-symbol squash made the spread shrink."""
    rng = np.random.default_rng(0)
    old = np.log(227.0 * 2 ** (rng.normal(0.0, 3.5, (1, 60)) / 12)).astype(np.float32)
    w = rng.uniform(2.0, 10.0, (1, 60)).astype(np.float32)
    limits = (149.1, 312.4)
    centre = float((old * w).sum() / w.sum())

    def q(v, p):
        return pm._weighted_quantile(np.asarray(v)[0], w[0], p)

    def asked(k):
        return (centre + (1 + 0.6 * k) * (old - centre) + 3.0 * k * math.log(2) / 12).astype(np.float32)

    levels, spreads, sym_spreads = [], [], []
    for k in (0.3, 0.6, 1.0, 1.3):
        new = asked(k)
        out = pm.hold_contour_in_range(new, old, w, limits)
        assert np.all(out >= np.minimum(old, new) - 1e-6) and np.all(out <= np.maximum(old, new) + 1e-6)
        assert np.exp(out.max()) < limits[1] * 2 ** (2 * pm.F0_LIMIT_SOFT_ST / 12)
        levels.append(_st(q(out, 0.5) - q(old, 0.5)))
        spreads.append(_st(q(out, 0.9) - q(out, 0.1)))
        sym = pm.hold_in_range(new, old, limits)
        sym_spreads.append(_st(q(sym, 0.9) - q(sym, 0.1)))
    assert np.all(np.diff(levels) > 0) and np.all(np.diff(spreads) > 0), (levels, spreads)
    assert sym_spreads[-1] < sym_spreads[-2]          # what the old hold did on the same contour
    # inside the range nothing is held
    small = (centre + 0.5 * math.log(2) / 12 + 0.0 * old).astype(np.float32)
    assert np.array_equal(pm.hold_contour_in_range(small, old, w, limits), small)
    with pytest.raises(ValueError, match="f0_limits_hz"):
        pm.hold_contour_in_range(old, old, w, (300.0, 150.0))


def test_voice_ranges_from_a_corpus(tmp_path):
    from index_tts.train.student import read_corpus
    from index_tts.train.voice_stats import add_ranges, f0_ranges, symbol_f0

    f0 = np.array([0, 100, 110, 0, 0, 200, 0, 0], np.float32)
    assert np.allclose(symbol_f0(f0, np.array([3, 2, 3])), [105.0, 200.0])  # unvoiced symbol: none
    rng = np.random.default_rng(0)
    rows = []
    (tmp_path / "feats").mkdir()
    for voice, (lo, hi), n_clips in (("zf_a", (180, 320), 30), ("zm_b", (80, 160), 30), ("zm_c", (90, 120), 1)):
        for i in range(n_clips):
            dur = np.full(40, 5, np.int32)
            frames = np.repeat(rng.uniform(lo, hi, 40), 5).astype(np.float32)
            frames[::7] = 0  # some unvoiced frames
            path = tmp_path / "feats" / f"{voice}_{i}.npz"
            np.savez(path, f0=frames, durations=dur)
            rows.append({"uid": f"{voice}_{i}", "voice": voice, "text": "", "kept": True, "cer": 0.0, "hyp": "",
                         "n_ids": 40, "n_frames": 200, "seconds": 2.5, "path": f"feats/{path.name}"})
    rows.append({"uid": "gone", "voice": "zm_b", "text": "", "kept": False, "cer": 1.0, "hyp": "",
                 "n_ids": 40, "n_frames": 200, "seconds": 2.5, "path": "feats/missing.npz"})
    (tmp_path / "index.jsonl").write_text("\n".join(json.dumps(r) for r in rows), encoding="utf-8")
    ranges = f0_ranges(read_corpus(tmp_path, 1000))
    assert set(ranges) == {"zf_a", "zm_b"}  # zm_c: 40 symbols are too few to say
    assert 180 < ranges["zf_a"][0] < 185 and 315 < ranges["zf_a"][1] < 320
    assert 80 < ranges["zm_b"][0] < 83 and 157 < ranges["zm_b"][1] < 160
    entries = add_ranges({"a": {"display_name": "A"}, "x": {"display_name": "X"}}, {"a": (1.0, 2.0)})
    assert entries == {"a": {"display_name": "A", "f0_range_hz": [1.0, 2.0]}, "x": {"display_name": "X"}}


def test_a_student_voice_gives_its_range_and_a_clone_its_nearest_presets(tmp_path, monkeypatch):
    from index_tts.engines import student as student_mod

    folder = tmp_path / "student-zh"
    folder.mkdir()
    cfg = {"symbols": ["pad", "a"], "mel": {}, "speakers": {
        "low": {"display_name": "L", "embedding": [1.0, 0.0], "f0_range_hz": [70.0, 190.0]},
        "high": {"display_name": "H", "embedding": [0.0, 1.0], "f0_range_hz": [150.0, 320.0]},
        "old": {"display_name": "O", "embedding": [0.7, 0.7]}}}
    (folder / "config.json").write_text(json.dumps(cfg), encoding="utf-8")
    monkeypatch.setattr(student_mod, "find_bundle", lambda name: folder)

    class SameMel:
        @staticmethod
        def from_dict(d):
            return SameMel()

        def same_features(self, other):
            return True

    import index_tts.audio.mel_config as mc
    monkeypatch.setattr(mc, "MelConfig", SameMel)
    voices = student_mod.StudentVoices(SameMel(), ["pad", "a"])
    assert voices.f0_range("low") == (70.0, 190.0) and voices.f0_range("high") == (150.0, 320.0)
    assert voices.f0_range("old") is None and voices.f0_range(None) is None and voices.f0_range("nope") is None
    assert voices.nearest(np.array([0.1, 0.9], np.float32))[0] == "high"
