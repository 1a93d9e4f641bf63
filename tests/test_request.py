"""SynthesisRequest (index_tts/request.py): one place for the settings, one check, one emotion rule."""
from __future__ import annotations

import json
import math
import os

import numpy as np
import pytest

from index_tts.errors import EmptyTextError, InvalidParameterError, TextTooLongError, UnknownEmotionError
from index_tts.request import ALIASES, DEFAULTS, LIMITS, SETTINGS, SynthesisRequest

TEXT = "今天天气真不错。"


def test_defaults_and_ranges_come_from_settings():
    req = SynthesisRequest(TEXT)
    for name in ("speed", "pitch", "sentence_pause", "comma_pause", "intensity", "reference_strength",
                 "timbre_strength"):
        spec = SETTINGS[name]
        assert getattr(req, name) == getattr(DEFAULTS, name) == spec.default
        assert spec.low <= spec.default <= spec.high and LIMITS[name] == (spec.low, spec.high)
        assert 0 < spec.step <= spec.high - spec.low
    assert SETTINGS["speed"].info.startswith(f"{SETTINGS['speed'].low:g} ")


@pytest.mark.parametrize("name", ["speed", "pitch", "sentence_pause", "comma_pause", "intensity",
                                  "reference_strength", "timbre_strength"])
def test_validate_rejects_each_setting_outside_its_range(name):
    spec = SETTINGS[name]
    for bad in (spec.low - spec.step, spec.high + spec.step, float("nan"), "fast", True):
        with pytest.raises(InvalidParameterError, match=name):
            SynthesisRequest(TEXT, **{name: bad}).validate()
    for good in (spec.low, spec.high, str(spec.high)):
        assert getattr(SynthesisRequest(TEXT, **{name: good}).validate(), name) == float(good)


def test_validate_checks_text_seed_and_types():
    with pytest.raises(EmptyTextError):
        SynthesisRequest("  ").validate()
    with pytest.raises(InvalidParameterError):
        SynthesisRequest(123).validate()  # type: ignore[arg-type]
    with pytest.raises(TextTooLongError, match="5"):
        SynthesisRequest("一二三四五六").validate(max_chars=5)
    for bad in (-1, 2**32, 1.5, True):
        with pytest.raises(InvalidParameterError, match="seed"):
            SynthesisRequest(TEXT, seed=bad).validate()
    assert SynthesisRequest(TEXT, seed=np.int64(7)).validate().seed == 7
    with pytest.raises(InvalidParameterError, match="emotion_control"):
        SynthesisRequest(TEXT, emotion_control={"pitch_shift_st": 1}).validate()
    with pytest.raises(UnknownEmotionError):
        SynthesisRequest(TEXT, emotion_label="sleepy").validate()


def test_label_is_canonical_and_neutral_means_none():
    assert SynthesisRequest(TEXT, emotion_label="开心").validate().emotion_label == "happy"
    req = SynthesisRequest(TEXT, emotion_label="中性", emotion_vector={"sad": 0.5}).validate()
    assert req.emotion_label is None and req.emotion_vector == {"sad": 0.5} and req.has_emotion


def test_from_kwargs_aliases_and_unknown_names():
    req = SynthesisRequest.from_kwargs(TEXT, emo_vector=[0.8, 0, 0, 0, 0, 0, 0, 0], emo_alpha=0.3, voice="baker")
    assert req.emotion_vector[0] == 0.8 and req.intensity == 0.3 and req.speaker == "baker"
    assert set(ALIASES.values()) <= {f for f in req.to_dict()}
    with pytest.raises(TypeError, match="spped"):
        SynthesisRequest.from_kwargs(TEXT, spped=1.1)
    with pytest.raises(TypeError, match="twice"):
        SynthesisRequest.from_kwargs(TEXT, intensity=0.5, emo_alpha=0.3)


def test_to_kwargs_gives_only_what_matters():
    kw = SynthesisRequest(TEXT, speed=1.1).to_kwargs()
    assert kw == {"speed": 1.1, "pitch": DEFAULTS.pitch, "sentence_pause": DEFAULTS.sentence_pause,
                  "comma_pause": DEFAULTS.comma_pause}
    kw = SynthesisRequest(TEXT, emotion_label="sad", intensity=0.4, reference_audio=b"x").to_kwargs()
    assert kw["intensity"] == 0.4 and kw["reference_strength"] == DEFAULTS.reference_strength
    assert SynthesisRequest.from_dict({"text": TEXT, **kw}).to_kwargs() == kw


