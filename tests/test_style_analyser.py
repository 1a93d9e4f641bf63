"""Reference-clip analyser on synthetic voices with known F0, syllable rate and pauses;
refusals; style_to_control directions; baseline measurement."""
import math

import numpy as np
import pytest
import soundfile as sf
from scipy.signal import lfilter

from index_tts.encoders.emotion import LIMITS, NEUTRAL_CONTROL
from index_tts.encoders.style import StyleConfig, analyse_reference
from index_tts.encoders.style_transfer import (
    StyleTransferConfig, VoiceBaseline, measure_voice_baseline, style_to_control,
)
from index_tts.errors import InvalidParameterError, ReferenceAudioError

SR = 16000


def voice(f0, dur, *, sr=SR, am_hz=4.0, seed=0):
    """Glottal pulse train through three formant resonators, amplitude-modulated at am_hz
    (one 'syllable' per modulation cycle). ``f0`` is a constant or a per-sample array."""
    n = int(dur * sr)
    f0t = np.full(n, float(f0)) if np.ndim(f0) == 0 else np.asarray(f0, float)[:n]
    phase = np.cumsum(f0t) / sr
    x = np.diff(np.floor(phase), prepend=0.0)
    for fc, bw in ((700, 130), (1200, 150), (2600, 250)):
        r, th = math.exp(-math.pi * bw / sr), 2 * math.pi * fc / sr
        x = lfilter([1 - r], [1, -2 * r * math.cos(th), r * r], x)
    if am_hz:
        t = np.arange(n) / sr
        x = x * (0.5 - 0.5 * np.cos(2 * np.pi * am_hz * t)) ** 1.5
    return (0.5 * x / np.max(np.abs(x))).astype(np.float32)


@pytest.mark.parametrize("f0,am", [(200.0, 4.0), (120.0, 3.0), (280.0, 5.5)])
def test_recovers_known_f0_and_syllable_rate(f0, am):
    s = analyse_reference((voice(f0, 6.0, am_hz=am), SR))
    assert s.f0_median_hz == pytest.approx(f0, rel=0.02)
    assert s.f0_range_st < 0.5
    assert s.rate_syl_s == pytest.approx(am, rel=0.12)
    assert s.analysed_s == pytest.approx(5.0, abs=0.05)  # default window
    assert s.n_pauses == 0 and s.pause_ratio == 0.0


def test_recovers_pitch_range_of_a_sweep():
    t = np.arange(6 * SR) / SR
    f0 = 200.0 * 2 ** (3.0 * np.sin(2 * np.pi * 0.7 * t) / 12.0)  # +-3 semitones
    s = analyse_reference((voice(f0, 6.0), SR))
    expected = 2 * 3.0 * math.sin(math.pi / 2 * 0.8)  # p10..p90 of a sine
    assert s.f0_range_st == pytest.approx(expected, abs=0.8)
    assert s.f0_median_hz == pytest.approx(200.0, rel=0.05)


def test_creak_and_octave_errors_do_not_widen_the_range():
    # 200 Hz speech whose last 0.2 s of every second drops to 100 Hz (vocal fry / a tracker
    # halving): 20 % of the voiced frames, which would put p10 an octave down
    t = np.arange(6 * SR) / SR
    f0 = np.where((t % 1.0) > 0.8, 100.0, 200.0)
    s = analyse_reference((voice(f0, 6.0), SR))
    assert s.f0_median_hz == pytest.approx(200.0, rel=0.03)
    assert s.f0_range_st < 1.5
    # a lively but real contour (+-7 st) is kept
    wide = 200.0 * 2 ** (7.0 * np.sin(2 * np.pi * 0.7 * t) / 12.0)
    s = analyse_reference((voice(wide, 6.0), SR))
    assert s.f0_range_st == pytest.approx(2 * 7.0 * math.sin(math.pi / 2 * 0.8), abs=1.5)


