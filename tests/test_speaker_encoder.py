"""Speaker encoder: same-voice vs different-voice similarity, reference validation, presets."""
from __future__ import annotations

import io
import json
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

from index_tts.encoders.speaker import (
    PresetVoice,
    SpeakerEncoder,
    check_reference,
    mean_embedding,
    preset_entry,
    read_presets,
    write_presets,
)
from index_tts.errors import ReferenceAudioError

DATA = Path(__file__).resolve().parent / "data" / "tiny_tts" / "wavs"


def _clip(name: str) -> tuple[np.ndarray, int]:
    wav, sr = sf.read(DATA / name, dtype="float32")
    return wav, sr


@pytest.fixture(scope="module")
def encoder():
    if not SpeakerEncoder.available():
        pytest.skip("resemblyzer is not installed (pip install resemblyzer 'setuptools<81')")
    return SpeakerEncoder()


def test_same_voice_is_closer_than_a_different_voice(encoder):
    # Two synthetic voices (Kokoro jf_alpha, female; jm_kumo, male), different sentences.
    f1, f2 = (encoder.embed(*_clip(n)) for n in ("kokoro_jf_alpha_00000.flac", "kokoro_jf_alpha_00003.flac"))
    m1, m2 = (encoder.embed(*_clip(n)) for n in ("kokoro_jm_kumo_00001.flac", "kokoro_jm_kumo_00005.flac"))
    for e in (f1, f2, m1, m2):
        assert e.shape == (256,) and e.dtype == np.float32 and np.isclose(np.linalg.norm(e), 1.0, atol=1e-5)
    same = min(encoder.similarity(f1, f2), encoder.similarity(m1, m2))
    diff = max(encoder.similarity(f1, m1), encoder.similarity(f2, m2), encoder.similarity(f1, m2))
    assert same > diff + 0.1, (same, diff)
    many = encoder.embed_many([_clip("kokoro_jf_alpha_00000.flac"), _clip("kokoro_jm_kumo_00001.flac")])
    assert many.shape == (2, 256) and np.allclose(many[0], f1, atol=1e-5)
    # A clip at another sample rate gives (nearly) the same embedding.
    wav, _ = _clip("kokoro_jf_alpha_00000.flac")
    from scipy.signal import resample_poly

    assert encoder.similarity(encoder.embed(resample_poly(wav, 2, 3), 16000), f1) > 0.97


def test_embed_file_reads_bytes(encoder):
    wav, sr = _clip("kokoro_jm_kumo_00001.flac")
    buf = io.BytesIO()
    sf.write(buf, wav, sr, format="WAV")
    assert encoder.similarity(encoder.embed_file(buf.getvalue()), encoder.embed(wav, sr)) > 0.999


@pytest.mark.parametrize(
    "case, message",
    [
        ("silence", "silent"),
        ("short", "too short"),
        ("noise", "no voiced speech"),
        ("tone", "speech"),
        ("chord", "no voiced speech"),
        ("nan", "NaN"),
        ("empty", "empty"),
    ],
)
def test_unusable_reference_audio_is_refused(case, message):
    pytest.importorskip("pyworld")
    sr = 24000
    t = np.arange(2 * sr) / sr
    rng = np.random.default_rng(0)
    speech, _ = _clip("kokoro_jf_alpha_00000.flac")
    wav = {
        "silence": np.zeros(2 * sr),
        "short": speech[: int(0.3 * sr)],
        "noise": 0.1 * rng.standard_normal(2 * sr),
        "tone": 0.3 * np.sin(2 * np.pi * 220 * t),
        "chord": sum(0.1 * np.sin(2 * np.pi * f * t) for f in (262, 330, 392)),
        "nan": np.full(sr, np.nan),
        "empty": np.zeros(0),
    }[case]
    with pytest.raises(ReferenceAudioError, match=message):
        check_reference(wav, sr)


def test_real_speech_passes_validation():
    pytest.importorskip("pyworld")
    m = check_reference(*_clip("kokoro_jm_kumo_00003.flac"))
    assert m.duration_s > 1.0 and m.voiced_ratio > 0.3 and m.pitch_spread_st > 0.5


def test_corrupt_file_is_refused(encoder):
    with pytest.raises(ReferenceAudioError):
        encoder.embed_file(b"RIFF\x00\x00not really a wave file" * 10)


def test_presets_round_trip(tmp_path):
    emb = mean_embedding(np.random.default_rng(1).standard_normal((3, 256)))
    (tmp_path / "config.json").write_text(json.dumps({"speakers": {"baker": {"embedding": None}}}), encoding="utf-8")
    write_presets(tmp_path, {"f1": PresetVoice("f1", "女声·温柔", emb)})
    cfg = json.loads((tmp_path / "config.json").read_text(encoding="utf-8"))
    assert set(cfg["speakers"]) == {"baker", "f1"} and cfg["speakers"]["f1"]["display_name"] == "女声·温柔"
    presets = read_presets(cfg, dim=256)
    assert list(presets) == ["f1"] and np.allclose(presets["f1"].embedding, emb, atol=1e-6)
    with pytest.raises(ValueError):
        read_presets(cfg, dim=128)
    with pytest.raises(ValueError):
        preset_entry("", emb)
