"""Web UI logic without a browser: output files, handler messages, engine-driven controls."""
from __future__ import annotations

import time
from pathlib import Path

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


def test_output_names_are_unguessable_and_never_overwrite(tmp_path):
    now = time.mktime((2025, 3, 4, 5, 6, 7, 0, 0, -1))
    first = unique_output_path(tmp_path, now, token="fixed")
    assert first.name == "20250304_050607_fixed.wav"
    first.write_bytes(b"keep me")
    again = unique_output_path(tmp_path, now, token="fixed")  # the taken name is skipped
    assert again != first and first.read_bytes() == b"keep me"
    names = {unique_output_path(tmp_path, now).name for _ in range(50)}
    assert len(names) == 50
    tokens = [n[len("20250304_050607_"):-4] for n in names]
    assert all(len(t) >= 16 for t in tokens)  # 96 random bits each


def test_publish_moves_a_finished_file_atomically(tmp_path):
    from index_tts.server.outputs import publish, remove_partials

    scratch, out = tmp_path / "scratch", tmp_path / "out"
    scratch.mkdir()
    part = scratch / "x.wav.part"
    part.write_bytes(b"RIFF....")
    final = publish(part, out)
    assert final.parent == out and final.read_bytes() == b"RIFF...." and not part.exists()
    (out / ".left.wav.part").write_bytes(b"half")
    assert remove_partials(out) == 1 and sorted(p.name for p in out.iterdir()) == [final.name]


def test_temp_janitor_caps_size_and_age(tmp_path):
    import os

    from index_tts.server.outputs import TempJanitor

    now = time.time()
    for i in range(6):  # 6 files of 100 kB, oldest first
        f = tmp_path / f"d{i}" / "f.bin"
        f.parent.mkdir()
        f.write_bytes(b"x" * 100_000)
        os.utime(f, (now - 1000 + i, now - 1000 + i))
    young = tmp_path / "young.bin"
    young.write_bytes(b"y" * 500_000)
    removed, left = TempJanitor(tmp_path, cap_bytes=750_000, max_age_s=3600, min_age_s=60).sweep(now)
    assert removed == 4 and left == 700_000  # oldest went first; the young file is never touched
    assert young.exists() and (tmp_path / "d5" / "f.bin").exists() and not (tmp_path / "d0").exists()
    removed, _ = TempJanitor(tmp_path, cap_bytes=10**9, max_age_s=500, min_age_s=60).sweep(now)
    assert removed == 2 and young.exists()


@pytest.fixture()
def handlers(synth, tmp_path):
    return _Handlers(EngineWorker(synth), UIConfig(max_chars=50, output_dir=tmp_path, max_upload_bytes=1 << 20))


def test_generate_saves_wav_and_history(handlers, tmp_path):
    path, status, history, _, _ = handlers.generate("你好，世界。", **DEFAULTS)
    wav, sr = sf.read(path, dtype="float32")
    assert sr == 24000 and len(wav) > 0.5 * sr and np.abs(wav).max() > 0.05
    assert str(tmp_path) in path and "RTF" in status and "saved" in status
    assert str(tmp_path) not in status  # no server path on the page
    path2, _, history2, pick, files2 = handlers.generate("再见。", **{**DEFAULTS, "history": history})
    srt, srt2 = str(Path(path).with_suffix(".srt")), str(Path(path2).with_suffix(".srt"))
    assert path2 != path and len(history2) == 2 and files2 == [path2, srt2, path, srt]  # audio + subtitles
    assert all("/" not in value for _label, value in pick["choices"])  # opaque ids, not paths
    assert handlers.replay(pick["choices"][1][1], history2) == path
    assert handlers.replay("../../etc/passwd", history2) is None
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(Path(p).name for p in (path, path2, srt, srt2))


@pytest.mark.parametrize("text,needle", [
    ("[huan2]书", "override"), ("还[[huan2]]书", "override"), ("还[huan2 hai2 xx yy]书", "pinyin"),
    ("\ud800", "invalid character"),
])
def test_override_and_unicode_mistakes_are_plain_messages(handlers, text, needle):
    with pytest.raises(gr.Error) as e:
        handlers.generate(text, **DEFAULTS)
    msg = str(e.value)
    assert needle in msg.lower() and "internal" not in msg.lower()
    msg.encode("utf-8")  # always encodable


def test_closed_tab_cancels_its_job(synth, tmp_path):
    """A job whose session went away stops at the next segment and leaves no file."""
    import threading
    from types import SimpleNamespace

    worker = EngineWorker(synth)
    h = _Handlers(worker, UIConfig(max_chars=5000, output_dir=tmp_path / "out", max_upload_bytes=1 << 20,
                                   scratch_dir=tmp_path / "scratch"))
    req = SimpleNamespace(session_hash="tab-1")
    started = threading.Event()
    result = {}

    def progress(value, **_kw):
        if isinstance(value, tuple) and value[0] >= 1:
            started.set()

    def run():
        result["out"] = h.generate("今天天气很好。" * 40, **DEFAULTS, progress=progress, request=req)

    t = threading.Thread(target=run)
    t.start()
    assert started.wait(120)
    h.session_closed(req)
    t.join(120)
    assert all(isinstance(o, type(gr.skip())) for o in result["out"])
    assert not list((tmp_path / "scratch").iterdir()) and not (tmp_path / "out").exists()
    assert worker.pending == 0


