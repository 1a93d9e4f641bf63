"""Web UI logic without a browser: output files, handler messages, engine-driven controls."""
from __future__ import annotations

import time

import numpy as np
import pytest
import soundfile as sf

gr = pytest.importorskip("gradio")

from index_tts.server.engine import EngineInfo, EngineWorker
from index_tts.server.ui import UIConfig, _Handlers, build_ui, unique_output_path

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


def test_bad_reference_upload_is_a_message(handlers, tmp_path):
    if not handlers.worker.info.reference_audio:
        pytest.skip("engine reports no reference-audio support")
    bogus = tmp_path / "not_audio.wav"
    bogus.write_bytes(b"this is not a wav file at all" * 10)
    with pytest.raises(gr.Error) as e:
        handlers.generate("你好。", **{**DEFAULTS, "reference": str(bogus)})
    assert "Traceback" not in str(e.value) and "internal error" not in str(e.value)


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
