"""Web UI logic without a browser: output files, handler messages, engine-driven controls."""
from __future__ import annotations

import time

import numpy as np
import pytest
import soundfile as sf

gr = pytest.importorskip("gradio")

from index_tts.server.engine import EngineInfo, EngineWorker
from index_tts.server.ui import (
    UIConfig,
    _Handlers,
    build_ui,
    mix_emotions,
    mix_vector,
    unique_output_path,
)

DEFAULTS = dict(speed=1.0, pitch=1.0, sentence_pause=0.35, comma_pause=0.15, voice=None, emotion="neutral",
                intensity=0.6, reference=None, seed=None, history=[])


def test_output_names_never_overwrite(tmp_path):
    now = time.mktime((2025, 3, 4, 5, 6, 7, 0, 0, -1))
    first = unique_output_path(tmp_path, now)
    assert first.name == "20250304_050607.wav"
    first.write_bytes(b"keep me")
    second = unique_output_path(tmp_path, now)
    third = unique_output_path(tmp_path, now)
    assert (second.name, third.name) == ("20250304_050607_1.wav", "20250304_050607_2.wav")
    assert first.read_bytes() == b"keep me"


@pytest.fixture()
def handlers(synth, tmp_path):
    return _Handlers(EngineWorker(synth), UIConfig(max_chars=50, output_dir=tmp_path, max_upload_bytes=1 << 20))


def test_generate_saves_wav_and_history(handlers, tmp_path):
    path, status, history, _, _ = handlers.generate("你好，世界。", **DEFAULTS)
    wav, sr = sf.read(path, dtype="float32")
    assert sr == 24000 and len(wav) > 0.5 * sr and np.abs(wav).max() > 0.05
    assert str(tmp_path) in path and "RTF" in status and "saved" in status
    path2, _, history2, _, files2 = handlers.generate("再见。", **{**DEFAULTS, "history": history})
    assert path2 != path and len(history2) == 2 and files2 == [path2, path]


def test_empty_text_warns_without_error(handlers):
    out = handlers.generate("   ", **DEFAULTS)
    assert all(isinstance(o, type(gr.skip())) for o in out)


def test_too_long_text_names_the_limit(handlers):
    with pytest.raises(gr.Error, match="limit is 50"):
        handlers.generate("好" * 51, **DEFAULTS)


def test_engine_input_errors_become_messages(handlers):
    with pytest.raises(gr.Error) as e:
        handlers.generate("你好。", **{**DEFAULTS, "speed": 5.0})
    assert "speed" in str(e.value) and "Traceback" not in str(e.value)


def _wav(path) -> np.ndarray:
    return sf.read(path, dtype="float32")[0]


def _differs(a: np.ndarray, b: np.ndarray) -> bool:
    return len(a) != len(b) or float(np.abs(a - b).max()) > 1e-3


def test_mix_vector_keeps_only_sliders_above_zero():
    assert mix_vector(["happy", "sad", "angry"], [0.5, 0.0, 1.0]) == {"happy": 0.5, "angry": 1.0}
    assert mix_vector(["happy", "sad"], [0.0, 0.0]) is None
    assert mix_emotions(["neutral", "happy", "sad"]) == ["happy", "sad"]


def test_emotion_mix_reaches_the_engine(handlers, monkeypatch):
    names = mix_emotions(handlers.worker.info.emotions)
    if not {"happy", "surprised"} <= set(names):
        pytest.skip("engine offers no happy/surprised emotions")
    text, base = "今天天气真好。", {**DEFAULTS, "seed": 0, "intensity": 1.0}
    neutral = _wav(handlers.generate(text, **base)[0])
    mixed = _wav(handlers.generate(text, **base, mix={"happy": 1.0, "surprised": 1.0})[0])
    assert _differs(mixed, neutral)
    # all-zero mix = dropdown behaviour (bit-exact with the same seed)
    sad = _wav(handlers.generate(text, **{**base, "emotion": "sad"})[0])
    sad_zero_mix = _wav(handlers.generate(text, **{**base, "emotion": "sad"}, mix={"happy": 0.0})[0])
    assert not _differs(sad, sad_zero_mix) and _differs(sad, neutral)
    # a non-zero mix overrides the dropdown and is passed as emotion_vector with the intensity
    seen = {}
    real = handlers.worker.synthesize

    def spy(text, **kw):
        seen.update(kw)
        return real(text, **kw)

    monkeypatch.setattr(handlers.worker, "synthesize", spy)
    handlers.generate(text, **{**base, "emotion": "sad", "intensity": 0.4}, mix={"happy": 0.5, "angry": 0.0})
    assert seen["emotion_vector"] == {"happy": 0.5} and seen["intensity"] == 0.4
    assert "emotion_label" not in seen


