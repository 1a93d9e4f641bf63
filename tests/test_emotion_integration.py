"""Real voice: emotions move the measured pitch the way their profiles say (needs the bundle)."""
import math

import numpy as np
import pytest

from index_tts.encoders.style import StyleConfig, analyse_wav

SENTENCES = ("今天天气真不错，我们一起去公园散步吧。", "这家餐厅的服务很周到，菜的味道也非常好。")


@pytest.fixture(scope="module")
def tts():
    import torch

    from index_tts.hub import ModelNotFoundError

    try:
        from index_tts.synthesizer import Synthesizer

        torch.set_num_threads(2)
        return Synthesizer(device="cpu")
    except ModelNotFoundError as exc:
        pytest.skip(f"default voice not installed: {exc}")


def _f0_st(tts, text, **kw):
    res = tts.synthesize(text, seed=0, **kw)
    s = analyse_wav(res.wav, res.sample_rate, StyleConfig(window_s=15.0))
    return 12 * math.log2(s.f0_median_hz), s


@pytest.mark.parametrize("text", SENTENCES)
def test_happy_higher_and_sad_lower_than_neutral(tts, text):
    neutral, ns = _f0_st(tts, text)
    happy, hs = _f0_st(tts, text, emotion_label="happy", intensity=1.0)
    sad, ss = _f0_st(tts, text, emotion_label="悲伤", intensity=1.0)
    assert happy - neutral > 1.0, (happy - neutral)
    assert neutral - sad > 1.0, (neutral - sad)
    # tempo follows too: sad is slower (more speech time for the same text)
    assert ss.speech_s > ns.speech_s


def test_reference_clip_moves_rate(tts):
    text = SENTENCES[0]
    fast = tts.synthesize("春天来了，河边的柳树都发芽了。孩子们在草地上放风筝。", speed=1.3,
                          emotion_label="surprised", intensity=1.0, seed=0)
    _, ns = _f0_st(tts, text)
    _, rs = _f0_st(tts, text, reference_audio=(fast.wav, fast.sample_rate), reference_strength=1.0)
    assert rs.speech_s < ns.speech_s