def test_pauses_measured():
    parts = []
    for _ in range(4):
        parts += [voice(220.0, 1.0), np.zeros(int(0.4 * SR), np.float32)]
    x = np.concatenate(parts)
    s = analyse_reference((x, SR), StyleConfig(window_s=7.0))
    assert s.n_pauses == 3
    assert s.mean_pause_s == pytest.approx(0.45, abs=0.1)  # 0.4 s + quiet modulation troughs at the edges
    span = s.speech_s + 3 * s.mean_pause_s
    assert s.pause_ratio == pytest.approx(3 * s.mean_pause_s / span, rel=1e-6)
    assert 0.2 < s.pause_ratio < 0.4
    # speaking rate excludes the pauses
    assert s.rate_syl_s == pytest.approx(4.0, rel=0.2)


def test_window_configurable_and_leading_silence_skipped():
    x = np.concatenate([np.zeros(2 * SR, np.float32), voice(200.0, 12.0)])
    s = analyse_reference((x, SR), StyleConfig(window_s=10.0))
    assert s.analysed_s == pytest.approx(10.0, abs=0.05)
    assert s.speech_s > 9.0
    with pytest.raises(ValueError):
        StyleConfig(window_s=20.0)


def test_reads_files_and_resamples(tmp_path):
    x = voice(180.0, 3.0, sr=44100)
    p = tmp_path / "ref.flac"
    sf.write(p, np.stack([x, x], 1), 44100)
    s = analyse_reference(p)
    assert s.f0_median_hz == pytest.approx(180.0, rel=0.02)


@pytest.mark.parametrize("make,match", [
    (lambda: (np.random.default_rng(0).normal(0, 0.2, 5 * SR).astype(np.float32), SR), "no voiced"),
    (lambda: ((np.cumsum(np.random.default_rng(1).normal(0, 1, 5 * SR)) * 1e-3).astype(np.float32), SR), "no voiced"),
    (lambda: (voice(200.0, 0.3), SR), "too short"),
    (lambda: (np.concatenate([voice(200.0, 0.5), np.zeros(3 * SR, np.float32)]), SR), "speech"),
    (lambda: (np.zeros(3 * SR, np.float32), SR), "silent"),
])
def test_refusals(make, match):
    with pytest.raises(ReferenceAudioError, match=match):
        analyse_reference(make())


def test_long_clip_warning_is_kept(tmp_path):
    x = np.tile(voice(200.0, 2.0), 35)  # 70 s
    s = analyse_reference((x, SR))
    assert any("70" in w and "60" in w for w in s.warnings)


BASE = VoiceBaseline(f0_median_hz=260.0, f0_range_st=6.0, loudness_range_db=15.0, rate_syl_s=4.5,
                     pause_ratio=0.1, mean_pause_s=0.3, spectral_tilt_db=-12.0, n_clips=4)


def _style(**kw):
    s = analyse_reference((voice(260.0, 3.0), SR))
    for k, v in kw.items():
        setattr(s, k, v)
    return s


