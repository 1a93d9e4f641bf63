"""ONNX Runtime backend: export into a bundle, same audio as PyTorch for the same seed, stale graphs caught."""
import json
import shutil

import numpy as np
import pytest

pytest.importorskip("onnxruntime")
pytest.importorskip("onnx")


@pytest.fixture(scope="module")
def bundle_copy(tmp_path_factory):
    from index_tts import hub

    src = hub.ensure_default_bundle()
    dst = tmp_path_factory.mktemp("bundle") / "baker-zh"
    shutil.copytree(src, dst)
    shutil.rmtree(dst / "onnx", ignore_errors=True)
    from index_tts.hub import write_manifest

    write_manifest(dst)  # a bundle exported by an older version listed its graphs in the manifest
    from index_tts.cli import main

    assert main(["export-onnx", "--bundle", str(dst)]) == 0
    return dst


@pytest.fixture(scope="module")
def engines(bundle_copy):
    from index_tts import Synthesizer

    return (Synthesizer(model_path=str(bundle_copy), device="cpu"),
            Synthesizer(model_path=str(bundle_copy), device="cpu", backend="onnx"))


def test_export_writes_graphs_outside_the_manifest(bundle_copy, tmp_path):
    from index_tts.hub import verify_manifest, write_manifest

    info = json.loads((bundle_copy / "onnx" / "onnx.json").read_text())
    for name in [info["encoder"], info["decoder"], *info["vocoders"].values()]:
        assert (bundle_copy / "onnx" / name).stat().st_size > 100_000
        assert len(info["files_sha256"][name]) == 64
    files = json.loads((bundle_copy / "manifest.json").read_text())["files"]
    assert not any(k.startswith("onnx/") for k in files)  # derived files: deleting them is safe
    assert not any(k.startswith("onnx/") for k in write_manifest(bundle_copy))
    verify_manifest(bundle_copy)
    gone = tmp_path / "gone"
    shutil.copytree(bundle_copy, gone)
    shutil.rmtree(gone / "onnx")
    verify_manifest(gone)


@pytest.mark.parametrize("text,kw", [
    ("今天天气真不错，我们一起去公园散步吧。", dict(seed=0)),
    ("你吃过晚饭了吗？", dict(seed=3, emotion_label="sad", intensity=1.0, speed=1.2, pitch=0.9)),
    ("太好了！我们赢了！", dict(seed=7, emotion_label="happy", intensity=0.8)),
])
def test_onnx_matches_torch(engines, text, kw):
    a, b = engines
    ra, rb = a.synthesize(text, **kw), b.synthesize(text, **kw)
    assert [s.frames for s in ra.segments] == [s.frames for s in rb.segments]
    assert ra.wav.shape == rb.wav.shape
    assert float(np.max(np.abs(ra.wav - rb.wav))) < 2e-3
    assert b.info()["backend"] == "onnx" and a.info()["backend"] == "torch"


def test_different_seeds_still_differ(engines):
    _, b = engines
    x = b.synthesize("今天天气真不错。", seed=1).wav
    y = b.synthesize("今天天气真不错。", seed=2).wav
    assert x.shape != y.shape or float(np.max(np.abs(x - y))) > 1e-2


def test_stale_graphs_are_refused(bundle_copy, tmp_path):
    from index_tts.onnx.runtime import OnnxGraphsMissing, read_info

    stale = tmp_path / "stale"
    shutil.copytree(bundle_copy, stale)
    info_path = stale / "onnx" / "onnx.json"
    info = json.loads(info_path.read_text())
    info["weights_sha256"] = {k: "0" * 64 for k in info["weights_sha256"]}
    info_path.write_text(json.dumps(info))
    with pytest.raises(OnnxGraphsMissing, match="older than its weights"):
        read_info(stale)
    info_path.write_text(json.dumps(json.loads((bundle_copy / "onnx" / "onnx.json").read_text())))
    read_info(stale)  # intact again
    with open(stale / "onnx" / "decoder.onnx", "ab") as f:
        f.write(b"\0")
    with pytest.raises(OnnxGraphsMissing, match="missing or changed"):
        read_info(stale)
    shutil.rmtree(stale / "onnx")
    with pytest.raises(OnnxGraphsMissing, match="export-onnx"):
        read_info(stale)


def test_unknown_backend_and_env_default(bundle_copy, monkeypatch):
    from index_tts import Synthesizer
    from index_tts.errors import InvalidParameterError

    with pytest.raises(InvalidParameterError, match="backend"):
        Synthesizer(model_path=str(bundle_copy), device="cpu", backend="tflite")
    monkeypatch.setenv("INDEX_TTS_BACKEND", "onnx")
    assert Synthesizer(model_path=str(bundle_copy), device="cpu").backend == "onnx"


@pytest.mark.parametrize("frames", [1, 3, 5, 40])
def test_onnx_vocoder_on_very_short_mels(engines, frames):
    """Mels shorter than the vocoder's pads work too (extended by repetition before the graph).
    Below ``min_frames`` the module trims its sub-bands before the PQMF filter and the graph
    after it, so only the filter's tail (the last hop) may differ there."""
    import torch

    a, b = engines
    mel = torch.randn(1, a.mel_config.n_mels, frames, generator=torch.Generator().manual_seed(frames))
    x, y = a.vocoder.infer(mel), torch.from_numpy(b.vocoder.infer(mel))
    assert x.shape == y.shape == (1, frames * a.hop)
    exact = frames >= a.vocoder.min_frames
    body = slice(None) if exact else slice(0, max(0, (frames - 1) * a.hop))
    d = (x[:, body] - y[:, body]).abs()
    assert d.numel() == 0 or float(d.max()) < 2e-3
    assert float((x - y).abs().max()) < (2e-3 if exact else 0.1)


def test_energy_shares_from_the_bundle_config_on_both_backends(bundle_copy, engines, tmp_path):
    """A bundle that routes loudness boosts to the mel (config.json) gets the same audio from
    both backends; neutral speech is unchanged, an emotion with a boost differs from the default split."""
    from index_tts import Synthesizer
    from index_tts.hub import write_manifest

    dst = tmp_path / "mel-energy"
    shutil.copytree(bundle_copy, dst)
    cfg = json.loads((dst / "config.json").read_text())
    cfg["acoustic"]["config"].update(energy_boost_via_mel=True)
    (dst / "config.json").write_text(json.dumps(cfg, ensure_ascii=False))
    write_manifest(dst)
    t = Synthesizer(model_path=str(dst), device="cpu")
    o = Synthesizer(model_path=str(dst), device="cpu", backend="onnx")
    kw = dict(seed=7, emotion_label="angry", intensity=1.0)
    ra, rb = t.synthesize("太好了！我们赢了！", **kw), o.synthesize("太好了！我们赢了！", **kw)
    assert ra.wav.shape == rb.wav.shape and float(np.max(np.abs(ra.wav - rb.wav))) < 2e-3
    default_split = engines[0].synthesize("太好了！我们赢了！", **kw)
    assert ra.wav.shape != default_split.wav.shape or float(np.max(np.abs(ra.wav - default_split.wav))) > 1e-2
    plain = t.synthesize("今天天气真不错。", seed=1).wav
    assert np.array_equal(plain, engines[0].synthesize("今天天气真不错。", seed=1).wav)