def test_http_fields_are_generated_from_settings():
    from index_tts.server.schemas import SynthesizeRequest

    fields = SynthesizeRequest.model_fields
    for name in ("speed", "pitch", "sentence_pause", "comma_pause", "intensity", "reference_strength",
                 "timbre_strength", "seed"):
        spec = SETTINGS[name]
        f = fields[name]
        bounds = {type(m).__name__: m for m in f.metadata}
        assert f.default == spec.default
        assert bounds["Ge"].ge == spec.low and bounds["Le"].le == spec.high
    body = SynthesizeRequest(text=TEXT, voice="clone", reference_audio_base64=None, timbre_strength=0.3)
    assert body.synthesis_request().timbre_strength == 0.3


def test_cli_flags_are_generated_from_settings():
    from index_tts.cli import SYNTH_FLAGS, build_parser

    args = build_parser().parse_args(["synth", "--text", TEXT, "--out", "x.wav"])
    for name in SYNTH_FLAGS:
        assert getattr(args, name) == SETTINGS[name].default
    args = build_parser().parse_args(["synth", "--text", TEXT, "--out", "x.wav", "--emotion", "happy",
                                      "--mix", "sad=0.5", "--comma-pause", "0.3", "--timbre-strength", "0.4"])
    from index_tts.cli import synthesis_request

    req = synthesis_request(TEXT, args)
    assert (req.emotion_label, req.emotion_vector, req.comma_pause) == ("happy", {"sad": 0.5}, 0.3)
    assert req.timbre_strength == 0.4


# --------------------------------------------------------------- on the real engine
def test_public_emotion_control_and_aliases(synth):
    from index_tts.encoders.emotion import EmotionEncoder

    label = synth.synthesize(TEXT, emotion_label="happy", intensity=0.6, seed=1).wav
    ctrl = EmotionEncoder().encode("happy", None, 0.6)
    assert np.array_equal(synth.synthesize(TEXT, emotion_control=ctrl, seed=1).wav, label)
    vec = synth.synthesize(TEXT, emotion_vector={"sad": 0.5}, intensity=0.6, seed=1).wav
    assert np.array_equal(synth.synthesize(TEXT, emo_vector={"sad": 0.5}, emo_alpha=0.6, seed=1).wav, vec)
    req = SynthesisRequest(TEXT, emotion_vector={"sad": 0.5}, intensity=0.6, seed=1)
    assert np.array_equal(synth.synthesize(req).wav, vec)
    with pytest.raises(TypeError):
        synth.synthesize(req, seed=2)


@pytest.fixture(scope="module")
def capped_bundle(synth, tmp_path_factory):
    """The default voice with ``"emotions": {"cap": 0.4}`` in its config (weights linked, not copied)."""
    from index_tts import hub

    src = synth.bundle_dir
    out = tmp_path_factory.mktemp("capped") / "baker-capped"
    out.mkdir()
    for f in src.iterdir():
        if f.is_file() and f.name not in ("config.json", "manifest.json"):
            os.symlink(f, out / f.name)
    cfg = json.loads((src / "config.json").read_text(encoding="utf-8"))
    cfg["emotions"] = {"type": "rule", "cap": 0.4}
    (out / "config.json").write_text(json.dumps(cfg, ensure_ascii=False), encoding="utf-8")
    hub.write_manifest(out)
    return out


def test_bundle_emotion_cap_is_honoured(synth, capped_bundle):
    """With cap 0.4 a weight of 0.4 is the full emotion (the default cap 0.8 makes it half)."""
    from index_tts import Synthesizer

    capped = Synthesizer(model_path=capped_bundle, device="cpu")
    assert capped.bundle.emotions.cap == 0.4 and math.isclose(capped.emotion_encoder.cap, 0.4)
    full = synth.synthesize(TEXT, emotion_label="happy", intensity=0.6, seed=2).wav
    half = synth.synthesize(TEXT, emotion_vector={"happy": 0.4}, intensity=0.6, seed=2).wav
    got = capped.synthesize(TEXT, emotion_vector={"happy": 0.4}, intensity=0.6, seed=2).wav
    assert np.array_equal(got, full)
    assert got.shape != half.shape or not np.array_equal(got, half)


def test_vocoder_is_a_name_or_none():
    assert SynthesisRequest("你好", vocoder="hifigan").validate().vocoder == "hifigan"
    assert SynthesisRequest("你好", vocoder="").validate().vocoder is None
    assert "vocoder" not in SynthesisRequest("你好").to_kwargs()
    with pytest.raises(InvalidParameterError, match="vocoder"):
        SynthesisRequest("你好", vocoder=3).validate()