def test_a_waiting_request_is_told_what_it_waits_for(synth, tmp_path):
    """Behind a running job the page says how many jobs are ahead, and names a clone search (minutes)."""
    import threading

    worker = EngineWorker(synth)
    h = _Handlers(worker, UIConfig(max_chars=5000, output_dir=tmp_path / "out", max_upload_bytes=1 << 20))
    gate, inside = threading.Event(), threading.Event()

    def long_search(stop):  # stands in for a clone search on the engine thread, in its third round
        worker._searching(2, 8)
        inside.set()
        gate.wait(60)

    first = worker.submit(long_search)
    assert inside.wait(30) and worker.activity == "clone search, round 3/8"
    notes, out = [], {}
    t = threading.Thread(target=lambda: out.update(r=h.generate(
        "好的。", **DEFAULTS, progress=lambda v, desc=None, **_k: notes.append(desc))))
    t.start()
    deadline = time.monotonic() + 30
    while not notes and time.monotonic() < deadline:
        time.sleep(0.05)
    gate.set()
    t.join(120)
    first.future.result(timeout=10)
    assert "前面还有 1 个任务" in notes[0] and "Waiting for 1 earlier job" in notes[0]
    assert "搜索克隆音色" in notes[0] and "round 3/8" in notes[0]
    assert Path(out["r"][0]).is_file() and worker.activity is None and worker.pending == 0
    h.generate("好的。", **DEFAULTS, progress=lambda v, desc=None, **_k: notes.append(desc))
    assert notes[-1] != notes[0] and not any("Waiting" in (n or "") for n in notes[1:])  # nobody ahead now


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
    # a non-zero mix goes to the engine with the dropdown's label and the intensity: the core
    # combines them by its one rule (index_tts/request.py), exactly as for the HTTP API
    seen = {}
    real = handlers.worker.synthesize_to_file

    def spy(text, *a, **kw):
        seen.update(kw)
        return real(text, *a, **kw)

    monkeypatch.setattr(handlers.worker, "synthesize_to_file", spy)
    handlers.generate(text, **{**base, "emotion": "sad", "intensity": 0.4}, mix={"happy": 0.5, "angry": 0.0})
    assert seen["emotion_vector"] == {"happy": 0.5} and seen["intensity"] == 0.4
    assert seen["emotion_label"] == "sad"
    # the dropdown at neutral adds nothing: the mix alone
    seen.clear()
    handlers.generate(text, **{**base, "intensity": 0.4}, mix={"happy": 0.5})
    assert seen["emotion_vector"] == {"happy": 0.5} and "emotion_label" not in seen


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


@pytest.mark.parametrize("streaming", [False, True], ids=["whole-file", "streaming"])
def test_page_wiring_passes_mix_and_strength(synth, tmp_path, reference_clip, streaming):
    """The Generate click as Gradio runs it (Progress injected by position, sliders in order)."""
    from gradio.helpers import special_args

    spy = _Spy(synth)
    info = EngineInfo.from_info(synth.info())
    demo = build_ui(EngineWorker(spy), UIConfig(max_chars=100, output_dir=tmp_path, max_upload_bytes=1 << 20),
                    streaming=streaming)
    block = next(b for b in demo.fns.values() if b.name == "_generate")
    by_id = {c.elem_id: i for i, c in enumerate(block.inputs)}
    values = [getattr(c, "value", None) for c in block.inputs]
    values[0] = "你好。"
    if "mix-happy" in by_id and "mix-surprised" in by_id:
        values[by_id["mix-happy"]], values[by_id["mix-surprised"]] = 0.8, 0.4
    strength_idx = next(i for i, c in enumerate(block.inputs) if "Reference strength" in str(c.label or ""))
    values[strength_idx] = 0.25
    timbre_idx = next(i for i, c in enumerate(block.inputs) if "Timbre match" in str(c.label or ""))
    values[timbre_idx] = 0.4
    values[by_id["reference-audio"]] = reference_clip if info.reference_audio else None
    values[next(i for i, c in enumerate(block.inputs) if isinstance(c, gr.State))] = []
    args, *_ = special_args(block.fn, list(values))
    if streaming:  # a generator: wav chunks for the player, then the saved file's outputs
        *chunks, final = list(block.fn(*args))
        assert chunks and all(c[5][:4] == b"RIFF" for c in chunks)
        path, status = final[0], final[1]
    else:
        path, status, *_ = block.fn(*args)
    kw = spy.calls[-1]
    assert path.endswith(".wav") and "RTF" in status
    if "mix-happy" in by_id:
        assert kw["emotion_vector"] == {"happy": 0.8, "surprised": 0.4} and kw["intensity"] == 0.6
    if info.reference_audio:
        assert kw["reference_strength"] == 0.25 and kw["reference_audio"] == reference_clip
        assert kw["timbre_strength"] == 0.4
