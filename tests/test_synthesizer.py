"""The Synthesizer facade on the real default voice: validation, pauses, seeds, streaming, I/O."""
from __future__ import annotations

import numpy as np
import pytest
import soundfile as sf

from index_tts.errors import (EmptyTextError, InvalidParameterError, TextTooLongError,
                              UnknownEmotionError, UnknownVoiceError)
from index_tts.synthesizer import TAIL_SILENCE_S, Synthesizer

TEXT = "今天天气真不错，我们一起去公园散步吧。"


@pytest.mark.parametrize("text", ["", "   \n\t ", "😀🎉👍"])
def test_nothing_readable_is_a_clear_error(synth, text):
    with pytest.raises(EmptyTextError) as exc:
        synth.synthesize(text)
    assert str(exc.value)
    if text.strip():
        assert "😀" in str(exc.value)  # the unreadable characters are named


def test_mixed_scripts_speak_what_is_readable_and_warn(synth):
    res = synth.synthesize("你好 Привет 世界 안녕", seed=0)
    assert res.duration_s > 0.5
    joined = " ".join(res.warnings)
    assert "П" in joined and "안" in joined


def test_text_over_limit_is_refused_before_any_work(synth):
    with pytest.raises(TextTooLongError, match=str(Synthesizer.MAX_CHARS)):
        synth.synthesize("好" * (Synthesizer.MAX_CHARS + 1))


def test_max_length_text_streams_first_segment_without_hanging(synth):
    text = ("从前有一座山，山上有一座庙。" * 2000)[: Synthesizer.MAX_CHARS]
    chunks = synth.stream(text, seed=0)
    wav, info = next(chunks)
    assert info.index == 0 and wav.size > 0
    chunks.close()


@pytest.mark.parametrize("kw", [{"speed": 100}, {"speed": float("nan")}, {"pitch": 0.1}, {"sentence_pause": -1},
                                {"comma_pause": 5}, {"intensity": 2}, {"speed": "fast"}])
def test_absurd_parameters_are_rejected(synth, kw):
    with pytest.raises(InvalidParameterError):
        synth.synthesize(TEXT, **kw)


def test_unknown_voice_and_emotion(synth):
    with pytest.raises(UnknownVoiceError):
        synth.synthesize(TEXT, speaker="nobody")
    with pytest.raises(UnknownEmotionError):
        synth.synthesize(TEXT, emotion_label="sleepy-ish")


def test_result_shape_progress_and_segments(synth):
    calls = []
    res = synth.synthesize("第一句话。第二句话！第三句话？", seed=0, progress=lambda d, t: calls.append((d, t)))
    assert res.sample_rate == 24000 and res.wav.dtype == np.float32
    assert np.all(np.abs(res.wav) <= 1.0) and np.isfinite(res.wav).all()
    assert calls == [(1, 3), (2, 3), (3, 3)]
    assert len(res.segments) == 3
    assert res.segments[0].start_s == 0.0
    for a, b in zip(res.segments, res.segments[1:]):
        assert b.start_s == pytest.approx(a.end_s)
    assert res.segments[-1].end_s == pytest.approx(res.duration_s)
    for key in ("frontend_s", "acoustic_s", "vocoder_s", "total_s", "first_audio_s", "rtf"):
        assert res.timings[key] >= 0
    # the output ends in silence (tail), not in the middle of a syllable
    tail = res.wav[-int(TAIL_SILENCE_S * res.sample_rate):]
    assert np.abs(tail).max() < 1e-6


def test_pauses_lengthen_by_the_requested_amount(synth):
    text = "今天下雨，我们在家。明天出去。"  # one comma break inside segment 1, one sentence pause
    base = synth.synthesize(text, seed=3, comma_pause=0.1, sentence_pause=0.3)
    more = synth.synthesize(text, seed=3, comma_pause=0.6, sentence_pause=1.3)
    extra = (len(more.wav) - len(base.wav)) / base.sample_rate
    assert extra == pytest.approx(0.5 + 1.0, abs=0.02)


def test_speed_changes_duration(synth):
    slow = synth.synthesize(TEXT, seed=1, speed=0.7).duration_s
    fast = synth.synthesize(TEXT, seed=1, speed=1.3).duration_s
    assert slow > fast * 1.4


def test_seed_makes_output_repeatable(synth):
    a = synth.synthesize(TEXT, seed=7).wav
    b = synth.synthesize(TEXT, seed=7).wav
    c = synth.synthesize(TEXT, seed=8).wav
    assert np.array_equal(a, b)
    assert a.shape != c.shape or not np.array_equal(a, c)


def test_save_wav_is_16bit_24k(synth, tmp_path):
    res = synth.synthesize("你好。", seed=0)
    path = synth.save_wav(res, tmp_path / "sub" / "x.wav")
    info = sf.info(str(path))
    assert info.samplerate == 24000 and info.subtype == "PCM_16" and info.frames == len(res.wav)


def test_indextts2_style_constructor_names(synth):
    tts = Synthesizer(config_path=synth.bundle_dir / "config.json", use_gpu=False)
    assert tts.device == "cpu" and tts.info()["sample_rate"] == 24000
    res = tts.synthesize("好的。", emotion_label="happy", intensity=0.5, seed=0)
    assert res.duration_s > 0.3


def test_cuda_request_without_gpu_is_clear(synth):
    import torch

    if torch.cuda.is_available():
        pytest.skip("a GPU is present")
    with pytest.raises(InvalidParameterError, match="CUDA"):
        Synthesizer(device="cuda")