@pytest.fixture(scope="module")
def reference_clip(synth, tmp_path_factory):
    """A slow, high, 3-s clip spoken by the engine itself (a style far from the default)."""
    res = synth.synthesize("我们明天早上八点在学校门口集合，然后一起坐车去公园。", speed=0.7, pitch=1.2, seed=0)
    path = tmp_path_factory.mktemp("ref") / "ref.wav"
    sf.write(path, res.wav, res.sample_rate)
    return str(path)


def test_reference_strength_reaches_the_engine(handlers, reference_clip):
    if not handlers.worker.info.reference_audio:
        pytest.skip("engine reports no reference-audio support")
    text, base = "你好，欢迎使用。", {**DEFAULTS, "seed": 0, "reference": reference_clip}
    weak = _wav(handlers.generate(text, **base, reference_strength=0.0)[0])
    strong = _wav(handlers.generate(text, **base, reference_strength=1.0)[0])
    assert _differs(weak, strong)
    assert len(strong) > len(weak)  # the slow reference slows the speech down at full strength


@pytest.mark.parametrize("kind", ["text_file", "silence", "too_short"])
def test_bad_reference_clip_is_a_plain_message(handlers, tmp_path, kind):
    if not handlers.worker.info.reference_audio:
        pytest.skip("engine reports no reference-audio support")
    bad = tmp_path / "bad.wav"
    if kind == "text_file":
        bad.write_bytes(b"this is not a wav file at all" * 10)
    elif kind == "silence":
        sf.write(bad, np.zeros(48000, dtype=np.float32), 24000)
    else:
        sf.write(bad, (0.3 * np.sin(np.arange(7200) * 0.05)).astype(np.float32), 24000)
    with pytest.warns(UserWarning, match="reference clip cannot be used"):  # gr.Warning outside a request
        audio, status, *rest = handlers.generate("你好。", **{**DEFAULTS, "reference": str(bad)})
    assert isinstance(audio, type(gr.skip())) and all(isinstance(o, type(gr.skip())) for o in rest)
    assert "Reference" in status and "Traceback" not in status and "internal error" not in status
    assert {"text_file": "audio", "silence": "silent", "too_short": "too short"}[kind] in status


class _NoExtras:
    """The real engine, but reporting no voices/emotions/reference (as a bare bundle would)."""

    def __init__(self, synth):
        self._synth = synth

    def info(self):
        return {**self._synth.info(), "voices": [], "emotions": [], "supports_reference_audio": False}

    def synthesize(self, *a, **kw):
        return self._synth.synthesize(*a, **kw)


def _visible(demo, label_part: str) -> bool:
    for comp in demo.config["components"]:
        if label_part in str(comp.get("props", {}).get("label", "")):
            return comp["props"].get("visible", True) is not False
    raise AssertionError(f"no component labelled {label_part!r}")


