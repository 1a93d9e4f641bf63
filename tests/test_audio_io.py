"""Robust loading of user audio: formats, channels, rates, bad files, long clips."""
import io
import time

import numpy as np
import pytest
import soundfile as sf

from index_tts.audio.io import load_audio, resample
from index_tts.errors import ReferenceAudioError

SR = 44100


def _tone(sr=SR, dur=1.5, f=220.0, amp=0.3):
    t = np.arange(int(sr * dur)) / sr
    return (amp * np.sin(2 * np.pi * f * t)).astype(np.float32)


def test_resample_preserves_frequency_and_length():
    x = _tone(SR, 2.0, 440.0)
    y = resample(x, SR, 16000)
    assert len(y) == 32000
    spec = np.abs(np.fft.rfft(y))
    peak_hz = np.argmax(spec) * 16000 / len(y)
    assert abs(peak_hz - 440.0) < 1.0


def test_stereo_is_mixed_to_mono_and_rate_converted(tmp_path):
    left, right = _tone(f=220.0), _tone(f=330.0, amp=0.1)
    p = tmp_path / "stereo.wav"
    sf.write(p, np.stack([left, right], 1), SR, subtype="PCM_16")
    a = load_audio(p, target_sr=24000)
    assert a.sample_rate == 24000 and a.source_sample_rate == SR and a.source_channels == 2
    assert a.wav.ndim == 1 and a.wav.dtype == np.float32
    assert len(a.wav) == pytest.approx(1.5 * 24000, abs=2)
    expect = resample((left + right) / 2, SR, 24000)
    assert np.max(np.abs(a.wav[: len(expect)] - expect)) < 2e-3
    assert not a.warnings and not a.trimmed


@pytest.mark.parametrize("fmt,subtype,ext,tol", [
    ("FLAC", "PCM_16", "flac", 1e-3), ("OGG", "VORBIS", "ogg", 0.05), ("MP3", "MPEG_LAYER_III", "mp3", 0.08)])
def test_compressed_formats_via_soundfile(tmp_path, fmt, subtype, ext, tol):
    x = _tone(dur=1.0)
    p = tmp_path / f"clip.{ext}"
    sf.write(p, x, SR, format=fmt, subtype=subtype)
    for src in (p, str(p), p.read_bytes(), io.BytesIO(p.read_bytes())):
        a = load_audio(src, target_sr=16000)
        assert a.sample_rate == 16000
        assert abs(a.duration_s - 1.0) < 0.1
        # level survives decoding
        assert abs(np.sqrt(np.mean(a.wav[2000:-2000] ** 2)) - 0.3 / np.sqrt(2)) < tol


def test_in_memory_pairs_both_orders_and_int16():
    x = _tone(sr=16000)
    a = load_audio((x, 16000))
    assert a.sample_rate == 16000 and np.allclose(a.wav, x)
    pcm = (x * 32767).astype(np.int16)
    b = load_audio((16000, pcm))  # gradio gives (sr, data)
    assert np.max(np.abs(b.wav - x)) < 1e-3
    c = load_audio((np.stack([x, x]), 16000))  # channels-first stereo
    assert c.source_channels == 2 and np.allclose(c.wav, x, atol=1e-6)


def test_text_file_renamed_as_wav_is_refused(tmp_path):
    p = tmp_path / "not_audio.wav"
    p.write_text("这不是音频文件 this is not audio\n" * 50, encoding="utf-8")
    with pytest.raises(ReferenceAudioError, match="could not read"):
        load_audio(p)
    with pytest.raises(ReferenceAudioError):
        load_audio(p.read_bytes())


@pytest.mark.parametrize("src,match", [
    (lambda tmp: tmp / "missing.wav", "not found"),
    (lambda tmp: b"", "empty"),
    (lambda tmp: (np.zeros(16000, np.float32), 16000), "silent"),
    (lambda tmp: (np.full(16000, np.nan, np.float32), 16000), "NaN"),
    (lambda tmp: (np.zeros(0, np.float32), 16000), "empty"),
    (lambda tmp: (_tone(sr=16000), 100), "sample rate"),
])
def test_bad_inputs(tmp_path, src, match):
    with pytest.raises(ReferenceAudioError, match=match):
        load_audio(src(tmp_path))


def test_silent_file(tmp_path):
    p = tmp_path / "silence.wav"
    sf.write(p, np.zeros(SR * 2, np.float32), SR)
    with pytest.raises(ReferenceAudioError, match="silent"):
        load_audio(p)


def test_ten_minute_clip_trimmed_fast_with_warning(tmp_path):
    sr = 16000
    rng = np.random.default_rng(0)
    x = (0.05 * rng.standard_normal(sr * 600)).astype(np.float32)
    p = tmp_path / "long.wav"
    sf.write(p, x, sr, subtype="PCM_16")
    t0 = time.perf_counter()
    a = load_audio(p, target_sr=24000, max_seconds=60.0)
    elapsed = time.perf_counter() - t0
    assert a.trimmed and a.duration_s == pytest.approx(60.0, abs=0.01)
    assert a.source_duration_s == pytest.approx(600.0, abs=0.01)
    assert len(a.warnings) == 1 and "600" in a.warnings[0] and "60" in a.warnings[0]
    assert elapsed < 3.0
    # in-memory arrays are trimmed the same way
    b = load_audio((x, sr), max_seconds=60.0)
    assert b.trimmed and len(b.wav) == 60 * sr and b.warnings


def test_loud_float_input_is_normalised_not_clipped():
    x = 3.0 * _tone(sr=16000, amp=1.0)
    a = load_audio((x, 16000))
    assert np.max(np.abs(a.wav)) == pytest.approx(1.0, abs=1e-6)


def test_a_dc_offset_is_removed(tmp_path):
    """A clip riding on a DC offset (here +0.2) loads centred; a file that is nothing but an
    offset is silent, not a loud clip."""
    x = _tone(sr=16000) + 0.2
    sf.write(tmp_path / "dc.wav", x, 16000, subtype="PCM_16")
    for src in ((x, 16000), tmp_path / "dc.wav"):
        a = load_audio(src)
        assert abs(float(a.wav.mean())) < 1e-3 and np.max(np.abs(a.wav)) == pytest.approx(0.3, abs=0.01)
    with pytest.raises(ReferenceAudioError, match="silent"):
        load_audio((np.full(16000, 0.25, np.float32), 16000))