def test_style_to_control_moves_toward_reference():
    fast_wide = _style(f0_median_hz=260.0 * 2 ** (2 / 12), f0_range_st=9.0, rate_syl_s=6.0, pause_ratio=0.05,
                       spectral_tilt_db=-8.0, loudness_range_db=20.0)
    plain = StyleTransferConfig(range_gain=1.0, range_gain_up=1.0, rate_gain=1.0, rate_gain_up=1.0,
                                range_shift_comp=0.0)
    c = style_to_control(fast_wide, BASE, 1.0, plain)
    assert c.pitch_shift_st == pytest.approx(2.0, abs=1e-6)
    assert c.pitch_range == pytest.approx(1.5, rel=1e-6)
    assert c.rate == pytest.approx(6.0 / 4.5, rel=1e-6)
    assert c.pause_scale < 1.0 and c.spectral_tilt_db > 0 and c.emphasis_db > 0
    half = style_to_control(fast_wide, BASE, 0.5, plain)
    assert half.pitch_range == pytest.approx(math.sqrt(1.5), rel=1e-6)
    assert half.pitch_shift_st == pytest.approx(1.0, abs=1e-6)
    assert style_to_control(fast_wide, BASE, 0.0).deltas() == pytest.approx(NEUTRAL_CONTROL.deltas())
    # default calibration expands range and tempo ratios (weak model response) and adds range
    # to make up for the compression a level shift causes
    d = style_to_control(fast_wide, BASE, 1.0)
    cfg = StyleTransferConfig()
    wider = cfg.range_gain_up * math.log2(1.5) + cfg.range_shift_comp * 2.0
    assert math.log2(d.pitch_range) == pytest.approx(min(wider, math.log2(LIMITS["pitch_range"][1])))
    assert math.log2(d.rate) == pytest.approx(cfg.rate_gain_up * math.log2(6.0 / 4.5))
    slow_narrow = _style(f0_range_st=3.0, rate_syl_s=3.0, pause_ratio=0.3)
    s = style_to_control(slow_narrow, BASE, 1.0)
    assert s.pitch_range < 1.0 and s.rate < 1.0 and s.pause_scale > 1.0
    assert math.log2(s.rate) == pytest.approx(cfg.rate_gain * math.log2(3.0 / 4.5))
    assert math.log2(s.pitch_range) == pytest.approx(cfg.range_gain * math.log2(3.0 / 6.0), abs=0.02)
    # a male reference cannot drag the female voice down by more than the limit
    male = _style(f0_median_hz=100.0)
    assert style_to_control(male, BASE, 1.0).pitch_shift_st == pytest.approx(-cfg.max_pitch_shift_st)


@pytest.mark.parametrize("bad", [-0.1, 1.5, float("nan"), "x"])
def test_bad_strength(bad):
    with pytest.raises(InvalidParameterError):
        style_to_control(_style(), BASE, bad)


def test_measure_voice_baseline_uses_the_same_analyser():
    calls = []

    def synth(text):
        calls.append(text)
        return voice(250.0 + 10 * len(calls), 4.0, am_hz=4.5), SR

    b = measure_voice_baseline(synth, texts=["一", "二", "三"])
    assert len(calls) == 3 and b.n_clips == 3
    assert b.f0_median_hz == pytest.approx(270.0, rel=0.02)  # median of 260, 270, 280
    assert b.rate_syl_s == pytest.approx(4.5, rel=0.12)
    assert VoiceBaseline.from_dict(b.to_dict()) == b


def test_a_band_limited_clip_transfers_no_spectral_tilt():
    """Telephone audio (8 kHz, nothing above 4 kHz) has no 4-6 kHz to fit a slope over: its tilt
    is not measured (NaN) and transfers as 0, not as a steep darkening; its pitch still transfers."""
    from index_tts.audio.io import resample

    # real full-band speech has its 5-6 kHz band 0-15 dB below its 1-3 kHz one (8 kHz copies: 68-73 dB);
    # the three-formant test voice has almost nothing up there, so it gets a little breath noise
    full = voice(200.0, 3.0) + 0.002 * np.random.default_rng(3).standard_normal(3 * SR).astype(np.float32)
    phone = resample(resample(full, SR, 8000), 8000, SR)
    s_full, s_phone = analyse_reference((full, SR)), analyse_reference((phone, SR))
    assert math.isfinite(s_full.spectral_tilt_db) and math.isnan(s_phone.spectral_tilt_db)
    assert s_phone.f0_median_hz == pytest.approx(200.0, rel=0.02)
    c = style_to_control(s_phone, BASE, 1.0)
    assert c.spectral_tilt_db == 0.0 and c.pitch_shift_st < 0.0  # 200 Hz against the baseline's 260
    assert style_to_control(s_full, BASE, 1.0).spectral_tilt_db != 0.0


def test_a_dc_offset_does_not_hide_the_voice():
    s = analyse_reference((voice(200.0, 3.0) + 0.2, SR))
    assert s.f0_median_hz == pytest.approx(200.0, rel=0.02)