def test_controls_follow_engine_info(synth, tmp_path):
    cfg = UIConfig(max_chars=100, output_dir=tmp_path, max_upload_bytes=1 << 20)
    info = EngineInfo.from_info(synth.info())
    full = build_ui(EngineWorker(synth), cfg)
    assert _visible(full, "Emotion") == bool(info.emotions)
    assert _visible(full, "Voice") == (len(info.voices) > 1)
    bare = build_ui(EngineWorker(_NoExtras(synth)), cfg)
    assert not _visible(bare, "Emotion") and not _visible(bare, "Intensity") and not _visible(bare, "Voice")
    assert not _visible(bare, "Reference voice")
    assert _visible(full, "Reference voice") == info.reference_audio
    assert _visible(bare, "Speed") and _visible(bare, "Pitch")
    assert _visible(full, "Emotion mix") == bool(mix_emotions(info.emotions))
    assert not _visible(bare, "Emotion mix")
    props = {c.get("props", {}).get("elem_id"): c["props"] for c in full.config["components"]}
    mix_ids = sorted(k for k in props if str(k).startswith("mix-"))
    assert mix_ids == sorted(f"mix-{e}" for e in mix_emotions(info.emotions))
    assert all(props[k]["minimum"] == 0 and props[k]["maximum"] == 1 and props[k]["value"] == 0 for k in mix_ids)
    if info.reference_audio:
        assert set(props["reference-audio"]["sources"]) == {"upload", "microphone"}
        strength = next(c["props"] for c in full.config["components"]
                        if "Reference strength" in str(c.get("props", {}).get("label", "")))
        assert (strength["minimum"], strength["maximum"], strength["value"]) == (0, 1, 0.7)


def test_reference_warnings_reach_the_status_line(synth, reference_clip, tmp_path):
    handlers = _Handlers(EngineWorker(synth), UIConfig(max_chars=50, output_dir=tmp_path, max_upload_bytes=8 << 20))
    if not handlers.worker.info.reference_audio:
        pytest.skip("engine reports no reference-audio support")
    wav, sr = sf.read(reference_clip, dtype="float32")
    long_clip = tmp_path / "long.wav"
    sf.write(long_clip, np.tile(wav, int(65 * sr / len(wav)) + 1), sr)  # > 60 s: the engine trims it
    with pytest.warns(UserWarning, match="first 60 s"):
        path, status, *_ = handlers.generate("你好。", **{**DEFAULTS, "reference": str(long_clip)})
    assert path.endswith(".wav") and "Warning" in status and "only the first 60 s are used" in status


class _Spy:
    """The real engine, recording the keyword arguments of every synthesis."""

    def __init__(self, synth):
        self._synth, self.calls = synth, []

    def info(self):
        return self._synth.info()

    def synthesize(self, text, **kw):
        self.calls.append(kw)
        return self._synth.synthesize(text, **{k: v for k, v in kw.items() if k != "progress"})


def test_page_wiring_passes_mix_and_strength(synth, tmp_path, reference_clip):
    """The Generate click as Gradio runs it (Progress injected by position, sliders in order)."""
    from gradio.helpers import special_args

    spy = _Spy(synth)
    info = EngineInfo.from_info(synth.info())
    demo = build_ui(EngineWorker(spy), UIConfig(max_chars=100, output_dir=tmp_path, max_upload_bytes=1 << 20))
    block = next(b for b in demo.fns.values() if b.name == "_generate")
    by_id = {c.elem_id: i for i, c in enumerate(block.inputs)}
    values = [getattr(c, "value", None) for c in block.inputs]
    values[0] = "你好。"
    if "mix-happy" in by_id and "mix-surprised" in by_id:
        values[by_id["mix-happy"]], values[by_id["mix-surprised"]] = 0.8, 0.4
    strength_idx = next(i for i, c in enumerate(block.inputs) if "Reference strength" in str(c.label or ""))
    values[strength_idx] = 0.25
    values[by_id["reference-audio"]] = reference_clip if info.reference_audio else None
    values[next(i for i, c in enumerate(block.inputs) if isinstance(c, gr.State))] = []
    args, *_ = special_args(block.fn, list(values))
    path, status, *_ = block.fn(*args)
    kw = spy.calls[-1]
    assert path.endswith(".wav") and "RTF" in status
    if "mix-happy" in by_id:
        assert kw["emotion_vector"] == {"happy": 0.8, "surprised": 0.4} and kw["intensity"] == 0.6
    if info.reference_audio:
        assert kw["reference_strength"] == 0.25 and kw["reference_audio"] == reference_clip
